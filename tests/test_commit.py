"""``gittrack commit`` and ``gittrack lfs`` on real repositories."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from helpers import git, invoke, load_yaml

import gittrack
from gittrack import git as gitmod
from gittrack.store import yamlio


def log_run(name: str, experiment: str = "linear-fit", *, end: bool = True, **metrics: float) -> str:
    gitmod.clear_capture_cache()
    gittrack.set_experiment(experiment)
    run = gittrack.start_run(run_name=name)
    gittrack.log_param("name", name)
    gittrack.log_metrics(metrics)
    if end:
        gittrack.end_run()
    return run.info.run_id


def last_message(repo: Path) -> str:
    return git(repo, "log", "-1", "--format=%B")


def committed_files(repo: Path) -> list[str]:
    return git(repo, "show", "--name-only", "--format=", "HEAD").splitlines()


def status(repo: Path) -> list[str]:
    return git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()


def test_refuses_a_running_run_and_stages_nothing(repo: Path) -> None:
    done = log_run("done", rmse=0.5)
    running = log_run("busy", rmse=0.4, end=False)  # started in this process, not ended
    before = git(repo, "rev-parse", "HEAD")
    result = invoke("commit", done, running)
    assert result.exit_code == 1
    assert result.stderr == f"Error: run {running} (busy) is still RUNNING; commit it once it has ended\n"
    assert git(repo, "rev-parse", "HEAD") == before
    assert git(repo, "diff", "--cached", "--name-only") == ""


def test_all_finished_skips_running_runs_and_writes_the_summary(repo: Path) -> None:
    a = log_run("lr0.1", rmse=0.25, r2=0.7)
    b = log_run("lr0.3-e80", rmse=0.107, r2=0.9)
    c = log_run("lr0.05", rmse=0.4)
    busy = log_run("busy", rmse=0.01, end=False)
    result = invoke("commit", "--all-finished")
    assert result.exit_code == 0, result.stderr
    # no primary_metric in .gittrack.yml, no validation-like name: the first by name that
    # tells its direction (r2, higher is better)
    assert last_message(repo) == "gittrack: 3 runs in linear-fit (best r2 0.9: lr0.3-e80)"
    files = committed_files(repo)
    # experiments: set_experiment's event; environments: the runs' package environment, stored once
    assert {f.split("/")[1] for f in files} == {a, b, c, "experiments", "environments"}
    assert all(f.startswith(".runs/") for f in files)
    assert f".runs/{a}/metrics/rmse.csv" in files
    assert status(repo) and all(line.startswith(f"?? .runs/{busy}/") for line in status(repo)), status(repo)
    sha = git(repo, "rev-parse", "HEAD")
    summary = "gittrack: 3 runs in linear-fit (best r2 0.9: lr0.3-e80)"
    assert result.stderr == f"[{sha[:8]}] {summary} (3 run(s), {len(files)} file(s))\n"


def test_message_uses_the_configured_metric_and_one_line_per_experiment(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("primary_metric: rmse\n")
    git(repo, "add", ".gittrack.yml")
    git(repo, "commit", "-q", "-m", "config")
    log_run("lr0.1", rmse=0.25, r2=0.7)
    log_run("lr0.3-e80", rmse=0.107, r2=0.6)
    log_run("tree", "boosting", accuracy=0.91)
    log_run("no-metrics", "zeta")
    assert invoke("commit", "--all-finished").exit_code == 0
    assert last_message(repo) == (
        "gittrack: 4 runs in 3 experiments\n\n"
        "gittrack: 1 run in boosting (best accuracy 0.91: tree)\n"
        "gittrack: 2 runs in linear-fit (best rmse 0.107: lr0.3-e80)\n"
        "gittrack: 1 run in zeta"
    )


def test_only_the_runs_are_committed_unless_with_code(repo: Path) -> None:
    (repo / "notes.txt").write_text("staged by the user\n")
    git(repo, "add", "notes.txt")
    (repo / "train.py").write_text("print('changed')\n")
    (repo / "scratch.py").write_text("untracked\n")
    first = log_run("first", rmse=1.0)
    result = invoke("commit", "first", "-m", "my message")
    assert result.exit_code == 0, result.stderr
    assert last_message(repo) == "my message"
    assert {f.split("/")[1] for f in committed_files(repo)} == {first, "experiments", "environments"}
    assert git(repo, "diff", "--cached", "--name-only") == "notes.txt"  # still staged, not committed
    second = log_run("second", rmse=0.5)
    assert invoke("commit", second, "--with-code").exit_code == 0
    files = committed_files(repo)
    assert "train.py" in files and "notes.txt" in files  # tracked changes, as git add -u
    assert "scratch.py" not in files
    assert {f.split("/")[1] for f in files if f.startswith(".runs/")} == {second}
    assert status(repo) == ["?? scratch.py"]


def test_nothing_to_commit_and_no_runs_named(repo: Path) -> None:
    run = log_run("once", rmse=1.0)
    assert invoke("commit", run).exit_code == 0
    again = invoke("commit", run)
    assert again.exit_code == 1
    assert again.stderr == (
        f"Warning: run {run} (once) has nothing to commit\n"
        "Error: nothing to commit: the runs are committed already (see `git status`)\n"
    )
    bare = invoke("commit")
    assert (bare.exit_code, bare.stderr) == (1, "Error: name the runs to commit, or use --all-finished\n")


def big_run(repo: Path, name: str, size: int) -> str:
    gitmod.clear_capture_cache()
    with gittrack.start_run(run_name=name) as run:
        model = repo.parent / f"{name}.pt"
        model.write_bytes(b"\0" * size)
        gittrack.log_artifact(str(model), "models")
        gittrack.log_text("small", "notes.txt")
    return run.info.run_id


def test_big_artifact_warning_names_the_git_lfs_line(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("artifacts:\n  max_commit_mb: 1\n  lfs: ['.runs/**/*.pt']\n")
    run = big_run(repo, "big", 3 * 1024 * 1024 // 2)
    result = invoke("commit", run)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"Warning: .runs/{run}/artifacts/models/big.pt is 1.5 MB, over artifacts.max_commit_mb (1 MB); "
        'to keep such files in Git LFS: git lfs track ".runs/**/*.pt"'
    )
    assert f".runs/{run}/artifacts/models/big.pt" in committed_files(repo)  # a warning, not a refusal
    assert invoke("lfs").exit_code == 0  # the rule in .gitattributes silences the warning
    other = big_run(repo, "big2", 3 * 1024 * 1024 // 2)
    quiet = invoke("commit", other)
    assert quiet.exit_code == 0
    assert "Warning" not in quiet.stderr


LFS = "filter=lfs diff=lfs merge=lfs -text"


def test_lfs_writes_gitattributes_idempotently(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("artifacts:\n  lfs: ['*.pt', 'data/my model.bin']\n")
    (repo / ".gitattributes").write_text("*.png binary")  # no final newline
    first = invoke("lfs")
    assert first.exit_code == 0, first.stderr
    assert first.stderr == (
        f"added to .gitattributes: *.pt {LFS}\nadded to .gitattributes: data/my[[:space:]]model.bin {LFS}\n"
    )
    expected = f"*.png binary\n*.pt {LFS}\ndata/my[[:space:]]model.bin {LFS}\n"
    assert (repo / ".gitattributes").read_text() == expected
    second = invoke("lfs", "*.pt")
    assert second.stderr == ".gitattributes already sends every pattern to Git LFS; nothing to do\n"
    assert (repo / ".gitattributes").read_text() == expected
    assert git(repo, "check-attr", "filter", "--", "x/model.pt") == "x/model.pt: filter: lfs"
    third = invoke("lfs", "*.onnx")
    assert third.stderr == f"added to .gitattributes: *.onnx {LFS}\n"


def test_lfs_without_patterns(repo: Path) -> None:
    result = invoke("lfs")
    assert result.exit_code == 0
    assert "no patterns" in result.stderr
    assert not (repo / ".gitattributes").exists()


def test_runs_and_all_finished_together_is_a_usage_error(repo: Path) -> None:
    result = invoke("commit", "--all-finished", "x")
    assert result.exit_code == 2
    assert "give RUNS or --all-finished, not both" in result.stderr


def killed_run(repo: Path) -> str:
    """A run whose training process was killed with SIGKILL after logging two values."""
    code = (
        "import os, signal, gittrack\n"
        "gittrack.set_experiment('killed')\n"
        "run = gittrack.start_run(run_name='victim')\n"
        "gittrack.log_metric('loss', 0.5)\n"
        "gittrack.log_metric('loss', 0.25)\n"
        "print(run.info.run_id, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done.stdout.strip()


def test_a_killed_run_is_ended_before_it_is_committed(repo: Path) -> None:
    run_id = killed_run(repo)
    meta_path = repo / ".runs" / run_id / "meta.yaml"
    assert load_yaml(meta_path)["status"] == "RUNNING"
    result = invoke("commit", "--all-finished")
    assert result.exit_code == 0, result.stderr
    pid = load_yaml(meta_path)["pid"]
    first = result.stderr.splitlines()[0]
    assert (
        first == f"Warning: run {run_id} (victim) was RUNNING but its process {pid} is gone: ended as KILLED"
    )
    committed = yamlio.load(git(repo, "show", f"HEAD:.runs/{run_id}/meta.yaml").encode())
    assert committed["status"] == "KILLED"
    assert committed["end_time"] is not None
    assert committed["metrics"]["loss"] == {"last": 0.25, "min": 0.25, "max": 0.5, "count": 2, "step": 1}
    assert last_message(repo) == "gittrack: 1 run in killed (best loss 0.25: victim)"
    assert status(repo) == []


def test_a_run_committed_while_running_reads_as_killed_at_a_revision(repo: Path) -> None:
    run_id = killed_run(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "committed by hand, still RUNNING")
    listed = invoke("ls", "--rev", "HEAD", "--columns", "status", "--format", "csv")
    assert listed.stdout.splitlines()[1:] == [f"{run_id},victim,KILLED"]
    shown = invoke("show", run_id, "--rev", "HEAD", "--format", "json")
    assert json.loads(shown.stdout)["status"] == "KILLED"


def test_the_message_names_the_primary_metric_and_shows_ties(repo: Path) -> None:
    log_run("lr0.3-e40", train_acc=0.99, val_rmse=0.1069)
    log_run("lr0.3-e80", train_acc=0.98, val_rmse=0.1069)
    log_run("lr0.05", train_acc=0.97, val_rmse=0.46)
    assert invoke("commit", "--all-finished").exit_code == 0
    # val_rmse, not train_acc: the validation-like metric; the two tied runs are both named
    assert (
        last_message(repo) == "gittrack: 3 runs in linear-fit (best val_rmse 0.1069: lr0.3-e40 = lr0.3-e80)"
    )
