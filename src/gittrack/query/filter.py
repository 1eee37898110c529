"""Filter and sort a DataFrame of runs with MLflow's search syntax.

The CLI, the Python API and the UI all call :func:`filter_frame` and
:func:`sort_frame`; parsing lives in :mod:`gittrack.query.filter_parse`.

Semantics, as in MLflow: a run that lacks a key (None, NaN or no column at
all) never matches a comparison, not even ``!=`` or ``NOT IN``; only
``IS NULL`` matches it.  Params and tags compare by their string form with a
quoted value, and (our extension) numerically with an unquoted number, in
which case runs whose value is not a number do not match.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from gittrack.query.cells import like_regex
from gittrack.query.filter_parse import (
    DATASET_KEYS,
    BoolOp,
    Comparison,
    Expr,
    Identifier,
    Membership,
    NullCheck,
    OrderKey,
    Value,
    parse_filter,
    parse_order_by,
    resolve_identifier,
)
from gittrack.query.frame import DATASETS, NAN_METRICS
from gittrack.query.schema import RUNS, Schema

__all__ = [
    "Expr",
    "OrderKey",
    "filter_frame",
    "filter_mask",
    "like_regex",
    "parse_filter",
    "parse_order_by",
    "resolve_identifier",
    "sort_frame",
]

Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Appended to every sort so that the order never depends on how runs were loaded.
_TIEBREAKERS = (OrderKey("start_time", ascending=False), OrderKey("run_id", ascending=True))


def filter_mask(df: pd.DataFrame, text: str | None, schema: Schema = RUNS) -> pd.Series:
    """A boolean Series aligned with ``df.index``: True for runs matching ``text``."""
    expr = parse_filter(text, schema)
    mask = np.ones(len(df), dtype=bool) if expr is None else _evaluate(expr, df)
    return pd.Series(mask, index=df.index, dtype=bool)


def filter_frame(df: pd.DataFrame, text: str | None, schema: Schema = RUNS) -> pd.DataFrame:
    """The rows of ``df`` matching ``text`` (all rows when it is empty)."""
    return df[filter_mask(df, text, schema).to_numpy()]


def _evaluate(expr: Expr, df: pd.DataFrame) -> Mask:
    if isinstance(expr, BoolOp):
        masks = [_evaluate(operand, df) for operand in expr.operands]
        combine = np.logical_and if expr.op == "AND" else np.logical_or
        return np.asarray(combine.reduce(masks), dtype=bool)
    if expr.ident.kind == "datasets":
        return _dataset_mask(expr, df)
    series = _series(df, expr.ident)
    if expr.ident.kind == "metrics":
        return _metric_mask(expr, series, nan_values(df, expr.ident.column))
    if isinstance(expr, NullCheck):
        missing = _missing(series)
        return ~missing if expr.negated else missing
    if isinstance(expr, Membership):
        return _membership(series, expr)
    return _compare(series, expr)


def nan_values(df: pd.DataFrame, column: str) -> Mask:
    """Rows whose metric ``column`` was logged as NaN (a value, unlike a missing metric).

    The frame keeps NaN for both; the hidden ``_nan_metrics`` column (tab-separated keys,
    :mod:`gittrack.query.frame`) tells them apart, as MLflow does.
    """
    if NAN_METRICS not in df.columns or not column.startswith("metrics."):
        return np.zeros(len(df), dtype=bool)
    key = column[len("metrics.") :]
    found = (isinstance(v, str) and key in v.split("\t") for v in df[NAN_METRICS].to_numpy(dtype=object))
    return np.fromiter(found, dtype=bool, count=len(df))


def _dataset_mask(expr: Expr, df: pd.DataFrame) -> Mask:
    """``datasets.name``/``digest``/``context``: a run matches when any of its dataset inputs
    does, as in MLflow; a run with no datasets matches nothing (``IS NULL`` aside)."""
    field = DATASET_KEYS.index(expr.ident.key)  # type: ignore[union-attr]
    cells = df[DATASETS].to_numpy(dtype=object) if DATASETS in df.columns else [None] * len(df)
    values = [
        [line.split("\t")[field] for line in c.split("\n")] if isinstance(c, str) else [] for c in cells
    ]
    flat = pd.Series([v for vs in values for v in vs], dtype=object)
    owner = np.repeat(np.arange(len(values)), [len(vs) for vs in values])
    if isinstance(expr, NullCheck):
        has = np.array([bool(vs) for vs in values], dtype=bool)
        return has if expr.negated else ~has
    inner = _membership(flat, expr) if isinstance(expr, Membership) else _compare(flat, expr)  # type: ignore[arg-type]
    hit = np.zeros(len(values), dtype=bool)
    hit[owner[inner]] = True
    return hit


def _metric_mask(expr: Expr, series: pd.Series, nan: Mask) -> Mask:
    """Metrics as MLflow compares them: a NaN value is present (so ``!=`` matches it)."""
    values = _numbers(series)
    present = ~np.isnan(values) | nan
    if isinstance(expr, NullCheck):
        return present if expr.negated else ~present
    if isinstance(expr, Membership):
        hit = np.isin(values, [v for v in expr.values if not isinstance(v, str)])
        return present & (~hit if expr.negated else hit)
    assert isinstance(expr, Comparison) and not isinstance(expr.value, str)
    return _apply(expr.op, values, expr.value) & present


def _series(df: pd.DataFrame, ident: Identifier) -> pd.Series:
    # An absent column (a key no run logged, or an empty frame) is all-missing.
    if ident.column in df.columns:
        return df[ident.column]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _missing(series: pd.Series) -> Mask:
    return np.asarray(series.isna().to_numpy(), dtype=bool)


def _compare(series: pd.Series, expr: Comparison) -> Mask:
    if expr.op in ("LIKE", "ILIKE"):
        return _like(series, str(expr.value), ignore_case=expr.op == "ILIKE")
    if isinstance(expr.value, str):
        texts, present = _texts(series)
        return _apply(expr.op, texts, expr.value) & present
    values = _numbers(series)
    return _apply(expr.op, values, expr.value) & ~np.isnan(values)


def _apply(op: str, values: Texts | Floats, value: Value) -> Mask:
    return np.asarray(_OPERATORS[op](values, value), dtype=bool)


def _membership(series: pd.Series, expr: Membership) -> Mask:
    # IN is an OR of '=' and NOT IN an AND of '!=', so each listed value keeps
    # its string or numeric meaning and a missing key matches neither form.
    strings = [value for value in expr.values if isinstance(value, str)]
    floats = [value for value in expr.values if not isinstance(value, str)]
    checks: list[tuple[Mask, Mask]] = []  # (comparable, in the list) per kind of value
    if strings:
        texts, present = _texts(series)
        checks.append((present, np.isin(texts, strings)))
    if floats:
        values = _numbers(series)
        checks.append((~np.isnan(values), np.isin(values, floats)))
    if expr.negated:
        return np.asarray(np.logical_and.reduce([ok & ~hit for ok, hit in checks]), dtype=bool)
    return np.asarray(np.logical_or.reduce([ok & hit for ok, hit in checks]), dtype=bool)


def _like(series: pd.Series, pattern: str, ignore_case: bool) -> Mask:
    regex = like_regex(pattern, ignore_case)
    texts, present = _texts(series)
    found = (regex.fullmatch(text) is not None for text in texts)
    return np.fromiter(found, dtype=bool, count=len(texts)) & present


def _texts(series: pd.Series) -> tuple[Texts, Mask]:
    """Each value's string form ('' where missing) and where values are present."""
    present = ~_missing(series)
    values = series.to_numpy(dtype=object)
    texts = [_text(value) if ok else "" for value, ok in zip(values, present, strict=True)]
    return np.array(texts, dtype=object).reshape(len(texts)), present


