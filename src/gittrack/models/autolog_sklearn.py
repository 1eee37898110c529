"""``gittrack.sklearn.autolog()``: MLflow's scikit-learn autologging.

Each outermost ``fit``/``fit_transform``/``fit_predict`` of an estimator (preprocessing
steps excepted, as in MLflow) logs into the active run, or into a run it starts and ends:
``estimator.get_params(deep=True)`` as params, the tags ``estimator_name`` and
``estimator_class``, the training data as a dataset (context ``train``), training metrics
(``training_score`` and, for classifiers, ``training_accuracy_score``, precision, recall,
f1, log loss, ROC AUC; for regressors ``training_mean_squared_error``,
``training_root_mean_squared_error``, ``training_mean_absolute_error``,
``training_r2_score``), and the fitted model as ``model``.  A ``GridSearchCV`` or
``RandomizedSearchCV`` also logs ``best_cv_score``, ``best_<param>`` params, the best
estimator as ``best_estimator``, ``cv_results.csv``, and one child run per candidate
(the best ``max_tuning_runs`` of them, by rank).  Post-training metrics (MLflow's
``<metric>_<dataset>`` from ``sklearn.metrics`` calls after ``fit``) are not logged.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from gittrack.models import autolog as core

NAME = "sklearn"
_EXCLUDED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)
_NO_LOGGING = (
    "cross_validate",
    "cross_val_predict",
    "cross_val_score",
    "learning_curve",
    "permutation_test_score",
    "validation_curve",
)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or with ``disable=True`` undo) scikit-learn autologging; options as MLflow's."""
    from gittrack.errors import InvalidValueError

    if max_tuning_runs is not None and max_tuning_runs < 0:
        raise InvalidValueError(f"max_tuning_runs must be >= 0 or None, got {max_tuning_runs}")
    integration = core.configure(NAME, dict(locals()))
    if integration is None:
        return
    import sklearn.model_selection
    import sklearn.model_selection._validation

    for cls in estimators_to_patch():
        for method in ("fit", "fit_transform", "fit_predict"):
            core.patch(integration, cls, method, _patched_fit)
    # Both the public names and the module's own globals: cross_val_score imported before
    # autolog() still calls the patched cross_validate.
    for module in (sklearn.model_selection, sklearn.model_selection._validation):
        for function in _NO_LOGGING:
            core.patch(integration, module, function, core.without_logging)


def estimators_to_patch() -> list[type]:
    """Every scikit-learn estimator (and the search and pipeline meta-estimators) except
    data preparation steps, as MLflow patches them."""
    from sklearn.compose import ColumnTransformer
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.utils import all_estimators

    found = {cls for _, cls in all_estimators()} | {GridSearchCV, RandomizedSearchCV, Pipeline}
    kept = [c for c in found if not c.__module__.startswith(_EXCLUDED_MODULES) and c is not ColumnTransformer]
    return sorted(kept, key=lambda c: f"{c.__module__}.{c.__name__}")


def _patched_fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        with core.session(self, allow_children=False) as should_log:
            if not should_log or not core.enabled(NAME):
                return original(self, *args, **kwargs)
            arguments = core.bound_arguments(original, (self, *args), kwargs)
            return core.run_fit(
                NAME,
                lambda: original(self, *args, **kwargs),
                lambda run_id, train: _log_fit(run_id, self, arguments, train),
            )

    return fit


def _log_fit(run_id: str, estimator: Any, arguments: dict[str, Any], train: Any) -> Any:
    from gittrack.tracking.client import Client

    client = Client()
    X, y = arguments.get("X"), arguments.get("y")
    weight = arguments.get("sample_weight")
    search = is_search(estimator)
    core.safely(NAME, lambda: client.log_params(run_id, _params(estimator.get_params(deep=not search))))
    core.safely(NAME, lambda: client.set_tags(run_id, estimator_tags(estimator)))
    if core.config(NAME, "log_datasets", True):
        core.safely(NAME, lambda: log_training_data(client, run_id, X, y))
    result = core.guarded_train(train)
    if core.config(NAME, "log_models", True):
        core.safely(
            NAME, lambda: log_fitted_model(estimator, X, "model", core.config(NAME, "registered_model_name"))
        )
    core.safely(NAME, lambda: client.log_metrics(run_id, training_metrics(estimator, X, y, weight)))
    if search:
        core.safely(NAME, lambda: _log_search(client, run_id, estimator, X))
    return result


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """Params as MLflow logs them: scalars as they are, anything else (estimators...) as text."""
    return {
        k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in params.items()
    }


def estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def is_search(estimator: Any) -> bool:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    return isinstance(estimator, GridSearchCV | RandomizedSearchCV)


def log_training_data(client: Any, run_id: str, X: Any, y: Any) -> None:
    import numpy as np
    import pandas as pd

    from gittrack.tracking.datasets import DatasetInput, InputTag, from_numpy, from_pandas

    if isinstance(X, pd.DataFrame):
        dataset: Any = from_pandas(X)
    elif isinstance(X, np.ndarray):
        dataset = from_numpy(X, targets=np.asarray(y) if y is not None else None)
    else:
        return
    tags = [InputTag("mlflow.data.context", "train")]
    client.log_inputs(run_id, [DatasetInput(dataset._to_mlflow_entity(), tags)])


