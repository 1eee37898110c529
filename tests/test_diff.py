"""``gittrack diff`` on real repositories: verdicts, the CI gate, markdown and JSON reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import git, invoke

import gittrack
from gittrack import git as gitmod
from gittrack.errors import GittrackError
from gittrack.review.diff import (
    DiffReport,
    ExperimentDiff,
    ParamChange,
    RunRef,
    Side,
    Tolerance,
    diff,
    metric_change,
    parse_gate,
    worse_changes,
)
from gittrack.review.diff_render import render_markdown
from gittrack.store.config import load_config

GOLDEN = Path(__file__).parent / "data" / "golden" / "diff.md"


def log_run(name: str, experiment: str, params: dict[str, Any], metrics: dict[str, float]) -> str:
    gitmod.clear_capture_cache()
    gittrack.set_experiment(experiment)
    with gittrack.start_run(run_name=name) as run:
        gittrack.log_params(params)
        gittrack.log_metrics(metrics)
    return run.info.run_id


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def branches(repo: Path) -> dict[str, str]:
    """main: linear-fit base-a (rmse 0.2, r2 0.8) and base-b, other/base-o (loss 0.4), and
    steady (an experiment nobody touches).  feature removes base-a and adds linear-fit/head-c
    (rmse 0.15 better, r2 0.75 worse), other/worse-d (loss 0.5) and fresh/new-e."""
    ids = {
        "base-a": log_run("base-a", "linear-fit", {"lr": 0.1, "epochs": 40}, {"rmse": 0.2, "r2": 0.8}),
        "base-b": log_run("base-b", "linear-fit", {"lr": 0.05, "epochs": 40}, {"rmse": 0.25, "r2": 0.7}),
        "base-o": log_run("base-o", "other", {"depth": 2}, {"loss": 0.4}),
        "steady": log_run("steady", "steady", {"k": 1}, {"loss": 1.0}),
    }
    ids["main"] = commit_all(repo, "runs on main")
    git(repo, "checkout", "-q", "-b", "feature")
    shutil.rmtree(repo / ".runs" / ids["base-a"])
    ids["head-c"] = log_run("head-c", "linear-fit", {"lr": 0.3, "epochs": 40}, {"rmse": 0.15, "r2": 0.75})
    ids["worse-d"] = log_run("worse-d", "other", {"depth": 3}, {"loss": 0.5})
    ids["new-e"] = log_run("new-e", "fresh", {}, {"accuracy": 0.5})
    ids["feature"] = commit_all(repo, "runs on feature")
    return ids


def verdicts(report: DiffReport) -> dict[tuple[str, str], str]:
    return {(e.experiment, m.metric): m.verdict for e in report.experiments for m in e.metrics}


def test_verdicts_runs_and_params_between_two_branches(branches: dict[str, str], repo: Path) -> None:
    report = diff(repo / ".runs", base="main", head="feature", config=load_config())
    assert report.base == Side("main", branches["main"])
    assert report.head == Side("feature", branches["feature"])
    assert verdicts(report) == {
        ("fresh", "accuracy"): "new",
        ("linear-fit", "r2"): "worse",
        ("linear-fit", "rmse"): "better",
        ("other", "loss"): "worse",
    }
    fresh, fit, other = report.experiments
    assert fit.added == (RunRef(branches["head-c"], "head-c"),)
    assert fit.removed == (RunRef(branches["base-a"], "base-a"),)
    assert other.added == (RunRef(branches["worse-d"], "worse-d"),) and other.removed == ()
    assert fresh.added == (RunRef(branches["new-e"], "new-e"),)
    loss = other.metrics[0]
    assert (loss.base_run, loss.head_run) == (RunRef(branches["base-o"], "base-o"), other.added[0])
    assert loss.params == (ParamChange("depth", 2, 3),)
    rmse = next(m for m in fit.metrics if m.metric == "rmse")
    assert (rmse.base_run, rmse.base_value) == (RunRef(branches["base-a"], "base-a"), 0.2)
    assert (rmse.head_run, rmse.head_value) == (RunRef(branches["head-c"], "head-c"), 0.15)
    assert rmse.direction == "min"
    assert rmse.change == pytest.approx(-0.05) and rmse.relative == pytest.approx(-0.25)
    assert rmse.params == (ParamChange("lr", 0.1, 0.3),)
    r2 = next(m for m in fit.metrics if m.metric == "r2")
    assert (r2.direction, r2.base_value, r2.head_value) == ("max", 0.8, 0.75)
    assert r2.relative == pytest.approx(-0.0625)


def test_all_experiments_includes_unchanged_ones(branches: dict[str, str], repo: Path) -> None:
    report = diff(repo / ".runs", base="main", head="feature", config=load_config(), all_experiments=True)
    assert verdicts(report)[("steady", "loss")] == "unchanged"
    assert [e.experiment for e in report.experiments] == ["fresh", "linear-fit", "other", "steady"]


def test_default_base_is_the_merge_base_and_head_the_working_tree(
    branches: dict[str, str], repo: Path
) -> None:
    git(repo, "checkout", "-q", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    extra = log_run("uncommitted", "linear-fit", {"lr": 0.5}, {"rmse": 0.1, "r2": 0.9})
    report = diff(repo / ".runs", base=None, head=None, config=load_config())
    assert report.base == Side("merge-base of HEAD and main", branches["main"])
    assert report.head == Side("working tree", None)
    fit = next(e for e in report.experiments if e.experiment == "linear-fit")
    assert {r.name for r in fit.added} == {"head-c", "uncommitted"}
    assert verdicts(report)[("linear-fit", "r2")] == "better"
    assert next(m for m in fit.metrics if m.metric == "rmse").head_run == RunRef(extra, "uncommitted")


def test_diff_base_from_config(branches: dict[str, str], repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("diff:\n  base: feature\n")
    report = diff(repo / ".runs", base=None, head="feature", config=load_config())
    assert report.base == Side("feature", branches["feature"])
    assert report.experiments == ()


def test_no_default_branch_says_what_to_do(repo: Path) -> None:
    git(repo, "branch", "-m", "trunk")
    with pytest.raises(GittrackError, match=r"no main or master branch .* give BASE"):
        diff(repo / ".runs", base=None, head=None, config=load_config())


def test_cli_table_and_markdown(branches: dict[str, str], repo: Path) -> None:
    table = invoke("diff", "main", "feature")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[:2] == [f"base  main ({branches['main'][:8]})", f"head  feature ({branches['feature'][:8]})"]
    row = ["linear-fit", "r2", "↑", "0.8", "(base-a)", "0.75", "(head-c)", "-0.05", "(-6.3%)", "worse"]
    assert lines[7].split() == row
    markdown = invoke("diff", "main", "feature", "--format", "markdown")
    assert markdown.exit_code == 0, markdown.stderr
    rows = [line for line in markdown.stdout.splitlines() if line.startswith("| ")]
    assert rows[2:] == [
        "| fresh | accuracy ↑ |  | 0.5 `new-e` |  | \N{HEAVY MINUS SIGN} new |",
        "| linear-fit | r2 ↑ | 0.8 `base-a` | 0.75 `head-c` | -0.05 (-6.3%) | ❌ worse |",
        "| linear-fit | rmse ↓ | 0.2 `base-a` | 0.15 `head-c` | -0.05 (-25.0%) | ✅ better |",
        "| other | loss ↓ | 0.4 `base-o` | 0.5 `worse-d` | +0.1 (+25.0%) | ❌ worse |",
    ]
    assert f"- removed (1): `{branches['base-a']}` base-a" in markdown.stdout
    assert "- params of the best runs by r2, rmse (`base-a` → `head-c`): `lr` 0.1 → 0.3" in markdown.stdout


def test_cli_json_is_the_report(branches: dict[str, str], repo: Path) -> None:
    result = invoke("diff", "main", "feature", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["base"] == {"label": "main", "commit": branches["main"]}
    fit = data["experiments"][1]
    assert fit["removed"] == [{"run_id": branches["base-a"], "name": "base-a"}]
    rmse = fit["metrics"][1]
    assert rmse["metric"] == "rmse" and rmse["verdict"] == "better" and rmse["base_value"] == 0.2
    assert rmse["params"] == [{"name": "lr", "base": 0.1, "head": 0.3}]


@pytest.mark.parametrize(
    ("gates", "code"),
    [
        (["rmse"], 0),
        (["r2"], 1),
        (["r2:0.06"], 0),  # r2 fell by 0.05
        (["r2:0.04"], 1),
        (["r2:7%"], 0),  # 0.05 / 0.8 = 6.25%
        (["r2:6%"], 1),
        (["rmse", "r2:0.06"], 0),
    ],
)
def test_fail_if_worse_exit_status(branches: dict[str, str], repo: Path, gates: list[str], code: int) -> None:
    args = [arg for gate in gates for arg in ("--fail-if-worse", gate)]
    result = invoke("diff", "main", "feature", "--format", "markdown", *args)
    assert result.exit_code == code, result.stderr
    assert result.stdout.startswith("### gittrack diff\n")  # the report is printed either way
    if code:
        assert result.stderr.startswith("Error: r2 is worse in linear-fit: best 0.8 -> 0.75 (-0.05 (-6.3%))")
    else:
        assert result.stderr == ""


def test_fail_if_worse_with_a_metric_no_side_has(branches: dict[str, str], repo: Path) -> None:
    result = invoke("diff", "main", "feature", "--fail-if-worse", "accuracy")
    assert result.exit_code == 0
    assert "no added run has accuracy where the base has it; nothing to check" in result.stderr


def test_bad_gate_is_refused_before_reading(branches: dict[str, str], repo: Path) -> None:
    result = invoke("diff", "main", "feature", "--fail-if-worse", "rmse:abc")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: --fail-if-worse 'rmse:abc': tolerance 'abc' is not a number >= 0 or a percentage like 5%\n"
    )


def test_parse_gate() -> None:
    assert parse_gate("rmse") == ("rmse", Tolerance())
    assert parse_gate("val/loss:0.5") == ("val/loss", Tolerance(0.5))
    assert parse_gate("acc:5%") == ("acc", Tolerance(5.0, relative=True))
    for bad in ("", ":1", "rmse:-1", "rmse:nan", "rmse:%"):
        with pytest.raises(GittrackError):
            parse_gate(bad)


def fixed_report() -> DiffReport:
    """A report from fixed data, so the golden file needs no normalising."""
    base_best, base_other = (
        RunRef("20261126-110400-3f9a1c", "lr0.1"),
        RunRef("20261126-110401-aa0001", "lr0.05"),
    )
    head_best = RunRef("20261127-093000-b7c2d4", "lr0.3-e80")
    params = (ParamChange("epochs", 40, 80), ParamChange("lr", 0.1, 0.3), ParamChange("warmup", None, True))
    fit = ExperimentDiff(
        "linear-fit",
        added=(head_best,),
        removed=(base_other,),
        metrics=(
            metric_change("rmse", "min", base=(base_best, 0.1234), head=(head_best, 0.107), params=params),
            metric_change("r2", "max", base=(base_best, 0.91), head=(head_best, 0.9), params=params),
            metric_change("mae", "min", base=(base_best, 0.08), head=(head_best, 0.08), params=params),
            metric_change("mse", "min", base=(base_other, 0.02), head=None),  # no added run has it
        ),
    )
    probe = RunRef("20261127-094500-0c0ffe", "probe|1")
    new = ExperimentDiff("tiny <probe>", added=(probe,), removed=(), metrics=(
        metric_change("accuracy", "max", base=None, head=(probe, 0.5)),
    ))  # fmt: skip
    return DiffReport(Side("main", "1a2b3c4d5e6f"), Side("feature-x", "9f8e7d6c5b4a"), (fit, new))


def test_markdown_report_matches_the_golden_file() -> None:
    assert render_markdown(fixed_report()) == GOLDEN.read_text(encoding="utf-8")


def _worse(report: DiffReport, metric: str, tolerance: Tolerance | float = 0.0) -> bool:
    return bool(worse_changes(report, metric, tolerance))


def test_worse_changes_on_fixed_data() -> None:
    report = fixed_report()
    assert not _worse(report, "rmse")
    assert _worse(report, "r2")
    assert not _worse(report, "r2", Tolerance(0.01))
    assert not _worse(report, "r2", Tolerance(1.1, relative=True))  # 0.01 / 0.91 = 1.099%
    assert _worse(report, "r2", Tolerance(1.0, relative=True))
    assert not _worse(report, "mae") and not _worse(report, "accuracy")


def test_nothing_changed(repo: Path) -> None:
    log_run("only", "linear-fit", {}, {"rmse": 1.0})
    commit_all(repo, "a run")
    result = invoke("diff", "HEAD", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\nNo runs added, removed or changed.\n")
