"""MLflow's schema of a piece of data, as its JSON spec (``mlflow.types.Schema.to_dict``).

A DataFrame (or a Series, a dict of scalars, a list of dicts) becomes column specs
``{"type": "double", "name": "x", "required": true}``; a numpy array (or a dict of arrays)
becomes tensor specs ``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``
with the first dimension variable.  Used by dataset schemas (``log_input``) and model
signatures (:mod:`gittrack.models.signature`).  numpy and pandas are imported only when
called.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "long"),
    (float, "double"),
    (str, "string"),
    (bytes, "binary"),
    (dt.datetime, "datetime"),
)


def infer_schema_json(data: Any) -> list[dict[str, Any]] | None:
    """The spec list of ``data``; None when its type has no schema."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return [_colspec(_pandas_type(data[c]), c, not bool(data[c].isna().any())) for c in data.columns]
    if isinstance(data, pd.Series):
        return [_colspec(_pandas_type(data), data.name, not bool(data.isna().any()))]
    if isinstance(data, np.ndarray):
        return [_tensor(data)]
    if isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values()):
        return [_tensor(v, str(k)) for k, v in data.items()]
    if isinstance(data, dict) and data:
        return [_colspec(_python_type(v), str(k), v is not None) for k, v in data.items()]
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        keys = list(dict.fromkeys(k for d in data for k in d))
        return [
            _colspec(_python_type(next(d[k] for d in data if d.get(k) is not None)), k, True) for k in keys
        ]
    if isinstance(data, list) and data:
        return [_colspec(_python_type(data[0]), None, True)]
    kind = _python_type(data)
    return None if kind is None else [_colspec(kind, None, True)]


def _colspec(kind: str | None, name: Any, required: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind or "string"}
    if name is not None:
        spec["name"] = str(name)
    spec["required"] = required
    return spec


def _tensor(array: Any, name: str | None = None) -> dict[str, Any]:
    shape = [-1, *array.shape[1:]] if array.ndim else []
    dtype = array.dtype
    text = "str" if dtype.kind == "U" else "bytes" if dtype.kind == "S" else str(dtype)
    spec: dict[str, Any] = {"type": "tensor", "tensor-spec": {"dtype": text, "shape": shape}}
    if name is not None:
        spec["name"] = name
    return spec


def _pandas_type(column: Any) -> str:
    dtype = column.dtype
    if dtype.kind == "O":
        dtype = column.infer_objects().dtype
    if dtype.kind == "O" or str(dtype) in ("string", "str"):
        present = column.dropna()
        return (_python_type(present.iloc[0]) or "string") if len(present) else "string"
    return numpy_type(dtype)


def numpy_type(dtype: Any) -> str:
    """MLflow's column type of a numpy (or pandas extension) dtype."""
    kind, size = dtype.kind, getattr(dtype, "itemsize", 8)
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "integer" if size < 4 or (kind == "i" and size == 4) else "long"
    if kind == "f":
        return "float" if size <= 4 else "double"
    if kind == "M":
        return "datetime"
    if kind == "S":
        return "binary"
    return "string"


def _python_type(value: Any) -> str | None:
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        value = item()
    for kind, name in _SCALARS:
        if isinstance(value, kind):
            return name
    return None