def log_fitted_model(model: Any, X: Any, name: str, registered: str | None) -> None:
    """Log a fitted estimator with a signature (and input example) from the first rows of X."""
    from gittrack.models.signature import infer_signature
    from gittrack.models.sklearn_flavor import log_model

    sample = X[:5] if X is not None and hasattr(X, "__getitem__") else None
    signature = None
    if sample is not None and core.config(NAME, "log_model_signatures", True):
        predict = getattr(model, "predict", None) or getattr(model, "transform", None)
        if predict is not None:
            signature = core.safely(NAME, lambda: infer_signature(sample, predict(sample)))
    example = sample if core.config(NAME, "log_input_examples", False) else None
    log_model(
        model,
        name=name,
        signature=signature or False,
        input_example=example,
        serialization_format=core.config(NAME, "serialization_format", "cloudpickle"),
        registered_model_name=registered,
    )


def training_metrics(estimator: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    """MLflow's ``training_*`` metrics of a fitted estimator (none without labels)."""
    from sklearn.base import is_classifier, is_regressor

    if y is None or X is None:
        return {}
    metrics: dict[str, float] = {}
    if is_classifier(estimator):
        metrics |= _classifier_metrics(estimator, X, y, weight)
    elif is_regressor(estimator):
        metrics |= _regressor_metrics(estimator, X, y, weight)
    if hasattr(estimator, "score"):
        score = core.safely(NAME, lambda: _score(estimator, X, y, weight))
        if score is not None:
            metrics["training_score"] = float(score)
    return {k: v for k, v in metrics.items() if isinstance(v, numbers.Real)}


def _score(estimator: Any, X: Any, y: Any, weight: Any) -> Any:
    return estimator.score(X, y, sample_weight=weight) if weight is not None else estimator.score(X, y)


def _classifier_metrics(estimator: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    from sklearn import metrics as m

    label = core.config(NAME, "pos_label")
    average = "weighted" if label is None else "binary"
    predicted = estimator.predict(X)
    found = {
        "training_precision_score": lambda: m.precision_score(
            y, predicted, pos_label=label, average=average, sample_weight=weight
        ),
        "training_recall_score": lambda: m.recall_score(
            y, predicted, pos_label=label, average=average, sample_weight=weight
        ),
        "training_f1_score": lambda: m.f1_score(
            y, predicted, pos_label=label, average=average, sample_weight=weight
        ),
        "training_accuracy_score": lambda: m.accuracy_score(y, predicted, sample_weight=weight),
    }
    if hasattr(estimator, "predict_proba"):
        proba = core.safely(NAME, lambda: estimator.predict_proba(X))
        if proba is not None:
            score = proba[:, 1] if proba.shape[1] == 2 else proba
            found["training_log_loss"] = lambda: m.log_loss(y, proba, sample_weight=weight)
            found["training_roc_auc"] = lambda: m.roc_auc_score(
                y, score, average="weighted", sample_weight=weight, multi_class="ovo"
            )
    return _computed(found)


def _regressor_metrics(estimator: Any, X: Any, y: Any, weight: Any) -> dict[str, float]:
    from sklearn import metrics as m

    predicted = estimator.predict(X)
    found = _computed(
        {
            "training_mean_squared_error": lambda: m.mean_squared_error(y, predicted, sample_weight=weight),
            "training_mean_absolute_error": lambda: m.mean_absolute_error(y, predicted, sample_weight=weight),
            "training_r2_score": lambda: m.r2_score(y, predicted, sample_weight=weight),
        }
    )
    if "training_mean_squared_error" in found:
        found["training_root_mean_squared_error"] = math.sqrt(found["training_mean_squared_error"])
    return found


def _computed(functions: dict[str, Any]) -> dict[str, float]:
    values = {name: core.safely(NAME, function) for name, function in functions.items()}
    return {name: float(v) for name, v in values.items() if v is not None}


def _log_search(client: Any, run_id: str, search: Any, X: Any) -> None:
    """best_cv_score, best_<param> params, the best estimator, cv_results.csv, child runs."""
    if hasattr(search, "best_params_"):
        client.log_params(run_id, _params({f"best_{k}": v for k, v in search.best_params_.items()}))
    if hasattr(search, "best_score_"):
        client.log_metric(run_id, "best_cv_score", float(search.best_score_))
    if hasattr(search, "best_estimator_") and core.config(NAME, "log_models", True):
        core.safely(NAME, lambda: log_fitted_model(search.best_estimator_, X, "best_estimator", None))
    if hasattr(search, "cv_results_"):
        import pandas as pd

        results = pd.DataFrame(search.cv_results_)
        client.log_text(run_id, results.to_csv(index=False), "cv_results.csv")
        core.safely(NAME, lambda: child_runs(client, run_id, search, results))


def child_runs(client: Any, parent_id: str, search: Any, results: Any) -> list[str]:
    """One finished child run per candidate of a parameter search (the best
    ``max_tuning_runs`` by rank; all with None), with its params and mean/std/rank metrics."""
    limit = core.config(NAME, "max_tuning_runs", 5)
    rank = next((c for c in results.columns if c.startswith("rank_test_")), None)
    chosen = results if limit is None or rank is None else results.nsmallest(limit, rank)
    parent = client.get_run(parent_id)
    seed = search.estimator
    base = _params(seed.get_params(deep=not is_search(seed)))
    made = []
    for _, row in chosen.iterrows():
        tags = {"mlflow.parentRunId": parent_id, core.AUTOLOGGING_TAG: NAME, **estimator_tags(seed)}
        child = client.create_run(parent.info.experiment_id, start_time=parent.info.start_time, tags=tags)
        child_id = child.info.run_id
        try:
            client.log_params(child_id, {**base, **_params(dict(row.get("params", {})))})
            metrics = {
                str(k): float(v)
                for k, v in row.items()
                if not str(k).startswith(("param", "split")) and isinstance(v, numbers.Real)
            }
            client.log_metrics(child_id, metrics)
        finally:
            client.set_terminated(child_id)
        made.append(child_id)
    return made
