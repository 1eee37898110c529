"""One MLflow client process logging a run through the gittrack store.

``logger.py NAME STEPS [--hang]``: a run named NAME in experiment ``concurrent`` with STEPS
metric points, params, tags and a batch; ``--hang`` prints ``ready`` and waits to be killed.
"""

import sys
import time

import mlflow
from mlflow.entities import Metric, Param, RunTag

name, steps = sys.argv[1], int(sys.argv[2])
mlflow.set_experiment("concurrent")
with mlflow.start_run(run_name=name) as run:
    mlflow.log_params({"worker": name, "steps": steps})
    mlflow.set_tag("role", "worker")
    for step in range(steps):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.MlflowClient().log_batch(
        run.info.run_id,
        metrics=[Metric("acc", 0.5, int(time.time() * 1000), s) for s in range(5)],
        params=[Param("batch", "yes")],
        tags=[RunTag("batched", "true")],
    )
    if "--hang" in sys.argv:
        print(run.info.run_id, flush=True)
        time.sleep(600)