def _text(value: object) -> str:
    # The form MLflow would have stored: params are strings there, so a logged
    # 42 is '42', True is 'True' and 0.1 is '0.1' (repr, the shortest round trip).
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def _numbers(series: pd.Series) -> Floats:
    """Each value as a float, NaN where missing or not a number."""
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    values = series.to_numpy(dtype=object)
    return np.fromiter((_number(value) for value in values), dtype=np.float64, count=len(values))


def _number(value: object) -> float:
    # A bool is an int to Python but not a number a user means by 'params.x > 0'.
    if isinstance(value, (bool, np.bool_)):
        return math.nan
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str) and "_" not in value:  # float() accepts '1_000'; we do not
        try:
            return float(value)
        except ValueError:
            return math.nan
    return math.nan


def sort_frame(
    df: pd.DataFrame,
    keys: Sequence[str] | str | None,
    schema: Schema = RUNS,
    *,
    params_as_text: bool = False,
) -> pd.DataFrame:
    """Sort runs by order-by keys, missing values last, ties broken deterministically.

    With no keys the order is newest first (``start_time DESC``); ``start_time
    DESC`` and then ``run_id`` always follow the given keys.
    """
    arrays: list[npt.NDArray[Any]] = []
    for key in _with_tiebreakers(parse_order_by(keys, schema)):
        if key.column in df.columns:
            nan = nan_values(df, key.column)
            arrays.extend(_sort_arrays(df[key.column], key, params_as_text, nan))
    # The original position as the last key makes equal rows keep their order.
    arrays.append(np.arange(len(df)))
    positions = np.lexsort(arrays[::-1])  # lexsort sorts by its last array first
    return df.iloc[positions]


