"""Showing untrusted text: strings from workspaces and remotes never drive the terminal."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab and newline, plus DEL: ESC sequences, bells, cursor moves.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str) -> str:
    """``printable`` on one line: newlines and tabs shown as spaces."""
    return printable(text.replace("\n", " ").replace("\t", " ").replace("\r", " "))
