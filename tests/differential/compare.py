"""Compare a backend's answer with MLflow's and name the first kind of disagreement.

Categories, checked in this order so that one root cause gives one category:

- ``gittrack-answers-where-mlflow-raises`` / ``gittrack-raises``: one side raised (any
  exception class: both raising is agreement),
- ``different-set``: other runs (or experiments, as a multiset of keys),
- ``different-order``: the same runs in another order,
- ``different-columns``: DataFrame columns missing, or extra ones not documented,
- ``different-values``: dtypes, cells, Run fields, tokens, page sizes or scalar values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from differential.cases import Case

CATEGORIES = (
    "different-set",
    "different-order",
    "gittrack-raises",
    "gittrack-answers-where-mlflow-raises",
    "different-values",
    "different-columns",
)
_GROUP_PREFIX = {"params": "params.", "metrics": "metrics.", "tags": "tags."}


@dataclass(frozen=True)
class Verdict:
    category: str | None  # None: the answers agree
    detail: str = ""

    @property
    def agrees(self) -> bool:
        return self.category is None


AGREE = Verdict(None)


def compare(
    case: Case, expected: dict[str, Any], actual: dict[str, Any], extra_columns: Iterable[str] = ()
) -> Verdict:
    if expected["kind"] == "error":
        if actual["kind"] == "error":
            return AGREE
        return Verdict("gittrack-answers-where-mlflow-raises", f"MLflow raised {expected['class']}")
    if actual["kind"] == "error":
        return Verdict("gittrack-raises", f"raised {actual['class']}")
    if expected["kind"] != actual["kind"]:
        return Verdict("different-values", f"answer is a {actual['kind']}, MLflow's a {expected['kind']}")
    if expected["kind"] == "value":
        return _equal("value", expected["value"], actual["value"])
    for check in case.checks:
        verdict = _check(check, expected, actual, set(extra_columns))
        if not verdict.agrees:
            return verdict
    return AGREE


def _check(check: str, expected: dict[str, Any], actual: dict[str, Any], extra: set[str]) -> Verdict:
    if check == "keys":
        return _keys(expected, actual)
    if check == "columns":
        return _columns(expected["columns"], actual["columns"], extra)
    if check == "dtypes":
        shared = [c for c in expected["columns"] if c in actual["dtypes"]]
        return _equal(
            "dtypes", {c: expected["dtypes"][c] for c in shared}, {c: actual["dtypes"][c] for c in shared}
        )
    if check == "token":
        return _equal("has_token", expected["has_token"], actual.get("has_token"))
    if check == "pages":
        return _equal("page_sizes", expected["page_sizes"], actual.get("page_sizes"))
    if check.startswith("values"):
        group = check.partition(":")[2] or None
        return _values(expected, actual, group)
    raise ValueError(f"unknown check {check!r}")


def _keys(expected: dict[str, Any], actual: dict[str, Any]) -> Verdict:
    want, got = expected["keys"], actual["keys"]
    if want == got:
        return AGREE
    if expected["kind"] == "history":
        return Verdict("different-values", f"history (step, value): got {got}, expected {want}")
    if Counter(map(str, want)) != Counter(map(str, got)):
        missing = sorted(set(map(str, want)) - set(map(str, got)))
        unexpected = sorted(set(map(str, got)) - set(map(str, want)))
        return Verdict(
            "different-set",
            f"missing {missing}, unexpected {unexpected} (got {len(got)}, expected {len(want)})",
        )
    first = next(i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b)
    return Verdict(
        "different-order",
        f"from position {first}: got {got[first : first + 6]}, expected {want[first : first + 6]}",
    )


def _columns(want: list[str], got: list[str], extra: set[str]) -> Verdict:
    missing = [c for c in want if c not in got]
    unexpected = [c for c in got if c not in want and c not in extra]
    if missing or unexpected:
        return Verdict("different-columns", f"missing {missing}, undocumented extra {unexpected}")
    order = [c for c in got if c in want]
    if order != want:
        return Verdict("different-columns", f"column order: got {order}, expected {want}")
    return AGREE


def _values(expected: dict[str, Any], actual: dict[str, Any], group: str | None) -> Verdict:
    kind = expected["kind"]
    if kind == "frame":
        return _frame_values(expected, actual, group)
    if kind in ("runs", "run"):
        want = expected["runs"] if kind == "runs" else [expected["run"]]
        got = actual["runs"] if kind == "runs" else [actual["run"]]
        return _run_values(want, got, group)
    if kind == "experiments":
        return _by_key("experiment", expected["experiments"], actual["experiments"], "name")
    if kind == "experiment":
        return _equal("experiment", expected["experiment"], actual["experiment"])
    if kind == "history":
        return _equal("metric history", expected["metrics"], actual["metrics"])
    raise ValueError(f"no values to compare in a {kind}")


def _frame_values(expected: dict[str, Any], actual: dict[str, Any], group: str | None) -> Verdict:
    got_rows = {row.get("tags.case_key"): row for row in actual["rows"]}
    for want in expected["rows"]:
        key = want.get("tags.case_key")
        got = got_rows.get(key)
        if got is None:
            continue  # a missing run is a different-set, reported by the "keys" check
        for column, value in want.items():
            if column not in got or not _in_group(column, group):
                continue  # a missing column is a different-columns, reported by "columns"
            if got[column] != value:
                return Verdict("different-values", f"{key} {column}: got {got[column]!r}, expected {value!r}")
    return AGREE


def _in_group(column: str, group: str | None) -> bool:
    if group is None:
        return True
    if group == "attributes":
        return not column.startswith(tuple(_GROUP_PREFIX.values()))
    return column.startswith(_GROUP_PREFIX[group])


def _run_values(want: list[dict[str, Any]], got: list[dict[str, Any]], group: str | None) -> Verdict:
    got_by_key = {run["key"]: run for run in got}
    parts = ["info", "params", "metrics", "tags"] if group is None else [group.replace("attributes", "info")]
    for run in want:
        other = got_by_key.get(run["key"])
        if other is None:
            continue
        for part in parts:
            if run[part] != other[part]:
                return Verdict("different-values", f"{run['key']} {part}: {_diff(run[part], other[part])}")
    return AGREE


def _diff(want: dict[str, Any], got: dict[str, Any]) -> str:
    keys = sorted(set(want) | set(got))
    changed = {
        k: (got.get(k, "<absent>"), want.get(k, "<absent>"))
        for k in keys
        if want.get(k, "<absent>") != got.get(k, "<absent>")
    }
    return ", ".join(f"{k}: got {g!r}, expected {w!r}" for k, (g, w) in changed.items())


def _by_key(what: str, want: list[dict[str, Any]], got: list[dict[str, Any]], key: str) -> Verdict:
    got_by_key = {item[key]: item for item in got if item}
    for item in want:
        other = got_by_key.get(item[key])
        if other is not None and other != item:
            return Verdict("different-values", f"{what} {item[key]}: {_diff(item, other)}")
    return AGREE


def _equal(what: str, want: Any, got: Any) -> Verdict:
    if want == got:
        return AGREE
    if isinstance(want, dict) and isinstance(got, dict):
        return Verdict("different-values", f"{what}: {_diff(want, got)}")
    return Verdict("different-values", f"{what}: got {got!r}, expected {want!r}")
