"""MLflow's search grammar, exactly, in front of gittrack's query engine.

The ``gittrack:`` store is MLflow's front door, so it speaks MLflow's language and no more:
a run filter and order-by keys are parsed and validated by MLflow's own
:class:`~mlflow.utils.search_utils.SearchUtils` (what its file store applies), raising
MLflow's ``MlflowException`` where MLflow does: ``OR``, parentheses, ``IN`` on keys other
than ``run_id``, ``IS NULL`` on metrics, ``<`` on params, a bare key holding ``-``...  The
parsed comparisons (AND only) are then written back, by code, as a filter of gittrack's
language: every key backticked, every value quoted with its quotes doubled, so that the text
MLflow parsed (a value holding ``''`` is two quotes to MLflow) is the text matched, and the
filter is answered by gittrack's engine.  gittrack's extensions stay in ``import gittrack``
and the CLI (docs/mlflow-plugin.md).

One difference in timing, not in answers: MLflow's file store checks a comparator against
its key (``params.p > '1'``) while matching runs, so over no runs it does not raise; the
store checks it at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mlflow.utils.search_utils import SearchExperimentsUtils, SearchUtils

# MLflow's attribute keys as gittrack's frame columns
_RUN_ATTRIBUTES = {"user_id": "user"}
_KINDS = {"metric": "metrics", "parameter": "params", "tag": "tags", "dataset": "datasets"}


def run_filter(text: str | None) -> str:
    """MLflow's run filter ``text`` as a gittrack filter ('' for none); MLflow's errors.

    ``attributes.artifact_uri`` compares with the run's artifact folder as gittrack's
    engine knows it (``.../<run id>/artifacts``, the shape of MLflow's file store's URIs),
    not with the ``gittrack:runs/<run id>`` URI the store reports."""
    clauses = []
    for parsed in SearchUtils.parse_search_filter(text):
        kind, key = parsed["type"], SearchUtils.translate_key_alias(parsed["key"])
        op = parsed["comparator"].upper()
        _check_comparator(SearchUtils, kind, key, op)
        value = parsed["value"]
        numeric = kind == "metric" or key in SearchUtils.NUMERIC_ATTRIBUTES
        clauses.append(_clause(_column(kind, key, _RUN_ATTRIBUTES), op, value, numeric=numeric))
    return " AND ".join(clauses)


def run_order_by(order_by: Sequence[str] | None) -> list[str]:
    """MLflow's order-by clauses as gittrack's."""
    keys = []
    for clause in order_by or []:
        kind, key, ascending = SearchUtils.parse_order_by_for_search_runs(clause)
        key = SearchUtils.translate_key_alias(key)
        keys.append(f"{_column(kind, key, _RUN_ATTRIBUTES)} {'ASC' if ascending else 'DESC'}")
    return keys


def experiment_filter(text: str | None) -> str:
    """MLflow's experiment filter as gittrack's (names, ids, times and tags; AND only)."""
    clauses = []
    for parsed in SearchExperimentsUtils.parse_search_filter(text):
        kind, key, op = parsed["type"], parsed["key"], parsed["comparator"].upper()
        utils = SearchExperimentsUtils
        if not (utils.is_string_attribute(kind, key, op) or utils.is_numeric_attribute(kind, key, op)):
            utils.is_tag(kind, op)
        numeric = kind == "attribute" and key in utils.NUMERIC_ATTRIBUTES
        clauses.append(_clause(_column(kind, key, {}), op, parsed["value"], numeric=numeric))
    return " AND ".join(clauses)


def experiment_order_by(order_by: Sequence[str] | None) -> list[str]:
    keys = []
    for clause in order_by or []:
        kind, key, ascending = SearchExperimentsUtils.parse_order_by_for_search_experiments(clause)
        keys.append(f"{_column(kind, key, {})} {'ASC' if ascending else 'DESC'}")
    return keys


def _check_comparator(utils: type[SearchUtils], kind: str, key: str, op: str) -> None:
    """MLflow's check of ``op`` for the key's type (``_does_run_match_clause``'s order)."""
    for check in (utils.is_metric, utils.is_param, utils.is_tag):
        if check(kind, op):
            return
    if not (utils.is_string_attribute(kind, key, op) or utils.is_numeric_attribute(kind, key, op)):
        utils.is_dataset(kind, op)


def _column(kind: str, key: str, attributes: dict[str, str]) -> str:
    if kind == "attribute":
        return "attributes." + attributes.get(key, key)
    return f"{_KINDS[kind]}.`" + key.replace("`", "``") + "`"


def _clause(column: str, op: str, value: Any, *, numeric: bool) -> str:
    if op in ("IS NULL", "IS NOT NULL"):
        return f"{column} {op}"
    if op in ("IN", "NOT IN"):
        return f"{column} {op} ({_values(value)})"
    return f"{column} {op} {_number(value) if numeric else _text(value)}"


def _values(values: Sequence[Any]) -> str:
    return ", ".join(_text(str(v)) for v in values)


def _text(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _number(value: Any) -> str:
    number = float(value)
    if math.isinf(number):
        return "1e999" if number > 0 else "-1e999"
    return str(value) if isinstance(value, int) else repr(number)
