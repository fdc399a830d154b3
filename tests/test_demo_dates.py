"""Shifting the demo's dates: every date moves by the same whole days, in its own format, and
nothing else in any file changes; the analyses see the same story on the shifted day."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.demo_dates import (
    DATE,
    data_files,
    is_date,
    read_anchor,
    shift_date_text,
    shift_demo,
    shift_jsonl_text,
    shift_value,
    shift_yaml_text,
)
from core.federation import load_federation
from core.timeutil import parse_ts
from tests.conftest import PROJECT

SAMPLE = PROJECT / "sample_workspaces"
ANCHOR = dt.date(2026, 11, 20)
DAYS = 10


@pytest.mark.parametrize(("before", "after"), [
    ("2026-11-13", "2026-11-23"),
    ("2026-11-13T10:00:00Z", "2026-11-23T10:00:00Z"),
    ("2026-11-13T10:00:00.123456789+02:00", "2026-11-23T10:00:00.123456789+02:00"),
    ("2026-11-13T10:00", "2026-11-23T10:00"),
    ("2025-10-24 09:53:37", "2025-11-03 09:53:37"),
    ("2026-12-25T23:59:59-0500", "2027-01-04T23:59:59-0500"),
])
def test_a_date_moves_in_its_own_format(before: str, after: str) -> None:
    assert is_date(before)
    assert shift_date_text(before, DAYS) == after
    assert shift_date_text(after, -DAYS) == before


@pytest.mark.parametrize("text", ["v2026-11-13", "2026-11-13 and more", "since 2026-11-13", "2026-13-01",
                                  "2026-02-30", "2026-11-13T25:00:00Z", "1.2.0", "", "20261113"])
def test_anything_else_stays(text: str) -> None:
    assert not is_date(text)
    assert shift_date_text(text, DAYS) == text


def test_json_lines_keep_every_other_byte() -> None:
    text = ('{"id":"x","ts":"2026-11-13T10:00:00Z","note":"due 2026-11-13","2026-11-13":"key stays",'
            '"esc":"a\\"b","deep":{"list":["2026-11-01",3]}}\r\n'
            'not json "2026-11-13"\n'
            '{ "a" : "2026-11-13" }')
    shifted, count = shift_jsonl_text(text, DAYS)
    assert count == 3
    assert shifted == text.replace('"ts":"2026-11-13T', '"ts":"2026-11-23T').replace(
        '"2026-11-01"', '"2026-11-11"').replace('"a" : "2026-11-13"', '"a" : "2026-11-23"')
    first = json.loads(shifted.splitlines()[0])
    assert list(first) == ["id", "ts", "note", "2026-11-13", "esc", "deep"]


def test_yaml_keeps_comments_quotes_and_words() -> None:
    text = ("# released 2026-11-13, see below\n"
            "created_at: 2026-05-18T10:00:00Z  # plain\n"
            "resolved_at: \"2026-09-12T10:00:00Z\"\n"
            "joined: '2026-05-20'\n"
            "2026-01-01: a key stays\n"
            "changes: [Added on 2026-11-13, v2026-11-13]\n"
            "dates: [2026-07-02, \"2026-07-03\"]\n"
            "evolution:\n  - version: 1.4.0\n    date: 2026-07-02\n")
    shifted, count = shift_yaml_text(text, DAYS)
    assert count == 6
    assert shifted == (
        "# released 2026-11-13, see below\n"
        "created_at: 2026-05-28T10:00:00Z  # plain\n"
        "resolved_at: \"2026-09-22T10:00:00Z\"\n"
        "joined: '2026-05-30'\n"
        "2026-01-01: a key stays\n"
        "changes: [Added on 2026-11-13, v2026-11-13]\n"
        "dates: [2026-07-12, \"2026-07-13\"]\n"
        "evolution:\n  - version: 1.4.0\n    date: 2026-07-12\n")
    assert shift_yaml_text("a: [unclosed", DAYS) == ("a: [unclosed", 0)


@pytest.fixture(scope="module")
def shifted_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("shifted") / "workspaces"
    shutil.copytree(SAMPLE, copy)
    report = shift_demo(copy, ANCHOR + dt.timedelta(days=DAYS))
    assert (report.days, report.anchor, report.today) == (DAYS, "2026-11-20", "2026-11-30")
    assert report.dates > 250 and report.files > 50
    return copy


def _parse(path: Path, text: str) -> Any:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=yaml.BaseLoader)  # every scalar a string, as written


def test_every_date_moved_by_exactly_the_days_and_nothing_else(shifted_copy: Path) -> None:
    files = list(data_files(SAMPLE))
    assert len(files) > 60
    moved = 0
    for original in files:
        copy = shifted_copy / original.relative_to(SAMPLE)
        before, after = original.read_text(), copy.read_text()
        # outside date tokens, the bytes are the same
        assert DATE.sub("D", before) == DATE.sub("D", after), original
        # as data, the copy is the original with each date-valued string moved
        assert _parse(copy, after) == shift_value(_parse(original, before), DAYS), original
        for old, new in zip(DATE.finditer(before), DATE.finditer(after)):
            if old.group(0) != new.group(0):
                old_ts, new_ts = parse_ts(old.group(0)), parse_ts(new.group(0))
                assert old_ts is not None and new_ts is not None
                assert new_ts - old_ts == dt.timedelta(days=DAYS)
                moved += 1
    assert moved > 250
    assert read_anchor(shifted_copy) == ANCHOR + dt.timedelta(days=DAYS)


def test_the_copy_loads_without_errors(shifted_copy: Path) -> None:
    fed = load_federation([shifted_copy])
    assert len(fed.workspaces) == 7
    assert fed.errors == []
    assert len(fed.warnings) == len(load_federation([SAMPLE]).warnings)


def _run(verb: str, root: Path, day: dt.date, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Any:
    from core.cli import main

    monkeypatch.setenv("CROSSDECK_NOW", f"{day.isoformat()}T12:00:00Z")
    capsys.readouterr()
    main([verb, str(root), "--json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("verb", ["stale", "chains"])
def test_the_story_is_the_same_on_the_shifted_day(verb: str, shifted_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    at_anchor = _run(verb, SAMPLE, ANCHOR, monkeypatch, capsys)
    later = _run(verb, shifted_copy, ANCHOR + dt.timedelta(days=DAYS), monkeypatch, capsys)
    relocated = json.loads(json.dumps(later).replace(str(shifted_copy), str(SAMPLE.resolve())))
    assert shift_value(relocated, -DAYS) == at_anchor
    if verb == "stale":
        days = {r["key"].rsplit("/", 3)[-3] + "/" + r["key"].rsplit("/", 1)[-1]: r.get("days_stale")
                for r in later["imports"]}
        assert days["acme-checkout/payment-intents"] == 30 and days["paysdk/card-token"] == 5


def test_a_copy_without_an_anchor_is_left_as_is(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"ts":"2026-11-13T10:00:00Z"}\n')
    report = shift_demo(tmp_path, dt.date(2030, 1, 1))
    assert report.days == 0 and report.dates == 0
    assert (tmp_path / "a.jsonl").read_text() == '{"ts":"2026-11-13T10:00:00Z"}\n'


def test_dates_appear_only_where_the_shift_finds_them() -> None:
    """Every date-looking token in the sample data is a whole JSON or YAML value (so the shift
    moves every one); a date in free text would keep its day and drift from the story."""
    loose = []
    for path in data_files(SAMPLE):
        text = path.read_text()
        for match in DATE.finditer(text):
            before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
            if not re.fullmatch(r'["\' ]', before or " ") or not re.fullmatch(r'["\'\n,\]}]', after or "\n"):
                loose.append(f"{path.relative_to(SAMPLE)}: {match.group(0)}")
    assert loose == []
