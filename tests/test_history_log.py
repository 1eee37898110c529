"""``gittrack log``, and runs read at any revision (``--rev`` on ls/show/compare/best/metrics)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import git, invoke

import gittrack
from gittrack import git as gitmod
from gittrack.tracking.client import Client


def log_run(name: str, experiment: str = "linear-fit", **metrics: float) -> str:
    gitmod.clear_capture_cache()
    gittrack.set_experiment(experiment)
    with gittrack.start_run(run_name=name) as run:
        gittrack.log_param("name", name)
        gittrack.log_metrics(metrics)
    return run.info.run_id


def commit(repo: Path, message: str) -> str:
    (repo / "train.py").write_text(f"# {message}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def rows(result: Any) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture
def history(repo: Path) -> dict[str, str]:
    """c1 (initial): r1 0.5, r2 0.4; c2: r3 0.45; c3: r4 0.3 (not committed) and a run of
    another experiment with a better rmse that -e leaves out."""
    ids = {"c1": git(repo, "rev-parse", "HEAD")}
    ids["r1"], ids["r2"] = log_run("r1", rmse=0.5, r2=0.1), log_run("r2", rmse=0.4)
    ids["c2"] = commit(repo, "second")
    ids["r3"] = log_run("r3", rmse=0.45)
    ids["c3"] = commit(repo, "third")
    ids["r4"] = log_run("r4", rmse=0.3)
    ids["x"] = log_run("x", "other", rmse=0.01)
    return ids


def test_log_table_of_a_three_commit_history(history: dict[str, str]) -> None:
    result = invoke("log", "-e", "linear-fit", "-m", "rmse", "--format", "csv")
    found = rows(result)
    assert [(r["commit"], r["subject"], r["runs"]) for r in found] == [
        (history["c3"], "third", "1"),
        (history["c2"], "second", "1"),
        (history["c1"], "initial", "2"),
    ]
    assert [(r["best rmse"], r["best run"], r["running best"]) for r in found] == [
        ("0.3", history["r4"], "0.3"),
        ("0.45", history["r3"], "0.4"),
        ("0.4", history["r2"], "0.4"),
    ]
    assert found[0]["date"] == "2026-01-01T00:00:00Z"  # GIT_COMMITTER_DATE of the fixture


def test_log_for_people_has_short_shas_names_and_a_trend(history: dict[str, str]) -> None:
    result = invoke("log", "-e", "linear-fit", "-m", "rmse")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "commit", "date", "subject", "runs", "best", "rmse", "best", "run", "running", "best", "trend",
    ]  # fmt: skip
    day = ["2026-01-01", "00:00"]
    assert lines[2].split() == [history["c3"][:8], *day, "third", "1", "0.3", "r4", "0.3", "▁"]
    assert lines[3].split() == [history["c2"][:8], *day, "second", "1", "0.45", "r3", "0.4", "█"]
    assert lines[4].split() == [history["c1"][:8], *day, "initial", "2", "0.4", "r2", "0.4", "█"]


def test_log_default_metric_and_limit(history: dict[str, str], repo: Path) -> None:
    # without config and no validation-like metric: the first by name that tells its
    # direction, r2 (higher is better) before rmse
    found = rows(invoke("log", "--format", "csv"))
    assert list(found[0])[4] == "best r2"
    assert [r["best r2"] for r in found] == ["", "", "0.1"]
    (repo / ".gittrack.yml").write_text("primary_metric: rmse\n")
    found = rows(invoke("log", "-n", "2", "--format", "csv"))
    assert [r["commit"] for r in found] == [history["c3"], history["c2"]]
    assert found[0]["best run"] == history["x"]  # all experiments: x (0.01) is best at c3


def test_log_without_metrics_says_what_to_do(repo: Path) -> None:
    result = invoke("log")
    assert result.exit_code == 1
    assert result.stderr == "Error: no run has a metric to follow; log one, or name it with -m METRIC\n"


# -- runs at any revision ---------------------------------------------------------------------


def listed(*args: str) -> list[str]:
    return sorted(r["id"] for r in rows(invoke("ls", "--format", "csv", *args)))


def test_ls_rev_shows_exactly_the_runs_committed_there(history: dict[str, str]) -> None:
    at_c2 = sorted([history["r1"], history["r2"]])
    assert listed("--rev", history["c2"]) == at_c2
    assert listed("--rev", "HEAD") == sorted([*at_c2, history["r3"]])
    assert listed() == sorted(history[k] for k in ("r1", "r2", "r3", "r4", "x"))
    assert sorted(r.info.run_id for r in Client().search_runs("linear-fit", rev="HEAD~1")) == at_c2
    frame = gittrack.search_runs(rev=history["c2"], search_all_experiments=True)
    assert sorted(frame["run_id"]) == at_c2
    assert listed("--rev", history["c1"]) == []


def test_show_rev_reads_the_run_as_committed(history: dict[str, str], repo: Path) -> None:
    Client().set_tag(history["r3"], "note", "added later")  # only in the working tree
    now = json.loads(invoke("show", "r3", "--format", "json").stdout)
    result = invoke("show", "r3", "--rev", "main", "--format", "json")
    assert result.exit_code == 0, result.stderr
    then = json.loads(result.stdout)
    assert then["run_id"] == history["r3"]
    assert (now["tags"], then["tags"]) == ({"note": "added later"}, {})
    assert then["path"] == f"main:.runs/{history['r3']}"
    assert then["metrics"]["rmse"]["last"] == 0.45
    assert then["git"]["commit"] == history["c2"]
    missing = invoke("show", "r4", "--rev", "main")
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: no run matches 'r4' in {repo / '.runs'} at main\n"


def test_show_rev_lists_artifacts_with_sizes(repo: Path) -> None:
    with gittrack.start_run(run_name="art"):
        gittrack.log_text("hello", "out/hello.txt")
    commit(repo, "with an artifact")
    info = json.loads(invoke("show", "art", "--rev", "HEAD", "--format", "json").stdout)
    assert info["artifacts"] == [{"path": "out/hello.txt", "size": 5}]


def test_compare_best_and_metrics_at_revisions(history: dict[str, str], repo: Path) -> None:
    gitmod.clear_capture_cache()
    gittrack.set_experiment("linear-fit")
    with gittrack.start_run(run_id=history["r3"]):  # resumed: r3's rmse moves on in the tree
        gittrack.log_metric("rmse", 0.2)
    result = invoke("compare", f"main:{history['r3']}", "r3", "--format", "csv")
    table = rows(result)
    rmse = next(r for r in table if r["key"] == "metrics.rmse")
    assert list(rmse.values())[1:3] == ["0.45", "0.2"]
    assert list(table[0])[1].startswith("main:")
    assert list(table[0])[2].startswith("worktree:")
    best = rows(invoke("best", "-m", "rmse", "--rev", "main", "--format", "csv"))
    assert [r["id"] for r in best] == [history["r2"]]
    history_then = rows(invoke("metrics", "r3", "rmse", "--rev", "main", "--format", "csv"))
    history_now = rows(invoke("metrics", "r3", "rmse", "--format", "csv"))
    assert [r["value"] for r in history_then] == ["0.45"]
    assert [r["value"] for r in history_now] == ["0.45", "0.2"]
    plain = rows(invoke("compare", "r1", "r2", "--rev", "main", "--format", "csv"))
    assert not any(":" in header.split()[0] for header in list(plain[0])[1:3])


def test_unknown_revision(history: dict[str, str]) -> None:
    result = invoke("ls", "--rev", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown revision 'nope'")


def test_log_follows_the_primary_metric_and_shows_ties(repo: Path) -> None:
    first, second = log_run("a", val_loss=0.5, train_acc=0.9), log_run("b", val_loss=0.5, train_acc=0.95)
    found = rows(invoke("log", "--format", "csv"))
    assert list(found[0])[4] == "best val_loss"
    assert found[0]["best run"] == f"{first} = {second}"
    people = invoke("log", "-n", "1").stdout.splitlines()[2].split()
    assert people[-5:-2] == ["a", "=", "b"]