def _with_tiebreakers(keys: list[OrderKey]) -> list[OrderKey]:
    keys = keys or [_TIEBREAKERS[0]]
    seen = {key.column for key in keys}
    return keys + [key for key in _TIEBREAKERS if key.column not in seen]


def _sort_arrays(
    series: pd.Series, key: OrderKey, params_as_text: bool = False, nan: Mask | None = None
) -> list[npt.NDArray[Any]]:
    """Sort keys for one column, most significant first, the direction applied.

    The first arrays are always the missing flag and the NaN flag and are never negated,
    so that, in both directions as in MLflow, NaN values follow the numbers and missing
    values come last.
    """
    dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = _numbers(series)
        is_nan = np.isnan(values)
        logged_nan = is_nan & nan if nan is not None else np.zeros(len(values), dtype=bool)
        direction = 1 if key.ascending else -1
        gone = (is_nan & ~logged_nan).astype(np.int8)
        return [gone, logged_nan.astype(np.int8), direction * np.where(is_nan, 0.0, values)]
    if str(series.name).startswith("params.") and not params_as_text:
        missing, arrays = _mixed_sort_arrays(series)
    else:
        texts, present = _texts(series)
        missing, arrays = ~present, [_ranks(texts)]
    sign = 1 if key.ascending else -1
    return [missing.astype(np.int8)] + [sign * array for array in arrays]


def _mixed_sort_arrays(series: pd.Series) -> tuple[Mask, list[npt.NDArray[Any]]]:
    # A param may be 42 in one run and 'deep' in another: numbers (and strings
    # that read as numbers) sort numerically before the other strings.
    texts, present = _texts(series)
    values = _numbers(series)
    is_number = ~np.isnan(values)
    group = np.where(is_number, 0, 1)
    by_number = np.where(is_number, values, 0.0)
    by_text = _ranks(np.where(is_number, "", texts).astype(object))
    return ~present, [group, by_number, by_text]


def _ranks(texts: Texts) -> npt.NDArray[np.int64]:
    """Dense ranks of strings, which unlike strings can be negated for DESC."""
    if len(texts) == 0:
        return np.zeros(0, dtype=np.int64)
    _, inverse = np.unique(texts, return_inverse=True)
    return np.asarray(inverse, dtype=np.int64).reshape(len(texts))
