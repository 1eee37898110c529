"""The MLflow course's model flow, changed only in its import, end to end; then commit,
clone elsewhere, and the champion loads in the clone."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import git, invoke

pytest.importorskip("sklearn")


@pytest.fixture
def no_autolog() -> Iterator[None]:
    yield
    import gittrack

    gittrack.autolog(disable=True)


def course_flow(workdir: Path) -> dict[str, object]:
    """The course notebook with `import gittrack as mlflow` (returns what the checks need)."""
    from sklearn.datasets import make_regression
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import train_test_split

    import gittrack as mlflow
    from gittrack import MlflowClient

    X, y = make_regression(n_samples=60, n_features=4, noise=5.0, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
    mlflow.set_experiment("course-experiment")
    mlflow.sklearn.autolog()
    for alpha in (0.1, 1.0, 10.0):
        with mlflow.start_run(run_name=f"ridge-alpha-{alpha}"):
            mlflow.set_tag("developer", "student")
            model = Ridge(alpha=alpha).fit(X_train, y_train)
            mlflow.log_metric("rmse", float(np.sqrt(np.mean((model.predict(X_val) - y_val) ** 2))))
    mlflow.sklearn.autolog(disable=True)
    with mlflow.start_run(run_name="random-forest") as run:
        params = {"n_estimators": 3, "max_depth": 2, "random_state": 0}
        rf = RandomForestRegressor(**params).fit(X_train, y_train)
        mlflow.log_params(params)
        mlflow.log_metric("rmse", float(np.sqrt(np.mean((rf.predict(X_val) - y_val) ** 2))))
        info = mlflow.sklearn.log_model(rf, artifact_path="model")
    best = mlflow.search_runs(
        experiment_names=["course-experiment"], order_by=["metrics.rmse ASC"], max_results=2
    )
    client = MlflowClient()
    v1 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "course-model")
    v2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "course-model")
    client.transition_model_version_stage("course-model", v1.version, "Staging")
    client.set_registered_model_alias("course-model", "champion", v2.version)
    uris = [
        info.model_uri,
        "models:/course-model/1",
        "models:/course-model/Staging",
        "models:/course-model@champion",
    ]
    predictions = [mlflow.pyfunc.load_model(uri).predict(X_val) for uri in uris]
    downloaded = mlflow.artifacts.download_artifacts(f"runs:/{run.info.run_id}/model", dst_path=str(workdir))
    return {
        "run_id": run.info.run_id,
        "best": best,
        "versions": (v1.version, v2.version),
        "predictions": predictions,
        "expected": rf.predict(X_val),
        "downloaded": Path(downloaded),
        "X_val": X_val,
    }


def test_the_course_flow_runs_end_to_end(in_repo: Path, tmp_path: Path, no_autolog: None) -> None:
    import gittrack as mlflow

    out = course_flow(tmp_path)
    assert out["versions"] == (1, 2)
    ridge = mlflow.search_runs(filter_string="tags.estimator_name = 'Ridge'")
    assert len(ridge) == 3
    assert {"metrics.training_score", "metrics.training_root_mean_squared_error", "params.alpha"} <= set(
        ridge.columns
    )
    best = out["best"]
    assert len(best) == 2 and list(best["metrics.rmse"]) == sorted(best["metrics.rmse"])
    for prediction in out["predictions"]:  # type: ignore[attr-defined]
        np.testing.assert_array_equal(prediction, out["expected"])
    downloaded = out["downloaded"]
    assert isinstance(downloaded, Path)
    assert {"MLmodel", "model.pkl", "requirements.txt", "python_env.yaml"} <= {
        p.name for p in downloaded.iterdir()
    }
    client = mlflow.MlflowClient()
    assert client.get_latest_versions("course-model", ["Staging"])[0].version == 1
    assert client.get_model_version_by_alias("course-model", "champion").version == 2
    assert client.get_registered_model("course-model").aliases == {"champion": 2}


def test_the_champion_loads_in_a_clone(in_repo: Path, tmp_path: Path, no_autolog: None) -> None:
    out = course_flow(tmp_path)
    result = invoke("commit", "--all-finished")
    assert result.exit_code == 0, result.output
    assert git(in_repo, "status", "--porcelain", "--", ".runs") == ""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(in_repo), str(clone)], check=True)
    np.save(tmp_path / "x.npy", out["X_val"])
    code = (
        "import numpy as np, gittrack as mlflow\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        "model = mlflow.pyfunc.load_model('models:/course-model@champion')\n"
        "np.save('pred.npy', model.predict(x))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "GITTRACK_DIR"}
    done = subprocess.run([sys.executable, "-c", code], cwd=clone, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(np.load(clone / "pred.npy"), out["expected"])
