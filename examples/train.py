"""A small training script written for MLflow; only the import changed.

Fits y = 3x + 2 by gradient descent and logs params, a loss curve, the final
fit as metrics, a tag and an artifact.  Usage: python train.py LR EPOCHS
"""

import random
import sys
import tempfile
from pathlib import Path

import gittrack as mlflow

lr, epochs = float(sys.argv[1]), int(sys.argv[2])
rng = random.Random(0)
data = [(x, 3 * x + 2 + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(200))]

mlflow.set_experiment("linear-fit")
with mlflow.start_run(run_name=f"lr{lr}-e{epochs}"):
    mlflow.log_params({"lr": lr, "epochs": epochs, "model": "linear"})
    mlflow.set_tag("dataset", "synthetic-200")
    w = b = 0.0
    for epoch in range(epochs):
        gw = sum(2 * (w * x + b - y) * x for x, y in data) / len(data)
        gb = sum(2 * (w * x + b - y) for x, y in data) / len(data)
        w, b = w - lr * gw, b - lr * gb
        mse = sum((w * x + b - y) ** 2 for x, y in data) / len(data)
        mlflow.log_metric("train/mse", mse, step=epoch)
    mlflow.log_metric("rmse", mse**0.5)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp, "model.txt")
        model.write_text(f"w={w}\nb={b}\n")
        mlflow.log_artifact(str(model))
