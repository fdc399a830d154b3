"""What the dashboard tests share: the async backend, a temp copy of the demo federation (a test
never writes into the checkout), an actor, and an app that records its notifications."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT
from tui.app import CrossdeckApp

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)  # the demo's "today"
ACTOR = "web/crew/bob"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))


@pytest.fixture
def actor(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BD_ACTOR", ACTOR)
    return ACTOR


def make_app(root: Path) -> tuple[CrossdeckApp, list[tuple[str, str]]]:
    """The app on ``root``, and the (severity, message) of every notification it shows."""
    app = CrossdeckApp([root], now=lambda: NOW, watch=False)
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def recording_notify(message: str, **kwargs: Any) -> None:
        notes.append((kwargs.get("severity", "information"), message))
        notify(message, **kwargs)

    app.notify = recording_notify  # type: ignore[method-assign]
    return app, notes


async def settle(app: CrossdeckApp, pilot: Any) -> None:
    """Until no worker runs: an action starts a reload when it ends."""
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers kept running")
