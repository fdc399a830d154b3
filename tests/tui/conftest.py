"""What the dashboard tests share: the async backend, and a temp copy of the demo federation
(a test never writes into the checkout)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT / "sample_workspaces", tmp_path / "demo"))
