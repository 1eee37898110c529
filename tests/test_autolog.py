"""Autolog: MLflow's behaviour for scikit-learn and XGBoost, patching and unpatching cleanly,
never changing what ``fit`` returns or raises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_val_score


@pytest.fixture(autouse=True)
def unpatched(in_repo: Path) -> Iterator[None]:
    yield
    import gittrack

    gittrack.autolog(disable=True)


def runs() -> list:  # type: ignore[type-arg]
    import gittrack as mlflow

    return list(mlflow.search_runs(output_format="list", order_by=["start_time ASC"]))


def test_a_fit_without_a_run_logs_params_metrics_and_the_model_in_a_new_run() -> None:
    import gittrack as mlflow

    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    mlflow.sklearn.autolog()
    model = Ridge(alpha=0.5)
    assert model.fit(X, y) is model
    assert mlflow.active_run() is None
    (run,) = runs()
    assert run.info.status == "FINISHED"
    assert run.data.params["alpha"] == "0.5"
    assert run.data.tags["estimator_name"] == "Ridge"
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    assert set(run.data.metrics) == {
        "training_score",
        "training_mean_squared_error",
        "training_root_mean_squared_error",
        "training_mean_absolute_error",
        "training_r2_score",
    }
    assert run.data.metrics["training_score"] == pytest.approx(model.score(X, y))
    loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert mlflow.MlflowClient().get_dataset_inputs(run.info.run_id)[0].tags[0].value == "train"


def test_classifier_metrics_and_options() -> None:
    import gittrack as mlflow

    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    mlflow.autolog(log_models=False)
    with mlflow.start_run() as active:
        LogisticRegression().fit(X, y)
        assert mlflow.active_run() is not None
    (run,) = runs()
    assert run.info.run_id == active.info.run_id
    assert {"training_accuracy_score", "training_f1_score", "training_log_loss", "training_roc_auc"} <= set(
        run.data.metrics
    )
    assert mlflow.MlflowClient().list_artifacts(run.info.run_id) == []


def test_grid_search_makes_a_parent_with_child_runs() -> None:
    import gittrack as mlflow

    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    mlflow.sklearn.autolog(max_tuning_runs=3)
    search = GridSearchCV(Ridge(), {"alpha": [0.01, 0.1, 1.0, 10.0]}, cv=2).fit(X, y)
    found = runs()
    parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in found if "mlflow.parentRunId" in r.data.tags]
    (parent,) = parents
    assert len(children) == 3 and {c.data.tags["mlflow.parentRunId"] for c in children} == {
        parent.info.run_id
    }
    assert parent.data.params["best_alpha"] == str(search.best_params_["alpha"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    child_alphas = {float(c.data.params["alpha"]) for c in children}
    assert search.best_params_["alpha"] in child_alphas
    assert all("mean_test_score" in c.data.metrics and c.info.status == "FINISHED" for c in children)
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(parent.info.run_id)}
    assert names == {"best_estimator", "cv_results.csv", "model"}


def test_fit_errors_pass_through_and_the_run_fails() -> None:
    import gittrack as mlflow

    mlflow.sklearn.autolog()
    with pytest.raises(ValueError, match="inconsistent numbers of samples") as raised:
        LinearRegression().fit(np.ones((3, 2)), np.ones(4))
    assert type(raised.value) is ValueError
    (run,) = runs()
    assert run.info.status == "FAILED"


def test_disable_unpatches_and_cross_val_score_logs_nothing() -> None:
    import gittrack as mlflow

    original = Ridge.fit
    X, y = make_regression(n_samples=20, n_features=2, random_state=0)
    mlflow.sklearn.autolog()
    assert Ridge.fit is not original
    cross_val_score(Ridge(), X, y, cv=2)
    assert runs() == []
    mlflow.sklearn.autolog(disable=True)
    assert Ridge.fit is original
    Ridge().fit(X, y)
    assert runs() == []


def test_a_logging_failure_is_a_warning_not_an_error() -> None:
    import gittrack as mlflow

    X, y = make_regression(n_samples=20, n_features=2, random_state=0)
    mlflow.sklearn.autolog()
    with mlflow.start_run():
        mlflow.log_param("alpha", "something else")  # autolog's alpha will conflict
        with pytest.warns(UserWarning, match="sklearn autologging"):
            model = Ridge(alpha=2.0).fit(X, y)
    assert model.coef_ is not None
    mlflow.sklearn.autolog(silent=True)
    with mlflow.start_run():
        mlflow.log_param("alpha", "something else")
        Ridge(alpha=2.0).fit(X, y)  # no warning (pytest turns none into errors here)


def test_xgboost_train_and_sklearn_api() -> None:
    import xgboost as xgb

    import gittrack as mlflow

    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    mlflow.xgboost.autolog()
    train = xgb.DMatrix(X, label=y)
    booster = xgb.train({"max_depth": 2, "eta": 0.3}, train, num_boost_round=4, evals=[(train, "train")])
    (run,) = runs()
    assert run.data.params["max_depth"] == "2" and run.data.params["num_boost_round"] == "4"
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "train-rmse")
    assert [m.step for m in history] == [0, 1, 2, 3]
    loaded = mlflow.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(X)), booster.predict(xgb.DMatrix(X)))
    assert (Path(".runs") / run.info.run_id / "artifacts" / "feature_importance_weight.json").is_file()

    model = xgb.XGBRegressor(n_estimators=3, max_depth=2)
    assert model.fit(X, y, eval_set=[(X, y)], verbose=False) is model
    second = runs()[-1]
    assert second.info.run_id != run.info.run_id
    assert "validation_0-rmse" in second.data.metrics
    pyfunc = mlflow.pyfunc.load_model(f"runs:/{second.info.run_id}/model")
    np.testing.assert_allclose(pyfunc.predict(X), model.predict(X))
