"""Showing untrusted text: strings from workspaces and remotes never drive the terminal.

Two kinds of character are shown as visible escapes instead of themselves:

* control characters (C0 except tab and newline, DEL, C1): ESC sequences, bells, cursor moves,
  as ``\\x1b``;
* invisible characters that change how the text around them reads: the bidirectional overrides,
  embeddings, isolates and marks (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C, and the
  deprecated U+206A-206F), zero-width characters (U+200B-200D, U+2060-2064, U+FEFF, U+180E,
  U+00AD), the line and paragraph separators U+2028 and U+2029, the interlinear annotation
  marks U+FFF9-FFFB, the tag characters U+E0000-E007F (text hidden in plain sight) and the
  shorthand and musical format controls, as ``\\u202e`` (``\\U000e0041`` beyond U+FFFF).

So ``invoice_<U+202E>txt.exe`` shows as ``invoice_\\u202etxt.exe``, never reordered to read
``invoice_exe.txt``. Every text output (``one_line``, ``printable``) and the dashboard
(``tui/safe.py``) go through here; ``--json`` keeps the exact strings.
"""

from __future__ import annotations

import re

# C0 and C1 control characters except tab and newline, plus DEL: ESC sequences, bells, cursor moves.
_C0_C1 = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Invisible format characters that reorder, hide or break the text around them (see above).
INVISIBLE = ("\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
             "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f")
_UNSAFE = re.compile(f"[{_C0_C1}{INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every control and invisible character shown as a visible escape (``\\x1b``,
    ``\\u202e``); newlines and tabs kept."""
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """``printable`` on one line: newlines and tabs shown as spaces."""
    return printable(text.replace("\n", " ").replace("\t", " ").replace("\r", " "))


def is_inert(text: str) -> bool:
    """True when ``text`` holds no control or invisible character (``printable`` leaves it as is)."""
    return _UNSAFE.search(text) is None


def plural(count: int, noun: str) -> str:
    """``1 warning``, ``2 warnings``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
