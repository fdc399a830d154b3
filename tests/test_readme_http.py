"""The README's "Federation over HTTP" runs word for word: the block is read from README.md itself
(so the two cannot drift) and run by bash as a newcomer would, on a fresh machine (no
CROSSDECK_HOME, no BD_ACTOR, port 8765 taken), against a real ``crossdeck serve`` on 127.0.0.1.
Its story ends as its comments say: the approved request's issue blocks frontend's i-8b4c, then,
once closed, no longer does; the token never lands in a file others may read."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT

HEADER = "acme-dev/frontend#i-8b4c: Avatar upload widget"  # the first line `crossdeck blockers i-8b4c` prints
TOKEN = re.compile(rb"cdt_[A-Za-z0-9_-]{43}")


def readme_block() -> str:
    text = (PROJECT / "README.md").read_text("utf-8")
    section = text[text.index("## Federation over HTTP"):]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found is not None, "README.md: no sh block under 'Federation over HTTP'"
    return found.group(1)


@pytest.fixture
def port_8765_taken() -> Iterator[None]:
    """The README must not depend on a fixed port: hold 8765 (if nothing else does already)."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8765))
        holder.listen()
    except OSError:
        pass  # taken already: as good
    try:
        yield
    finally:
        holder.close()


def newcomer(tmp_path: Path) -> dict[str, str]:
    """A shell with ``crossdeck`` on PATH (this checkout's), and nothing of crossdeck's set."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "crossdeck"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={PROJECT} exec {sys.executable} -m tui "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("CROSSDECK_HOME", "BD_ACTOR", "PYTHONPATH") and not k.startswith("XDG_")}
    user = tmp_path / "user"
    env.update(HOME=str(user), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
               XDG_CONFIG_HOME=str(user / ".config"), XDG_STATE_HOME=str(user / ".local" / "state"),
               XDG_CACHE_HOME=str(user / ".cache"), XDG_DATA_HOME=str(user / ".local" / "share"),
               GIT_CONFIG_GLOBAL=os.devnull)
    return env


def test_the_federation_over_http_section_runs_as_written(tmp_path: Path, port_8765_taken: None) -> None:
    env = newcomer(tmp_path)
    script = "set -euo pipefail\n" + readme_block()
    process = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=600)  # generous: a busy CI machine
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # serve and watch, should the block stop half-way
        except ProcessLookupError:
            pass
    assert process.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"

    # the watch prints each event as it comes, between the other commands' lines: set them aside
    event = re.compile(r"\d{4}-\d\d-\d\dT\S+Z  api  ")
    out = "".join(line for line in out.splitlines(keepends=True) if not event.match(line))
    [created] = re.findall(r"^  created (acme-dev/api-service#i-[0-9a-f]+): Serve resized avatars$", out,
                           re.MULTILINE)
    assert re.search(r"^approved acme-dev/api-service:req-[0-9a-f]+ \(pending -> completed\) "
                     r"as api-service/crew/maya$", out, re.MULTILINE)
    blocked, cleared = [part.split("\n\n")[0] for part in out.split(HEADER)[1:]]
    assert f"  {created} [open] (in acme-dev/api-service): Serve resized avatars" in blocked, blocked
    assert created not in cleared, cleared  # closed there, and frontend sees it: no longer a blocker
    assert "  acme-dev/api-service#i-3c1d [in_progress]" in cleared  # the story's other blockers are still there

    holding = [path for path in tmp_path.rglob("*")
               if path.is_file() and not path.is_symlink() and TOKEN.search(path.read_bytes())]
    assert holding, "frontend keeps the token somewhere"
    user_state = tmp_path / "user" / ".local" / "state"
    assert not [path for path in holding if path.is_relative_to(user_state)], "the demo keeps it in its own home"
    for path in holding:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} holds the token and others may read it"
    assert not list(tmp_path.rglob("*.port")), "serve removes its port file when it stops"
