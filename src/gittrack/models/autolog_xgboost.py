"""``gittrack.xgboost.autolog()``: MLflow's XGBoost autologging.

``xgboost.train`` logs the booster params and the arguments of the call (``num_boost_round``,
``early_stopping_rounds``...) as params, each evaluation result per iteration as a metric
``<eval name>-<metric>`` at that step (``@`` becomes ``_at_``), ``stopped_iteration`` and
``best_iteration`` with early stopping (and the results of the best iteration at the next
step), the feature importances as ``feature_importance_<type>.json``, and the booster as
``model``.  A scikit-learn-style ``XGBModel.fit`` (``XGBRegressor``...) logs the same from
its inner ``train`` and the fitted estimator as ``model``.  The importance plots MLflow
draws with matplotlib are not made.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from gittrack.models import autolog as core

NAME = "xgboost"
_UNLOGGED = (
    "params",
    "dtrain",
    "evals",
    "obj",
    "feval",
    "evals_result",
    "xgb_model",
    "callbacks",
    "learning_rates",
)


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or with ``disable=True`` undo) XGBoost autologging; options as MLflow's."""
    integration = core.configure(NAME, dict(locals()))
    if integration is None:
        return
    import xgboost
    import xgboost.sklearn

    core.patch(integration, xgboost, "train", lambda original: _patched_train(original, log_models=True))
    core.patch(
        integration, xgboost.sklearn, "train", lambda original: _patched_train(original, log_models=False)
    )
    for cls in _with_subclasses(xgboost.sklearn.XGBModel):
        core.patch(integration, cls, "fit", _patched_fit)


def _with_subclasses(cls: type) -> list[type]:
    found = [cls]
    sub: type
    for sub in cls.__subclasses__():
        found += [c for c in _with_subclasses(sub) if c not in found]
    return found


def _patched_train(original: Any, *, log_models: bool) -> Any:
    def train(*args: Any, **kwargs: Any) -> Any:
        inside = core.current_session_logs()
        if inside is False or not core.enabled(NAME):
            return original(*args, **kwargs)
        arguments = core.bound_arguments(original, args, kwargs)
        results: list[dict[str, float]] = []
        callback = core.safely(NAME, lambda: _callback(results))
        if callback is not None:  # callbacks is keyword-only in xgboost.train
            kwargs = {**kwargs, "callbacks": [*(kwargs.get("callbacks") or []), callback]}
        return core.run_fit(
            NAME,
            lambda: original(*args, **kwargs),
            lambda run_id, fit: _log_train(run_id, arguments, fit, results, log_models and inside is None),
        )

    return train


def _callback(results: list[dict[str, float]]) -> Any:
    """An XGBoost callback logging each iteration's evaluation results at that step."""
    import xgboost

    from gittrack.tracking import fluent
    from gittrack.tracking.client import Client

    class AutologCallback(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            values = {
                f"{data}-{metric.replace('@', '_at_')}": float(history[-1])
                for data, found in evals_log.items()
                for metric, history in found.items()
            }
            results.append(values)
            active = fluent.active_run()
            if values and active is not None:
                core.safely(NAME, lambda: Client().log_metrics(active.run_id, values, step=epoch))
            return False

    return AutologCallback()


def _log_train(
    run_id: str, arguments: dict[str, Any], fit: Any, results: list[dict[str, float]], log_model: bool
) -> Any:
    from gittrack.tracking.client import Client

    client = Client()
    params = {str(k): v for k, v in (arguments.get("params") or {}).items()}
    params |= {k: v for k, v in arguments.items() if k not in _UNLOGGED}
    core.safely(NAME, lambda: client.log_params(run_id, _loggable(params)))
    booster = core.guarded_train(fit)
    if arguments.get("early_stopping_rounds") and results:
        best = int(getattr(booster, "best_iteration", len(results) - 1))
        found = {"stopped_iteration": len(results) - 1, "best_iteration": best}
        core.safely(NAME, lambda: client.log_metrics(run_id, found))
        if best < len(results):
            core.safely(NAME, lambda: client.log_metrics(run_id, results[best], step=len(results)))
    for kind in core.config(NAME, "importance_types") or ["weight"]:
        core.safely(NAME, functools.partial(_log_importance, client, run_id, booster, kind))
    if log_model and core.config(NAME, "log_models", True):
        core.safely(NAME, lambda: _log_model(booster, None))
    return booster


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in params.items()
    }


def _log_importance(client: Any, run_id: str, booster: Any, kind: str) -> None:
    scores = booster.get_score(importance_type=kind)
    client.log_text(run_id, json.dumps(scores), f"feature_importance_{kind}.json")


def _log_model(model: Any, X: Any) -> None:
    from gittrack.models.signature import infer_signature
    from gittrack.models.xgboost_flavor import log_model

    sample = X[:5] if X is not None and hasattr(X, "__getitem__") else None
    signature = None
    if sample is not None and core.config(NAME, "log_model_signatures", True):
        signature = core.safely(NAME, lambda: infer_signature(sample, model.predict(sample)))
    log_model(
        model,
        name="model",
        signature=signature or False,
        input_example=sample if core.config(NAME, "log_input_examples", False) else None,
        model_format=core.config(NAME, "model_format", "ubj"),
        registered_model_name=core.config(NAME, "registered_model_name"),
    )


def _patched_fit(original: Any) -> Any:
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        with core.session(self, allow_children=True) as should_log:
            if not should_log or not core.enabled(NAME):
                return original(self, *args, **kwargs)
            X = core.bound_arguments(original, (self, *args), kwargs).get("X")

            def body(run_id: str, train: Any) -> Any:
                result = core.guarded_train(train)
                if core.config(NAME, "log_models", True):
                    core.safely(NAME, lambda: _log_model(self, X))
                return result

            return core.run_fit(NAME, lambda: original(self, *args, **kwargs), body)

    return fit
