"""Any bytes, every format: a property-based (Hypothesis) fuzz of each file crossdeck reads.

Each format's seed workspace (``tests/fuzz_seeds.py``) is loaded once as it is; then each example
damages one of its files (``tests/fuzz_mutations.py``), loads the federation again and runs every
read verb on it, text and ``--json``. For every case:

- nothing raises out of ``load_federation`` or a verb;
- every record the edit did not touch still loads: a line of JSON Lines it left alone, a file it
  did not edit, an item of a whole document it left as it was (0 lost good records). A folder
  whose file says where it is (a town's ``town.json``, a rig's ``redirect``) rightly goes with it;
- what cannot be read is a diagnostic naming the file and the line (a line of JSON Lines that is
  not a JSON object, a whole document that does not parse: an error at that line);
- a whole-file transform (a BOM, CRLF line ends, UTF-16) loses nothing and reports nothing;
- no case takes over 2 s of CPU (nor hangs: 10 s on the wall).

The "ci" profile (tests/conftest.py) is derandomized: the same examples every run, so a new find
never blocks a landing by chance. ``CROSSDECK_FUZZ=deep`` runs 10,000 cases per format, and keeps
the minimal failing input of what it finds (tests/README.md): each is then a regression fixture in
``tests/fixtures/fuzz/``, which ``test_fuzz_finding_stays_fixed`` replays.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st

from core.cli import build_parser
from core.diagnostics import Severity
from core.federation import Federation, load_federation
from core.model import Record, WorkUnit
from core.sources.files import MAX_NESTING, MAX_YAML_EXPANDED_NODES, as_utf8  # as every reader decodes
from tests.fuzz_mutations import _WHOLE, BOM, Mutation, mutations
from tests.fuzz_seeds import FORMATS, Seed

# A case (its load and every read verb) may take 2 s of CPU. The clock on the wall only bounds a
# hang: on a busy 2-core CI box a 50 ms case waits its turn for much longer than it runs.
SLOWEST_CASE = 2.0
HUNG_CASE = 10.0
FIXTURES = Path(__file__).parent / "fixtures" / "fuzz"
READ_VERBS = [["summary"], ["stale"], ["check"], ["approvals", "--all"], ["audit"], ["list"], ["chains"],
              ["remote", "list"]]
ITEM_VERBS = [["show"], ["blockers"], ["graph"], ["graph", "--format", "text"]]

# What a record is, across loads: its kind, where it was read from, and the fields that name it
# as written (never a derived key: an edit of town.json renames every key in the town).
_NAMES: dict[str, tuple[str, ...]] = {
    "WorkUnit": ("id",), "Relationship": ("type", "from_ref", "to_ref"), "Delegation": ("parent", "child"),
    "Route": ("prefix",), "Rig": ("name",), "Entity": ("id",), "Employment": ("entity",), "Remote": ("url",),
    "Request": ("request_id",), "Subscription": ("subscription_id",), "AuditEvent": ("ts", "type"),
    "Contract": ("name",), "ContractVersion": ("version",), "Import": ("contract",), "Domain": ("name",),
}
# Where a whole document keeps several records, the field naming each (None: the mapping's key),
# and the record they belong to, when they are parts of one (an export's history goes with it).
_ITEMS: dict[str, tuple[str, str, str | None, str | None]] = {
    "remotes.json": ("remotes", "Remote", "url", None),
    "federation.config.json": ("remote_repos", "Remote", "url", None),
    "rigs.json": ("rigs", "Rig", None, None), "exports.yaml": ("exports", "Contract", "name", None),
    "imports.yaml": ("imports", "Import", "contract", None), "gateway.yaml": ("imports", "Import", "contract", None),
    "card-token.yaml": ("evolution", "ContractVersion", "version", "Contract"),
}

# The item a record of another file belongs to (a backup's dependency or event rows of an issue):
# when the edit reaches that item (refused, or made a wisp), they rightly go with it.
_OWNERS: dict[str, Callable[[Any], str | None]] = {
    "Relationship": lambda rel: rel.from_ref, "Delegation": lambda dlg: dlg.child,
    "AuditEvent": lambda event: event.subject.rsplit("/", 1)[-1] if event.subject else None,
}

RecordKey = tuple[str, str, int | None, tuple[str, ...], str | None]  # kind, file, line, name, owner


def records(fed: Federation, root: Path) -> Counter[RecordKey]:
    """Every record loaded from a file below ``root``, by (kind, file, line, name)."""
    out: Counter[RecordKey] = Counter()
    stack: list[Any] = list(fed.workspaces)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, msgspec.Struct):
            continue
        stack.extend(getattr(node, name) for name in node.__struct_fields__)
        if isinstance(node, Record) and node.source:
            kind = type(node).__name__
            name = tuple(str(getattr(node, field)) for field in _NAMES.get(kind, ()))
            owner = _OWNERS[kind](node) if kind in _OWNERS else None
            out[(kind, os.path.relpath(node.source, root), node.line, name, owner)] += 1
    return out


class World:
    """One format's seeds, each built once below ``base``, and what each loads as it is."""

    def __init__(self, fmt: str, base: Path) -> None:
        self.fmt = fmt
        self.seeds: list[Seed] = FORMATS[fmt]
        self.roots: list[Path] = []
        built: dict[Callable[[Path], None], Path] = {}
        for index, seed in enumerate(self.seeds):
            if seed.build not in built:
                built[seed.build] = base / str(index)
                seed.build(built[seed.build])
            self.roots.append(built[seed.build])
        self.original = [(root / seed.target).read_bytes() for root, seed in zip(self.roots, self.seeds)]
        self.baseline: list[Counter[RecordKey]] = []
        for root in self.roots:
            fed = load_federation([root])
            assert not fed.diagnostics, [str(d) for d in fed.diagnostics]  # a seed is clean
            self.baseline.append(records(fed, root))

    def case(self, index: int, mutation: Mutation) -> tuple[float, float]:
        """Load seed ``index`` with its target replaced by ``mutation``, run the verbs, check every
        property; the seconds it took, of CPU and on the wall."""
        seed, root = self.seeds[index], self.roots[index]
        target = root / seed.target
        target.write_bytes(mutation.data)
        try:
            began, cpu = time.perf_counter(), time.process_time()
            fed = load_federation([root])
            run_verbs(fed, root)
            took, wall = time.process_time() - cpu, time.perf_counter() - began
        finally:
            target.write_bytes(self.original[index])
        check(fed, root, seed, self.original[index], mutation, self.baseline[index])
        assert took < SLOWEST_CASE and wall < HUNG_CASE, f"slow case: {took:.2f} s of CPU, {wall:.2f} s in all"
        return took, wall


