"""``gittrack best``: the best run(s) by one metric, printed as ``ls`` prints runs (gittrack.review.best)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from helpers import invoke, table

import gittrack as mlflow
from gittrack.errors import RunNotFoundError, UnknownKeyError
from gittrack.review.best import best
from gittrack.store.config import load_config

SUMMARY = ["id", "name", "experiment", "status", "start", "duration", "commit"]


@pytest.fixture
def runs(repo: Path) -> dict[str, str]:
    """Five runs; returns {run name: run id}.

    name  experiment  lr    rmse (last)      accuracy   val loss
    a     e1          0.1   0.5              0.8        2.0
    b     e1          0.01  0.3              0.7        1.0
    c     e2          0.1   0.4              0.9
    d     e2          0.2   -                0.95
    e     e1          0.3   NaN (min 0.1)    0.6
    """
    table = [
        ("a", "e1", 0.1, [0.5], 0.8),
        ("b", "e1", 0.01, [0.3], 0.7),
        ("c", "e2", 0.1, [0.4], 0.9),
        ("d", "e2", 0.2, [], 0.95),
        ("e", "e1", 0.3, [0.1, math.nan], 0.6),
    ]
    ids = {}
    for name, experiment, lr, rmse, accuracy in table:
        with mlflow.start_run(run_name=name, experiment_id=experiment) as run:
            mlflow.log_param("lr", lr)
            for step, value in enumerate(rmse):
                mlflow.log_metric("rmse", value, step=step)
            mlflow.log_metric("accuracy", accuracy)
            if name in ("a", "b"):
                mlflow.log_metric("val loss", 2.0 if name == "a" else 1.0)
        ids[name] = run.info.run_id
    return ids


def best_names(*args: str) -> list[str]:
    """Names of the runs ``gittrack best *args --format csv`` prints, in order."""
    result = invoke("best", *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))]


def test_lower_is_better_for_rmse_and_one_run_by_default(runs: dict[str, str]) -> None:
    result = invoke("best", "-m", "rmse", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["name"], r["metrics.rmse"]) for r in rows] == [(runs["b"], "b", "0.3")]


def test_runs_missing_the_metric_or_with_a_nan_last_value_are_left_out(runs: dict[str, str]) -> None:
    assert best_names("-m", "rmse", "-n", "10") == ["b", "c", "a"]


def test_higher_is_better_for_accuracy(runs: dict[str, str]) -> None:
    assert best_names("-m", "accuracy", "-n", "2") == ["d", "c"]


def test_min_and_max_flags_override_the_direction(runs: dict[str, str]) -> None:
    assert best_names("-m", "rmse", "--max", "-n", "3") == ["a", "c", "b"]
    assert best_names("-m", "accuracy", "--min") == ["e"]


def test_config_sets_the_direction(runs: dict[str, str], repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("metrics:\n  rmse: max\n  accuracy: min\n")
    assert best_names("-m", "rmse") == ["a"]
    assert best_names("-m", "accuracy") == ["e"]
    assert best_names("-m", "rmse", "--min") == ["b"]  # the flag beats the config


def test_filter_and_experiment_select_runs_first(runs: dict[str, str]) -> None:
    assert best_names("-m", "rmse", "-f", "params.lr = 0.1", "-n", "5") == ["c", "a"]
    assert best_names("-m", "rmse", "-e", "e2", "-n", "5") == ["c"]
    assert best_names("-m", "accuracy", "-e", "e1", "-f", "params.lr >= 0.1", "-n", "5") == ["a", "e"]


def test_a_metric_name_with_a_space(runs: dict[str, str]) -> None:
    assert best_names("-m", "val loss", "-n", "5") == ["b", "a"]


def test_table_shows_the_metric_right_after_the_run_summary(runs: dict[str, str]) -> None:
    result = invoke("best", "-m", "accuracy")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    names, rows = table(result.stdout)
    # only the columns the listed run has a value for
    assert names == [*SUMMARY, "metrics.accuracy", "params.lr"]
    [cells] = rows
    assert runs["d"].startswith(cells[0]) and cells[1:4] == ["d", "e2", "FINISHED"]
    assert cells[-2:] == ["0.95", "0.2"]


def test_no_run_with_the_metric_is_one_error_line(runs: dict[str, str]) -> None:
    result = invoke("best", "-m", "f1")
    assert result.exit_code == 2  # no run has it at all: a typo, a usage error
    assert result.stdout == ""
    assert result.stderr == "Error: --metric: no run has metric 'f1'; known: accuracy, rmse, val loss\n"
    filtered = invoke("best", "-m", "rmse", "-f", "params.lr = 0.2")
    assert filtered.exit_code == 1
    assert filtered.stderr == (
        "Error: no run matching the filter has a value for metric 'rmse'; see `gittrack ls`\n"
    )


def test_filter_errors_point_into_the_users_text(runs: dict[str, str]) -> None:
    result = invoke("best", "-m", "rmse", "-f", "params.lr >")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == invoke("ls", "-f", "params.lr >").stderr
    assert result.stderr.startswith("Error: filter error at column 12: ")


def test_metric_is_required(repo: Path) -> None:
    result = invoke("best")
    assert result.exit_code == 2
    assert "Missing option '-m' / '--metric'" in result.stderr


def test_library_best(runs: dict[str, str], repo: Path) -> None:
    frame = best(repo / ".runs", metric="rmse", config=load_config(), limit=2, exact=True)
    assert list(frame["id"]) == [runs["b"], runs["c"]]
    frame = best(repo / ".runs", metric="rmse", config=load_config(), direction="max", exact=True)
    assert list(frame["id"]) == [runs["a"]]
    with pytest.raises(UnknownKeyError, match="metric 'nope'"):
        best(repo / ".runs", metric="nope", config=load_config())
    with pytest.raises(RunNotFoundError, match="matching the filter has a value for metric 'rmse'"):
        best(repo / ".runs", metric="rmse", config=load_config(), filter_string="params.lr = 0.2")
