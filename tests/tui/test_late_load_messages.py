"""A load runs in a thread that cannot be cancelled, so its progress and result can arrive while
the app is closing, after its widgets are gone. Such a message is dropped; it must not raise
(CI once failed on a test whose app closed while its load still reported progress)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import make_app, settle
from tui.messages import DataLoaded, LoadFailed, LoadProgress

pytestmark = pytest.mark.anyio


async def test_load_messages_after_the_widgets_are_gone_are_dropped(demo: Path) -> None:
    app, notes = make_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        data = app.data
        assert data is not None
        await app.query_one("#status-line").remove()  # what closing does to every widget
        for late in (LoadProgress("reading workspaces", 0.5), LoadFailed("gone"), DataLoaded(data)):
            app.post_message(late)
            await pilot.pause()
    assert not [message for _, message in notes if "gone" in message]  # nothing shown for a late failure
