"""Real federation servers on 127.0.0.1 for tests (core/server over uvicorn in a background
thread, port 0), over temp copies of the demo's sudocode repos. Fixtures (imported by
tests/conftest.py, so every test can ask for them):

- ``sudocode_copy``: a temp copy of sample_workspaces/sudocode (api-service and frontend)
- ``start_server``: a factory ``start_server(root, workspace=None, **options) -> Served``;
  every server it starts is stopped when the test ends
- ``served``: api-service served, ready (``served.url``, ``served.base``, ``served.token(...)``)
- ``frontend``: the copy's frontend, its remote acme-dev/api-service wired to ``served`` (its
  ``http_url``) with the token api-service issued it kept (``http_client_helpers.wire_frontend``)

``Served.token(remote)`` issues a token for one of the workspace's remotes (any of its names),
``Served.token(maintainer=ACTOR)`` a maintainer's; ``Served.client(token)`` an httpx client on
``base`` with that bearer token.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core import tokens
from core.server.app import BASE, Options
from core.server.runner import Running
from core.server.served import pick
from tests.http_client_helpers import wire_frontend

PROJECT = Path(__file__).resolve().parents[1]

API = "github.com/acme-dev/api-service"
FRONTEND = "github.com/acme-dev/frontend"  # trusted by api-service, with auto-approve conditions
MERCHANT = "github.com/globex-io/merchant-portal"  # verified, may not mutate
SCRAPER = "github.com/hackday/price-scraper"  # untrusted, may create_issue


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    base: str  # url + /api/v1/federation
    root: Path
    workspace: str
    running: Running

    def token(self, remote: str | None = None, maintainer: str | None = None) -> str:
        name = None
        if remote is not None:
            found = self.running.state.served.remote(remote, self.running.state.today())
            assert found is not None, f"{remote} is not a remote of {self.workspace}"
            name = found.name
        return tokens.issue(self.workspace, remote=name, maintainer=maintainer)[1]

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=kwargs.pop("timeout", 10.0), **kwargs)

    def rescan(self) -> None:
        """Make the server re-read its workspace now (after a test changed its files)."""
        self.running.state.watcher.rescan()

    def stop(self) -> None:
        self.running.stop()


@pytest.fixture
def sudocode_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces" / "sudocode", tmp_path / "sudocode"))


@pytest.fixture
def start_server(crossdeck_home: Path) -> Iterator[Any]:
    started: list[Served] = []

    def start(root: Path, workspace: str | None = None, **options: Any) -> Served:
        options.setdefault("poll_seconds", 0.1)
        running = Running(pick([root], workspace), "127.0.0.1", 0, Options(**options))
        served = Served(url=running.url, base=running.url + BASE, root=running.state.served.root,
                        workspace=running.state.served.name, running=running)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def served(sudocode_copy: Path, start_server: Any) -> Served:
    return start_server(sudocode_copy / "api-service")  # type: ignore[no-any-return]


@pytest.fixture
def frontend(sudocode_copy: Path, served: Served) -> Path:
    root = sudocode_copy / "frontend"
    wire_frontend(root, served)
    return root
