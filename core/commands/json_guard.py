"""With ``--json``, stdout is one JSON document whatever happens: the verb's own document when it
wrote one, else ``{"error": ..., "diagnostics": [...]}`` (a command line that could not run: a
usage error, no roots, a refused action, nothing loadable, a crash), so ``crossdeck VERB --json
| python -m json.tool`` never reads an empty stream. stderr is unchanged: the same messages and
diagnostics go there as without ``--json``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import msgspec

from core.diagnostics import Diagnostic

EXIT_INTERRUPTED = 128 + 2  # what a tool stopped by Ctrl-C (SIGINT) exits with
INTERRUPTED = "crossdeck: interrupted"


class _Watched:
    """A stream that passes everything on and remembers what was written to it."""

    def __init__(self, stream: TextIO, keep: bool) -> None:
        self._stream = stream
        self._keep = keep
        self.text: list[str] = []
        self.used = False

    def write(self, text: str) -> int:
        self.used = self.used or bool(text)
        if self._keep:
            self.text.append(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, encoding, isatty, fileno, ...
        return getattr(self._stream, name)


class JsonGuard:
    """Where ``report_diagnostics`` leaves the diagnostics it reported while a guard is active."""

    active: JsonGuard | None = None

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.diagnostic_lines: set[str] = set()


def wants_json(argv: Sequence[str]) -> bool:
    words = list(argv)
    return "--json" in (words[:words.index("--")] if "--" in words else words)


def noted(diagnostics: list[Diagnostic], lines: list[str]) -> None:
    """``report_diagnostics`` says what it wrote, so that the error document carries the
    diagnostics as data and its ``error`` only the messages that were not diagnostics."""
    guard = JsonGuard.active
    if guard is not None:
        guard.diagnostics.extend(diagnostics)
        guard.diagnostic_lines.update(lines)


def guarded(run: Callable[[], int]) -> int:
    """Run a verb given ``--json``; when it wrote nothing to stdout, write the error document."""
    guard = JsonGuard()
    out, err = _Watched(sys.stdout, keep=False), _Watched(sys.stderr, keep=True)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr, JsonGuard.active = out, err, guard  # type: ignore[assignment]
    code: int | None = None
    crash: Exception | None = None
    try:
        code = run()
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    except BrokenPipeError:
        raise  # the reader went away: nothing more is written (tui.__main__ ends quietly)
    except KeyboardInterrupt:  # Ctrl-C: said on stderr, and the document says it too
        sys.stderr.write(INTERRUPTED + "\n")
        code = EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - a crash: the document says so, then it is raised again
        crash = exc
    finally:
        sys.stdout, sys.stderr = saved
        JsonGuard.active = None
    if not out.used and (code != 0 or crash is not None):  # (a watch that saw no event wrote nothing, rightly)
        message = _message(err.text, guard.diagnostic_lines, code, crash)
        document = {"error": message, "diagnostics": [_diagnostic(d) for d in guard.diagnostics]}
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(document), indent=2).decode() + "\n")
        sys.stdout.flush()
    if crash is not None:
        raise crash
    return 2 if code is None else code


def _message(written: list[str], diagnostic_lines: set[str], code: int | None, crash: Exception | None) -> str:
    if crash is not None:
        return f"crossdeck stopped on an internal error: {type(crash).__name__}: {crash}"
    lines: list[str] = []
    in_usage = False
    for line in "".join(written).splitlines():
        in_usage = line.startswith("usage: ") or in_usage and line.startswith(" ")  # argparse's usage: not the error
        if line.strip() and not in_usage and line not in diagnostic_lines:
            lines.append(line)
    return "\n".join(lines) or f"crossdeck ended with exit code {code} and wrote no result"


def _diagnostic(diag: Diagnostic) -> dict[str, Any]:
    return {"severity": diag.severity.value, "path": diag.path, "line": diag.line, "message": diag.message,
            "workspace": diag.workspace}
