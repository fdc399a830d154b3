"""A first load shared with forked helpers (core/cache/fill.py) is the one-process load: the same
workspaces, records and diagnostics in the same order, entries that a later load reads, and
whatever goes wrong in a helper only means this process loads that workspace itself.

Each test compares what a user would see (the loaded federation, as a verb gets it) with a load
that shares nothing; the helpers are real forked processes writing a real cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.cache import fill
from core.cache import store as cache_store
from core.cache.store import ParsedCache
from core.diagnostics import Diagnostics
from core.federation import Federation, load_federation
from core.model import WorkspaceKind
from core.sources.discover import Found, discover
from core.sources.files import ReadLimits
from tests.test_graph_fill import walked_root
from tests.test_parsed_cache import _hits

WHERE = ["demo", "generated", "realdata"]
LATER = frozenset({"work_units", "relationships", "delegations"})

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="helpers are forked on Linux only")


def _load(root: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, helpers: int,
          **kw: object) -> tuple[Federation, int]:
    """A load through the cache in ``folder``, as a new process sees it, and how many
    workspaces this process read from their files. This process claims nothing before a helper
    has claimed a workspace, so that the helpers surely load some, however the machine schedules
    them."""
    assert threading.active_count() == 1, "a thread left running by another test: no helper would be forked"
    claim = fill.Claims.front

    def slowly(self: fill.Claims) -> int | None:
        deadline = time.monotonic() + 30
        while fill._PAIR.unpack(os.pread(self.fd, fill._PAIR.size, 0))[1] == len(self.indices):
            assert time.monotonic() < deadline, "no helper claimed anything"
            time.sleep(0.001)
        return claim(self)

    with monkeypatch.context() as patch:
        patch.setattr(fill.Claims, "front", slowly)
        return _hits(ParsedCache(folder), monkeypatch, [root], helpers=helpers, **kw)


@pytest.mark.parametrize("where", WHERE)
def test_a_load_shared_with_helpers_is_the_one_process_load(where: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = walked_root(where, tmp_path)
    plain = load_federation([root])
    shared, read_here = _load(root, tmp_path / "cache", monkeypatch, helpers=1)
    assert read_here < len(plain.workspaces)  # the helper loaded some
    assert shared == plain  # records, diagnostics, order
    again, read_again = _load(root, tmp_path / "cache", monkeypatch, helpers=1)
    _load(root, tmp_path / "alone", monkeypatch, helpers=0)
    _, read_alone_again = _load(root, tmp_path / "alone", monkeypatch, helpers=0)
    assert read_again == read_alone_again and again == plain  # the helper's entries are read as any entry is


@pytest.mark.parametrize("where", ["demo", "generated"])
def test_a_verb_that_reads_few_records_gets_the_same_load_from_helpers(where: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``summary`` (no bulky records) and ``chains`` (held back, given back later) get what they
    get from a one-process first load: counts, diagnostics and what is held."""
    root = walked_root(where, tmp_path)
    for n, kw in enumerate([{"wanted": frozenset()}, {"wanted": frozenset(), "later": LATER}]):
        alone, _ = _load(root, tmp_path / f"alone{n}", monkeypatch, helpers=0, **kw)
        shared, read_here = _load(root, tmp_path / f"shared{n}", monkeypatch, helpers=2, **kw)
        assert read_here < len(alone.workspaces)
        assert shared.diagnostics == alone.diagnostics
        assert [(ws.name, ws.counts(), ws.work_units) for ws in shared.workspaces] == \
               [(ws.name, ws.counts(), ws.work_units) for ws in alone.workspaces]
        if "later" in kw:
            assert shared.held.kept == alone.held.kept
            for ws_shared, ws_alone in zip(shared.workspaces, alone.workspaces, strict=True):
                assert shared.held.whole(ws_shared).work_units == alone.held.whole(ws_alone).work_units


