"""Text tables fit the terminal (issue 14, item 8) and ages read the same everywhere (item 6).

A request whose title is 431 characters over several lines, some of them wide (CJK) characters,
in the demo federation: every verb's table keeps one line per row; with ``COLUMNS`` set, or on a
terminal of that width, no line is wider than it (counted in display cells) and what was cut
ends with an ellipsis; through a pipe with ``COLUMNS`` unset nothing is cut, so ``grep`` sees the
whole title.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import PROJECT

NOW = "2026-11-20T12:00:00Z"
TITLE_LINES = ["Rename the profile fields to camelCase across every endpoint of the public API",
               "名前の変更はすべてのクライアントに影響します (the rename touches every client)",
               "and keep the old snake_case names readable for two releases, with a deprecation",
               "header on each response that still uses them, so the mobile apps can move over",
               "at their own pace; the web frontend moves first, in the same week as the API"]
TITLE = "\n".join(TITLE_LINES)
ONE_LINE_TITLE = " ".join(TITLE_LINES)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))
    requests = root / "sudocode" / "api-service" / ".sudocode" / "federation" / "requests.jsonl"
    with requests.open("a", encoding="utf-8") as out:
        out.write(json.dumps({
            "request_id": "req-long01", "direction": "incoming", "from_repo": "github.com/acme-dev/frontend",
            "to_repo": "github.com/acme-dev/api-service", "request_type": "create_issue",
            "payload": {"title": TITLE, "priority": 2}, "status": "pending",
            "created_at": "2026-11-16T09:00:00Z", "updated_at": "2026-11-16T09:00:00Z"}) + "\n")
    monkeypatch.setenv("CROSSDECK_NOW", NOW)
    return root


def run(*args: str, columns: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"PYTHONPATH": str(PROJECT)}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def on_terminal(width: int, *args: str) -> str:
    """What the verb writes to a terminal ``width`` cells wide (``COLUMNS`` unset)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"PYTHONPATH": str(PROJECT)}
    process = subprocess.Popen([sys.executable, "-m", "tui", *args], stdout=slave, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def widths(text: str) -> list[int]:
    return [cell_len(line) for line in text.splitlines()]


@pytest.mark.parametrize("verb", [("approvals",), ("approvals", "--all"), ("audit",), ("list",), ("summary",)])
def test_columns_fits_every_line(demo: Path, verb: tuple[str, ...]) -> None:
    """Every table line (the first line, a sentence, is the terminal's to wrap)."""
    result = run(*verb, str(demo), columns="100")
    assert result.returncode == 0, result.stderr
    assert max(widths(result.stdout)[1:]) <= 100, result.stdout


def test_a_long_multi_line_title_is_one_line_cut_with_an_ellipsis(demo: Path) -> None:
    narrow = run("approvals", str(demo), columns="100").stdout.splitlines()
    row = [line for line in narrow if "req-long01" in line]
    assert len(row) == 1 and "…" in row[0] and cell_len(row[0]) <= 100
    assert "auto-approvable" in row[0] or "needs a human" in row[0]  # the verdict is never cut
    assert len(narrow) == len(run("approvals", str(demo), columns="300").stdout.splitlines())


def test_through_a_pipe_nothing_is_cut(demo: Path) -> None:
    """stdout not a terminal and COLUMNS unset: whole lines, so grep sees the whole title."""
    lines = run("approvals", str(demo)).stdout.splitlines()
    row = [line for line in lines if "req-long01" in line]
    assert len(row) == 1 and ONE_LINE_TITLE in row[0]
    assert "…" not in "\n".join(lines)


def test_a_terminal_is_fitted_to_its_width(demo: Path) -> None:
    shown = on_terminal(90, "approvals", str(demo))
    assert "req-long01" in shown
    assert max(widths(shown)[1:]) <= 90, shown
    assert "…" in shown


def test_an_age_is_the_same_in_the_command_line_and_the_dashboard(demo: Path) -> None:
    """req-e85a30 was made 2026-11-16T22:31Z: 3 days and 13 hours before now, "3d" in both (the
    command line counted calendar days and said "4d"); one made this morning reads "4h", not "today"."""
    import datetime as dt

    from core.analysis.approvals import approvals_of
    from core.federation import load_federation
    from core.settings import Settings
    from tui.panes.approvals.rows import pending_rows

    moment = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    report = approvals_of(load_federation([demo], Settings().limits).workspaces, moment.date())
    rows, keys = pending_rows(report, moment)
    pane = {key.split(":")[-1]: row[0] for row, key in zip(rows, keys)}
    cli = {line.split()[2]: line.split()[0] for line in run("approvals", str(demo)).stdout.splitlines()[3:]}
    assert cli == pane
    assert (cli["req-e85a30"], cli["req-3a6d55"]) == ("3d", "4h")
