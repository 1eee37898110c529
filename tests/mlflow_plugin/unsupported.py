"""Call every MLflow store method gittrack does not implement; print what each raised.

Prints a JSON mapping: method -> [exception class, is an MlflowException, message].
"""

import inspect
import json

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry.utils import _get_store as registry_store
from mlflow.tracking._tracking_service.utils import _get_store as tracking_store

# Methods MLflow's abstract store leaves unimplemented (NotImplementedError), a sample from
# each family, called with placeholder arguments.
CHOSEN = ["start_trace", "get_trace_info", "search_traces", "set_trace_tag", "log_spans",
          "create_assessment", "create_dataset", "get_dataset", "register_scorer", "list_scorers",
          "link_traces_to_run", "create_label_schema"]  # fmt: skip
found = {}
for store in (tracking_store(), registry_store()):
    for name in dir(store):
        method = getattr(store, name)
        refused = getattr(method, "__name__", "") == name and not hasattr(method, "__wrapped__")
        if not callable(method) or not getattr(method, "__gittrack_wrapped__", False):
            continue
        if not (refused or name in CHOSEN):
            continue
        params = inspect.signature(method).parameters.values()
        required = [
            p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        try:
            method(**{p.name: None for p in required})
        except Exception as exc:
            found[f"{type(store).__name__}.{name}"] = [
                type(exc).__name__,
                isinstance(exc, MlflowException),
                str(exc),
            ]
        else:
            found[f"{type(store).__name__}.{name}"] = ["returned", False, ""]
try:
    mlflow.initialize_logged_model(name="outside-a-run")
except Exception as exc:
    found["initialize_logged_model"] = [type(exc).__name__, isinstance(exc, MlflowException), str(exc)]
print(json.dumps(found))
