"""Shifting the demo's dates so the story keeps its ages on any day.

``sample_workspaces/demo.json`` names an anchor, the demo's "today". The copy ``crossdeck demo``
makes has every date moved by (today - anchor) whole days, so the overdue delegation stays
overdue and a 30-day stale import stays 30 days stale whenever the demo runs.

A *date* here is a string that is entirely one of: a bare ``YYYY-MM-DD``; ISO 8601 with a time
(``T``, seconds and fraction optional, ``Z`` or an offset optional); or ``YYYY-MM-DD HH:MM:SS``
(sudocode). Only the ``YYYY-MM-DD`` part is rewritten, so every date keeps its own format: a date
stays a date, ``Z`` stays ``Z``, a fraction keeps its digits. A whole-day shift moves the instant
by exactly N x 24 hours whatever the offset.

Each file keeps every other byte:

- **JSON Lines** and **JSON**: the text must parse; then each string *value* (never a key) that
  is entirely a date is replaced in place, token by token. Key order, spacing and escapes stay
  as written, and a line that does not parse is left alone.
- **YAML**: re-dumping would lose comments and quoting, so the file is run through YAML's own
  scanner and only scalar tokens (plain or quoted, never keys) whose whole value is a date are
  replaced, at the exact character span the scanner reports. A date inside a longer string
  (``since 2026-11-13``, ``v2026-11-13``) is a different scalar and is never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from core.timeutil import parse_ts

DATE = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?)?"
)
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__"})
JSON_SUFFIXES = (".json",)
JSONL_SUFFIXES = (".jsonl",)
YAML_SUFFIXES = (".yaml", ".yml")


class ShiftReport(msgspec.Struct, kw_only=True):
    """What a shift did: by how many days, and how many dates in how many files it moved."""

    days: int
    anchor: str | None = None
    today: str | None = None
    files: int = 0
    dates: int = 0


def is_date(text: object) -> bool:
    """True when ``text`` is entirely a date this module shifts."""
    if not isinstance(text, str) or DATE.fullmatch(text) is None:
        return False
    try:
        dt.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return parse_ts(text.replace(",", ".")) is not None


def shift_date_text(text: str, days: int) -> str:
    """``text`` moved by ``days`` in its own format; anything that is not a date comes back as is."""
    if not days or not is_date(text):
        return text
    try:
        day = dt.date.fromisoformat(text[:10]) + dt.timedelta(days=days)
    except OverflowError:
        return text
    return day.isoformat() + text[10:]


def shift_value(value: Any, days: int) -> Any:
    """A parsed JSON / YAML value with every date-valued string moved (mapping keys are kept)."""
    if isinstance(value, str):
        return shift_date_text(value, days)
    if isinstance(value, dict):
        return {key: shift_value(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [shift_value(item, days) for item in value]
    return value


# -- JSON and JSON Lines -------------------------------------------------------------------------
def _shift_json_tokens(text: str, days: int) -> tuple[str, int]:
    """Replace, in valid JSON text, each string value that is entirely a date."""
    out: list[str] = []
    last = count = 0
    for match in _JSON_STRING.finditer(text):
        raw = match.group(0)
        inner = raw[1:-1]
        if "\\" in inner or not is_date(inner):
            continue
        rest = text[match.end():].lstrip(" \t\r\n")
        if rest.startswith(":"):
            continue  # a key, not a value
        shifted = shift_date_text(inner, days)
        if shifted != inner:
            out += [text[last:match.start()], '"', shifted, '"']
            last = match.end()
            count += 1
    out.append(text[last:])
    return "".join(out), count


def shift_json_text(text: str, days: int) -> tuple[str, int]:
    """A whole JSON document's text with its dates moved; text that is not JSON stays as is."""
    try:
        json.loads(text)
    except ValueError:
        return text, 0
    return _shift_json_tokens(text, days)


def shift_jsonl_text(text: str, days: int) -> tuple[str, int]:
    """JSON Lines, line by line: each line keeps its key order, spacing and line ending."""
    out: list[str] = []
    total = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        shifted, count = shift_json_text(body, days) if body.strip() else (body, 0)
        out.append(shifted + line[len(body):])
        total += count
    return "".join(out), total


# -- YAML ----------------------------------------------------------------------------------------
def _yaml_date_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, value) of each scalar token that is not a key and is entirely a date."""
    import yaml

    after_key = False
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.ScalarToken) and not after_key and is_date(token.value):
            yield token.start_mark.index, token.end_mark.index, token.value
        after_key = isinstance(token, yaml.KeyToken)


def shift_yaml_text(text: str, days: int) -> tuple[str, int]:
    """YAML with its date scalars moved in place; comments, quoting and layout stay."""
    import yaml

    try:
        spans = list(_yaml_date_spans(text))
    except yaml.YAMLError:
        return text, 0
    out: list[str] = []
    last = count = 0
    for start, end, value in spans:
        span = text[start:end]
        shifted = shift_date_text(value, days)
        if value not in span or shifted == value:
            continue
        out += [text[last:start], span.replace(value, shifted, 1)]
        last = end
        count += 1
    out.append(text[last:])
    return "".join(out), count


# -- files and folders ---------------------------------------------------------------------------
def shift_text(name: str, text: str, days: int) -> tuple[str, int]:
    """``text`` of a file called ``name`` with its dates moved (unknown kinds of file stay as is)."""
    lower = name.lower()
    if lower.endswith(JSONL_SUFFIXES):
        return shift_jsonl_text(text, days)
    if lower.endswith(JSON_SUFFIXES):
        return shift_json_text(text, days)
    if lower.endswith(YAML_SUFFIXES):
        return shift_yaml_text(text, days)
    return text, 0


def data_files(root: Path) -> Iterator[Path]:
    """Every JSON, JSON Lines and YAML file below ``root`` (``.git`` and friends skipped), sorted."""
    for folder, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.lower().endswith(JSON_SUFFIXES + JSONL_SUFFIXES + YAML_SUFFIXES):
                yield Path(folder) / name


def shift_tree(root: Path, days: int) -> ShiftReport:
    """Move every date in every data file below ``root`` by ``days``, rewriting changed files only."""
    report = ShiftReport(days=days)
    if not days:
        return report
    for path in data_files(root):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        shifted, count = shift_text(path.name, text, days)
        if count:
            path.write_bytes(shifted.encode("utf-8"))
            report.files += 1
            report.dates += count
    return report


def read_anchor(workspaces: Path) -> dt.date | None:
    """The anchor date in ``workspaces/demo.json``, if there is one."""
    try:
        doc = json.loads((workspaces / "demo.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    anchor = doc.get("anchor") if isinstance(doc, dict) else None
    if not isinstance(anchor, str):
        return None
    try:
        return dt.date.fromisoformat(anchor)
    except ValueError:
        return None


def shift_demo(workspaces: Path, today: dt.date) -> ShiftReport:
    """Shift a demo copy so that its anchor becomes ``today`` (``demo.json`` moves with it)."""
    anchor = read_anchor(workspaces)
    if anchor is None:
        return ShiftReport(days=0, today=today.isoformat())
    report = shift_tree(workspaces, (today - anchor).days)
    report.anchor, report.today = anchor.isoformat(), today.isoformat()
    return report
