"""Who may decide, in the dashboard (issue 15): the confirm modal says a decision will be refused
before y is pressed, y then writes nothing; the headline says where no maintainers are
configured; the detail shows the deciding rule's notify targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tui.conftest import make_app, settle
from tests.tui.test_approvals_pane import API, confirm_rows, open_on, text_of

pytestmark = pytest.mark.anyio
RULE = "maintainers in api-service/.sudocode/federation.config.json: bob@acme.dev, bob, */crew/bob, api-service/crew/*"


async def test_a_non_maintainer_is_told_before_y_and_refused(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BD_ACTOR", "web/crew/eve")
    requests = demo / API / "requests.jsonl"
    before = requests.read_text()
    app, notes = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-7c2e41")
        assert text_of(app, "#approvals-headline").endswith("not a maintainer of acme-dev/api-service, acme-dev/frontend")
        await pilot.press("a")
        rows = confirm_rows(app)
        assert rows["may decide"] == ("refused: web/crew/eve may not approve acme-dev/api-service:req-7c2e41: it is "
                                      "not among the maintainers of acme-dev/api-service, by name or by email "
                                      f"(config.toml gives it none): {RULE}")
        await pilot.press("y")
        await settle(app, pilot)
        assert requests.read_text() == before
        assert any(sev == "error" and "web/crew/eve may not approve" in text for sev, text in notes)


async def test_a_maintainer_by_email_is_told_so_and_decides(demo: Path, crossdeck_home: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BD_ACTOR", "desk/robert")
    (crossdeck_home / "config.toml").write_text('[emails]\n"desk/robert" = "bob@acme.dev"\n')
    app, _ = make_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_on(app, pilot, "req-9d4b17")
        assert "notify      @api-leads" in text_of(app, "#approvals-detail")
        await pilot.press("a")
        rows = confirm_rows(app)
        assert rows["may decide"].startswith("desk/robert (as bob@acme.dev, the email config.toml gives it) is "
                                             "among the maintainers of acme-dev/api-service")
        assert rows["notify"] == "@api-leads"
        await pilot.press("y")
        await settle(app, pilot)
    last = [json.loads(line) for line in (demo / API / "requests.jsonl").read_text().splitlines()][-1]
    assert (last["request_id"], last["approved_by"], last["notify"]) == ("req-9d4b17", "desk/robert", ["@api-leads"])


async def test_the_headline_says_where_no_maintainers_are_configured(demo: Path, actor: str) -> None:
    for repo in ("api-service", "frontend"):
        config = demo / "sudocode" / repo / ".sudocode" / "federation.config.json"
        data = json.loads(config.read_text())
        del data["maintainers"]
        config.write_text(json.dumps(data))
        app, _ = make_app(demo)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_on(app, pilot, "req-7c2e41")
            headline = text_of(app, "#approvals-headline")
            assert headline.endswith("no maintainers configured" if repo == "frontend"
                                     else "no maintainers configured in acme-dev/api-service")
            await pilot.press("a")
            assert confirm_rows(app)["may decide"] == "no maintainers configured: anyone with an actor may approve"