def run_verbs(fed: Federation, root: Path) -> None:
    """Every read verb over the loaded federation, as text and as JSON (what the user would run)."""
    parser = _parser()
    units = [unit for ws in fed.workspaces for unit in ws.work_units]
    item = max(units, key=_degree(fed)).key if units else None
    argvs = READ_VERBS + ([[verb[0], item, *verb[1:]] for verb in ITEM_VERBS] if item else [])
    for argv in argvs:
        for mode in ([], ["--json"]):
            args, extra = parser.parse_known_args([*argv, str(root), *mode])
            assert not [a for a in extra if a.startswith("-")], extra
            args.roots = [*args.roots, *extra]
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                args.run(args, fed)


@functools.cache
def _parser() -> argparse.ArgumentParser:
    return build_parser()


def _degree(fed: Federation) -> Callable[[WorkUnit], int]:
    """The item with the most relationships shows the most of what show/blockers/graph draw."""
    count = Counter(rel.from_ref for ws in fed.workspaces for rel in ws.relationships)
    return lambda unit: count[unit.id]


def check(fed: Federation, root: Path, seed: Seed, original: bytes, mutation: Mutation,
          baseline: Counter[RecordKey]) -> None:
    target = str(root / seed.target)
    errors = [d for d in fed.diagnostics if d.severity is Severity.ERROR]
    assert all(d.line is not None for d in errors), \
        f"error without a line: {[str(d) for d in errors if d.line is None]}"
    if mutation.whole:
        assert not errors, f"{mutation.label} reported: {[str(d) for d in errors]}"
    loaded = records(fed, root)
    # What a folder's records need from the target (a town.json, a redirect) goes when the target
    # cannot be read, with a diagnostic naming it; a redirect that names another folder takes them too.
    named = any(d.path == target for d in fed.diagnostics)
    repointed = not seed.target.endswith((".json", ".yaml")) and _parsed(mutation.data, seed) not in (
        _NOT_READ, "", _parsed(original, seed))
    excused = tuple(seed.vanish) if named or repointed else ()
    same_document = not seed.lines and not mutation.whole and _canonical(original, seed) == _canonical(
        mutation.data, seed) is not None
    touched = mutation.touched(original) if seed.lines else set()
    shift = mutation.inserted.count(b"\n") - original[mutation.start:mutation.end].count(b"\n")
    reached = {name[0] for (kind, source, line, name, _) in baseline
               if kind == "WorkUnit" and source == seed.target and line in touched}
    lost = []
    for (kind, source, line, name, owner), count in baseline.items():
        if source.startswith(excused) or (source != seed.target and owner in reached):
            continue
        if source == seed.target and not (mutation.whole or same_document):
            if not seed.lines or line is None or line in touched:
                continue  # the edit reached it (a whole document's items: _items_lost)
            if line > min(touched or {line}):
                line += shift
        if loaded[(kind, source, line, name, owner)] < count:
            lost.append((kind, source, line, name))
    lost += _items_lost(seed, original, mutation, loaded)
    assert not lost, f"lost good records: {lost}"
    unread = _unreadable_lines(mutation.data) if seed.lines else _unreadable_document(mutation.data, seed)
    reported = {d.line for d in errors if d.path == target}
    missing = sorted(unread - reported) if seed.lines else (["any"] if unread and not reported else [])
    assert not missing, f"unreadable, but no error names it: {seed.target} lines {missing}"


