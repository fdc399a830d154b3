"""``chains`` walks the working set a previous run kept (``core.working_set``) when the federation
is read from exactly the same entries: its answer must be the whole graph's, today's (overdue is
computed anew), and a change to any workspace, a damaged part or another remote status must
never let an old working set answer."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import msgspec
import pytest

from core import graph_reach, working_set
from core.analysis.delegation import delegated_keys, delegation_chains, flat_chains
from core.cache.store import ParsedCache
from core.federation import Federation, load_federation
from core.graph import build_graph
from core.model import Workspace
from core.sources.limits import UNIT_RECORDS
from tests.test_graph_fill import SAMPLES, WALKED, walked_root

LATER = UNIT_RECORDS
DAY = dt.date(2026, 12, 7)


def _whole_answer(root: Path, day: dt.date = DAY, remote_status: dict[str, str] | None = None) -> object:
    graph = build_graph(load_federation([root]), remote_status or {}, walks_only=True)
    return msgspec.to_builtins(flat_chains(delegation_chains(graph, day)))


def _kept_answer(fed: Federation, day: dt.date = DAY, remote_status: dict[str, str] | None = None) -> object:
    found = working_set.walk_kept(fed, "chains", lambda graph: delegation_chains(graph, day), remote_status or {},
                                  delegated_keys)
    return msgspec.to_builtins(flat_chains(found))


def _load(root: Path, cache: ParsedCache) -> Federation:
    return load_federation([root], cache=ParsedCache(cache.folder), wanted=frozenset(), later=LATER)


def _walking_the_whole_graph_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def whole(fed: Federation) -> Federation:
        raise AssertionError("the whole graph was built: the kept working set was not used")

    monkeypatch.setattr(working_set, "whole", whole)


@pytest.fixture
def cache(tmp_path: Path) -> ParsedCache:
    return ParsedCache(tmp_path / "cache")


@pytest.mark.parametrize("where", WALKED)
def test_the_kept_working_set_answers_as_the_whole_graph(where: str, tmp_path: Path, cache: ParsedCache,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = walked_root(where, tmp_path)
    expected = _whole_answer(root)
    assert _kept_answer(_load(root, cache)) == expected  # walks the whole graph, keeps what it read
    parts = [path for path in cache.folder.iterdir() if path.name.startswith("walked-")]
    assert len(parts) == 1  # the real data's town on a Dolt server is not cached: keyed on its content
    with monkeypatch.context() as patched:
        _walking_the_whole_graph_fails(patched)
        assert _kept_answer(_load(root, cache)) == expected
        later = DAY + dt.timedelta(days=400)  # every deadline passed: overdue is today's, not the kept run's
        assert _kept_answer(_load(root, cache), later) == _whole_answer(root, later)


def test_a_changed_workspace_is_never_answered_from_an_old_working_set(tmp_path: Path, cache: ParsedCache) -> None:
    demo = Path(shutil.copytree(SAMPLES, tmp_path / "demo"))
    before = _kept_answer(_load(demo, cache))
    issues = demo / "towns" / "kestrel" / "mobile" / ".beads" / "issues.jsonl"
    lines = issues.read_text().splitlines(keepends=True)
    assert '"id":"mb-4h2"' in lines[0] and '"status":"closed"' in lines[0]
    issues.write_text(lines[0].replace('"status":"closed"', '"status":"open"') + "".join(lines[1:]))
    after = _kept_answer(_load(demo, cache))
    assert after == _whole_answer(demo)
    assert after != before  # the delegated child reopened: its chain is no longer complete


def test_a_damaged_working_set_or_another_remote_status_is_not_used(tmp_path: Path, cache: ParsedCache) -> None:
    expected = _kept_answer(_load(SAMPLES, cache))
    [part] = [path for path in cache.folder.iterdir() if path.name.startswith("walked-")]
    part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])
    assert _kept_answer(_load(SAMPLES, cache)) == expected
    statuses = {"hop://acme.dev/storefront": "unreachable"}
    assert _kept_answer(_load(SAMPLES, cache), remote_status=statuses) == _whole_answer(SAMPLES, remote_status=statuses)
    assert len([path for path in cache.folder.iterdir() if path.name.startswith("walked-")]) == 2


@pytest.mark.parametrize("where", WALKED)
def test_without_the_cache_the_working_set_is_grown_and_kept_nowhere(where: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``--no-cache``: every record is read, but the walk is still over the working set grown
    from the delegations, not the whole graph."""
    root = walked_root(where, tmp_path)
    expected = _whole_answer(root)
    fed = load_federation([root], wanted=frozenset(), later=LATER)
    assert fed.held is not None and fed.held.cache is None
    _walking_the_whole_graph_fails(monkeypatch)
    assert _kept_answer(fed) == expected


