"""A model flavor gittrack does not implement itself (LightGBM), logged and loaded by MLflow
through the gittrack store."""

import json

import lightgbm as lgb
import mlflow
import numpy as np

rng = np.random.default_rng(0)
X = rng.normal(size=(200, 4))
y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.1, size=200)
mlflow.set_experiment("flavors")
mlflow.lightgbm.autolog()
with mlflow.start_run(run_name="lightgbm") as run:
    booster = lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(X, y), num_boost_round=20)
    info = mlflow.lightgbm.log_model(booster, name="booster")
mlflow.register_model(f"runs:/{run.info.run_id}/booster", "gbm")
expected = booster.predict(X[:5])
loaded = {
    uri: bool(np.allclose(mlflow.pyfunc.load_model(uri).predict(X[:5]), expected))
    for uri in (f"runs:/{run.info.run_id}/booster", info.model_uri, "models:/gbm/1")
}
native = mlflow.lightgbm.load_model("models:/gbm/1")
summary = {
    "run": run.info.run_id,
    "loaded": loaded,
    "native": bool(np.allclose(native.predict(X[:5]), expected)),
}
with open("flavor.json", "w") as out:
    json.dump(summary, out)
