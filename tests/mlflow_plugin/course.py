"""The MLflow course's flow with real ``import mlflow`` and MLFLOW_TRACKING_URI=gittrack:.

Run by tests/test_mlflow_plugin.py under MLflow's interpreter (bench/.venv) in a git
repository; writes what the test checks to ``course.json``.
"""

import json

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.model_selection import train_test_split

X, y = make_regression(n_samples=60, n_features=4, noise=5.0, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
np.save("x_val.npy", X_val)
mlflow.set_experiment("course-experiment")
mlflow.sklearn.autolog()
for name, model in [("ridge", Ridge(alpha=1.0)), ("lasso", Lasso(alpha=0.1)), ("linear", LinearRegression())]:
    with mlflow.start_run(run_name=name):
        mlflow.set_tag("developer", "student")
        model.fit(X_train, y_train)
        mlflow.log_metric("rmse", float(np.sqrt(np.mean((model.predict(X_val) - y_val) ** 2))))
mlflow.sklearn.autolog(disable=True)
with mlflow.start_run(run_name="random-forest") as run:
    params = {"n_estimators": 3, "max_depth": 2, "random_state": 0}
    rf = RandomForestRegressor(**params).fit(X_train, y_train)
    mlflow.log_params(params)
    mlflow.log_metric("rmse", float(np.sqrt(np.mean((rf.predict(X_val) - y_val) ** 2))))
    info = mlflow.sklearn.log_model(rf, name="model", serialization_format="cloudpickle")
np.save("expected.npy", rf.predict(X_val))
best = mlflow.search_runs(experiment_names=["course-experiment"], order_by=["metrics.rmse ASC"])
client = MlflowClient()
v1 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "course-model")
v2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "course-model")
client.transition_model_version_stage("course-model", v1.version, "Staging")
client.set_registered_model_alias("course-model", "champion", v2.version)
uris = [
    f"runs:/{run.info.run_id}/model",
    "models:/course-model/1",
    "models:/course-model/Staging",
    "models:/course-model@champion",
]
same = [bool(np.array_equal(mlflow.pyfunc.load_model(u).predict(X_val), rf.predict(X_val))) for u in uris]
summary = {
    "forest": run.info.run_id,
    "runs": sorted(best["run_id"]),
    "names": sorted(best["tags.mlflow.runName"]),
    "rmse_sorted": list(best["metrics.rmse"]) == sorted(best["metrics.rmse"]),
    "versions": [v1.version, v2.version],
    "loaded": same,
    "model_uri": info.model_uri,
    "staging": client.get_latest_versions("course-model", ["Staging"])[0].version,
    "champion": client.get_model_version_by_alias("course-model", "champion").version,
}
with open("course.json", "w") as out:
    json.dump(summary, out)
