"""Loading on two processes gives the very model a one-process load gives: every record, ``extra``
in its key order, every diagnostic in its order; and a child that fails costs nothing but time."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import msgspec
import pytest

from benchmarks.generate import generate
from core.federation import Federation, load_federation
from core.sources import parallel
from tests.conftest import PROJECT, bead, write_jsonl

_REAL_CAN_FORK = parallel._can_fork  # the fixture below replaces it


def _encoded(fed: Federation) -> bytes:
    return msgspec.json.encode([fed.roots, fed.workspaces, [str(d) for d in fed.diagnostics]])


def _forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the forks ``load_federation`` makes (in this process only)."""
    parent = os.getpid()
    forks: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        if os.getpid() == parent:
            forks.append(1)
        return real_fork()

    monkeypatch.setattr(parallel.os, "fork", fork)
    return forks


def _one_process(monkeypatch: pytest.MonkeyPatch, root: Path) -> Federation:
    with monkeypatch.context() as patch:
        patch.setattr(parallel, "MIN_SHARED", 10**9)
        return load_federation([root])


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fed")
    generate(root, units=3000, workspaces=40)
    # Bad input, so that errors travel back from the child too.
    (root / "beads" / "broken" / ".beads").mkdir(parents=True)
    (root / "beads" / "broken" / ".beads" / "issues.jsonl").write_bytes(b'{"id": "x-1", "title": "ok"}\n{oops\n')
    return root


@pytest.fixture(autouse=True)
def _two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)


def test_two_processes_load_the_same_model(federation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _one_process(monkeypatch, federation)
    forks = _forks(monkeypatch)
    fed = load_federation([federation])
    assert forks == [1]
    assert fed.errors and fed.warnings
    assert _encoded(fed) == _encoded(expected)


def test_the_demo_loads_the_same_on_two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = PROJECT / "sample_workspaces"
    expected = _one_process(monkeypatch, demo)
    monkeypatch.setattr(parallel, "MIN_SHARED", 1)
    forks = _forks(monkeypatch)
    assert _encoded(load_federation([demo])) == _encoded(expected)
    assert forks == [1]


def test_a_child_that_dies_only_costs_time(federation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _one_process(monkeypatch, federation)
    parent = os.getpid()
    original = parallel.load_all

    def load_all(found, load, **options):  # type: ignore[no-untyped-def]
        def dying(item):  # type: ignore[no-untyped-def]
            if os.getpid() != parent:
                os._exit(3)  # the child dies on its first workspace
            return load(item)
        return original(found, dying, **options)

    monkeypatch.setattr("core.federation.load_all", load_all)
    assert _encoded(load_federation([federation])) == _encoded(expected)


def test_a_record_msgpack_cannot_carry_is_loaded_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        write_jsonl(tmp_path / f"b{n}" / ".beads" / "issues.jsonl", [bead(f"b{n}-1", huge=10**30)])
    expected = _one_process(monkeypatch, tmp_path)
    monkeypatch.setattr(parallel, "MIN_SHARED", 1)
    forks = _forks(monkeypatch)
    fed = load_federation([tmp_path])
    assert forks == [1]
    assert [ws.work_units[0].extra["huge"] for ws in fed.workspaces] == [10**30] * 3
    assert _encoded(fed) == _encoded(expected)


def test_no_fork_while_another_thread_runs() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait, args=(10,))
    worker.start()
    try:
        assert _REAL_CAN_FORK() is False  # a fork now could deadlock the child on that thread's locks
    finally:
        release.set()
        worker.join(10)


def test_no_fork_when_no_cpu_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    monkeypatch.setattr(parallel, "_runnable", lambda: cpus)
    assert _REAL_CAN_FORK() is False


def test_no_process_to_be_had_loads_here(federation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _one_process(monkeypatch, federation)

    def fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.os, "fork", fork)
    assert _encoded(load_federation([federation])) == _encoded(expected)
