"""``gittrack checkout`` and the reproduction hints of ``gittrack show``, on real repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import git, invoke, tree_snapshot

import gittrack
from gittrack import git as gitmod

BINARY = bytes(range(256)) * 4
LATIN1 = "café crème\n".encode("latin-1")  # not UTF-8


def user_files(repo: Path) -> dict[str, bytes]:
    return {
        k: v for k, v in tree_snapshot(repo).items() if k != ".git" and not k.startswith((".git/", ".runs/"))
    }


def work_tree(repo: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_snapshot(repo).items() if not k.startswith(".git/")}


@pytest.fixture
def dirty_run(repo: Path) -> tuple[str, str, dict[str, bytes]]:
    """A run started on a dirty tree (text, binary, non-UTF-8 and staged new files changed);
    then the user's tree is reset and moves on.  Returns (run id, its commit, its files)."""
    (repo / "data.bin").write_bytes(BINARY)
    (repo / "notes.txt").write_bytes(LATIN1)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    commit = git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text("print('lr 0.3')\n")
    (repo / "data.bin").write_bytes(BINARY[::-1] + b"\0\xff tail")
    (repo / "notes.txt").write_bytes(LATIN1 + "déjà\n".encode("latin-1"))
    (repo / "new.cfg").write_text("seed: 1\n")
    git(repo, "add", "new.cfg")
    state = user_files(repo)
    gitmod.clear_capture_cache()
    with gittrack.start_run(run_name="dirty") as run:
        gittrack.log_metric("rmse", 0.1)
    git(repo, "reset", "-q", "--hard")
    (repo / "train.py").write_text("print('later work')\n")
    git(repo, "commit", "-q", "-am", "later")
    return run.info.run_id, commit, state


def test_checkout_reproduces_the_dirty_tree_byte_for_byte(
    dirty_run: tuple[str, str, dict[str, bytes]], repo: Path, tmp_path: Path
) -> None:
    run_id, commit, state = dirty_run
    before = (work_tree(repo), git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"))
    target = tmp_path / "repro"
    result = invoke("checkout", run_id, "--worktree", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{target}\n"
    assert result.stderr.startswith(f"worktree at {commit[:8]} with the run's git.diff applied;")
    assert user_files(target) == state
    assert git(target, "rev-parse", "HEAD") == commit
    assert subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=target).returncode == 1  # detached
    after = (work_tree(repo), git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"))
    assert after == before  # the user's files, index and HEAD are untouched
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_default_worktree_next_to_the_repository(
    dirty_run: tuple[str, str, dict[str, bytes]], repo: Path
) -> None:
    run_id, _commit, state = dirty_run
    result = invoke("checkout", run_id[:15])
    assert result.exit_code == 0, result.stderr
    target = repo.parent / f"repo-{run_id[:15]}"
    assert result.stdout == f"{target}\n"
    assert user_files(target) == state
    again = invoke("checkout", run_id)
    assert again.exit_code == 1
    assert again.stderr == f"Error: {target} already exists; choose another directory with --worktree DIR\n"


def test_show_hints_reproduce_the_run(dirty_run: tuple[str, str, dict[str, bytes]], repo: Path) -> None:
    run_id, commit, state = dirty_run
    info = json.loads(invoke("show", run_id, "--format", "json").stdout)
    folder = f"../repo-{run_id[:15]}"
    diff = repo / ".runs" / run_id / "git.diff"
    assert info["reproduce"] == [
        f"git worktree add --detach {folder} {commit}",
        f"git -C {folder} apply --binary {diff}",
    ]
    text = invoke("show", run_id).stdout
    assert f"  or, in one step: gittrack checkout {run_id}\n" in text
    for step in info["reproduce"]:
        subprocess.run(step, shell=True, cwd=repo, check=True, capture_output=True)
    assert user_files(repo.parent / f"repo-{run_id[:15]}") == state


def test_show_rev_hint_reads_the_diff_from_git(
    dirty_run: tuple[str, str, dict[str, bytes]], repo: Path
) -> None:
    run_id, _commit, state = dirty_run
    git(repo, "add", ".runs")
    git(repo, "commit", "-q", "-m", "the run")
    info = json.loads(invoke("show", run_id, "--rev", "HEAD", "--format", "json").stdout)
    head = git(repo, "rev-parse", "HEAD")
    assert (
        info["reproduce"][1]
        == f"git show {head}:.runs/{run_id}/git.diff | git -C ../repo-{run_id[:15]} apply --binary"
    )
    for step in info["reproduce"]:
        subprocess.run(step, shell=True, cwd=repo, check=True, capture_output=True)
    assert user_files(repo.parent / f"repo-{run_id[:15]}") == state


def test_clean_run(repo: Path, tmp_path: Path) -> None:
    with gittrack.start_run(run_name="clean") as run:
        gittrack.log_metric("rmse", 0.1)
    (repo / "untracked.txt").write_text("x\n")
    result = invoke("checkout", run.info.run_id, "--worktree", str(tmp_path / "wt"))
    assert result.exit_code == 0, result.stderr
    assert "(the run's tree was clean)" in result.stderr
    assert user_files(tmp_path / "wt") == {"train.py": b"print('train')\n"}


def test_a_diff_that_does_not_apply_leaves_no_worktree(
    dirty_run: tuple[str, str, dict[str, bytes]], repo: Path, tmp_path: Path
) -> None:
    run_id, _commit, _state = dirty_run
    diff = repo / ".runs" / run_id / "git.diff"
    diff.write_bytes(
        diff.read_bytes().replace(b"print('lr 0.3')", b"print('edited')").replace(b"-print", b"-prunt")
    )
    result = invoke("checkout", run_id, "--worktree", str(tmp_path / "wt"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {diff} does not apply to ")
    assert not (tmp_path / "wt").exists()
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_run_outside_any_commit(repo: Path) -> None:
    with gittrack.start_run(run_name="x") as run:
        pass
    meta = repo / ".runs" / run.info.run_id / "meta.yaml"
    meta.write_text(meta.read_text().replace("commit: ", "commit: " + "deadbeef" * 5 + " #"))
    result = invoke("checkout", run.info.run_id)
    assert result.exit_code == 1
    assert "which this repository does not have; fetch it first (git fetch)" in result.stderr