def _refuse_constant(word: str) -> Any:
    raise ValueError(f"{word} is not JSON")


def _json(text: bytes) -> Any:
    return _within_bounds(json.loads(text.decode("utf-8"), parse_constant=_refuse_constant))


def _within_bounds(doc: Any) -> Any:
    """``doc``, or ValueError past what docs/formats.md ("Any bytes") says is read: a record
    nested over 64 levels (it is level 1), a number past a double's range, a YAML document over a million nodes once its aliases
    are followed, a lone surrogate (``"\\ud800"``: not a character)."""
    stack, nodes = [(doc, 1)], 0
    while stack:
        node, level = stack.pop()
        nodes += 1
        if nodes > MAX_YAML_EXPANDED_NODES:
            raise ValueError("too many nodes")
        if isinstance(node, str):
            node.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError("a number too large to read")
        elif isinstance(node, (dict, list)):
            if level > MAX_NESTING:
                raise ValueError("nested too deep")
            stack.extend((child, level + 1) for pair in (node.items() if isinstance(node, dict) else [])
                         for child in pair)
            stack.extend((child, level + 1) for child in (node if isinstance(node, list) else []))
    return doc


def _unreadable_lines(data: bytes) -> set[int]:
    """The lines of a JSON Lines file that are not a JSON object (by Python's own json module)."""
    out = set()
    for number, line in enumerate(as_utf8(data).split(b"\n"), start=1):
        line = line.strip()
        while line.startswith(BOM):
            line = line[3:].strip()
        if not line or line.startswith(b"#"):
            continue
        try:
            ok = isinstance(_json(line), dict)
        except (ValueError, RecursionError):
            ok = False
        if not ok:
            out.add(number)
    return out


_NOT_READ = object()


def _parsed(data: bytes, seed: Seed) -> Any:
    """A whole document as Python's json (PyYAML for YAML) reads it; ``_NOT_READ`` when it does
    not parse. A file of neither (a redirect) is its text."""
    text = as_utf8(data)
    try:
        if seed.target.endswith(".json"):
            return _json(text)
        if seed.target.endswith(".yaml"):
            return _within_bounds(yaml.load(text.decode("utf-8"), Loader=yaml.CSafeLoader))
        return text.decode("utf-8").strip()
    except Exception:  # noqa: BLE001 - whatever does not parse, however it fails
        return _NOT_READ


def _canonical(data: bytes, seed: Seed) -> str | None:
    """The document in a form where ``1`` and ``true`` differ (None: it does not parse). YAML keys
    may be anything (``on:`` is true, ``!!binary`` bytes): ``repr`` takes them all, in order."""
    doc = _parsed(data, seed)
    return None if doc is _NOT_READ else repr(doc)


def _unreadable_document(data: bytes, seed: Seed) -> bool:
    return seed.target.endswith((".json", ".yaml")) and _parsed(data, seed) is _NOT_READ


def _items_lost(seed: Seed, original: bytes, mutation: Mutation, loaded: Counter[RecordKey]) -> list[Any]:
    """The items of a whole document of several records that the edit left exactly as they were,
    and that did not load, while the document as a whole still parses."""
    where = _ITEMS.get(Path(seed.target).name)
    before, after = _parsed(original, seed), _parsed(mutation.data, seed)
    if where is None or not isinstance(after, dict):
        return []
    field, kind, name, whole = where
    old, new = before.get(field), after.get(field)
    if type(old) is not type(new) or not isinstance(new, (list, dict)):
        return []
    if whole is not None and not any(k == whole and source == seed.target for (k, source, *_) in loaded):
        return []  # the record they belong to was refused: they go with it
    pairs = list(old.items()) if isinstance(old, dict) else [(None, item) for item in old]
    kept = list(new.items()) if isinstance(new, dict) else [(None, item) for item in new]
    have = {(k, n) for (k, source, _, n, _) in loaded if source == seed.target}
    lost = []
    for key, item in pairs:
        if (key, item) not in kept or not isinstance(item, dict):
            continue
        ident = (str(key if name is None else item.get(name)),)
        if (kind, ident) not in have:
            lost.append((kind, seed.target, ident))
    return lost


