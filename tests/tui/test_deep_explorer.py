"""The Explorer on deep and wide graphs (Hostile world I, 11-12): an item with 100,000 blockers and
one at the top of a blocks chain 100,000 deep are described in the time of a screenful. The detail
lists at most SHOWN_RELATIONS relations each way and SHOWN_STEPS steps of blocker paths, says how
many more there are and which verb lists them all; ``q`` quits within a second."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deep_graphs import key, write_town
from tests.tui.test_deep_chains_pane import on_pane, quits_within_a_second
from tests.tui.test_explorer_pane import detail
from tui.panes.explorer.detail import SHOWN_RELATIONS
from tui.panes.explorer.sections import SHOWN_STEPS

pytestmark = pytest.mark.anyio

N = 100_000


def heading(app, name: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.query_one(f"#detail-{name}-head").render())


@pytest.mark.parametrize("shape", ["wide-blocks", "deep-blocks"])
async def test_the_explorer_on_an_item_with_100000_blockers(tmp_path: Path, shape: str) -> None:
    async with on_pane(write_town(tmp_path, shape, N), "7") as (app, pilot):
        app.show_item(key(0))
        await pilot.pause()
        assert detail(app).key == key(0)
        shown = detail(app).text_by_section
        out = shown["out"].splitlines()
        direct = N - 1 if shape == "wide-blocks" else 1
        assert heading(app, "out") == f"Depends on / points to ({direct})"
        assert len(out) == min(direct, SHOWN_RELATIONS) + (direct > SHOWN_RELATIONS)
        if direct > SHOWN_RELATIONS:
            assert out[-1] == f"... and {direct - SHOWN_RELATIONS} more (crossdeck show lists them all)"
        blocked = shown["blocked"].splitlines()
        assert blocked[0] == f"blocked by {N - 1} open items"
        assert blocked[1] == f"paths from {key(0)}"
        steps = blocked[2:2 + SHOWN_STEPS]
        assert all("blocked by " + key(0)[:-1] in line for line in steps)  # each step read top down
        assert blocked[2 + SHOWN_STEPS] == (f"... and {N - 1 - SHOWN_STEPS} more steps "
                                            f"(crossdeck blockers {key(0)} lists them all)")
        assert max(map(len, blocked)) < 250  # a deep path stops indenting (``[level 17]``)
        await quits_within_a_second(app, pilot)
