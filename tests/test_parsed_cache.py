"""The parsed cache (core/cache) never serves stale data, and a load through it is the load without
it: the same workspaces, records and diagnostics, in the same order.

Each test loads a real folder twice through one cache folder: the first load reads the files and
writes the entries, the second must read the entries back, or (after a change) read the files
again. What a user would see is what the test compares: the records and diagnostics of a load
with no cache at all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.cache import check as cache_check
from core.cache import code as cache_code
from core.cache.store import ParsedCache
from core.federation import Federation, load_federation
from core.sources import seen

SAMPLES = Path(__file__).resolve().parent.parent / "sample_workspaces"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
RIG = Path("towns/globex-payments/ledger/.beads/issues.jsonl")  # one rig's beads, in the demo


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLES, tmp_path / "demo")
    return tmp_path / "demo"


@pytest.fixture
def cache(tmp_path: Path) -> ParsedCache:
    return ParsedCache(tmp_path / "cache")


def _fresh(cache: ParsedCache) -> ParsedCache:
    """The same cache folder, as another process sees it (nothing held in memory)."""
    return ParsedCache(cache.folder)


def _hits(cache: ParsedCache, monkeypatch: pytest.MonkeyPatch, roots: list[Path],
          **kw: Any) -> tuple[Federation, int]:
    """A load through ``cache`` (``kw``: more of ``load_federation``'s arguments) and how many
    workspaces this process read from their files (a forked helper's reads are its own)."""
    from core.cache import store

    loads = []
    real = store.ParsedCache.load

    def counting(self: ParsedCache, *args: object) -> object:
        loads.append(args[0])
        return real(self, *args)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(store.ParsedCache, "load", counting)
        fed = load_federation(roots, cache=_fresh(cache), **kw)
    return fed, len(loads)


def _records(fed: Federation) -> list[object]:
    return [(ws.name, ws.work_units, ws.relationships, ws.delegations, ws.audit, ws.requests, ws.contracts,
             ws.imports, ws.remotes, ws.info, ws.sources) for ws in fed.workspaces]


def test_a_second_load_reads_every_workspace_from_the_cache_and_is_the_same_load(
        demo: Path, cache: ParsedCache, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = load_federation([demo])
    first, read_first = _hits(cache, monkeypatch, [demo])
    second, read_second = _hits(cache, monkeypatch, [demo])
    assert read_first == len(plain.workspaces) and read_second == 0
    assert first == plain and second == plain  # records, diagnostics, order


def test_a_changed_file_is_read_again_and_only_its_workspace(demo: Path, cache: ParsedCache,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _hits(cache, monkeypatch, [demo])
    with open(demo / RIG, "a", encoding="utf-8") as handle:
        handle.write('{"id":"gp-new1","title":"Added after the cache was written","status":"open",'
                     '"priority":2,"issue_type":"task","created_at":"2026-12-01T10:00:00Z"}\n')
    fed, read = _hits(cache, monkeypatch, [demo])
    assert read == 1
    assert any(unit.id == "gp-new1" for ws in fed.workspaces for unit in ws.work_units)
    assert fed == load_federation([demo])


def test_a_file_rewritten_in_the_same_tick_with_the_same_size_is_checked_by_content(
        demo: Path, cache: ParsedCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """git's racily clean case: the file's stamp (size, mtime, ctime) cannot tell the two
    versions apart when both were written within one timestamp tick. The stamps are made to match
    here (as they do on a file system with a coarse clock); the content digest kept for a file
    read within ``RACY_NS`` of its change must catch it."""
    path = demo / RIG
    path.write_bytes(path.read_bytes())  # just written: racily clean when the cache reads it
    _hits(cache, monkeypatch, [demo])
    before = seen.lstamp(str(path))
    text = path.read_bytes()
    changed = text.replace(b'"status":"open"', b'"status":"done"', 1)
    assert changed != text and len(changed) == len(text)
    path.write_bytes(changed)
    real = cache_check.lstamp
    monkeypatch.setattr(cache_check, "lstamp", lambda p: before if p == str(path) else real(p))
    fed, read = _hits(cache, monkeypatch, [demo])
    assert read == 1
    monkeypatch.setattr(cache_check, "lstamp", real)
    assert _records(fed) == _records(load_federation([demo]))


def test_an_old_unchanged_file_is_not_read_to_check_it(demo: Path, cache: ParsedCache,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Only files changed within ``RACY_NS`` of being read keep a digest: the check of a
    federation whose files are older costs stat calls, not reads."""
    old = 1_600_000_000_000_000_000
    for folder, _, files in os.walk(demo):
        for name in files:
            os.utime(Path(folder) / name, ns=(old, old))
    _hits(cache, monkeypatch, [demo])
    opened: list[str] = []
    monkeypatch.setattr(cache_check, "_content_digest", lambda p: opened.append(p))
    _, read = _hits(cache, monkeypatch, [demo])
    assert read == 0 and opened == []


def test_a_file_replaced_by_a_link_is_read_again(demo: Path, tmp_path: Path, cache: ParsedCache,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes behind a link that leads out of the workspace: not read (a warning says
    so), so the records the cache holds for that file must not be served."""
    path = demo / RIG
    _hits(cache, monkeypatch, [demo])
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(path.read_bytes())
    stamp = os.stat(path)
    path.unlink()
    path.symlink_to(outside)
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns), follow_symlinks=False)
    fed, read = _hits(cache, monkeypatch, [demo])
    assert read == 1
    assert any("outside the workspace" in d.message for d in fed.diagnostics)
    assert fed == load_federation([demo])


def test_a_new_file_where_the_load_looked_for_one_is_seen(demo: Path, cache: ParsedCache,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the load looked for and did not find (a rig's ``.beads/redirect``) appearing later."""
    rig = demo / RIG.parent.parent
    _hits(cache, monkeypatch, [demo])
    (rig / ".beads" / "redirect").write_text("../elsewhere/.beads\n", encoding="utf-8")
    fed, read = _hits(cache, monkeypatch, [demo])
    assert read == 1
    assert fed == load_federation([demo])


def test_a_truncated_or_damaged_entry_is_ignored_and_written_again(demo: Path, cache: ParsedCache,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _hits(cache, monkeypatch, [demo])
    entries = sorted(p for p in cache.folder.iterdir() if not p.name.startswith("federation-"))
    entries[0].write_bytes(entries[0].read_bytes()[: entries[0].stat().st_size // 2])
    entries[1].write_bytes(b"\x00" * 64)
    entries[2].write_bytes(entries[2].read_bytes()[:-7])
    fed, read = _hits(cache, monkeypatch, [demo])
    assert read == 3
    assert fed == load_federation([demo])  # and no diagnostic about the cache: it is not the user's to fix
    _, read = _hits(cache, monkeypatch, [demo])
    assert read == 0


def test_an_entry_written_by_another_crossdeck_is_not_read(demo: Path, cache: ParsedCache,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_code, "code_identity", lambda: "another version")
    from core.cache import store

    monkeypatch.setattr(store, "code_identity", lambda: "another version")
    _hits(cache, monkeypatch, [demo])
    monkeypatch.undo()
    fed, read = _hits(cache, monkeypatch, [demo])
    assert read == len(fed.workspaces)
    assert fed == load_federation([demo])


def test_a_verb_that_reads_no_records_keeps_the_counts(demo: Path, cache: ParsedCache,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    plain = load_federation([demo])
    _hits(cache, monkeypatch, [demo])
    bare = load_federation([demo], cache=_fresh(cache), wanted=())
    assert [ws.counts() for ws in bare.workspaces] == [ws.counts() for ws in plain.workspaces]
    assert all(not ws.work_units and not ws.relationships for ws in bare.workspaces)
    assert bare.diagnostics == plain.diagnostics
    assert [ws.sources for ws in bare.workspaces] == [ws.sources for ws in plain.workspaces]


def test_the_cache_never_writes_into_a_workspace(demo: Path, cache: ParsedCache,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    before = sorted(str(p.relative_to(demo)) for p in demo.rglob("*"))
    _hits(cache, monkeypatch, [demo])
    _hits(cache, monkeypatch, [demo])
    assert sorted(str(p.relative_to(demo)) for p in demo.rglob("*")) == before


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not here (a user's own clone); CI has it")
def test_real_data_diagnostics_are_replayed_exactly(cache: ParsedCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real towns, beads backups and sudocode trackers, with their warnings and errors: the
    second load gives the very same federation, diagnostics included, reading no file again but
    those of a town whose beads live on a Dolt server (its server is asked each time: here it is
    down, and its exports are read with a warning that says how old they are)."""
    plain = load_federation([REALDATA])
    assert plain.diagnostics  # real data has things to say
    on_server = sum(any(source.server for source in ws.sources) for ws in plain.workspaces)
    assert 0 < on_server < len(plain.workspaces)
    _hits(cache, monkeypatch, [REALDATA])
    warm, read = _hits(cache, monkeypatch, [REALDATA])
    assert read == on_server
    assert warm == plain


def test_federation_parts_do_not_pile_up(demo: Path, cache: ParsedCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each change makes a new set of entries and so a new federation-wide part: only the newest
    ``FEDERATION_PARTS`` stay; a workspace's entry is replaced in place."""
    from core.cache import store

    monkeypatch.setattr(store, "FEDERATION_PARTS", 3)
    entries = None
    for n in range(6):
        with open(demo / RIG, "a", encoding="utf-8") as handle:
            handle.write(f'{{"id":"gp-n{n}","title":"change {n}","status":"open"}}\n')
        load_federation([demo], cache=_fresh(cache))
        load_federation([demo], cache=_fresh(cache))  # all from the cache: keeps the part for this set
        names = [p.name for p in cache.folder.iterdir() if not p.name.startswith(".")]
        parts = [name for name in names if name.startswith("federation-")]
        assert len(parts) <= 3
        count = len(names) - len(parts)
        assert entries in (None, count)
        entries = count



def test_units_asked_for_by_key_are_those_of_the_whole_entry(demo: Path, cache: ParsedCache,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``ParsedCache.units`` decodes only the units asked for: the same units, in the same order,
    as the whole entry's; an entry whose units block is damaged gives None (never a guess)."""
    from core.cache import entry
    from core.cache.store import identity
    from core.diagnostics import Diagnostics
    from core.sources.discover import discover
    from core.sources.limits import ReadLimits

    whole, _ = _hits(cache, monkeypatch, [demo])
    limits = ReadLimits()
    found = discover([demo], Diagnostics(), limits)
    for item in found:
        units = next(ws.work_units for ws in whole.workspaces if ws.root == str(item.path))
        asked = {unit.key for unit in units[::2]} | {"not-a-key"}
        assert _fresh(cache).units(item.path, item.kind, limits, asked) == [u for u in units if u.key in asked]
        assert _fresh(cache).units(item.path, item.kind, limits, set()) == []
    town = next(item for item in found if item.kind.value == "town")
    path = cache._file(identity(town.path, town.kind, limits))
    data = bytearray(path.read_bytes())
    header, start = entry.header_of(bytes(data))
    offset, length = header.blocks["work_units"]
    assert length > 100
    middle = start + offset + length // 2
    data[middle:middle + 8] = b"\xc1" * 8  # a byte msgpack never uses
    path.write_bytes(bytes(data))
    assert _fresh(cache).units(town.path, town.kind, limits, {"anything"}) is None