# -- the fuzz ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_any_bytes_in_a_format_load_what_is_good(fmt: str, tmp_path: Path) -> None:
    world = World(fmt, tmp_path)
    found: dict[str, tuple[int, Mutation, str]] = {}
    slowest: list[Any] = [0.0, 0.0, ""]  # seconds of CPU and on the wall, and which case
    cases = [0]

    @given(st.data())
    def case(data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(world.seeds) - 1), label="seed")
        seed = world.seeds[index]
        mutation = data.draw(mutations(world.original[index], yaml=seed.target.endswith(".yaml")), label="edit")
        note(f"{fmt}: {_described(seed, mutation, 200)}")
        cases[0] += 1
        try:
            took, wall = world.case(index, mutation)
            if took > slowest[0]:
                slowest[:] = [took, wall, _described(seed, mutation, 40)]
        except BaseException as exc:
            # shrinking replays ever smaller failing cases: the last of each kind is the minimal one
            kind = str(exc).split(":", 1)[0] if isinstance(exc, AssertionError) else _origin(exc)
            found[kind] = (index, mutation, f"{type(exc).__name__}: {exc}"[:2000])
            raise

    try:
        case()
    finally:
        _keep(world, found, cases[0], slowest)


def _described(seed: Seed, mutation: Mutation, limit: int) -> str:
    inserted = mutation.inserted
    more = f"... ({len(inserted):,} bytes)" if len(inserted) > limit else ""
    return f"{seed.target}, {mutation.label} [{mutation.start}:{mutation.end}] <- {inserted[:limit]!r}{more}"


def _origin(exc: BaseException) -> str:
    frames = [f for f in _frames(exc) if "/core/" in f]
    return f"{type(exc).__name__} at {frames[-1] if frames else 'unknown'}"


def _frames(exc: BaseException) -> list[str]:
    out, tb = [], exc.__traceback__
    while tb is not None:
        out.append(f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
        tb = tb.tb_next
    return out


def _keep(world: World, found: dict[str, tuple[int, Mutation, str]], cases: int, slowest: list[Any]) -> None:
    """Under CROSSDECK_FUZZ_OUT: each minimal failing input (a fixture to review and keep) and
    the run's figures."""
    out = os.environ.get("CROSSDECK_FUZZ_OUT")
    if not out:
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for number, (kind, (index, mutation, message)) in enumerate(sorted(found.items()), start=1):
        stem = f"{world.fmt}-{number}"
        (folder / f"{stem}.data").write_bytes(mutation.data)
        (folder / f"{stem}.json").write_text(json.dumps({
            "format": world.fmt, "target": world.seeds[index].target, "whole": mutation.label if mutation.whole
            else None, "found": message, "kind": kind}, indent=2) + "\n")
    figures = {"format": world.fmt, "cases": cases, "failures": sorted(found),
               "slowest_case_cpu_s": round(slowest[0], 4), "its_wall_s": round(slowest[1], 4),
               "slowest_case": slowest[2]}
    with open(folder / "figures.jsonl", "a") as handle:
        handle.write(json.dumps(figures) + "\n")


# -- every whole-file transform, on every seed file ---------------------------------------------------
@pytest.mark.parametrize("transform", sorted(_WHOLE))
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_bom_crlf_or_utf16_file_loses_nothing(fmt: str, transform: str, tmp_path: Path) -> None:
    world = World(fmt, tmp_path)
    for index, original in enumerate(world.original):
        world.case(index, Mutation(_WHOLE[transform](original), 0, 0, b"", True, transform))


# -- what the deep runs found, kept --------------------------------------------------------------------
def edit_of(original: bytes, data: bytes, whole: str | None) -> Mutation:
    """The one edit that makes ``data`` of ``original``: their common start and end kept."""
    if whole:
        return Mutation(data, 0, 0, b"", True, whole)
    start = 0
    while start < min(len(original), len(data)) and original[start] == data[start]:
        start += 1
    end = 0
    while end < min(len(original), len(data)) - start and original[-1 - end] == data[-1 - end]:
        end += 1
    return Mutation(data, start, len(original) - end, data[start:len(data) - end], False, "fixture")


FINDINGS = sorted(FIXTURES.glob("*.json"))


@pytest.mark.parametrize("meta", FINDINGS, ids=[p.stem for p in FINDINGS])
def test_fuzz_finding_stays_fixed(meta: Path, tmp_path: Path) -> None:
    found = json.loads(meta.read_text())
    world = World(found["format"], tmp_path)
    [index] = [i for i, seed in enumerate(world.seeds) if seed.target == found["target"]]
    data = meta.with_suffix(".data").read_bytes()
    world.case(index, edit_of(world.original[index], data, found["whole"]))
