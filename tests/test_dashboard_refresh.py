"""core.dashboard.refresh_remotes: after a live event changed only a remote's snapshot, the
analyses run again over the local workspaces already read (the same objects, the same
diagnostics), with the remotes' side read afresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.dashboard import load_dashboard, refresh_remotes
from core.settings import Settings
from tests.conftest import PROJECT

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def test_refresh_keeps_the_local_side_and_recomputes_the_rest() -> None:
    settings = Settings()
    data = load_dashboard([PROJECT / "sample_workspaces"], settings, NOW)
    fresh = refresh_remotes(data, settings, NOW + dt.timedelta(minutes=1))
    local = [ws for ws in data.federation.workspaces if not ws.remote_cache]
    assert [ws for ws in fresh.federation.workspaces if not ws.remote_cache] == local
    assert all(a is b for a, b in zip(local, fresh.federation.workspaces, strict=False))
    assert fresh.federation.diagnostics == data.federation.diagnostics  # nothing lost, nothing doubled
    assert fresh.local_diagnostics == data.local_diagnostics
    assert fresh.graph is not data.graph and fresh.graph.number_of_nodes() == data.graph.number_of_nodes()
    assert fresh.approvals == data.approvals and fresh.loaded_at == NOW + dt.timedelta(minutes=1)
    assert Path(fresh.federation.roots[0]) == PROJECT / "sample_workspaces"
