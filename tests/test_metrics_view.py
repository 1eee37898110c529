"""``gittrack metrics``: metric histories and summaries with sparklines (gittrack.review.metrics_view)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import invoke

import gittrack as mlflow
from gittrack.review.metrics_view import history, sparkline, summary

NAN, INF = math.nan, math.inf
T0 = 1_700_000_000_000


# -- sparkline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "width", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8], 30, "▁▂▃▄▅▆▇█"),
        ([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], 30, "▃▁▄▁▅█▂▅▅▃▅"),
        ([8, 7, 6, 5, 4, 3, 2, 1], 30, "█▇▆▅▄▃▂▁"),
        ([], 30, ""),
        ([5.0], 30, "▄"),  # a constant is drawn at mid height
        ([2.0, 2.0, 2.0], 30, "▄▄▄"),
        ([1.0, NAN, 3.0], 30, "▁ █"),  # NaN is a gap
        ([NAN, NAN], 30, "  "),
        ([0.0, INF, 1.0, -INF, NAN], 30, "▁██▁ "),  # infinities are the extremes
        ([-1e300, 1e300], 30, "▁█"),
        # downsampling: buckets of equal size drawn at their mean
        ([1, 1, 3, 3, 5, 5, 7, 7], 4, "▁▃▆█"),
        ([0, 1, 2, 3, 4], 2, "▁█"),
        ([0, 10, 0, 0], 2, "█▁"),  # the mean, not the first value, of each bucket
        ([0, 4, 8, 0, 0, 0], 3, "▅█▁"),  # means 2, 4, 0  # buckets [0, 1] and [2, 3, 4]: means 0.5 and 3
        ([NAN, NAN, 1, 2], 2, " ▄"),  # a bucket of NaN only is a gap; NaN is left out of a mean
        ([NAN, 0, 5, 5], 2, "▁█"),
        ([(i % 10) * 1.0 for i in range(100)], 10, "▄▄▄▄▄▄▄▄▄▄"),  # each bucket averages 4.5
        (list(range(60)), 30, "▁▁▁▂▂▂▂▃▃▃▃▄▄▄▄▅▅▅▅▆▆▆▆▇▇▇▇███"),
        ([float(40 - i) for i in range(40)], 30, "███▇▇▇▇▆▆▆▆▅▅▅▅▄▄▄▄▃▃▃▃▂▂▂▂▁▁▁"),
    ],
)
def test_sparkline(values: list[float], width: int, expected: str) -> None:
    assert sparkline(values, width) == expected


def test_sparkline_is_at_most_width_characters() -> None:
    for size in (1, 29, 30, 31, 59, 61, 1000, 1001):
        assert len(sparkline([float(i) for i in range(size)])) == min(size, 30)
    assert len(sparkline([1.0] * 7, width=3)) == 3


def test_sparkline_width_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sparkline([1.0], width=0)


# -- the command --------------------------------------------------------------------------------


@pytest.fixture
def run_id(repo: Path) -> str:
    """One finished run with metrics acc, loss (with NaN and infinities) and train/loss."""
    with mlflow.start_run(run_name="metrics-run") as run:
        for step, value in enumerate([0.5, 0.6, 0.7, 0.8]):
            mlflow.log_metric("acc", value, step=step, timestamp=T0 + step)
        for step, value in enumerate([0.5, NAN, INF, -INF, 0.1 + 0.2]):
            mlflow.log_metric("loss", value, step=step, timestamp=T0 + 10 + step)
        for step in range(40):
            mlflow.log_metric("train/loss", float(40 - step), step=step, timestamp=T0)
    return str(run.info.run_id)


SUMMARY_TABLE = """\
metric      last    min    max    count    step    history
----------  ------  -----  -----  -------  ------  ------------------------------
acc         0.8     0.5    0.8    4        3       ▁▃▆█
loss        0.3     -inf   inf    5        4       █ █▁▁
train/loss  1       1      40     40       39      ███▇▇▇▇▆▆▆▆▅▅▅▅▄▄▄▄▃▃▃▃▂▂▂▂▁▁▁
"""


def test_summary_table_with_sparklines(run_id: str) -> None:
    result = invoke("metrics", "metrics-run")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == SUMMARY_TABLE


def test_summary_csv_and_json_are_exact_and_have_no_sparkline(run_id: str) -> None:
    result = invoke("metrics", run_id[:18], "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "metric,last,min,max,count,step\n"
        "acc,0.8,0.5,0.8,4,3\n"
        "loss,0.30000000000000004,-inf,inf,5,4\n"
        "train/loss,1.0,1.0,40.0,40,39\n"
    )
    records = json.loads(invoke("metrics", run_id, "--format", "json").stdout)
    assert records[1] == {"metric": "loss", "last": 0.30000000000000004, "min": "-inf", "max": "inf",
                          "count": 5, "step": 4}  # fmt: skip


def test_history_csv_is_exact_with_nan_and_infinities(run_id: str) -> None:
    result = invoke("metrics", "metrics-run", "loss", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "step,timestamp,value\n"
        f"0,{T0 + 10},0.5\n"
        f"1,{T0 + 11},\n"  # NaN: an empty field, as pandas writes it
        f"2,{T0 + 12},inf\n"
        f"3,{T0 + 13},-inf\n"
        f"4,{T0 + 14},0.30000000000000004\n"
    )


def test_history_json_is_exact_with_nan_and_infinities(run_id: str) -> None:
    result = invoke("metrics", "metrics-run", "loss", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"step": 0, "timestamp": T0 + 10, "value": 0.5},
        {"step": 1, "timestamp": T0 + 11, "value": None},
        {"step": 2, "timestamp": T0 + 12, "value": "inf"},
        {"step": 3, "timestamp": T0 + 13, "value": "-inf"},
        {"step": 4, "timestamp": T0 + 14, "value": 0.30000000000000004},
    ]


def test_history_of_several_metrics_is_one_long_table(run_id: str) -> None:
    result = invoke("metrics", "metrics-run", "acc", "train/loss", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["metric,step,timestamp,value", f"acc,0,{T0},0.5", f"acc,1,{T0 + 1},0.6"]
    assert lines[5:7] == [f"train/loss,0,{T0},40.0", f"train/loss,1,{T0},39.0"]
    assert len(lines) == 1 + 4 + 40


def test_history_table_shows_iso_times(run_id: str) -> None:
    result = invoke("metrics", "metrics-run", "acc")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "step    timestamp                 value",
        "------  ------------------------  -------",
        "0       2023-11-14T22:13:20.000Z  0.5",
        "1       2023-11-14T22:13:20.001Z  0.6",
        "2       2023-11-14T22:13:20.002Z  0.7",
        "3       2023-11-14T22:13:20.003Z  0.8",
    ]


def test_unknown_metric_is_one_error_line_listing_the_metrics(run_id: str) -> None:
    result = invoke("metrics", "metrics-run", "acc", "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: run {run_id} has no metric 'nope'; known: acc, loss, train/loss\n"
    typo = invoke("metrics", "metrics-run", "trian/loss")
    assert (typo.exit_code, typo.stdout) == (2, "")
    assert typo.stderr == f"Error: run {run_id} has no metric 'trian/loss'; did you mean 'train/loss'?\n"


def test_metric_names_never_leave_the_run(run_id: str) -> None:
    result = invoke("metrics", "metrics-run", "../meta")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: run ") and "has no metric '../meta'" in result.stderr


def test_unknown_run_is_one_error_line(repo: Path) -> None:
    result = invoke("metrics", "no-such-run")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no run matches 'no-such-run' in {repo / '.runs'}\n"


def test_a_run_without_metrics(repo: Path) -> None:
    with mlflow.start_run(run_name="empty"):
        mlflow.log_param("x", 1)
    table = invoke("metrics", "empty")
    assert (table.exit_code, table.stdout, table.stderr) == (0, "", "no metrics\n")
    as_csv = invoke("metrics", "empty", "--format", "csv")
    assert as_csv.stdout == "metric,last,min,max,count,step\n"


def test_a_running_run_is_summarised_from_its_files(repo: Path) -> None:
    with mlflow.start_run(run_name="live") as run:
        for step, value in enumerate([4.0, 2.0, 3.0]):
            mlflow.log_metric("rmse", value, step=step)
        frame = summary(repo / ".runs", "live", exact=True)
        assert frame.to_dict(orient="records") == [
            {"metric": "rmse", "last": 3.0, "min": 2.0, "max": 4.0, "count": 3, "step": 2}
        ]
        result = invoke("metrics", run.info.run_id)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[2].split() == ["rmse", "3", "2", "4", "3", "2", "█▁▅"]  # 3.5 rounds up


def test_a_damaged_line_is_a_warning_and_the_rest_is_shown(run_id: str, repo: Path) -> None:
    with (repo / ".runs" / run_id / "metrics" / "acc.csv").open("a") as handle:
        handle.write("garbage\n")
    result = invoke("metrics", "metrics-run", "acc", "--format", "csv")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5
    assert result.stderr.startswith("Warning: ") and "acc.csv:6" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_library_history_keeps_logging_order(run_id: str, repo: Path) -> None:
    frame = history(repo / ".runs", "metrics-run", ["loss"])
    assert list(frame.columns) == ["step", "timestamp", "value"]
    assert [repr(v) for v in frame["value"]] == ["0.5", "nan", "inf", "-inf", "0.30000000000000004"]
