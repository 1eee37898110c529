"""Merge safety: branches that each add runs merge, rebase and cherry-pick with no conflict."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from helpers import git, invoke

import gittrack
from gittrack import git as gitmod


def log_runs(experiment: str, names: list[str], rmse: float) -> list[str]:
    """Runs of one experiment, as a training script would log them."""
    gitmod.clear_capture_cache()
    gittrack.set_experiment(experiment)
    ids = []
    for offset, name in enumerate(names):
        with gittrack.start_run(run_name=name) as run:
            gittrack.log_params({"lr": 0.1, "epochs": 40})
            for step in range(3):
                gittrack.log_metric("rmse", rmse + offset + 1 / (step + 1), step=step)
        ids.append(run.info.run_id)
    return ids


def commit_runs(repo: Path, message: str) -> str:
    git(repo, "add", ".runs")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def two_branches(repo: Path) -> dict[str, list[str]]:
    """Branches a and b off main, each adding the same run names in the same experiment,
    logged within the same minute."""
    assert invoke("init").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gittrack init")
    if time.gmtime().tm_sec > 55:  # keep all four runs within one minute
        time.sleep(61 - time.gmtime().tm_sec)
    runs = {}
    for branch, rmse in (("a", 0.5), ("b", 0.7)):
        git(repo, "checkout", "-q", "-b", branch, "main")
        runs[branch] = log_runs("linear-fit", ["lr0.1", "lr0.3"], rmse)
        commit_runs(repo, f"runs on {branch}")
    git(repo, "checkout", "-q", "main")
    ids = runs["a"] + runs["b"]
    assert len({i[:13] for i in ids}) == 1, "all four runs should start in the same minute"
    return runs


def listed_ids(*args: str) -> list[str]:
    result = invoke("ls", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def no_conflicts(repo: Path) -> None:
    assert git(repo, "diff", "--name-only", "--diff-filter=U") == ""
    assert git(repo, "status", "--porcelain") == ""  # the cache never shows up either


def test_merge_both_branches(two_branches: dict[str, list[str]], repo: Path) -> None:
    git(repo, "merge", "-q", "--no-edit", "a")
    git(repo, "merge", "-q", "--no-edit", "b")  # a real merge commit: both added runs
    no_conflicts(repo)
    ids = listed_ids()
    assert sorted(ids) == sorted(two_branches["a"] + two_branches["b"])  # every run once
    names = json.loads(invoke("ls", "--format", "json").stdout)
    assert sorted(r["name"] for r in names) == ["lr0.1", "lr0.1", "lr0.3", "lr0.3"]
    assert (repo / ".runs" / ".cache").is_dir()  # ls used the index...
    no_conflicts(repo)  # ...and git does not see it


def test_rebase_and_cherry_pick(two_branches: dict[str, list[str]], repo: Path) -> None:
    git(repo, "checkout", "-q", "b")
    git(repo, "rebase", "-q", "a")
    no_conflicts(repo)
    assert sorted(listed_ids()) == sorted(two_branches["a"] + two_branches["b"])
    git(repo, "checkout", "-q", "-b", "picked", "main")
    git(repo, "cherry-pick", "a", "b")
    no_conflicts(repo)
    assert sorted(listed_ids()) == sorted(two_branches["a"] + two_branches["b"])


def test_merge_in_the_other_order_gives_the_same_runs(two_branches: dict[str, list[str]], repo: Path) -> None:
    git(repo, "checkout", "-q", "b")
    git(repo, "merge", "-q", "--no-edit", "a")
    no_conflicts(repo)
    b_tree = git(repo, "rev-parse", "HEAD^{tree}")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "a")
    git(repo, "merge", "-q", "--no-edit", "b")
    assert git(repo, "rev-parse", "HEAD:.runs") == git(repo, "rev-parse", f"{b_tree}:.runs")


def test_cache_is_ignored_even_without_init(repo: Path) -> None:
    log_runs("linear-fit", ["solo"], 0.1)
    assert invoke("ls").exit_code == 0
    assert (repo / ".runs" / ".cache").is_dir()
    lines = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert lines and not any(".cache" in line for line in lines)
    check = subprocess.run(["git", "check-ignore", "-q", ".runs/.cache/index.sqlite"], cwd=repo)
    assert check.returncode == 0