def _joined(cache: ParsedCache, joined: list[Workspace]) -> Federation:
    """The demo's towns through the cache, with its sudocode repos joined whole after the load,
    as ``sync`` joins a remote's copy."""
    fed = _load(SAMPLES / "towns", cache)
    fed.workspaces.extend(joined)
    return fed


def test_a_workspace_joined_whole_is_keyed_on_its_content(cache: ParsedCache, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = load_federation([SAMPLES / "sudocode"]).workspaces
    whole_fed = load_federation([SAMPLES / "towns"])
    whole_fed.workspaces.extend(joined)
    expected = msgspec.to_builtins(flat_chains(delegation_chains(build_graph(whole_fed, {}, walks_only=True), DAY)))
    assert _kept_answer(_joined(cache, joined)) == expected
    with monkeypatch.context() as patched:
        _walking_the_whole_graph_fails(patched)
        assert _kept_answer(_joined(cache, joined)) == expected
    changed = [msgspec.structs.replace(ws, work_units=[msgspec.structs.replace(u, title=u.title + " (renamed)")
                                                       for u in ws.work_units]) for ws in joined]
    _kept_answer(_joined(cache, changed))  # another content: the whole graph again, a new part kept
    assert len([path for path in cache.folder.iterdir() if path.name.startswith("walked-")]) == 2


def test_a_walk_that_looks_beyond_the_kept_working_set_walks_the_whole_graph(cache: ParsedCache) -> None:
    """Were a walk not the same on the same inputs, it would look up a node the recorded walk did
    not: such a kept part (here one with a unit taken out, and out of its record of lookups) is
    not trusted, and the answer is the whole graph's."""
    expected = _kept_answer(_load(SAMPLES, cache))
    [part] = [path for path in cache.folder.iterdir() if path.name.startswith("walked-")]
    key, (seen, kept) = msgspec.msgpack.decode(part.read_bytes())
    index, units, relationships, delegations = next(entry for entry in kept if entry[1])
    dropped = units[0]["key"]
    kept = [[i, [u for u in us if u["key"] != dropped], rs, ds] if i == index else [i, us, rs, ds]
            for i, us, rs, ds in kept]
    part.write_bytes(msgspec.msgpack.encode([key, [[k for k in seen if k != dropped], kept]]))
    assert _kept_answer(_load(SAMPLES, cache)) == expected


@pytest.mark.parametrize("where", WALKED)
def test_a_first_walk_grows_its_working_set_from_the_delegations(where: str, tmp_path: Path, cache: ParsedCache,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With no kept working set the walk starts from the delegations' ends, reading each
    workspace's records one at a time, and grows the set by what it looked up: the whole
    graph is never built, nor every record held at once; the answer is the whole graph's."""
    root = walked_root(where, tmp_path)
    expected = _whole_answer(root)
    fed = _load(root, cache)
    assert not any(ws.work_units for ws in fed.workspaces if fed.held.entry_identity(ws)), \
        "a workspace read from its files gave its records up once its entry was written"
    with monkeypatch.context() as patched:
        _walking_the_whole_graph_fails(patched)
        assert _kept_answer(fed) == expected
    [part] = [path for path in cache.folder.iterdir() if path.name.startswith("walked-")]
    _, (seen, kept) = msgspec.msgpack.decode(part.read_bytes())
    with monkeypatch.context() as patched:  # the kept part answers the next run
        _walking_the_whole_graph_fails(patched)
        assert _kept_answer(_load(root, cache)) == expected


def test_a_working_set_that_keeps_growing_is_given_up_for_the_whole_graph(tmp_path: Path, cache: ParsedCache,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated federation's walk looks past the delegations' ends (what blocks them): with
    one round allowed, the set cannot be grown, and the whole graph answers (with two, it is)."""
    root = walked_root("generated", tmp_path)
    walked: list[int] = []
    complete = working_set.whole

    def whole(fed: Federation) -> Federation:
        walked.append(1)
        return complete(fed)

    monkeypatch.setattr(working_set, "whole", whole)
    monkeypatch.setattr(graph_reach, "ROUNDS", 1)
    assert _kept_answer(_load(root, cache)) == _whole_answer(root)
    assert walked == [1]
    cache.clear()
    monkeypatch.setattr(graph_reach, "ROUNDS", 2)
    assert _kept_answer(_load(root, cache)) == _whole_answer(root)
    assert walked == [1]
