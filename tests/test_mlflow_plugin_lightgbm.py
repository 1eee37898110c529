"""A model flavor gittrack does not implement, through the ``gittrack:`` store: ``mlflow.lightgbm``.

MLflow 3.17 (``bench/.venv``, which ``bench/setup.sh`` gives lightgbm) logs a LightGBM booster
with ``mlflow.lightgbm.log_model`` and trains one under ``mlflow.lightgbm.autolog()``, with
``MLFLOW_TRACKING_URI=gittrack:.`` in a real git repository; it registers the first and loads
both back by ``runs:/``, ``models:/`` and the logged model's URI (pyfunc and native).  The
model's files must sit in the run's own ``artifacts/`` folder (docs/format.md), where
``import gittrack`` reads them, with autolog's params typed as ``import gittrack`` types them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_venv import last_json, missing, mlflow_env, run_mlflow
from test_mlflow_plugin_server import make_repo

import gittrack
from gittrack.store import yamlio

SCRIPT = textwrap.dedent(
    """
    import json, lightgbm as lgb, mlflow, mlflow.lightgbm, numpy as np
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    mlflow.set_experiment("boosting")
    params = {"objective": "regression", "num_leaves": 4, "verbose": -1, "metric": "l2"}
    with mlflow.start_run(run_name="logged") as run:
        booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=5)
        info = mlflow.lightgbm.log_model(booster, name="model", input_example=X[:2])
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "booster")
    mlflow.lightgbm.autolog(log_input_examples=False)
    with mlflow.start_run(run_name="autolog") as auto:
        train = lgb.Dataset(X[:60], y[:60])
        valid = lgb.Dataset(X[60:], y[60:], reference=train)
        tuned = lgb.train(params, train, num_boost_round=5, valid_sets=[valid], valid_names=["valid"])
    mlflow.lightgbm.autolog(disable=True)
    want = booster.predict(X).tolist()
    client = mlflow.MlflowClient()
    loads = {
        "runs": mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(X).tolist() == want,
        "registry": mlflow.pyfunc.load_model("models:/booster/1").predict(X).tolist() == want,
        "native": mlflow.lightgbm.load_model(info.model_uri).predict(X).tolist() == want,
        "native-registry": mlflow.lightgbm.load_model("models:/booster/1").predict(X).tolist() == want,
        "autolog": mlflow.lightgbm.load_model(f"runs:/{auto.info.run_id}/model").predict(X).tolist()
        == tuned.predict(X).tolist(),
    }
    print(json.dumps({
        "logged": run.info.run_id,
        "autolog": auto.info.run_id,
        "version": version.version,
        "loads": loads,
        "history": [(m.step, m.value) for m in client.get_metric_history(auto.info.run_id, "valid-l2")],
        "artifacts": sorted(f.path for f in client.list_artifacts(auto.info.run_id)),
    }))
    """
)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    repo = tmp_path_factory.mktemp("lightgbm") / "repo"
    make_repo(repo)
    found = last_json(run_mlflow(SCRIPT, repo, env=mlflow_env(MLFLOW_TRACKING_URI="gittrack:.")))
    yield repo, found


def test_mlflow_loads_the_booster_it_logged_through_the_plugin(logged: tuple[Path, dict[str, Any]]) -> None:
    _, found = logged
    assert found["loads"] == {
        "runs": True,
        "registry": True,
        "native": True,
        "native-registry": True,
        "autolog": True,
    }
    assert found["version"] == "1"


def test_the_models_files_sit_in_the_runs_artifacts_folder(logged: tuple[Path, dict[str, Any]]) -> None:
    repo, found = logged
    for run_id in (found["logged"], found["autolog"]):
        model = repo / ".runs" / run_id / "artifacts" / "model"
        meta = yamlio.load((model / "MLmodel").read_bytes())
        assert meta["flavors"]["python_function"]["loader_module"] == "mlflow.lightgbm"
        assert (model / meta["flavors"]["lightgbm"]["data"]).is_file()
        assert "lightgbm" in (model / "MLmodel").read_text()
        assert yamlio.load((repo / ".runs" / run_id / "meta.yaml").read_bytes())["status"] == "FINISHED"
    assert not list(repo.glob("mlruns")) and not list(repo.glob("mlartifacts"))


def test_autolog_params_metrics_and_artifacts_are_gittracks(
    logged: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What autolog wrote through MLflow's client reads back through ``import gittrack`` as well."""
    repo, found = logged
    assert [step for step, _ in found["history"]] == [0, 1, 2, 3, 4]
    params = yamlio.load((repo / ".runs" / found["autolog"] / "params.yaml").read_bytes())
    assert params["num_boost_round"] == 5 and params["num_leaves"] == 4  # autolog's params, typed
    assert {"model", "feature_importance_gain.json"} <= set(found["artifacts"])
    monkeypatch.chdir(repo)
    run = gittrack.MlflowClient().get_run(found["autolog"])
    assert run.data.params["num_leaves"] == "4" and run.data.params["objective"] == "regression"
    assert run.data.metrics["valid-l2"] == found["history"][-1][1]
    assert run.info.run_name == "autolog" and run.info.status == "FINISHED"
    versions = gittrack.MlflowClient().search_model_versions("name='booster'")
    assert [(v.version, v.run_id) for v in versions] == [(1, found["logged"])]
