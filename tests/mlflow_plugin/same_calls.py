"""The same calls through ``import mlflow`` (with the gittrack store) or ``import gittrack``.

``same_calls.py mlflow|gittrack``: a parent run with params of every type, metrics, tags,
a text and a dict artifact, and a nested child run, in experiment ``mixed``.
"""

import importlib
import sys

front = sys.argv[1]
mlflow = importlib.import_module("mlflow" if front == "mlflow" else "gittrack")

mlflow.set_experiment("mixed")
with mlflow.start_run(run_name=f"parent-{front}", description="same calls") as parent:
    mlflow.log_params({"lr": 0.01, "epochs": 10, "optimizer": "adam", "shuffle": True, "note": "1e-3"})
    mlflow.log_param("layers", 3)
    mlflow.set_tags({"team": "vision", "stage": "dev"})
    mlflow.set_tag("stage", "prod")
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"val/acc": 0.5 + step / 10, "val/f1": 0.25}, step=step)
    mlflow.log_metric("nan_metric", float("nan"))
    mlflow.log_text("hello\n", "notes/readme.txt")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.json")
    with mlflow.start_run(run_name=f"child-{front}", nested=True):
        mlflow.log_param("fold", 1)
        mlflow.log_metric("loss", 0.5)
print(parent.info.run_id)
