"""A name no run in scope has never passes silently: a usage error (exit 2) with the near
miss from difflib, or, in a filter, MLflow's answer plus one warning line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import git, invoke

import gittrack
from gittrack import git as gitmod
from gittrack.errors import UnknownKeyError
from gittrack.query import keys


def log_run(name: str, experiment: str, **metrics: float) -> str:
    gitmod.clear_capture_cache()
    gittrack.set_experiment(experiment)
    with gittrack.start_run(run_name=name) as run:
        gittrack.log_param("lr", 0.1)
        gittrack.log_metrics(metrics)
    return run.info.run_id


@pytest.fixture
def branches(repo: Path) -> Path:
    """main: one run with accuracy and loss; feature adds one with accuracy 0.5 and latency."""
    log_run("base", "exp", accuracy=0.9, loss=0.3)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base run")
    git(repo, "checkout", "-q", "-b", "feature")
    log_run("head", "exp", accuracy=0.5, latency=3.0)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head run")
    return repo


def test_a_typo_in_the_ci_gate_fails_instead_of_checking_nothing(branches: Path) -> None:
    result = invoke("diff", "main", "feature", "--fail-if-worse", "acuracy:1%")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --fail-if-worse: no run has metric 'acuracy'; did you mean 'accuracy'?\n"
    # the real name still gates: the head's accuracy is worse
    real = invoke("diff", "main", "feature", "--fail-if-worse", "accuracy:1%")
    assert real.exit_code == 1
    assert real.stderr.startswith("Error: accuracy is worse in exp: best 0.9 -> 0.5")


def test_diff_metric_typo(branches: Path) -> None:
    result = invoke("diff", "main", "feature", "-m", "los")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --metric: no run has metric 'los'; did you mean 'loss'?\n"


def test_sort_key_typo(branches: Path) -> None:
    result = invoke("ls", "-s", "metrics.acuracy DESC")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --sort: no run has 'metrics.acuracy'; did you mean 'metrics.accuracy'?\n"
    # the same key under another kind is the first suggestion
    kind = invoke("ls", "-s", "params.accuracy")
    assert kind.stderr == "Error: --sort: no run has 'params.accuracy'; did you mean 'metrics.accuracy'?\n"
    # attributes are always there
    assert invoke("ls", "-s", "attributes.start_time").exit_code == 0


def test_scope_is_the_experiments_and_the_revision(branches: Path) -> None:
    # latency exists only in the feature branch's run
    assert invoke("ls", "-s", "metrics.latency").exit_code == 0
    at_main = invoke("ls", "--rev", "main", "-s", "metrics.latency")
    assert (at_main.exit_code, at_main.stdout) == (2, "")
    assert at_main.stderr.startswith("Error: --sort: no run at main has 'metrics.latency'; known: ")
    other = invoke("best", "-e", "nothing-here", "-m", "acuracy")
    assert other.exit_code == 1  # no run in scope at all: nothing to be a typo of
    assert other.stderr == "Error: no run has a value for metric 'acuracy'; see `gittrack ls`\n"


def test_best_and_log_metric_typos(branches: Path) -> None:
    best = invoke("best", "-m", "acuracy")
    assert (best.exit_code, best.stdout) == (2, "")
    assert best.stderr == "Error: --metric: no run has metric 'acuracy'; did you mean 'accuracy'?\n"
    scoped = invoke("best", "-m", "latency", "--rev", "main")
    assert scoped.stderr == "Error: --metric: no run at main has metric 'latency'; known: accuracy, loss\n"
    log = invoke("log", "-m", "acuracy")
    assert (log.exit_code, log.stdout) == (2, "")
    assert log.stderr == "Error: --metric: no run has metric 'acuracy'; did you mean 'accuracy'?\n"
    in_exp = invoke("log", "-e", "exp", "-m", "lss")
    assert (
        in_exp.stderr
        == "Error: --metric: no run in experiment 'exp' has metric 'lss'; did you mean 'loss'?\n"
    )


def test_a_filter_key_no_run_has_keeps_mlflows_answer_and_warns(branches: Path) -> None:
    result = invoke("ls", "-f", "metrics.acuracy > 0.1", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == "id,name,experiment,status,start,duration,commit\n"  # no runs, as MLflow
    assert result.stderr == (
        "Warning: filter: no run has 'metrics.acuracy'; did you mean 'metrics.accuracy'?\nno runs\n"
    )
    # a known key warns nothing, and IS NULL on an unknown key still matches every run
    assert invoke("ls", "-f", "metrics.accuracy > 0.1").stderr == ""
    null = invoke("ls", "-f", "params.sed IS NULL", "--format", "csv")
    assert len(null.stdout.splitlines()) == 3
    known = "metrics.accuracy, metrics.latency, metrics.loss, params.lr"
    assert null.stderr == f"Warning: filter: no run has 'params.sed'; known: {known}\n"


def test_best_warns_of_its_filter_too(branches: Path) -> None:
    result = invoke("best", "-m", "accuracy", "-f", "params.l = 0.1")
    assert result.exit_code == 1
    assert result.stderr == (
        "Warning: filter: no run has 'params.l'; did you mean 'params.lr'?\n"
        "Error: no run matching the filter has a value for metric 'accuracy'; see `gittrack ls`\n"
    )


def test_the_helper() -> None:
    assert keys.near("acuracy", ["accuracy", "loss"]) == "accuracy"
    assert keys.near("metrics.lss", ["metrics.loss", "params.lss2"]) == "metrics.loss"
    assert keys.near("xyz", ["accuracy"]) is None
    with pytest.raises(UnknownKeyError, match=r"^-m: no run in experiment 'e' has metric 'f2'; known: f1$"):
        keys.check_known(["f1", "f2"], {"f1"}, option="-m", what="metric", where=keys.scope_text(["e"]))
    assert keys.filter_columns("metrics.a > 1 and (params.b = 'x' or tags.c IS NULL or metrics.a < 5)") == [
        "metrics.a",
        "params.b",
        "tags.c",
    ]
