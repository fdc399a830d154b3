from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
from pathlib import Path

import git
import pytest
import yaml

from core.analysis.stale import GitChangeDates, parse_version
from core.demo import Demo, prepare_demo
from core.model import Contract
from tests.conftest import PROJECT
from tests.schema_check import assert_matches_schema
from tests.test_cli_summary import crossdeck

TODAY = dt.date(2026, 11, 30)  # the anchor (2026-11-20) + 10 days
DAYS = 10


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.relative_to(root).parts}


def test_demo_copies_the_sample_workspaces(tmp_path: Path) -> None:
    result = crossdeck("demo", "--dir", str(tmp_path / "demo"), "--no-open")
    assert result.returncode == 0, result.stderr
    copy = Path(result.stdout.strip())
    assert copy == (tmp_path / "demo" / "workspaces").resolve()
    assert _tree(copy) == _tree(PROJECT / "sample_workspaces")
    assert (tmp_path / "demo" / "home").is_dir()


def test_demo_shows_the_summary_of_the_copy(tmp_path: Path) -> None:
    result = crossdeck("demo", "--dir", str(tmp_path / "demo"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["roots"] == [str((tmp_path / "demo" / "workspaces").resolve())]
    assert data["by_kind"] == {"realm": 2, "sudocode": 2, "town": 3}
    assert data["diagnostics"]["error"] == 0
    demo = data["demo"]
    assert demo["home"] == str((tmp_path / "demo" / "home").resolve())
    assert demo["dates"]["anchor"] == "2026-11-20" and demo["dates"]["dates"] > 250
    assert len(demo["repositories"]) == 7 and demo["problems"] == []
    assert "dates shifted by" in result.stderr and "CROSSDECK_HOME=" in result.stderr
    assert_matches_schema("demo", data)


def test_default_demo_folder_is_under_the_data_dir(crossdeck_home: Path) -> None:
    result = crossdeck("demo", "--no-open")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(crossdeck_home / "data" / "demo")


def test_demo_refuses_the_checkout_and_a_non_empty_folder(tmp_path: Path) -> None:
    inside = crossdeck("demo", "--dir", str(PROJECT / "demo-copy"), "--no-open")
    assert inside.returncode == 2 and "inside crossdeck's own checkout" in inside.stderr
    assert not (PROJECT / "demo-copy").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    full = crossdeck("demo", "--dir", str(tmp_path / "full"), "--no-open")
    assert full.returncode == 2 and "not empty" in full.stderr
    assert (tmp_path / "full" / "mine.txt").read_text() == "keep"


# -- opening ---------------------------------------------------------------------------------
def test_demo_opens_the_dashboard_on_the_copy_with_its_own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from core.commands import demo

    opened: list[tuple[Path, str | None]] = []

    def opener(workspaces: Path) -> int:
        opened.append((workspaces, os.environ.get("CROSSDECK_HOME")))
        return 0

    monkeypatch.setenv("CROSSDECK_NOW", f"{TODAY.isoformat()}T12:00:00Z")
    args = argparse.Namespace(dir=tmp_path / "d", no_open=False, json=False)
    assert demo.run(args, open_dashboard=opener) == 0
    assert opened == [((tmp_path / "d" / "workspaces").resolve(), str((tmp_path / "d" / "home").resolve()))]
    assert capsys.readouterr().out == ""


def test_without_a_terminal_the_launcher_only_prepares(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.launch import run_demo

    assert run_demo(["--dir", str(tmp_path / "d")]) == 0  # pytest's stdin is not a terminal
    out, err = capsys.readouterr()
    assert out.strip() == str((tmp_path / "d" / "workspaces").resolve())
    assert "no terminal" in err


# -- git history -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return prepare_demo(tmp_path_factory.mktemp("demo") / "d", today=TODAY)


def _repos(demo: Demo) -> dict[str, git.Repo]:
    return {Path(r.path).relative_to(demo.workspaces).as_posix(): git.Repo(r.path) for r in demo.repositories}


def test_every_workspace_is_a_clean_repository_with_a_history(demo: Demo) -> None:
    repos = _repos(demo)
    assert set(repos) == {"towns/acme-storefront", "towns/globex-payments", "towns/kestrel", "realms/commerce",
                          "realms/globex-platform", "sudocode/api-service", "sudocode/frontend"}
    end = dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=dt.UTC)
    for name, repo in repos.items():
        commits = list(repo.iter_commits("main"))
        assert len(commits) >= 4, name
        assert not repo.is_dirty(untracked_files=True), name
        assert repo.active_branch.name == "main"
        authors = {c.author.name for c in commits}
        assert len(authors) >= 2, (name, authors)
        assert all(c.author.name == c.committer.name and c.authored_date == c.committed_date for c in commits)
        dates = [c.authored_datetime for c in commits]
        assert all(d <= end for d in dates) and dates == sorted(dates, reverse=True), name
        assert end - dates[0] < dt.timedelta(days=7) and end - dates[-1] > dt.timedelta(days=14), name
        first = commits[-1]
        assert first.message.startswith("Set up "), name
        repo.close()


def test_authors_follow_the_git_convention(demo: Demo) -> None:
    repo = _repos(demo)["towns/globex-payments"]
    people = {(c.author.name, c.author.email) for c in repo.iter_commits("main")}
    assert ("globex.io", "globex.io") in people  # the owner sets the town up
    assert any(name.startswith(("gateway/", "ledger/", "fraud/")) and email == "globex.io" for name, email in people)
    realm = _repos(demo)["realms/commerce"]
    realm_people = {(c.author.name, c.author.email) for c in realm.iter_commits("main")}
    # a town actor writing into the realm from Globex's town acts for globex.io
    assert ("gateway/crew/carol", "globex.io") in realm_people
    assert ("bob@acme.dev", "bob@acme.dev") in realm_people


def test_the_history_is_the_same_for_the_same_day(demo: Demo, tmp_path: Path) -> None:
    again = prepare_demo(tmp_path / "again", today=TODAY)
    first = {name: _history_head(repo) for name, repo in _repos(demo).items()}
    second = {name: _history_head(repo) for name, repo in _repos(again).items()}
    assert first == second


def _history_head(repo: git.Repo) -> str:
    """The newest commit of the made-up history: the demo's last commit points a remote at the
    copy's own absolute path (a file:// URL), so it differs between two copies by design."""
    commit = repo.head.commit
    return commit.parents[0].hexsha if commit.message.startswith("Point remote ") else commit.hexsha


def _evolution(path: Path) -> list[tuple[str, dt.date]]:
    doc = yaml.safe_load(path.read_text())
    return [(str(e["version"]), e["date"]) for e in doc["evolution"]]


def test_contract_history_agrees_with_the_changelog(demo: Demo) -> None:
    root = Path(demo.workspaces) / "realms" / "globex-platform"
    contract = root / "domains" / "payments" / "contracts" / "card-token.yaml"
    expected = _evolution(contract)
    assert expected[-1] == ("1.6.0", dt.date(2026, 11, 25))  # 2026-11-15 + 10 days
    repo = git.Repo(root)
    seen = []
    for commit in reversed(list(repo.iter_commits(paths="domains/payments/contracts/card-token.yaml"))):
        doc = yaml.safe_load((commit.tree / "domains/payments/contracts/card-token.yaml").data_stream.read())
        seen.append((str(doc["version"]), commit.authored_datetime.date()))
        assert commit.author.name == "carol@globex.io"  # the maintainer of gateway, the contract's owner
    repo.close()
    assert seen == expected


def test_stale_dates_an_undated_change_from_the_history(demo: Demo) -> None:
    root = Path(demo.workspaces) / "realms" / "globex-platform"
    record = Contract(key="realm://globex-platform/payments/card-token", name="card-token",
                      realm="globex-platform", domain="payments", version="1.6.0",
                      source=str(root / "domains" / "payments" / "contracts" / "card-token.yaml"))
    assert GitChangeDates().first_newer(root, record, parse_version("1.5.0")) == dt.date(2026, 11, 25)
    assert GitChangeDates().first_newer(root, record, parse_version("1.4.0")) == dt.date(2026, 9, 20)
    draft = Path(demo.workspaces) / "realms" / "commerce"
    exports = Contract(key="realm://commerce/globex-payments/payment-intents", name="payment-intents",
                       realm="commerce", domain="globex-payments", version="2.3.0",
                       source=str(draft / "domains" / "globex-payments" / "exports.yaml"))
    assert GitChangeDates().first_newer(draft, exports, parse_version("2.1.0")) == dt.date(2026, 10, 31)


def test_stale_falls_back_on_git_when_the_changelog_has_no_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    copy = prepare_demo(tmp_path / "d", today=TODAY)
    contract = Path(copy.workspaces) / "realms" / "globex-platform" / "domains" / "payments" / "contracts" / "card-token.yaml"
    contract.write_text(re.sub(r"\n +date: [0-9-]+", "", contract.read_text()))
    monkeypatch.setenv("CROSSDECK_NOW", f"{TODAY.isoformat()}T12:00:00Z")
    main(["stale", copy.workspaces, "--json"])
    reports = {r["key"]: r for r in json.loads(capsys.readouterr().out)["imports"]}
    paysdk = reports["realm://globex-platform/paysdk/imports/card-token"]
    assert (paysdk["since_source"], paysdk["days_stale"], paysdk["stale_since"]) == ("git", 5, "2026-11-25")


def test_a_git_hook_environment_cannot_redirect_the_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = git.Repo.init(tmp_path / "outer")
    (Path(outer.git_dir) / "HEAD").write_text("ref: refs/heads/trunk\n")
    monkeypatch.setenv("GIT_DIR", outer.git_dir)
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path / "outer"))
    copy = prepare_demo(tmp_path / "d", today=TODAY)
    assert len(copy.repositories) == 7 and copy.problems == []
    assert os.environ["GIT_DIR"] == outer.git_dir  # put back afterwards
    assert (Path(outer.git_dir) / "HEAD").read_text() == "ref: refs/heads/trunk\n"
    assert not list((Path(outer.git_dir) / "refs" / "heads").iterdir())
    outer.close()
