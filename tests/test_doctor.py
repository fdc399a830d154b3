"""``crossdeck doctor [--fix]``: what a crash or a bad merge left (a half-done action's journal, a
torn last line, a stray temp file, an uncommitted record file), found, then repaired and committed
as the actor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import git

from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema
from tests.test_sync_create import demo_copy

API = "sudocode/api-service"


def doctor(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "tui", "doctor", str(root), *args], capture_output=True, text=True,
                          cwd=PROJECT, env=env, timeout=120, check=False)


def test_doctor_finds_and_fixes_what_a_crash_left(tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    home = tmp_path / "home"
    api = demo / API
    requests = api / ".sudocode" / "federation" / "requests.jsonl"
    whole = requests.read_bytes()
    requests.write_bytes(whole + b'{"request_id":"req-x","dir')  # a torn last line
    temp = requests.parent / ".requests.jsonl.k2j4x.tmp"
    temp.write_bytes(b"half a rewrite")
    head = git.Repo(api).head.commit.hexsha
    # an action killed half way leaves its journal (in the state dir) and its first write
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "CROSSDECK_HOME": str(home), "BD_ACTOR": "bob@acme.dev",
           "CROSSDECK_CRASH_AT": "approve:1:append:requests.jsonl"}
    killed = subprocess.run([sys.executable, "-m", "tui", "approve", "req-7c2e41", str(api)], cwd=PROJECT, env=env,
                            capture_output=True, text=True, check=False)
    assert killed.returncode == 137, killed.stderr

    found = doctor(demo, home, "--json")
    assert found.returncode == 1
    report = json.loads(found.stdout)
    assert_matches_schema("doctor", report)
    kinds = sorted((f["kind"], Path(f["path"]).name) for f in report["findings"] if f["workspace"] == "acme-dev/api-service")
    assert ("journal", kinds[0][1]) in kinds and ("temp-file", temp.name) in kinds
    assert ("uncommitted", "requests.jsonl") in kinds
    assert git.Repo(api).head.commit.hexsha == head  # finding changes nothing

    fixed = doctor(demo, home, "--fix", "--actor", "ops/crew/sam", "--json")
    assert fixed.returncode == 0, fixed.stderr
    assert all(f["fixed"] for f in json.loads(fixed.stdout)["findings"])
    assert not temp.exists()
    text = requests.read_bytes()
    assert b'"req-x"' not in text and text.endswith(b"\n")
    log = list(git.Repo(api).iter_commits(max_count=2))
    # the interrupted approval finished as its own commit, by its own actor; then nothing else was left
    assert log[0].author.name == "bob@acme.dev" and log[0].message.startswith("approve req-7c2e41")
    assert doctor(demo, home).stdout.strip() == "nothing to repair"


def test_doctor_commits_a_hand_edit_as_the_actor(tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    audit = demo / API / ".sudocode" / "federation" / "audit.jsonl"
    audit.write_bytes(audit.read_bytes() + b'{"timestamp":"2026-11-20T10:00:00Z","operation_type":"note"}\n')
    plain = doctor(demo, tmp_path / "home")
    assert plain.returncode == 1
    assert f"found uncommitted in acme-dev/api-service: {audit}: differs from the last commit" in plain.stdout
    refused = doctor(demo, tmp_path / "home", "--fix")
    assert refused.returncode == 2 and "--fix needs an actor" in refused.stderr
    done = doctor(demo, tmp_path / "home", "--fix", "--actor", "ops/crew/sam")
    assert done.returncode == 0, done.stderr
    head = git.Repo(demo / API).head.commit
    assert head.author.name == "ops/crew/sam" and head.message.startswith("doctor: ")
    assert not git.Repo(demo / API).is_dirty()


def test_doctor_cuts_a_torn_last_line_and_never_touches_damage_in_the_middle(tmp_path: Path) -> None:
    demo = demo_copy(tmp_path)
    audit = demo / API / ".sudocode" / "federation" / "audit.jsonl"
    clean = audit.read_bytes()
    lines = clean.split(b"\n")
    lines.insert(1, b"{broken in the middle")
    middle = b"\n".join(lines)
    audit.write_bytes(middle + b'{"timestamp":"2026-11-')
    found = doctor(demo, tmp_path / "home")
    assert f"found torn-line in acme-dev/api-service: {audit}: the last line is cut short" in found.stdout
    doctor(demo, tmp_path / "home", "--fix", "--actor", "ops/crew/sam")
    assert audit.read_bytes() == middle  # the torn tail cut off; the damage in the middle kept, for the load to report
