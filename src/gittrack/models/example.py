"""Input examples saved with a model: ``input_example.json`` and ``serving_input_example.json``.

The formats are MLflow's: a DataFrame as ``{"columns": [...], "data": [[...]]}`` (pandas
``split`` orient without the index), an array as nested lists, a dict or list as itself;
``MLmodel``'s ``saved_input_example_info`` says which (``type``, ``pandas_orient``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.store.atomic import write_atomic

EXAMPLE = "input_example.json"
SERVING_EXAMPLE = "serving_input_example.json"


def save_example(path: Path, example: Any) -> tuple[dict[str, Any], Any]:
    """Write the example into model directory ``path``; return (``saved_input_example_info``,
    the example as the model takes it for inference)."""
    import numpy as np
    import pandas as pd

    info: dict[str, Any] = {"artifact_path": EXAMPLE, "serving_input_path": SERVING_EXAMPLE}
    if isinstance(example, pd.DataFrame):
        split = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        info |= {"type": "dataframe", "pandas_orient": "split"}
        stored, serving = split, {"dataframe_split": split}
    elif isinstance(example, np.ndarray):
        stored = _clean(example.tolist())
        info["type"] = "ndarray"
        serving = {"inputs": stored}
    elif isinstance(example, dict | list | str | int | float | bool):
        stored = _clean(example)
        info["type"] = "json_object"
        serving = {"inputs": stored}
    else:
        kind = type(example).__name__
        raise InvalidModelError(
            f"input_example must be a DataFrame, an array, a dict, a list or a scalar, not {kind}"
        )
    write_atomic(path / EXAMPLE, json.dumps(stored))
    write_atomic(path / SERVING_EXAMPLE, json.dumps(serving, indent=2))
    return info, example


def load_example(path: Path, info: dict[str, Any] | None) -> Any:
    """The saved example of model directory ``path`` (None when it has none)."""
    if not info or not (path / str(info.get("artifact_path", EXAMPLE))).is_file():
        return None
    data = json.loads((path / str(info.get("artifact_path", EXAMPLE))).read_text(encoding="utf-8"))
    if info.get("type") == "dataframe":
        import pandas as pd

        if isinstance(data, dict) and "columns" in data:
            return pd.DataFrame(data["data"], columns=data["columns"])
        return pd.DataFrame(data.get("data", data) if isinstance(data, dict) else data)
    if info.get("type") == "ndarray":
        import numpy as np

        return {k: np.asarray(v) for k, v in data.items()} if isinstance(data, dict) else np.asarray(data)
    return data


def _clean(value: Any) -> Any:
    """JSON-ready: NaN becomes null (as MLflow writes it)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return value
