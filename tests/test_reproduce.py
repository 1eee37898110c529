"""``gittrack reproduce``: a run's exact code back in a git worktree, run again, compared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git, load_yaml, run_dirs

import gittrack as mlflow
from gittrack.errors import GittrackError
from gittrack.runner.reproduce import reproduce

TRAIN = """\
import pathlib, gittrack
scale = float(pathlib.Path("scale.txt").read_text())
gittrack.log_metric("score", gittrack.params()["lr"] * scale)
print("cwd", pathlib.Path.cwd().name)
"""


def gittrack_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gittrack", *args], cwd=cwd, capture_output=True, timeout=60, check=False
    )


def test_reproduce_a_dirty_tree_run_in_a_worktree(repo: Path, tmp_path: Path) -> None:
    sub = repo / "sub"
    sub.mkdir()
    (sub / "train.py").write_text(TRAIN)
    (sub / "scale.txt").write_text("2\n")
    (repo / "blob.bin").write_bytes(b"\x00\x01original\xff")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "train")
    # uncommitted edits, a text and a binary file: only git.diff has them
    (sub / "scale.txt").write_text("3\n")
    (repo / "blob.bin").write_bytes(b"\x00\x02changed\xfe\x00")
    done = gittrack_cli("run", "-p", "lr=0.5", "--", sys.executable, "train.py", cwd=sub)
    assert done.returncode == 0, done.stderr
    (original,) = run_dirs(repo / ".runs")
    git(repo, "checkout", "--", ".")  # the edits are gone from the work tree

    worktree = tmp_path / "wt"
    again = gittrack_cli(
        "reproduce", original.name[:17], "--worktree", str(worktree), "--format", "csv", cwd=repo
    )
    assert again.returncode == 0, again.stderr
    assert (worktree / "sub" / "scale.txt").read_bytes() == b"3\n"
    assert (worktree / "blob.bin").read_bytes() == b"\x00\x02changed\xfe\x00"
    assert (repo / "sub" / "scale.txt").read_bytes() == b"2\n"  # the user's tree is untouched
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""

    new = next(d for d in run_dirs(repo / ".runs") if d != original)  # in the original store
    assert load_yaml(new / "tags.yaml") == {"reproduced_from": original.name}
    assert load_yaml(new / "params.yaml") == {"lr": 0.5}
    meta = load_yaml(new / "meta.yaml")
    assert meta["status"] == "FINISHED"
    assert meta["metrics"]["score"]["last"] == 1.5  # 0.5 * 3: the dirty value, not the committed 2
    assert meta["source"]["cwd"] == str((worktree / "sub").resolve())
    assert meta["git"]["dirty"] is True and meta["git"]["detached"] is True
    assert (new / "git.diff").read_bytes() == (original / "git.diff").read_bytes()
    assert b"\ncwd sub\n" in again.stderr  # the command's output; stdout is only the comparison
    table = again.stdout.decode()
    assert table.startswith("key,") and "\nmetrics.score,1.5,1.5," in table
    assert f"reproduced_from,,{original.name}," in again.stdout.decode()


def test_only_runs_of_gittrack_run_can_be_reproduced(repo: Path, tmp_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    with pytest.raises(GittrackError, match="was not made by `gittrack run`"):
        reproduce(run.info.run_id, worktree=tmp_path / "wt")
    assert not (tmp_path / "wt").exists()
