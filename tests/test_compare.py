"""``gittrack compare``: runs side by side, the best metric values marked (gittrack.review.compare)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from helpers import invoke, tree_snapshot

import gittrack as mlflow
from gittrack.errors import AmbiguousRunError, RunNotFoundError
from gittrack.review.compare import compare
from gittrack.store.config import load_config

NAMES = ("alpha-run", "beta-run", "gamma-run")


@pytest.fixture
def runs(repo: Path) -> dict[str, str]:
    """Three finished runs; returns {run name: run id}.

    alpha: lr 0.1, val_loss 0.5 0.3 0.4, accuracy 0.7 0.9 0.8
    beta:  lr 0.01, val_loss 0.6 0.35, accuracy 0.85
    gamma: lr 0.1, no model, val_loss 0.45 0.2 0.25, no accuracy, score 1 3 2
    All three have depth 3, epochs 3 and a team tag.
    """
    specs = [
        (
            {"lr": 0.1, "depth": 3, "model": "ridge"},
            {"val_loss": [0.5, 0.3, 0.4], "accuracy": [0.7, 0.9, 0.8]},
        ),
        ({"lr": 0.01, "depth": 3, "model": "ridge"}, {"val_loss": [0.6, 0.35], "accuracy": [0.85]}),
        ({"lr": 0.1, "depth": 3}, {"val_loss": [0.45, 0.2, 0.25], "score": [1.0, 3.0, 2.0]}),
    ]
    ids = {}
    for name, (params, metrics), team in zip(NAMES, specs, ("vision", "vision", "nlp"), strict=True):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_params(params)
            for key, values in metrics.items():
                for step, value in enumerate(values):
                    mlflow.log_metric(key, value, step=step)
            mlflow.log_metric("epochs", 3)
            mlflow.set_tag("team", team)
        ids[name] = run.info.run_id
    return ids


def cells(table: str) -> list[list[str]]:
    """A plain or markdown table as rows of stripped cells, checking that columns line up."""
    lines = table.rstrip("\n").split("\n")
    rule = lines[1]
    spans = [m.span() for m in re.finditer(r"[-:]+", rule)]
    rows = []
    for number, line in enumerate(lines):
        if number == 1:
            continue
        gaps = [
            line[end:start] for (_, end), (start, _) in zip(spans, [*spans[1:], (len(line), 0)], strict=True)
        ]
        assert all(set(gap) <= {" ", "|"} for gap in gaps), f"misaligned line: {line!r}"
        rows.append([line[a:b].strip() for a, b in spans])
    return rows


def with_placeholder_ids(text: str, ids: dict[str, str]) -> str:
    """Each ``<short id> <name>`` header as ``<id> <name>``, after checking the short id."""
    for name, run_id in ids.items():
        match = re.search(rf"(\d{{8}}-\d{{6}}[-0-9a-f]*) {name}", text)
        if match is None:
            continue
        assert run_id.startswith(match.group(1)) and len(match.group(1)) >= 15, match.group(1)
        text = text.replace(f"{match.group(1)} {name}", f"<id> {name}".ljust(len(match.group(0))))
    return text


EXPECTED_TABLE = """\
key                        <id> alpha-run   <id> beta-run   <id> gamma-run
-------------------------  ---------------  --------------  ---------------
params.depth               3                3               3
params.lr                  0.1              0.01            0.1
params.model               ridge            ridge
metrics.accuracy           0.8              0.85 *
metrics.accuracy (best)    0.9 *            0.85
metrics.epochs             3                3               3
metrics.epochs (best)      3                3               3
metrics.score                                               2 *
metrics.score (best)                                        3 *
metrics.val_loss           0.4              0.35            0.25 *
metrics.val_loss (best)    0.3              0.35            0.2 *
tags.team                  vision           vision          nlp
"""


def test_compare_table_shows_params_metrics_tags_and_marks_the_best(runs: dict[str, str]) -> None:
    result = invoke("compare", *NAMES)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert cells(with_placeholder_ids(result.stdout, runs)) == cells(EXPECTED_TABLE)


def test_only_diff_hides_rows_equal_in_every_run(runs: dict[str, str]) -> None:
    result = invoke("compare", *NAMES, "--only-diff")
    assert result.exit_code == 0, result.stderr
    rows = cells(with_placeholder_ids(result.stdout, runs))
    assert [row[0] for row in rows] == [
        "key",
        "params.lr",
        "params.model",
        "metrics.accuracy",
        "metrics.accuracy (best)",
        "metrics.score",
        "metrics.score (best)",
        "metrics.val_loss",
        "metrics.val_loss (best)",
        "tags.team",
    ]


def test_only_diff_with_nothing_different(runs: dict[str, str]) -> None:
    result = invoke("compare", "alpha-run", runs["alpha-run"], "--only-diff")  # the same run twice
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "no differences\n"


def test_csv_keeps_values_exact_and_names_the_best_run_in_its_own_column(runs: dict[str, str]) -> None:
    result = invoke("compare", *NAMES, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    table = list(csv.reader(io.StringIO(with_placeholder_ids(result.stdout, runs))))
    headers = [h.strip() for h in table[0]]
    assert headers == ["key", "<id> alpha-run", "<id> beta-run", "<id> gamma-run", "best"]
    rows = {row[0]: [cell.strip() for cell in row[1:]] for row in table[1:]}
    assert rows["params.lr"] == ["0.1", "0.01", "0.1", ""]
    assert rows["metrics.accuracy"] == ["0.8", "0.85", "", "<id> beta-run"]
    assert rows["metrics.accuracy (best)"] == ["0.9", "0.85", "", "<id> alpha-run"]
    assert rows["metrics.val_loss (best)"] == ["0.3", "0.35", "0.2", "<id> gamma-run"]
    assert rows["metrics.epochs"] == ["3.0", "3.0", "3.0", ""]  # all equal: nobody is best
    assert "*" not in result.stdout


def test_json_best_field_and_exact_numbers(runs: dict[str, str]) -> None:
    result = invoke("compare", "alpha-run", "beta-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = {r["key"]: r for r in json.loads(result.stdout)}
    alpha, beta = (h for h in records["params.lr"] if h not in ("key", "best"))
    assert alpha.endswith(" alpha-run") and runs["alpha-run"].startswith(alpha.split()[0])
    assert records["metrics.val_loss"] == {"key": "metrics.val_loss", alpha: 0.4, beta: 0.35, "best": beta}
    assert records["params.model"] == {"key": "params.model", alpha: "ridge", beta: "ridge", "best": ""}
    assert "metrics.score" not in records  # neither run logged it


def test_markdown_marks_the_best_with_a_star(runs: dict[str, str]) -> None:
    result = invoke("compare", *NAMES, "--format", "markdown", "--only-diff")
    assert result.exit_code == 0, result.stderr
    lines = with_placeholder_ids(result.stdout, runs).splitlines()
    assert lines[0].startswith("| key ")
    assert re.fullmatch(r"\| metrics\.val_loss +\| 0\.4 +\| 0\.35 +\| 0\.25 \* +\|", lines[8]), lines[8]


def test_config_direction_overrides_the_name(runs: dict[str, str], repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("metrics:\n  accuracy: min\n  val_loss: max\n")
    frame = compare(repo / ".runs", NAMES, config=load_config())
    best = dict(zip(frame["key"], frame["best"], strict=True))
    headers = list(frame.columns[1:4])
    assert best["metrics.accuracy"] == headers[0]  # 0.8 < 0.85
    assert best["metrics.accuracy (best)"] == headers[0]  # min over steps: 0.7
    assert best["metrics.val_loss"] == headers[0]  # 0.4 is the highest
    assert best["metrics.val_loss (best)"] == headers[1]  # max over steps: 0.6
    row = frame[frame["key"] == "metrics.val_loss (best)"].iloc[0]
    assert list(row[headers]) == [0.5, 0.6, 0.45]


def test_unknown_metric_names_are_higher_is_better(runs: dict[str, str], repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("metrics:\n  score: min\n")
    frame = compare(repo / ".runs", ["gamma-run"], config=load_config())
    best = frame[frame["key"] == "metrics.score (best)"].iloc[0]
    assert best.iloc[1] == 1.0  # min over steps once configured
    assert best["best"] == ""  # a single run is never better than another


def test_ties_mark_every_best_run(repo: Path) -> None:
    for name, rmse in (("one", 1.0), ("two", 1.0), ("three", 2.0)):
        with mlflow.start_run(run_name=name):
            mlflow.log_metric("rmse", rmse)
    frame = compare(repo / ".runs", ["one", "two", "three"], config=load_config())
    headers = list(frame.columns[1:4])
    assert frame["best"][0] == f"{headers[0]}, {headers[1]}"
    result = invoke("compare", "one", "two", "three")
    assert result.stdout.splitlines()[2].count(" *") == 2


def test_unknown_run_is_one_error_line_and_changes_nothing(runs: dict[str, str], repo: Path) -> None:
    before = tree_snapshot(repo / ".runs")
    result = invoke("compare", "alpha-run", "no-such-run")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no run matches 'no-such-run' in {repo / '.runs'}\n"
    assert tree_snapshot(repo / ".runs") == before


def test_ambiguous_prefix_is_one_error_line(runs: dict[str, str]) -> None:
    first, second = runs["alpha-run"], runs["beta-run"]
    prefix = first[: next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)]
    result = invoke("compare", prefix, "gamma-run")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {prefix!r} matches ")
    assert runs["alpha-run"] in lines[0] and runs["beta-run"] in lines[0]


def test_library_errors(runs: dict[str, str], repo: Path) -> None:
    with pytest.raises(RunNotFoundError):
        compare(repo / ".runs", ["nope"], config=load_config())
    with pytest.raises(AmbiguousRunError):
        compare(repo / ".runs", ["2"], config=load_config())


def test_no_run_is_a_usage_error(repo: Path) -> None:
    result = invoke("compare")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Missing argument 'RUN...'" in result.stderr
