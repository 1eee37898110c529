"""``gittrack reproduce``: a run's exact code back in a git worktree, run again, compared."""

from __future__ import annotations

import os
import signal
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


def worktrees(repo: Path) -> list[str]:
    return [
        line
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def checked_out_in(stderr: bytes) -> Path:
    """The temporary worktree reproduce announced on stderr."""
    line = next(x for x in stderr.decode().splitlines() if " checked out in " in x)
    return Path(line.rsplit(" checked out in ", 1)[1])


SCRIPT = """\
import pathlib, sys, gittrack
gittrack.set_experiment("py")
lr = float(sys.argv[sys.argv.index("--lr") + 1])
with gittrack.start_run(run_name="from-python"):
    gittrack.log_param("lr", lr)
    gittrack.log_metric("score", lr * float(pathlib.Path("scale.txt").read_text()))
print("cwd", pathlib.Path.cwd().name)
"""


def test_reproduce_a_run_logged_from_python(repo: Path) -> None:
    sub = repo / "sub"
    sub.mkdir()
    (sub / "train.py").write_text(SCRIPT)
    (sub / "scale.txt").write_text("2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "train")
    (sub / "scale.txt").write_text("3\n")  # uncommitted: only git.diff has it
    done = subprocess.run(
        [sys.executable, "train.py", "--lr", "0.5"], cwd=sub, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    (original,) = run_dirs(repo / ".runs")
    git(repo, "checkout", "--", ".")

    again = gittrack_cli("reproduce", original.name, "--format", "csv", cwd=repo)
    assert again.returncode == 0, again.stderr
    new = next(d for d in run_dirs(repo / ".runs") if d != original)
    meta = load_yaml(new / "meta.yaml")
    # run as `gittrack run` runs it: the script's own names, the wrapper's command and tag
    assert (meta["name"], meta["experiment"], meta["status"]) == ("from-python", "py", "FINISHED")
    assert meta["metrics"]["score"]["last"] == 1.5  # the dirty scale.txt, in the same sub-directory
    assert meta["source"]["command"][1:] == ["train.py", "--lr", "0.5"]
    assert load_yaml(new / "tags.yaml") == {"reproduced_from": original.name}
    assert b"\ncwd sub\n" in again.stderr
    temporary = checked_out_in(again.stderr)
    assert not temporary.exists() and worktrees(repo) == [f"worktree {repo}"]
    assert f"gittrack: removed the temporary worktree {temporary}" in again.stderr.decode().splitlines()


def test_a_failing_command_leaves_no_temporary_worktree(repo: Path) -> None:
    done = gittrack_cli("run", "--", "sh", "-c", "echo nope >&2; exit 3", cwd=repo)
    assert done.returncode == 3
    again = gittrack_cli("reproduce", run_dirs(repo / ".runs")[0].name, cwd=repo)
    assert again.returncode == 3, again.stderr
    assert not checked_out_in(again.stderr).exists()
    assert worktrees(repo) == [f"worktree {repo}"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("when", ["starting", "running"])
def test_a_stopped_reproduction_leaves_no_temporary_worktree(repo: Path, signum: int, when: str) -> None:
    code = "import os, time; print('ready', flush=True); time.sleep(float(os.environ.get('NAP', '0')))"
    assert gittrack_cli("run", "--", sys.executable, "-c", code, cwd=repo).returncode == 0
    run_id = run_dirs(repo / ".runs")[0].name
    proc = subprocess.Popen(
        [sys.executable, "-m", "gittrack", "reproduce", run_id], cwd=repo, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, "NAP": "60"},
    )  # fmt: skip
    assert proc.stderr is not None
    # "starting": at reproduce's note that the run has started, before (or just as) the
    # command is spawned; "running": once the command in the worktree has printed its line
    wanted = (lambda line: b" started: " in line) if when == "starting" else (lambda line: line == b"ready\n")
    seen = b""
    while not seen or not wanted(seen.splitlines(keepends=True)[-1]):
        line = proc.stderr.readline()
        assert line, seen
        seen += line
    proc.send_signal(signum)
    rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 128 + signum, rest
    assert not checked_out_in(seen).exists()
    assert worktrees(repo) == [f"worktree {repo}"]
    statuses = sorted(load_yaml(d / "meta.yaml")["status"] for d in run_dirs(repo / ".runs"))
    assert statuses == ["FINISHED", "KILLED"]  # the reproduction's run was ended, not left RUNNING


def test_a_commit_the_repository_lacks_is_refused_before_anything_is_made(repo: Path, tmp_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    meta_path = repo / ".runs" / run.info.run_id / "meta.yaml"
    meta_path.write_text(meta_path.read_text().replace(git(repo, "rev-parse", "HEAD"), "1" * 40))
    with pytest.raises(GittrackError, match=f"ran on commit {'1' * 40}, which this repository does not have"):
        reproduce(run.info.run_id, worktree=tmp_path / "wt")
    assert not (tmp_path / "wt").exists()
    assert worktrees(repo) == [f"worktree {repo}"]


def test_a_run_of_python_c_is_refused(repo: Path, tmp_path: Path) -> None:
    code = "import gittrack; gittrack.log_metric('m', 1.0)"
    assert subprocess.run([sys.executable, "-c", code], cwd=repo, timeout=60, check=False).returncode == 0
    with pytest.raises(GittrackError, match=r"recorded no script to run again .*python -c"):
        reproduce(run_dirs(repo / ".runs")[0].name, worktree=tmp_path / "wt")
    assert not (tmp_path / "wt").exists()
