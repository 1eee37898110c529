"""gittrack.integrations.ray: a real (local, one-CPU) Ray Tune run writes a tune run and a
child run per trial, with config, reported metrics and checkpoint references."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gittrack.maintenance.check import check
from gittrack.store import yamlio
from gittrack.store.reader import RunRecord, read_run
from tests.helpers import run_dirs

try:
    import ray
    from ray import tune
except ImportError as exc:  # CI installs the dev extra, which holds ray[tune]
    pytest.skip(f"Ray Tune cannot be imported ({exc}): pip install 'gittrack[ray]'", allow_module_level=True)

from gittrack.integrations.ray import GittrackCallback


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray instance (one CPU, no dashboard) for the module's Tune runs; the
    trainables below travel to Ray's workers by value (they cannot import a test module)."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def trainable(config: dict[str, Any]) -> None:
    """A trial: reports a loss per iteration and saves a checkpoint at the last one."""
    for i in range(3):
        loss = config["lr"] * (3 - i) + config["model"]["depth"]
        if i == 2:
            with tempfile.TemporaryDirectory() as folder:
                Path(folder, "weights.txt").write_text(f"{loss}\n")
                tune.report({"loss": loss, "tag": "text"}, checkpoint=tune.Checkpoint.from_directory(folder))
        else:
            tune.report({"loss": loss, "tag": "text"})


def records(store: Path) -> dict[str, RunRecord]:
    return {d.name: read_run(d) for d in run_dirs(store)}


def test_every_trial_is_a_child_run_with_config_metrics_and_checkpoint(
    repo: Path, local_ray: None, tmp_path: Path
) -> None:
    callback = GittrackCallback(run_name="tune-lr")
    tuner = tune.Tuner(
        trainable,
        param_space={"lr": tune.grid_search([0.1, 0.2]), "model": {"depth": 2}},
        run_config=tune.RunConfig(
            name="exp", storage_path=str(tmp_path / "ray_results"), callbacks=[callback], verbose=0
        ),
    )
    results = tuner.fit()
    assert not results.errors

    runs = records(repo / ".runs")
    parent = runs.pop(callback.tune_run_id or "")
    assert (parent.meta.name, parent.status, parent.tags["ray.tune"]) == ("tune-lr", "FINISHED", "true")
    assert len(runs) == 2
    by_lr = {run.params["lr"]: run for run in runs.values()}
    assert sorted(by_lr) == [0.1, 0.2]
    for lr, run in by_lr.items():
        assert run.status == "FINISHED" and run.meta.parent_run_id == callback.tune_run_id
        assert run.params == {"lr": lr, "model/depth": 2}
        assert run.tags["ray.trial_name"] == run.meta.name
        loss = [(r.step, r.value) for r in run.histories()["loss"]]
        assert loss == [(i + 1, lr * (3 - i) + 2) for i in range(3)]
        assert "tag" not in run.metrics and "training_iteration" not in run.metrics
        listed = yamlio.load((Path(run.location) / "artifacts/ray/checkpoints.yaml").read_bytes())
        [checkpoint] = listed["checkpoints"]
        assert checkpoint["iteration"] == 3 and checkpoint["filesystem"] == "local"
        assert run.tags["ray.checkpoint_path"] == checkpoint["path"]
        assert Path(checkpoint["path"], "weights.txt").read_text() == f"{lr + 2}\n"  # a reference, not a copy
        assert str(tmp_path / "ray_results") in checkpoint["path"]
    assert check(repo / ".runs").items == ()


def failing(config: dict[str, Any]) -> None:
    tune.report({"loss": 1.0})
    raise RuntimeError("diverged")


def test_a_failed_trial_is_a_failed_run_under_the_active_run(
    repo: Path, local_ray: None, tmp_path: Path
) -> None:
    import gittrack

    with gittrack.start_run(run_name="driver") as driver:
        tuner = tune.Tuner(
            failing,
            param_space={"lr": 0.5},
            run_config=tune.RunConfig(
                storage_path=str(tmp_path / "ray_results"), callbacks=[GittrackCallback()], verbose=0
            ),
        )
        assert tuner.fit().errors
    runs = records(repo / ".runs")
    assert runs.pop(driver.info.run_id).status == "FINISHED"
    [trial] = runs.values()
    assert (trial.status, trial.meta.parent_run_id, trial.params) == (
        "FAILED",
        driver.info.run_id,
        {"lr": 0.5},
    )
    assert trial.metrics["loss"].last == 1.0
    assert os.getpid() == trial.meta.pid  # written by the driver, not by the trial's worker
