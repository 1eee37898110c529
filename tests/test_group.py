"""``gittrack ls --group-by``: metrics aggregated over groups of runs (gittrack.query.group)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import invoke

import gittrack as mlflow
from gittrack.errors import FilterError
from gittrack.query.group import group_runs, pretty
from gittrack.query.search import search

SEEDS = [
    # name, experiment, params, rmse, acc
    ("r1", "Default", {"lr": 0.1, "depth": 3, "seed": 1}, 1.0, 1.0),
    ("r2", "Default", {"lr": 0.1, "depth": 3, "seed": 2}, 2.0, 0.75),
    ("r3", "Default", {"lr": 0.1, "depth": 5, "seed": 3}, 3.0, 0.5),
    ("r4", "Default", {"lr": 0.01, "depth": 3, "seed": 1}, 4.0, 0.25),
    ("r5", "Default", {"lr": 0.01, "depth": 3, "seed": 2}, 6.0, None),
    ("r6", "other", {"depth": 3, "seed": 1}, 10.0, 0.5),  # no lr: a group of its own
]


@pytest.fixture
def runs(repo: Path) -> Path:
    for name, experiment, params, rmse, acc in SEEDS:
        with mlflow.start_run(run_name=name, experiment_id=experiment):
            mlflow.log_params(params)
            mlflow.log_metric("rmse", rmse)
            if acc is not None:
                mlflow.log_metric("acc", acc)
    return repo / ".runs"


def ok(*args: str) -> str:
    result = invoke("ls", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return str(result.stdout)


def test_csv_gives_exact_mean_std_and_counts_per_group(runs: Path) -> None:
    assert ok("--group-by", "params.lr", "--format", "csv") == (
        "params.lr,runs,metrics.acc.mean,metrics.acc.std,metrics.acc.count,"
        "metrics.rmse.mean,metrics.rmse.std,metrics.rmse.count\n"
        "0.01,2,0.25,,1,5.0,1.4142135623730951,2\n"
        "0.1,3,0.75,0.25,3,2.0,1.0,3\n"
        ",1,0.5,,1,10.0,,1\n"  # the run without lr, listed last
    )


def test_table_shows_mean_plus_minus_std(runs: Path) -> None:
    assert ok("--group-by", "params.lr") == (
        "params    runs    metrics      metrics      metrics    metrics\n"
        "lr                acc          acc.count    rmse       rmse.count\n"
        "--------  ------  -----------  -----------  ---------  ------------\n"
        "0.01      2       0.25         1            5 ± 1.4    2\n"
        "0.1       3       0.75 ± 0.25  3            2 ± 1      3\n"
        "          1       0.5          1            10         1\n"
    )


def test_markdown_renders_plus_minus(runs: Path) -> None:
    lines = ok("--group-by", "params.lr", "--agg", "mean,std", "--format", "markdown").splitlines()
    assert lines[0] == "| params.lr   | runs   | metrics.acc   | metrics.rmse   |"
    assert lines[2] == "| 0.01        | 2      | 0.25          | 5 ± 1.4        |"
    assert lines[3] == "| 0.1         | 3      | 0.75 ± 0.25   | 2 ± 1          |"
    assert lines[4] == "|             | 1      | 0.5           | 10             |"


def test_json_keeps_every_aggregate_exact(runs: Path) -> None:
    records = json.loads(ok("--group-by", "params.lr", "--agg", "min,max,count", "--format", "json"))
    assert records == [
        {"params.lr": 0.01, "runs": 2, "metrics.acc.min": 0.25, "metrics.acc.max": 0.25,
         "metrics.acc.count": 1, "metrics.rmse.min": 4.0, "metrics.rmse.max": 6.0, "metrics.rmse.count": 2},
        {"params.lr": 0.1, "runs": 3, "metrics.acc.min": 0.5, "metrics.acc.max": 1.0,
         "metrics.acc.count": 3, "metrics.rmse.min": 1.0, "metrics.rmse.max": 3.0, "metrics.rmse.count": 3},
        {"params.lr": None, "runs": 1, "metrics.acc.min": 0.5, "metrics.acc.max": 0.5,
         "metrics.acc.count": 1, "metrics.rmse.min": 10.0, "metrics.rmse.max": 10.0, "metrics.rmse.count": 1},
    ]  # fmt: skip


def test_several_keys(runs: Path) -> None:
    out = ok("--group-by", "params.lr,params.depth", "--agg", "mean,std", "--format", "csv")
    assert out.splitlines() == [
        "params.lr,params.depth,runs,metrics.acc.mean,metrics.acc.std,metrics.rmse.mean,metrics.rmse.std",
        "0.01,3,2,0.25,,5.0,1.4142135623730951",
        "0.1,3,2,0.875,0.1767766952966369,1.5,0.7071067811865476",
        "0.1,5,1,0.5,,3.0,",
        ",3,1,0.5,,10.0,",
    ]


def test_filter_and_experiment_apply_before_grouping(runs: Path) -> None:
    out = ok("--group-by", "params.lr", "-e", "Default", "-f", "params.seed != 3", "--agg", "count",
             "--format", "csv")  # fmt: skip
    assert out.splitlines() == [
        "params.lr,runs,metrics.acc.count,metrics.rmse.count",
        "0.01,2,1,2",
        "0.1,2,2,2",
    ]


def test_limit_keeps_the_first_groups(runs: Path) -> None:
    out = ok("--group-by", "params.lr", "-n", "1", "--agg", "count", "--format", "csv")
    assert out.splitlines() == ["params.lr,runs,metrics.acc.count,metrics.rmse.count", "0.01,2,1,2"]


def test_no_runs_to_group(runs: Path) -> None:
    result = invoke("ls", "--group-by", "params.lr", "-f", "params.lr > 5")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no runs\n")


def test_unknown_aggregate_is_a_usage_error(runs: Path) -> None:
    result = invoke("ls", "--group-by", "params.lr", "--agg", "mean,median")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: --agg: unknown aggregate 'median' (did you mean 'mean'?); use mean, std, min, max, count\n"
    )


def test_unknown_group_key_is_one_error_line(runs: Path) -> None:
    result = invoke("ls", "--group-by", "params.nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: --group-by: no run has 'params.nope'; known: ")
    typo = invoke("ls", "--group-by", "params.sed")
    assert (typo.exit_code, typo.stdout) == (2, "")
    assert typo.stderr == "Error: --group-by: no run has 'params.sed'; did you mean 'params.seed'?\n"


@pytest.mark.parametrize(
    ("group_by", "message"),
    [
        ("lr", "'lr' needs a prefix"),
        ("params.lr DESC", "group-by keys take no ASC or DESC"),
        ("params.lr,", "expected an identifier"),
    ],
)
def test_bad_group_keys_are_one_error_line(runs: Path, group_by: str, message: str) -> None:
    result = invoke("ls", "--group-by", group_by)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--sort", "metrics.rmse"], ["--columns", "params.lr"], ["--all-columns"]],
)
def test_options_that_do_not_apply_to_groups(runs: Path, args: list[str]) -> None:
    result = invoke("ls", "--group-by", "params.lr", *args)
    assert result.exit_code == 2
    assert f"{args[0]} cannot be used with --group-by" in result.stderr


def test_agg_needs_group_by(runs: Path) -> None:
    result = invoke("ls", "--agg", "mean")
    assert result.exit_code == 2
    assert "--agg needs --group-by" in result.stderr


# -- the library -------------------------------------------------------------------------------


def test_library_group_runs_and_pretty(runs: Path) -> None:
    grouped = group_runs(search(runs), "params.lr", agg=["mean", "std"])
    assert list(grouped["params.lr"][:2]) == [0.01, 0.1]
    assert grouped["params.lr"][2] is None
    assert list(grouped["metrics.rmse.mean"]) == [5.0, 2.0, 10.0]
    assert list(pretty(grouped)["metrics.rmse"]) == ["5 ± 1.4", "2 ± 1", "10"]
    with pytest.raises(FilterError, match="unknown aggregate 'median'"):
        group_runs(search(runs), "params.lr", agg=["median"])


def test_search_runs_group_by(runs: Path) -> None:
    grouped = mlflow.search_runs(group_by="params.depth", agg=["count"], search_all_experiments=True)
    assert isinstance(grouped, pd.DataFrame)
    assert grouped.to_dict(orient="list") == {
        "params.depth": [3, 5],
        "runs": [5, 1],  # every experiment is searched
        "metrics.acc.count": [4, 1],
        "metrics.rmse.count": [5, 1],
    }


def frame(values: list[object], rmse: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"params.x": pd.array(values, dtype=object), "metrics.rmse": pd.array(rmse, dtype="float64")}
    )


def test_values_with_the_same_text_are_one_group() -> None:
    grouped = group_runs(frame([1, "1", 2], [1.0, 3.0, 5.0]), "params.x", agg=["mean", "count"])
    assert grouped.to_dict(orient="list") == {
        "params.x": [1, 2],
        "runs": [2, 1],
        "metrics.rmse.mean": [2.0, 5.0],
        "metrics.rmse.count": [2, 1],
    }


def test_mixed_types_sort_numbers_first_then_text_then_missing() -> None:
    grouped = group_runs(frame(["deep", 10, None, 2, "abc"], [1.0] * 5), "params.x", agg=["count"])
    assert list(grouped["params.x"]) == [2, 10, "abc", "deep", None]


def test_nan_metric_values_are_left_out_of_aggregates() -> None:
    grouped = group_runs(frame([1, 1, 1], [1.0, float("nan"), 3.0]), "params.x", agg=list(AGGS))
    row = grouped.iloc[0]
    assert [row[f"metrics.rmse.{a}"] for a in AGGS] == [2.0, 1.4142135623730951, 1.0, 3.0, 2]
    assert row["runs"] == 3


AGGS = ("mean", "std", "min", "max", "count")
