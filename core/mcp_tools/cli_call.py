"""Run a headless verb in this process and take its ``--json`` document: what an MCP tool
answers is what ``crossdeck VERB --json`` prints, made by the same code (``core.cli.main``).

The verbs write to ``sys.stdout`` and ``sys.stderr``; a call swaps both for buffers while it runs,
under one lock (calls take turns). Under ``crossdeck mcp`` the SDK's stdio transport writes to
a private copy of the real stdout, so nothing a verb prints can reach the wire."""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

_TURN = threading.Lock()


class Outcome(NamedTuple):
    document: dict[str, Any]  # the verb's --json document, or {error, diagnostics} when it could not run
    code: int  # the verb's exit code (docs/cli.md)
    stderr: str  # what it said on stderr: diagnostics, refusals

    @property
    def failed(self) -> bool:
        """The verb could not run or was refused: its document is the error document."""
        return set(self.document) == {"error", "diagnostics"}


def run_verb(words: Sequence[str]) -> Outcome:
    """``crossdeck WORDS... --json``, in this process."""
    from core.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _TURN:
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            code = main([*words, "--json"])
        finally:
            sys.stdout, sys.stderr = saved
    text = out.getvalue()
    try:
        document = json.loads(text)
    except ValueError:
        document = {"error": f"crossdeck {words[0] if words else ''} wrote no JSON document (exit {code})",
                    "diagnostics": []}
    if not isinstance(document, dict):
        document = {"error": "crossdeck wrote a JSON document that is not an object", "diagnostics": []}
    return Outcome(document, code, err.getvalue())
