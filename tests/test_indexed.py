"""The SQL path over the run index (:mod:`gittrack.query.indexed`) answers exactly as the
DataFrame path: generated stores, filters and order-bys, compared frame for frame.

Runs are written with the store's own writer into real directories; the DataFrame path is
the same ``search`` with the index's SQL turned off.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gittrack.query import indexed
from gittrack.query import search as search_module
from gittrack.query.search import search
from gittrack.store import context, ids, layout
from gittrack.store.layout import Meta
from gittrack.store.writer import RunWriter

_KEYS = ["a", "b", "c d"]
_param = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.5, -1.5, 1e20, math.inf, True, False, "x", "y", "1", "1.0", "nan", "", "é", "X"]),
)
_metric = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, math.inf, -math.inf, math.nan]), st.integers(-2, 2)
)
_run = st.fixed_dictionaries(
    {
        "params": st.dictionaries(st.sampled_from(_KEYS), _param, max_size=3),
        "metrics": st.dictionaries(st.sampled_from(_KEYS), _metric, max_size=3),
        "tags": st.dictionaries(
            st.sampled_from(_KEYS), st.sampled_from(["x", "y", "X", "1", "ab%", "a_b"]), max_size=2
        ),
        "status": st.sampled_from(["FINISHED", "FINISHED", "FAILED", "KILLED"]),
        "experiment": st.sampled_from(["e1", "e2"]),
        "start": st.integers(0, 3),
        "deleted": st.booleans(),
    }
)


def make_run(store: Path, spec: dict[str, Any]) -> None:
    meta = Meta(
        run_id=ids.new_run_id(),
        name=ids.new_run_name(),
        experiment=spec["experiment"],
        status="RUNNING",
        start_time=1_700_000_000_000 + spec["start"],
        host=context.host(),
        pid=os.getpid(),
    )
    writer = RunWriter.create(store, meta, new_id=ids.new_run_id)
    writer.log_params(spec["params"])
    for key, value in spec["metrics"].items():
        writer.log_metric(key, float(value))
    writer.set_tags(spec["tags"])
    writer.finish(spec["status"])
    if spec["deleted"]:
        from gittrack.store.yamlio import dump, load

        path = writer.run_dir / layout.META
        data = load(path.read_text())
        data["lifecycle_stage"] = "deleted"
        path.write_text(dump(data))


def _ident(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["metrics", "params", "params", "tags", "attributes"]))
    if kind == "attributes":
        return kind, draw(
            st.sampled_from(["status", "run_name", "experiment_id", "lifecycle_stage", "start_time"])
        )
    return kind, f"{kind}.`{draw(st.sampled_from([*_KEYS, 'zz']))}`"


_numbers = st.sampled_from(["0", "1", "-1.5", "2.5", "1e20", "3"])
_strings = st.sampled_from(["'x'", "'y'", "'1'", "'1.0'", "''", "'é'", "'FINISHED'", "'e1'", "'active'"])


@st.composite
def _filters(draw: st.DrawFn) -> str:
    def comparison() -> str:
        kind, ident = _ident(draw)
        if kind == "attributes":
            if ident == "start_time":
                return f"attributes.start_time {draw(st.sampled_from(['<', '>=', '=']))} {1_700_000_000_001}"
            return (
                f"attributes.{ident} {draw(st.sampled_from(['=', '!=', 'LIKE', 'ILIKE']))} {draw(_strings)}"
            )
        shape = draw(
            st.sampled_from(["cmp", "in", "null", "like"] if kind != "metrics" else ["cmp", "in", "null"])
        )
        if shape == "null":
            return f"{ident} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
        if shape == "like":
            pattern = draw(st.sampled_from(["'%'", "'x%'", "'_'", "'a\\_b'", "'%B'", "'1%'"]))
            return f"{ident} {draw(st.sampled_from(['LIKE', 'ILIKE']))} {pattern}"
        values = _numbers if kind == "metrics" else st.one_of(_numbers, _strings)
        if shape == "in":
            listed = draw(st.lists(values, min_size=1, max_size=3))
            return f"{ident} {draw(st.sampled_from(['IN', 'NOT IN']))} ({', '.join(listed)})"
        value = draw(values)
        ops = ["=", "!=", "<", "<=", ">", ">="]
        return f"{ident} {draw(st.sampled_from(ops))} {value}"

    def expression(depth: int) -> str:
        if depth == 0 or draw(st.booleans()):
            return comparison()
        return f"({expression(depth - 1)} {draw(st.sampled_from(['AND', 'OR']))} {expression(depth - 1)})"

    return draw(st.sampled_from(["", expression(2)]))


@st.composite
def _orders(draw: st.DrawFn) -> list[str]:
    keys = []
    for _ in range(draw(st.integers(0, 2))):
        kind, ident = _ident(draw)
        name = f"attributes.{ident}" if kind == "attributes" else ident
        keys.append(f"{name} {draw(st.sampled_from(['ASC', 'DESC', '']))}".strip())
    return keys


def _both(store: Path, **kwargs: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    search_module.clear_memory()
    got = search(store, warn=lambda _: None, **kwargs)
    search_module._use_index = False
    try:
        expected = search(store, warn=lambda _: None, **kwargs)
    finally:
        search_module._use_index = True
    return got, expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), runs=st.lists(_run, min_size=0, max_size=6))
def test_the_sql_path_equals_the_dataframe_path(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, runs: list[dict[str, Any]]
) -> None:
    store = tmp_path_factory.mktemp("indexed") / ".runs"
    for spec in runs:
        make_run(store, spec)
    for _ in range(4):
        kwargs = {
            "filter_string": data.draw(_filters()),
            "order_by": data.draw(_orders()),
            "max_results": data.draw(st.sampled_from([None, 0, 1, 3])),
            "view": data.draw(st.sampled_from(["active", "deleted", "all"])),
            "experiments": data.draw(st.sampled_from([None, ["e1"], ["e2", "e3"]])),
            "params_as_text": data.draw(st.booleans()),
        }
        got, expected = _both(store, **kwargs)
        pd.testing.assert_frame_equal(got, expected, obj=str(kwargs))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), runs=st.lists(_run, min_size=2, max_size=8))
def test_a_filtered_limited_query_looking_at_the_newest_runs_first_equals_the_dataframe_path(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, runs: list[dict[str, Any]]
) -> None:
    store = tmp_path_factory.mktemp("window") / ".runs"
    for spec in runs:
        make_run(store, spec)
    window = indexed.WINDOW
    indexed.WINDOW = data.draw(st.integers(1, 4))  # fewer runs than the store holds
    try:
        for _ in range(4):
            kwargs = {
                "filter_string": data.draw(_filters().filter(bool)),
                "max_results": data.draw(st.integers(1, 3)),
                "view": data.draw(st.sampled_from(["active", "all"])),
            }
            got, expected = _both(store, **kwargs)
            pd.testing.assert_frame_equal(got, expected, obj=str(kwargs))
    finally:
        indexed.WINDOW = window


def test_answers_come_from_sql_when_it_can(tmp_path: Path) -> None:
    store = tmp_path / ".runs"
    make_run(store, {"params": {"a": 1}, "metrics": {"a": 1.0}, "tags": {}, "status": "FINISHED",
                     "experiment": "e1", "start": 0, "deleted": False})  # fmt: skip
    search(store)  # fills the index
    found = indexed.search_rows(
        store, expr=None, keys=[], experiments=None, view="active", limit=None, deleted=set(),
        params_as_text=False, warn=lambda _: None,
    )  # fmt: skip
    assert found is not None
    assert [r["params.a"] for r in found[0]] == [1]


def test_datasets_filters_take_the_dataframe_path(tmp_path: Path) -> None:
    from gittrack.query.filter_parse import parse_filter

    store = tmp_path / ".runs"
    make_run(store, {"params": {}, "metrics": {}, "tags": {}, "status": "FINISHED",
                     "experiment": "e1", "start": 0, "deleted": False})  # fmt: skip
    found = indexed.search_rows(
        store, expr=parse_filter("datasets.name = 'x'"), keys=[], experiments=None, view="active",
        limit=None, deleted=set(), params_as_text=False, warn=lambda _: None,
    )  # fmt: skip
    assert found is None
    assert search(store, filter_string="datasets.name = 'x'").empty


@pytest.fixture(autouse=True)
def _no_leftover_memo() -> Iterator[None]:
    search_module.clear_memory()
    yield
    search_module.clear_memory()
