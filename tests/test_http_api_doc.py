"""docs/http-api.md's curl examples, run as written against a real server: the page and the API
cannot drift apart. Each ``sh`` block of its "Examples with curl" section is one call; they run in
the page's order (the remotes are added, changed, then removed) and each must succeed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import commit_everything
from tests.http_fixtures import PROJECT
from tests.test_server_design_bodies import ORG_FRONTEND, design_remotes

DOC = PROJECT / "docs" / "http-api.md"


def examples() -> list[str]:
    text = DOC.read_text()
    section = text.split("## Examples with curl", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def test_the_page_has_an_example_for_every_new_endpoint() -> None:
    blocks = examples()
    for needed in ("/info", "/discover", "/query", "/mutate", "/delegate", "/subscribe", "-X POST \"$BASE/remotes",
                   "-X PUT", "-X DELETE"):
        assert any(needed in block for block in blocks), needed
    for block in blocks:  # a body says what it is
        assert " -d " not in block or "Content-Type: application/json" in block, block


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_runs(sudocode_copy: Path, start_server: Any) -> None:
    root = sudocode_copy / "api-service"
    design_remotes(root)
    commit_everything(root)
    served = start_server(root)
    env = {**os.environ, "BASE": served.base, "TOKEN": served.token(ORG_FRONTEND),
           "MAINTAINER_TOKEN": served.token(maintainer="api-service/crew/maya")}
    answers = []
    for block in examples():
        ran = subprocess.run(["bash", "-c", "set -eo pipefail\n" + block], capture_output=True, text=True, env=env,
                             timeout=60, check=False)
        assert ran.returncode == 0, f"{block}\n{ran.stdout}\n{ran.stderr}"
        answers.append(json.loads(ran.stdout))
    assert answers[0]["capabilities"]["endpoints"]["rest"] == served.base
    added, changed, removed = answers[-3:]
    assert [a["change"]["action"] for a in (added, changed, removed)] == ["add", "update", "remove"]
    assert removed["change"]["record"]["trust_level"] == "trusted"
