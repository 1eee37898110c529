"""The plugin keeps gittrack's safety: MLflow client processes logging at once lose nothing,
and an MLflow process killed mid-run leaves a run every reader reports KILLED."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from tests.helpers import load_yaml
from tests.plugin_env import MLFLOW_PYTHON, SCRIPTS, mlflow_env, needs_mlflow, run_code

pytestmark = needs_mlflow
WORKERS = 4
STEPS = 200


def test_concurrent_mlflow_processes_lose_nothing(git_repo: Path) -> None:
    from gittrack import MlflowClient

    # MLflow's set_experiment, when two processes create one experiment at the same instant,
    # leaves the one whose create_experiment lost on Default (with any store): create it first
    MlflowClient(tracking_uri=str(git_repo / ".runs")).create_experiment("concurrent")
    workers = [
        subprocess.Popen(
            [str(MLFLOW_PYTHON), str(SCRIPTS / "logger.py"), f"w{i}", str(STEPS)],
            cwd=git_repo,
            env=mlflow_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]

    client = MlflowClient(tracking_uri=str(git_repo / ".runs"))
    runs = client.search_runs(["concurrent"], max_results=100)
    assert sorted(r.info.run_name for r in runs) == [f"w{i}" for i in range(WORKERS)]
    for run in runs:
        assert run.info.status == "FINISHED"
        history = client.get_metric_history(run.info.run_id, "loss")
        assert [m.step for m in history] == list(range(STEPS))
        assert len(client.get_metric_history(run.info.run_id, "acc")) == 5
        assert run.data.params == {"worker": run.info.run_name, "steps": str(STEPS), "batch": "yes"}
        assert run.data.tags["role"] == "worker" and run.data.tags["batched"] == "true"
        assert (
            load_yaml(git_repo / ".runs" / run.info.run_id / "meta.yaml")["metrics"]["loss"]["count"] == STEPS
        )


def test_a_killed_mlflow_process_leaves_a_killed_run(git_repo: Path) -> None:
    worker = subprocess.Popen(
        [str(MLFLOW_PYTHON), str(SCRIPTS / "logger.py"), "doomed", "30", "--hang"],
        cwd=git_repo, env=mlflow_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stdout is not None
    run_id = worker.stdout.readline().strip()
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=60)
    assert run_id, "the worker never started its run"

    from gittrack import MlflowClient

    client = MlflowClient(tracking_uri=str(git_repo / ".runs"))
    run = client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert len(client.get_metric_history(run_id, "loss")) == 30
    seen = run_code(
        "import json, mlflow\n"
        f"run = mlflow.get_run({run_id!r})\n"
        "found = mlflow.search_runs(['concurrent'], filter_string=\"attributes.status = 'KILLED'\")\n"
        "print(json.dumps([run.info.status, list(found['run_id']), run.data.metrics['loss']]))\n",
        git_repo,
    )
    assert seen.returncode == 0, seen.stderr[-3000:]
    assert json.loads(seen.stdout.strip().splitlines()[-1]) == ["KILLED", [run_id], 1.0 / 30]
