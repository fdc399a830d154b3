"""``crossdeck web``: the dashboard in headless Chromium (Debian's package, driven by Playwright),
on a demo copy. The terminal is drawn on a canvas, so what is on screen is read from the app's
own state through its test hook (``CROSSDECK_WEB_PROBE``, tui/web/dashboard.py); a PNG of the page
is kept as a test artifact (``CROSSDECK_TEST_ARTIFACTS``, else the test's tmp folder)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="the web extra is not installed (pip install '.[test]' brings it)")
pytest.importorskip("playwright", reason="playwright is not installed (pip install '.[test]' brings it)")

from tests.conftest import PROJECT
from tests.web_helpers import CHROMIUM, base_env, browser_page, crossdeck_web, demo_copy, probe, wait_for, web_process

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and os.environ.get("CI") != "true",
                                    reason=f"no Chromium at {CHROMIUM}: apt-get install --no-install-recommends chromium")


def _issues(demo: Path) -> list[dict[str, object]]:
    path = demo / "workspaces" / "sudocode" / "api-service" / ".sudocode" / "issues.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _artifact(tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("CROSSDECK_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@needs_chromium
def test_the_dashboard_in_a_browser_approves_a_request(tmp_path: Path) -> None:
    demo = demo_copy(tmp_path / "demo")
    state = tmp_path / "probe.json"
    before = _issues(demo)
    pending = {r["request_id"]: r["title"] for r in json.loads(subprocess.run(
        [sys.executable, "-m", "tui", "approvals", str(demo / "workspaces"), "--json"], capture_output=True, text=True,
        env=base_env(demo / "home", state), timeout=120, check=False).stdout)["pending"]}
    env = base_env(demo / "home", state, actor="api-service/crew/maya")
    with web_process(crossdeck_web([str(demo / "workspaces")], "--port", "0"), env) as (_, url), browser_page() as page:
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        page.goto(url)
        shown = wait_for(lambda: (s := probe(state)).get("workspaces") and s, what="the Overview with the demo loaded")
        assert shown["pane"] == "overview" and shown["workspaces"] == 7 and shown["screen"] == "Screen"
        page.locator(".xterm-helper-textarea").focus()
        page.screenshot(path=str(_artifact(tmp_path, "web-overview.png")))
        page.keyboard.press("4")
        wait_for(lambda: probe(state).get("pane") == "approvals", what="the Approvals pane")
        page.keyboard.press("a")
        wait_for(lambda: probe(state).get("screen") == "ConfirmScreen", what="the confirm modal")
        page.keyboard.press("y")
        created = wait_for(lambda: len(_issues(demo)) > len(before) and _issues(demo)[len(before):],
                           what="the new item on disk")
        page.screenshot(path=str(_artifact(tmp_path, "web-approved.png")))
    assert [item["title"] for item in created] == [created[0]["title"]] and created[0]["title"] in pending.values()
    assert _artifact(tmp_path, "web-overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_websocket_wants_the_token_its_origin_and_its_host(tmp_path: Path) -> None:
    import aiohttp

    demo = demo_copy(tmp_path / "demo")
    env = base_env(demo / "home", tmp_path / "probe.json")
    with web_process(crossdeck_web([str(demo / "workspaces")], "--port", "0"), env) as (_, url):
        origin, token = url.split("/?token=")
        socket_url = origin.replace("http://", "ws://") + "/ws/"

        async def status(path: str, headers: dict[str, str]) -> int:
            async with aiohttp.ClientSession() as session:
                try:
                    async with session.ws_connect(socket_url + path, headers=headers) as ws:
                        await ws.close()
                        return 101
                except aiohttp.WSServerHandshakeError as exc:
                    return exc.status

        async def page(query: str, headers: dict[str, str] | None = None) -> int:
            async with aiohttp.ClientSession() as session, session.get(origin + "/" + query, headers=headers) as r:
                return r.status

        async def all_of() -> list[int]:
            return [await status("not-the-token", {"Origin": origin}),
                    await status(token, {"Origin": "http://evil.example"}),
                    await status(token, {}),
                    await status(token, {"Origin": origin, "Host": "rebound.example:80"}),
                    await page(""), await page("?token=wrong"), await page("?token=" + token),
                    await page("?token=" + token, {"Host": "rebound.example"}),
                    await status(token, {"Origin": origin})]

        assert asyncio.run(all_of()) == [403, 403, 403, 403, 403, 403, 200, 421, 101]


def test_a_non_loopback_host_needs_the_flag(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    refused = subprocess.run(crossdeck_web([str(tmp_path)], "--host", "0.0.0.0", "--port", "0"), env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2 and refused.stdout == ""
    assert "not a loopback address" in refused.stderr and "--allow-non-loopback" in refused.stderr


def test_without_the_extra_the_verb_names_the_install_command(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    (blocker / "textual_serve").mkdir(parents=True)
    (blocker / "textual_serve" / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{PROJECT}"}
    done = subprocess.run(crossdeck_web([str(tmp_path)], "--port", "0"), env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["crossdeck web needs the web extra: pip install 'crossdeck[web]'"]
