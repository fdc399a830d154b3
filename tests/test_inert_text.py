"""Text from a workspace or a remote is inert on screen (Hostile world I, 9): bidirectional
overrides and isolates, zero-width characters and the line / paragraph separators are shown as
escapes in every text verb, as control characters already were; ``--json`` keeps the exact
strings; an actor name holding one is refused."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.sync.decisions import DecisionError, check_actor
from core.text import is_inert, one_line, printable
from tests.conftest import PROJECT

# The characters the issue names: bidi embeddings and overrides, isolates, marks, the Arabic
# letter mark; zero-width space / non-joiner / joiner, word joiner, BOM; line and paragraph separators.
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
SEPARATORS = ["\u2028", "\u2029"]
UNSAFE = BIDI + ZERO_WIDTH + SEPARATORS
TRICK = "invoice_\u202etxt.exe"  # reads "invoice_exe.txt" where the override is obeyed
HOSTILE = TRICK + " " + "".join(UNSAFE) + " \x1b[31m"


def assert_inert(text: str, what: object = "") -> None:
    found = sorted({f"U+{ord(ch):04X}" for ch in text if ch in UNSAFE or ch == "\x1b"})
    assert not found, f"{what}: {found} reach the terminal"


@pytest.mark.parametrize("char", UNSAFE)
def test_every_named_character_is_shown_as_an_escape(char: str) -> None:
    escaped = f"\\u{ord(char):04x}"
    assert one_line(f"a{char}b") == f"a{escaped}b"
    assert printable(f"a{char}b\nc") == f"a{escaped}b\nc"
    assert not is_inert(char) and is_inert(one_line(char))


def test_the_reordering_trick_reads_as_typed() -> None:
    assert one_line(TRICK) == "invoice_\\u202etxt.exe"
    assert one_line("tag\U000e0041s") == "tag\\U000e0041s"  # tag characters: text hidden in plain sight
    assert one_line("soft\u00adhyphen \x1b") == "soft\\xadhyphen \\x1b"
    # letters of any script, emoji and combining marks are left alone
    plain = "héllo Ωμέγα שלום مرحبا 日本語 🙂 e\u0301"
    assert one_line(plain) == plain and is_inert(plain)


@pytest.mark.parametrize("char", UNSAFE)
def test_an_actor_name_holding_one_is_refused(char: str) -> None:
    with pytest.raises(DecisionError, match="not an actor name") as refused:
        check_actor(f"web/crew/bob{char}evil")
    assert_inert(str(refused.value), char)  # the refusal quotes the name escaped
    assert check_actor("web/crew/bob") == "web/crew/bob"
    assert check_actor("josé@acme.dev") == "josé@acme.dev"


# -- every text verb on a federation whose strings hold them ------------------------------------

def _edit_jsonl(path: Path, pick: Callable[[dict[str, Any]], bool], change: Callable[[dict[str, Any]], None]) -> None:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    hits = [row for row in rows if pick(row)]
    assert hits, path
    for row in hits:
        change(row)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")


def _title(ident: str) -> tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], None]]:
    return (lambda row: row.get("id") == ident), (lambda row: row.update(title=row["title"] + " " + HOSTILE))


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo federation with the hostile string in a blocked item's title, in a blocker's, in a
    delegated item's, in an audit event's actor and in an incoming request's title."""
    root = Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))
    towns = root / "towns"
    _edit_jsonl(towns / "acme-storefront" / "web" / ".beads" / "issues.jsonl", *_title("web-7tq"))
    _edit_jsonl(towns / "globex-payments" / "ledger" / ".beads" / "issues.jsonl", *_title("lg-2wx"))
    _edit_jsonl(towns / "globex-payments" / "gateway" / ".beads" / "issues.jsonl", *_title("gw-4tk"))
    _edit_jsonl(towns / "acme-storefront" / ".events.jsonl", lambda row: row.get("type") == "sling",
                lambda row: row.update(actor="web/crew/" + HOSTILE))
    _edit_jsonl(root / "sudocode" / "api-service" / ".sudocode" / "federation" / "requests.jsonl",
                lambda row: row.get("request_id") == "req-7c2e41",
                lambda row: row["payload"].update(title=HOSTILE))
    anchor = json.loads((root / "demo.json").read_text("utf-8"))["anchor"]
    monkeypatch.setenv("CROSSDECK_NOW", f"{anchor}T12:00:00Z")
    return root


TEXT_VERBS: list[tuple[str, ...]] = [
    ("summary",), ("list",), ("show", "web-7tq"), ("show", "gw-4tk"), ("blockers", "web-7tq"),
    ("graph", "web-7tq", "--depth", "3"), ("graph", "web-7tq", "--depth", "3", "--format", "dot"),
    ("graph", "web-7tq", "--depth", "3", "--format", "text"), ("chains",), ("audit",), ("approvals", "--all"),
    ("stale", "--all"), ("check",), ("remote", "list"),
]


def test_no_text_verb_lets_them_through(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    shown = set()
    for verb in TEXT_VERBS:
        main([*verb, str(hostile)])
        out, err = capsys.readouterr()
        assert_inert(out, verb)
        assert_inert(err, verb)
        if "invoice_\\u202etxt.exe" in out:
            shown.add(verb[0])
    # the verbs that print the titles or actors print them escaped, not left out
    assert {"list", "show", "blockers", "graph", "chains", "audit", "approvals"} <= shown


def test_json_keeps_the_exact_strings(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    main(["show", "web-7tq", str(hostile), "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert shown["node"]["label"].endswith(HOSTILE)
    main(["approvals", str(hostile), "--json"])
    approvals = json.loads(capsys.readouterr().out)
    assert HOSTILE in [request["title"] for request in approvals["pending"]]
