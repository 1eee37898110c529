"""gittrack.integrations.optuna: a real Optuna study writes a study run and one child run per trial."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gittrack.maintenance.check import check
from gittrack.store.reader import RunRecord, read_run
from tests.helpers import run_dirs

try:
    import optuna
except ImportError as exc:  # CI installs the dev extra, which holds it
    pytest.skip(f"Optuna cannot be imported ({exc}): pip install 'gittrack[optuna]'", allow_module_level=True)

from gittrack.integrations.optuna import STUDY_RUN_ATTR, GittrackCallback, start_study_run

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -4.0, 4.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report(x * x + step, step)
    if trial.number == 2:
        raise optuna.TrialPruned()
    if trial.number == 3:
        raise ValueError("trial 3 fails")
    trial.set_user_attr("note", f"trial {trial.number}")
    return (x - 1) ** 2 + (kind == "b")


def records(store: Path) -> dict[str, RunRecord]:
    return {d.name: read_run(d) for d in run_dirs(store)}


def test_each_trial_is_a_child_of_the_study_run(repo: Path) -> None:
    store = repo / ".runs"
    callback = GittrackCallback(metric_name="loss")
    study = optuna.create_study(study_name="quad", sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=6, callbacks=[callback], catch=(ValueError,))
    callback.end()

    runs = records(store)
    parent = runs.pop(callback.study_run_id or "")
    assert (parent.meta.name, parent.status, parent.meta.parent_run_id) == ("quad", "FINISHED", None)
    assert parent.tags["optuna.sampler"] == "RandomSampler"
    by_number = {int(r.tags["optuna.trial_number"]): r for r in runs.values()}
    assert sorted(by_number) == list(range(6))
    for trial in study.trials:
        run = by_number[trial.number]
        assert run.meta.parent_run_id == callback.study_run_id
        assert run.meta.name == f"trial-{trial.number}"
        assert run.params == trial.params
        assert run.tags["optuna.state"] == trial.state.name
        assert run.tags["optuna.study_name"] == "quad"
        steps = [(r.step, r.value) for r in run.histories()["intermediate_value"]]
        assert steps == sorted(trial.intermediate_values.items())
        status = {"COMPLETE": "FINISHED", "PRUNED": "FINISHED", "FAIL": "FAILED"}[trial.state.name]
        assert run.status == status
        if trial.value is not None:  # a pruned trial's value is its last intermediate value
            assert run.metrics["loss"].last == trial.value
        else:
            assert "loss" not in run.metrics
        assert ("optuna.user_attr.note" in run.tags) == (trial.state.name == "COMPLETE")
    assert parent.metrics["best_value"].last == study.best_value
    assert check(store).items == ()


def test_the_active_run_is_the_study_run_and_several_objectives_are_metrics(repo: Path) -> None:
    import gittrack

    def two(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_int("x", 0, 10)
        return float(x), float(10 - x)

    with gittrack.start_run(run_name="pareto") as active:
        study = optuna.create_study(directions=["minimize", "maximize"])
        study.optimize(two, n_trials=3, callbacks=[GittrackCallback(metric_name="obj")])
    runs = records(repo / ".runs")
    children = [r for r in runs.values() if r.meta.parent_run_id == active.info.run_id]
    assert len(runs) == 4 and len(children) == 3
    for run in children:
        x = run.params["x"]
        assert (run.metrics["obj_0"].last, run.metrics["obj_1"].last) == (x, 10 - x)
        assert run.tags["optuna.direction"] == "MINIMIZE,MAXIMIZE"


def test_a_bad_param_name_fails_before_the_trial_run_exists(repo: Path) -> None:
    study = optuna.create_study()
    with pytest.raises(Exception, match="contains ':'"):
        study.optimize(lambda t: t.suggest_float("a:b", 0, 1), n_trials=1, callbacks=[GittrackCallback()])
    assert records(repo / ".runs") == {}  # not even the study run


WORKER = """
import optuna, sys
from gittrack.integrations.optuna import GittrackCallback
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name="shared", storage=sys.argv[1])
study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=4,
               callbacks=[GittrackCallback()])
"""


def test_a_distributed_study_logs_every_worker_under_one_study_run(repo: Path) -> None:
    """Two worker processes share an RDB (SQLite) study; the launcher's study run is found by
    both through the study's storage, and every trial is logged once."""
    storage = f"sqlite:///{repo / 'study.db'}"
    study = optuna.create_study(study_name="shared", storage=storage)
    parent = start_study_run(study)
    assert study.user_attrs[STUDY_RUN_ATTR] == parent
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, storage], cwd=repo, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    from gittrack.tracking.client import Client

    Client().set_terminated(parent)

    runs = records(repo / ".runs")
    assert runs.pop(parent).status == "FINISHED"
    numbers = sorted(int(r.tags["optuna.trial_number"]) for r in runs.values())
    assert numbers == list(range(8))
    assert {r.meta.parent_run_id for r in runs.values()} == {parent}
    assert len({r.meta.pid for r in runs.values()}) == 2
    by_number = {t.number: t for t in optuna.load_study(study_name="shared", storage=storage).trials}
    for run in runs.values():
        trial = by_number[int(run.tags["optuna.trial_number"])]
        assert (run.params, run.metrics["value"].last) == (trial.params, trial.value)
    assert check(repo / ".runs").items == ()


def test_a_worker_whose_store_lacks_the_shared_study_run_starts_its_own(repo: Path) -> None:
    """Another machine's study run id (not in this clone's store): the worker's trials go
    under a study run of its own, tagged with the study's name, rather than nowhere."""
    study = optuna.create_study(study_name="elsewhere")
    study.set_user_attr(STUDY_RUN_ATTR, "20261206-000000-0123456789ab")
    callback = GittrackCallback()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[callback])
    callback.end()
    runs = records(repo / ".runs")
    own = runs.pop(callback.study_run_id or "")
    assert (own.meta.name, own.tags["optuna.study_name"]) == ("elsewhere", "elsewhere")
    assert own.status == "FINISHED"
    assert {r.meta.parent_run_id for r in runs.values()} == {own.run_id} and len(runs) == 2


def test_threads_of_one_study_log_under_one_study_run(repo: Path) -> None:
    """optimize(n_jobs=2) calls the callback from two threads: one study run, every trial once."""
    callback = GittrackCallback()
    study = optuna.create_study(study_name="threads")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8, n_jobs=2, callbacks=[callback])
    callback.end()
    runs = records(repo / ".runs")
    parent = runs.pop(callback.study_run_id or "")
    assert sorted(int(r.tags["optuna.trial_number"]) for r in runs.values()) == list(range(8))
    assert {r.meta.parent_run_id for r in runs.values()} == {parent.run_id}
    assert parent.metrics["best_value"].last == study.best_value
    assert check(repo / ".runs").items == ()
