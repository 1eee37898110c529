"""Git state captured by runs started through the API, in real repositories (one per case)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import git, head, load_yaml, make_repo, only_run, run_dirs

import gittrack as mlflow
import gittrack.git as gitmod
from gittrack.errors import GittrackWarning
from gittrack.store.config import find_root

pytestmark = pytest.mark.usefixtures("clean_api")


def start_and_end(**kwargs: Any) -> Path:
    """One run, ended; its directory."""
    with mlflow.start_run(**kwargs) as run:
        mlflow.log_metric("m", 1.0)
    return Path(run._writer.run_dir)


def git_block(run_dir: Path) -> Any:
    return load_yaml(run_dir / "meta.yaml")["git"]


def test_clean_commit(in_repo: Path) -> None:
    run_dir = start_and_end()
    block = git_block(run_dir)
    assert block["commit"] == head(in_repo)
    assert len(block["commit"]) == 40
    assert block["dirty"] is False
    assert block["branch"] == "main"
    assert block["detached"] is False
    assert block["untracked"] == []
    assert block["remote"] is None
    assert not (run_dir / "git.diff").exists()
    assert mlflow.get_run(run_dir.name).data.tags["mlflow.source.git.commit"] == head(in_repo)


def test_dirty_tree_saves_the_diff_and_lists_untracked_files(in_repo: Path) -> None:
    (in_repo / "train.py").write_text("print('changed')\n")
    (in_repo / "notes.txt").write_text("scratch\n")
    run_dir = start_and_end()
    block = git_block(run_dir)
    assert block["commit"] == head(in_repo)
    assert block["dirty"] is True
    assert block["untracked"] == ["notes.txt"]
    assert block["diff_truncated"] is False
    diff = (run_dir / "git.diff").read_text()
    assert "diff --git a/train.py b/train.py" in diff
    assert "-print('train')" in diff
    assert "+print('changed')" in diff
    assert "notes.txt" not in diff  # untracked files are listed, not diffed


def test_diff_applies_onto_the_recorded_commit(in_repo: Path, tmp_path: Path) -> None:
    (in_repo / "train.py").write_text("print('changed')\n")
    git(in_repo, "add", "train.py")  # staged changes count too
    run_dir = start_and_end()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(in_repo), str(clone))
    git(clone, "checkout", "-q", git_block(run_dir)["commit"])
    git(clone, "apply", str(run_dir / "git.diff"))
    assert (clone / "train.py").read_text() == "print('changed')\n"


def test_untracked_only_tree_is_dirty_without_a_diff(in_repo: Path) -> None:
    (in_repo / "data").mkdir()
    (in_repo / "data" / "x.csv").write_text("1\n")
    run_dir = start_and_end()
    block = git_block(run_dir)
    assert block["dirty"] is True
    assert block["untracked"] == ["data/"]
    assert not (run_dir / "git.diff").exists()


def test_the_store_never_makes_the_tree_dirty(in_repo: Path) -> None:
    first = start_and_end()
    gitmod.clear_capture_cache()  # force a real `git status` for the second run
    second = start_and_end()
    assert git_block(first)["dirty"] is False
    assert git_block(second)["dirty"] is False
    assert git_block(second)["untracked"] == []
    assert git(in_repo, "status", "--porcelain").startswith("?? .runs/")  # runs exist...
    assert len(run_dirs(in_repo / ".runs")) == 2  # ...yet neither run saw them as dirt


def test_store_configured_elsewhere_in_the_tree_is_excluded_too(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITTRACK_DIR", str(in_repo / "experiments" / "runs"))
    start_and_end()
    gitmod.clear_capture_cache()
    run_dir = start_and_end()
    assert run_dir.parent == in_repo / "experiments" / "runs"
    assert git_block(run_dir)["dirty"] is False


def test_detached_head(in_repo: Path) -> None:
    git(in_repo, "checkout", "-q", "--detach", "HEAD")
    block = git_block(start_and_end())
    assert block["commit"] == head(in_repo)
    assert block["branch"] is None
    assert block["detached"] is True
    assert block["dirty"] is False


def test_other_branch(in_repo: Path) -> None:
    git(in_repo, "checkout", "-q", "-b", "feature/x")
    assert git_block(start_and_end())["branch"] == "feature/x"


def test_repository_with_no_commits_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "empty", {"train.py": "print(1)\n"}, commit=False)
    monkeypatch.chdir(repo)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GittrackWarning)  # inside git: no warning
        run_dir = start_and_end()
    block = git_block(run_dir)
    assert block["commit"] is None
    assert block["branch"] == "main"
    assert block["dirty"] is True
    assert block["untracked"] == ["train.py"]
    assert run_dir.parent == repo / ".runs"
    assert "mlflow.source.git.commit" not in mlflow.get_run(run_dir.name).data.tags


def test_repository_with_no_commits_and_a_staged_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    repo = make_repo(tmp_path / "empty", {"train.py": "print(1)\n"}, commit=False)
    git(repo, "add", "train.py")
    monkeypatch.chdir(repo)
    run_dir = start_and_end()
    assert git_block(run_dir)["commit"] is None
    assert "+print(1)" in (run_dir / "git.diff").read_text()


def test_outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert find_root(plain) is None  # precondition: no repository above tmp_path
    monkeypatch.chdir(plain)
    with pytest.warns(GittrackWarning) as record:
        first = start_and_end()
        second = start_and_end()
    ours = [w for w in record if issubclass(w.category, GittrackWarning)]
    assert len(ours) == 1
    assert "not inside a git repository" in str(ours[0].message)
    assert str(plain) in str(ours[0].message)
    for run_dir in (first, second):
        assert run_dir.parent == plain / ".runs"
        assert "git: null\n" in (run_dir / "meta.yaml").read_text()
        assert git_block(run_dir) is None
        assert not (run_dir / "git.diff").exists()
    assert mlflow.get_run(second.name).info.status == "FINISHED"


def test_remote_url_credentials_are_stripped(in_repo: Path) -> None:
    git(in_repo, "remote", "add", "origin", "https://user:s3cr3t-tok@example.com/team/x.git")
    run_dir = start_and_end()
    assert git_block(run_dir)["remote"] == "https://example.com/team/x.git"
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert b"s3cr3t-tok" not in path.read_bytes(), path


def test_ssh_remote_keeps_the_user_name(in_repo: Path) -> None:
    git(in_repo, "remote", "add", "origin", "git@github.com:team/x.git")
    assert git_block(start_and_end())["remote"] == "git@github.com:team/x.git"


def test_new_commit_is_seen_by_the_next_run_in_the_same_process(in_repo: Path) -> None:
    first = start_and_end()
    (in_repo / "train.py").write_text("print('v2')\n")
    git(in_repo, "commit", "-q", "-am", "v2")
    second = start_and_end()  # no cache clearing: HEAD moved, so the capture is fresh
    assert git_block(first)["commit"] != git_block(second)["commit"] == head(in_repo)
    assert git_block(second)["dirty"] is False


def test_run_in_a_sub_directory_uses_the_top_of_the_work_tree(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = in_repo / "src"
    sub.mkdir()
    monkeypatch.chdir(sub)
    run_dir = start_and_end()
    assert run_dir == only_run(in_repo / ".runs")
    assert git_block(run_dir)["commit"] == head(in_repo)