def test_a_helper_that_dies_leaves_its_workspaces_to_this_process(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = walked_root("generated", tmp_path)
    def dies(cache: ParsedCache, found: object, claims: fill.Claims, *args: object) -> None:
        claims.back()  # claimed, never loaded nor sent
        os._exit(3)

    monkeypatch.setattr(fill, "_fill", dies)  # the forked helper inherits it
    plain = load_federation([root])
    shared, read_here = _load(root, tmp_path / "cache", monkeypatch, helpers=1)
    assert read_here == len(plain.workspaces)
    assert shared == plain


def test_what_a_helper_sent_of_another_entry_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper's keys and relationships are of the entry it wrote; should the entry read back be
    another (rewritten since by another process), they are not used to check the references:
    here they would make every reference into the helper's workspaces dangle."""
    root = walked_root("generated", tmp_path)
    monkeypatch.setattr(fill, "filled", lambda ws, entry_id: fill.Filled("another entry", [], []))
    plain = load_federation([root])
    shared, read_here = _load(root, tmp_path / "cache", monkeypatch, helpers=1)
    assert read_here < len(plain.workspaces)
    assert shared.diagnostics == plain.diagnostics


def test_no_helper_is_forked_while_another_thread_runs(tmp_path: Path) -> None:
    """A fork while another thread holds a lock can deadlock the child: the dashboard and the
    server load in one process."""
    root = walked_root("demo", tmp_path)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert fill.start(ParsedCache(tmp_path / "cache"), [], [0, 1], ReadLimits(), helpers=1) is None
        assert load_federation([root], cache=ParsedCache(tmp_path / "cache"), helpers=1) == load_federation([root])
    finally:
        stop.set()
        other.join()


def test_a_workspace_whose_beads_live_on_a_dolt_server_is_loaded_here(tmp_path: Path) -> None:
    """Such a workspace has no entry (its beads are read from the server each time): a helper
    would load it for nothing, and this process again."""
    beads = tmp_path / "town" / "rig" / ".beads"
    beads.mkdir(parents=True)
    (beads / "issues.jsonl").write_text('{"id": "gp-1", "title": "x"}\n')
    assert not fill._dolt_backed(tmp_path / "town")
    (beads / "metadata.json").write_text('{"backend": "dolt", "dolt_mode": "server"}')
    assert fill._dolt_backed(tmp_path / "town")
    (beads / "metadata.json").write_text('{"backend": "dolt", "dolt_mode": "embedded"}')
    assert not fill._dolt_backed(tmp_path / "town")
    (tmp_path / "town" / ".beads").mkdir()
    (tmp_path / "town" / ".beads" / "metadata.json").write_text('{"database": "dolt", "dolt_mode": "server"}')
    assert fill._dolt_backed(tmp_path / "town")
    found = [Found(WorkspaceKind.TOWN, tmp_path / "town"), Found(WorkspaceKind.TOWN, tmp_path / "town")]
    assert fill.start(ParsedCache(tmp_path / "cache"), found, [0, 1], ReadLimits(), helpers=1) is None


def test_helpers_are_forked_for_a_large_load_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes are counted until the answer is known; a tree of more entries than are worth
    looking at (a repository's sources around its ``.sudocode``) counts as large."""
    small, large = tmp_path / "small", tmp_path / "large"
    for folder, size in ((small, 1000), (large, 3000)):
        (folder / ".beads").mkdir(parents=True)
        (folder / ".beads" / "issues.jsonl").write_bytes(b"x" * size)
    assert not fill._at_least(5000, [small, large])
    assert fill._at_least(4000, [small, large])
    monkeypatch.setattr(fill, "_LOOKED_AT", 50)
    sources = small / "src" / "a" / "b"
    sources.mkdir(parents=True)
    for n in range(fill._LOOKED_AT + 1):
        (sources / str(n)).touch()
    assert fill._at_least(5000, [small])


def test_claims_give_each_workspace_once_front_and_back_meeting(tmp_path: Path) -> None:
    """This process claims from the front in order while a forked helper claims from the back:
    every workspace is claimed exactly once, and this process's claims come first."""
    claims = fill.Claims(list(range(100, 400)))
    out = tmp_path / "helper"
    pid = os.fork()
    if pid == 0:
        try:
            taken = []
            while (index := claims.back()) is not None:
                taken.append(index)
            out.write_text(" ".join(map(str, taken)))
        finally:
            os._exit(0)
    mine = []
    while (index := claims.front()) is not None:
        mine.append(index)
    os.waitpid(pid, 0)
    theirs = [int(word) for word in out.read_text().split()]
    assert sorted(mine + theirs) == list(range(100, 400))
    assert mine == list(range(100, 100 + len(mine)))
    assert theirs == list(range(399, 399 - len(theirs), -1))


def _blocking_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry write (in the helpers too: they inherit it) stops midway for a minute, its
    temporary file made and half written."""
    put = cache_store.ParsedCache._put

    def slow_parts(parts: list[bytes]) -> Iterator[bytes]:
        yield parts[0]
        time.sleep(60)
        yield from parts[1:]

    monkeypatch.setattr(cache_store.ParsedCache, "_put", lambda self, path, parts: put(self, path, slow_parts(parts)))


def test_helpers_stopped_midway_leave_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or any error) in this process stops the helpers: each removes the entry it was
    writing and exits, within the time it is given, not killed."""
    root = walked_root("generated", tmp_path)
    _blocking_writes(monkeypatch)
    folder = tmp_path / "cache"
    found = discover([root], Diagnostics(), ReadLimits())
    team = fill.start(ParsedCache(folder), found, list(range(len(found))), ReadLimits(), helpers=1)
    assert team is not None
    deadline = time.monotonic() + 30
    while not any(folder.glob(".*.tmp")):  # the helper is writing
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    team.close()
    assert time.monotonic() - started < fill.STOP_S
    assert list(folder.glob(".*.tmp")) == []


def test_a_helper_dies_with_the_process_that_forked_it(tmp_path: Path) -> None:
    """A verb killed outright (a CI job's timeout) leaves no helper running on."""
    root = walked_root("demo", tmp_path)
    script = f"""
import sys, time
from pathlib import Path
from core.cache import fill, store
from core.cache.store import ParsedCache
from core.diagnostics import Diagnostics
from core.diagnostics import Diagnostics
from core.model import WorkspaceKind
from core.sources.discover import Found, discover
from core.sources.files import ReadLimits
store.ParsedCache.load = lambda self, *args: time.sleep(60)  # the helper loads for a minute
found = discover([Path({str(root)!r})], Diagnostics(), ReadLimits())
cache = ParsedCache(Path({str(tmp_path / "cache")!r}))
team = fill.start(cache, found, list(range(len(found))), ReadLimits(), helpers=1)
print(team.pids[0], flush=True)
time.sleep(60)
"""
    verb = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    try:
        helper = int(verb.stdout.readline())  # type: ignore[union-attr]
        assert _running(helper)
    finally:
        verb.kill()
        verb.wait()
    deadline = time.monotonic() + 10
    while _running(helper):
        assert time.monotonic() < deadline, "the helper outlived the process that forked it"
        time.sleep(0.01)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status and "\nState:\tX" not in status


def test_abandoned_temporary_files_are_removed_by_a_later_write(tmp_path: Path) -> None:
    """A process killed outright mid-write leaves its temporary file; the next process that
    writes an entry removes those untouched for an hour, and no other."""
    folder = tmp_path / "cache"
    folder.mkdir()
    abandoned, current = folder / ".abandoned.tmp", folder / ".being-written.tmp"
    for path in (abandoned, current):
        path.write_bytes(b"half an entry")
    old = time.time() - cache_store.ABANDONED_S - 60
    os.utime(abandoned, (old, old))
    load_federation([walked_root("demo", tmp_path)], cache=ParsedCache(folder))
    assert not abandoned.exists() and current.exists()


def test_a_write_stopped_midway_leaves_no_temporary_file(tmp_path: Path) -> None:
    def parts() -> Iterator[bytes]:
        yield b"half"
        raise KeyboardInterrupt

    cache = ParsedCache(tmp_path / "cache")
    with pytest.raises(KeyboardInterrupt):
        cache._put(tmp_path / "cache" / "entry", parts())  # type: ignore[arg-type]
    assert list((tmp_path / "cache").iterdir()) == []
