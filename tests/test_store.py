"""The state store: a real SQLite file under CROSSDECK_HOME (each test has its own)."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from core import store
from core.diagnostics import Diagnostics
from core.model import Remote, TrustLevel

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)


def remote(name: str = "acme/api", workspace: str = "acme/web", serves: str | None = None) -> Remote:
    """A remote named in ``workspace``'s config; ``serves`` is its config's ``workspace`` field."""
    return Remote(name=name, url=f"https://github.com/{name}", workspace=workspace, trust_level=TrustLevel.TRUSTED,
                  extra={"workspace": serves} if serves else {})


def test_lives_in_the_state_dir_in_wal_mode_with_a_schema_version(crossdeck_home: Path) -> None:
    assert store.db_path() == crossdeck_home / "state" / "state.db"
    assert not store.db_path().exists()
    store.record_check(remote(), ok=True, latency_ms=12.5, at=NOW)
    conn = sqlite3.connect(store.db_path())
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == store.SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert {"schema_version", "remote_cache", "reachability"} <= tables


def test_reads_of_a_missing_store_are_empty_and_create_nothing(crossdeck_home: Path) -> None:
    assert store.remote_states() == {}
    assert store.remote_status_by_workspace(now=NOW, ttl_seconds=300) == {}
    assert store.reachability_history("acme/web", "acme/api") == []
    assert not (crossdeck_home / "state").exists()


def test_a_corrupt_store_reads_as_empty_with_a_warning(crossdeck_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = store.db_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, just bytes " * 200)
    diags = Diagnostics()
    assert store.remote_states(diags=diags) == {}
    assert [d.severity.value for d in diags] == ["warning"]
    assert "cannot be read" in diags.items[0].message and diags.items[0].path == str(path)
    with caplog.at_level(logging.WARNING, logger="crossdeck.store"):
        assert store.remote_status_by_workspace(now=NOW, ttl_seconds=300) == {}
    assert "state store cannot be read" in caplog.text
    with pytest.raises(store.StoreError, match="delete it"):
        store.record_check(remote(), ok=True, at=NOW)


def test_a_store_from_a_newer_crossdeck_is_ignored_not_rewritten(crossdeck_home: Path) -> None:
    store.record_check(remote(), ok=True, at=NOW)
    conn = sqlite3.connect(store.db_path())
    with conn:
        conn.execute("INSERT INTO schema_version VALUES (99, '2027-01-01T00:00:00Z')")
    conn.close()
    diags = Diagnostics()
    assert store.remote_states(diags=diags) == {}
    assert "newer crossdeck" in diags.items[0].message
    with pytest.raises(store.StoreError, match="newer"):
        store.record_sync(remote(), ok=True, at=NOW)


def test_sync_then_failures_then_recovery(crossdeck_home: Path) -> None:
    api = remote()
    store.record_sync(api, ok=True, fetched_ref="abc123", latency_ms=40.0, at=NOW, circuit_state="closed")
    state = store.remote_states()[("acme/web", "acme/api")]
    assert (state.status, state.last_sync_at, state.fetched_ref, state.circuit_state) == (
        "synced", "2026-11-20T12:00:00Z", "abc123", "closed")
    later = NOW + dt.timedelta(minutes=10)
    store.record_check(api, ok=False, error="connection refused", at=later, circuit_state="open")
    store.record_check(api, ok=False, error="timed out", at=later + dt.timedelta(minutes=1))
    state = store.remote_states()[("acme/web", "acme/api")]
    assert state.status == "unreachable"
    assert state.last_error == "timed out"
    assert state.failing_since == "2026-11-20T12:10:00Z"  # the start of the run of failures
    assert state.failures == 2
    assert state.circuit_state == "open"  # kept when a record does not say
    assert state.last_sync_at == "2026-11-20T12:00:00Z" and state.fetched_ref == "abc123"
    store.record_check(api, ok=True, latency_ms=8.0, at=later + dt.timedelta(minutes=2), circuit_state="closed")
    state = store.remote_states()[("acme/web", "acme/api")]
    assert (state.status, state.failing_since, state.failures, state.latency_ms) == ("stale", None, 0, 8.0)
    history = store.reachability_history("acme/web", "acme/api")
    assert [(c.ok, c.error) for c in history] == [(True, None), (False, "timed out"), (False, "connection refused"),
                                                  (True, None)]


def test_status_ages_past_the_ttl(crossdeck_home: Path) -> None:
    store.record_sync(remote(), ok=True, at=NOW)
    state = store.remote_states()[("acme/web", "acme/api")]
    assert store.effective_status(state, NOW + dt.timedelta(seconds=300), 300) == "synced"
    assert store.effective_status(state, NOW + dt.timedelta(seconds=301), 300) == "stale"
    assert store.effective_status(None, NOW, 300) == "never-checked"
    assert store.remote_status_by_workspace(now=NOW + dt.timedelta(minutes=4), ttl_seconds=300) == {"acme/api": "synced"}
    assert store.remote_status_by_workspace(now=NOW + dt.timedelta(minutes=6), ttl_seconds=300) == {"acme/api": "stale"}


def test_the_default_ttl_comes_from_settings(crossdeck_home: Path) -> None:
    (crossdeck_home / "config.toml").write_text("remote_ttl_seconds = 3600\n")
    store.record_sync(remote(), ok=True, at=NOW)
    assert store.remote_status_by_workspace(now=NOW + dt.timedelta(minutes=30)) == {"acme/api": "synced"}


def test_status_is_keyed_by_the_workspace_the_remote_serves(crossdeck_home: Path) -> None:
    store.record_sync(remote("hq", "hop://steve@example.com/main-town", serves="hop://acme.com/hq"), ok=True, at=NOW)
    # the same remote workspace seen from two workspaces: the freshest word wins
    store.record_check(remote("acme/api", "acme/web"), ok=False, error="refused", at=NOW)
    store.record_sync(remote("acme/api", "acme/mobile"), ok=True, at=NOW)
    assert store.remote_status_by_workspace(now=NOW, ttl_seconds=300) == {
        "hop://acme.com/hq": "synced", "acme/api": "synced"}
    assert set(store.remote_states()) == {("hop://steve@example.com/main-town", "hq"), ("acme/web", "acme/api"),
                                          ("acme/mobile", "acme/api")}


def test_history_is_pruned_per_remote(crossdeck_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "HISTORY_KEPT", 5)
    for minute in range(12):
        store.record_check(remote(), ok=minute % 2 == 0, error="x", at=NOW + dt.timedelta(minutes=minute))
    store.record_check(remote("other/repo"), ok=True, at=NOW)
    history = store.reachability_history("acme/web", "acme/api", limit=100)
    assert len(history) == 5
    assert history[0].checked_at == "2026-11-20T12:11:00Z"
    assert len(store.reachability_history("acme/web", "other/repo")) == 1


def test_two_writers_in_threads_do_not_corrupt_it(crossdeck_home: Path) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(name: str) -> None:
        try:
            start.wait()
            for i in range(40):
                at = NOW + dt.timedelta(seconds=i)
                if i % 3:
                    store.record_check(remote(name), ok=i % 2 == 0, latency_ms=float(i), error="e", at=at)
                else:
                    store.record_sync(remote(name), ok=True, fetched_ref=f"r{i}", at=at)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("acme/api", "acme/db")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    conn = sqlite3.connect(store.db_path())
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = dict(conn.execute("SELECT remote, COUNT(*) FROM reachability GROUP BY remote").fetchall())
    finally:
        conn.close()
    assert counts == {"acme/api": 40, "acme/db": 40}
    states = store.remote_states()
    assert {k: s.fetched_ref for k, s in states.items()} == {("acme/web", "acme/api"): "r39",
                                                             ("acme/web", "acme/db"): "r39"}
