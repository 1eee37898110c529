"""The filter language and sort order over a DataFrame of runs."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gittrack.errors import FilterError
from gittrack.query.filter import (
    OrderKey,
    filter_frame,
    filter_mask,
    like_regex,
    parse_filter,
    parse_order_by,
    resolve_identifier,
    sort_frame,
)
from gittrack.query.filter_parse import BoolOp, Comparison, Identifier

NAN = math.nan


def objects(values: list[Any]) -> pd.Series:
    return pd.Series(values, dtype=object)


def make_runs() -> pd.DataFrame:
    """Five runs covering every kind of column, with gaps and mixed types."""
    return pd.DataFrame(
        {
            "run_id": ["r1", "r2", "r3", "r4", "r5"],
            "run_name": ["alpha", "beta", "gamma.1", "delta", "Gamma"],
            "experiment_id": ["exp", "exp", "other", "exp", "other"],
            "status": ["FINISHED", "FAILED", "RUNNING", "FINISHED", "KILLED"],
            "start_time": pd.array([1000, 2000, 3000, 4000, 5000], dtype="Int64"),
            "end_time": pd.array([1500, 2600, None, 4100, 5900], dtype="Int64"),
            "duration": [0.5, 0.6, NAN, 0.1, 0.9],
            "git.commit": objects(["abc", None, "abc", "def", None]),
            "lifecycle_stage": ["active", "active", "active", "deleted", "active"],
            "params.random_state": objects([42, "42", None, "abc", 7]),
            "params.lr": objects([0.1, "0.1", 0.25, True, NAN]),
            "params.model.depth": objects([3, 5, None, 3, 10]),
            "params.flag": objects([True, False, "True", None, "yes"]),
            "metrics.rmse": [0.5, NAN, 2.0, 1.5, 0.8],
            "metrics.val loss": [1.0, 2.0, 3.0, NAN, 5.0],
            "metrics.val/loss": [5.0, 4.0, NAN, 2.0, 1.0],
            "metrics.f1-score": [0.1, 0.2, 0.3, 0.4, 0.5],
            "tags.note": objects(["a.b", "axb", None, "A.Bc", "a.b%"]),
            "tags.owner": objects(["ann", "bob", "ann", NAN, "it's"]),
        }
    )


RUNS = make_runs()


def matching(text: str, df: pd.DataFrame = RUNS) -> list[str]:
    return list(df.loc[filter_mask(df, text).to_numpy(), "run_id"])


# --- comparisons on each kind of column ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.rmse = 0.5", ["r1"]),
        ("metrics.rmse != 0.5", ["r3", "r4", "r5"]),  # r2 lacks rmse: never matches
        ("metrics.rmse < 1", ["r1", "r5"]),
        ("metrics.rmse <= 0.8", ["r1", "r5"]),
        ("metrics.rmse > 0.8", ["r3", "r4"]),
        ("metrics.rmse >= 0.8", ["r3", "r4", "r5"]),
        ("metrics.rmse > -1e-3", ["r1", "r3", "r4", "r5"]),
        ("metrics.rmse < 2e0", ["r1", "r4", "r5"]),
        ("metrics.rmse IN (0.5, 2)", ["r1", "r3"]),
        ("metrics.rmse NOT IN (0.5, 2)", ["r4", "r5"]),
        ("metric.rmse = .5", ["r1"]),
        ("metrics.f1-score >= 0.4", ["r4", "r5"]),
    ],
)
def test_metric_comparisons(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A quoted value compares with the string form of what was logged.
        ("params.random_state = '42'", ["r1", "r2"]),
        ("params.random_state != '42'", ["r4", "r5"]),
        ("params.random_state < '5'", ["r1", "r2"]),  # '42' < '5' < '7' < 'abc'
        ("params.random_state >= '7'", ["r4", "r5"]),
        ("params.random_state > '42'", ["r4", "r5"]),
        ("params.random_state <= '42'", ["r1", "r2"]),
        # An unquoted number compares numerically; non-numbers never match.
        ("params.random_state = 42", ["r1", "r2"]),
        ("params.random_state > 40", ["r1", "r2"]),
        ("params.random_state < 40", ["r5"]),
        ("params.random_state != 42", ["r5"]),
        ("params.random_state <= 7", ["r5"]),
        ("params.random_state >= 7.0", ["r1", "r2", "r5"]),
        ("params.lr = '0.1'", ["r1", "r2"]),
        ("params.lr < 0.2", ["r1", "r2"]),  # True is not a number
        ("params.lr = 0.25", ["r3"]),
        ("params.lr = 'True'", ["r4"]),
        ("params.flag = 'True'", ["r1", "r3"]),
        ("params.flag = 'False'", ["r2"]),
        ("params.flag = 1", []),
        ("params.random_state IN ('42', '7')", ["r1", "r2", "r5"]),
        ("params.random_state IN (42, 'abc')", ["r1", "r2", "r4"]),
        ("params.random_state NOT IN ('42')", ["r4", "r5"]),
        ("params.random_state NOT IN (42)", ["r5"]),
        ("params.random_state LIKE '4%'", ["r1", "r2"]),
        ("params.random_state ILIKE 'ABC'", ["r4"]),
        ("param.random_state = '7'", ["r5"]),
        ("parameters.random_state = '7'", ["r5"]),
        ("parameter.random_state = '7'", ["r5"]),
    ],
)
def test_param_comparisons(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tags.owner = 'ann'", ["r1", "r3"]),
        ("tags.owner != 'ann'", ["r2", "r5"]),  # r4's NaN owner never matches
        ("tags.owner > 'b'", ["r2", "r5"]),
        ("tags.owner IN ('bob', 'x')", ["r2"]),
        ("tags.owner NOT IN ('bob', 'x')", ["r1", "r3", "r5"]),
        ("tags.owner = 'it''s'", ["r5"]),
        ('tags.owner = "it\'s"', ["r5"]),
        ("tag.owner LIKE '%n%'", ["r1", "r3"]),
        ("tags.note LIKE 'a.b%'", ["r1", "r5"]),  # '.' is literal: not 'axb'
        ("tags.note ILIKE 'a.b%'", ["r1", "r4", "r5"]),
        ("tags.note LIKE 'a_b'", ["r1", "r2"]),
        ("tags.note LIKE '%\\%'", []),  # no escapes: '\' is a literal backslash
        ("tags.note LIKE '%%%'", ["r1", "r2", "r4", "r5"]),
        ("tags.note LIKE 'a.b'", ["r1"]),
        ("tags.note ILIKE '%C'", ["r4"]),
    ],
)
def test_tag_comparisons(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("attributes.status = 'FINISHED'", ["r1", "r4"]),
        ("attributes.status != 'FINISHED'", ["r2", "r3", "r5"]),
        ("attributes.status IN ('FAILED', 'KILLED')", ["r2", "r5"]),
        ("attributes.status NOT IN ('FAILED', 'KILLED')", ["r1", "r3", "r4"]),
        ("attributes.status LIKE 'F%'", ["r1", "r2", "r4"]),
        ("attributes.run_name ILIKE 'gamma%'", ["r3", "r5"]),
        ("attributes.run_name LIKE 'gamma_1'", ["r3"]),
        ("attributes.run_id = 'r3'", ["r3"]),
        ("attributes.experiment_id = 'exp'", ["r1", "r2", "r4"]),
        ("attributes.experiment = 'other'", ["r3", "r5"]),
        ("attributes.lifecycle_stage = 'deleted'", ["r4"]),
        ("attributes.start_time >= 3000", ["r3", "r4", "r5"]),
        ("attributes.start_time IN (1000, 5000)", ["r1", "r5"]),
        ("attributes.end_time > 2000", ["r2", "r4", "r5"]),
        ("attributes.end_time != 1500", ["r2", "r4", "r5"]),
        ("attributes.duration < 0.55", ["r1", "r4"]),
        ("attribute.status = 'KILLED'", ["r5"]),
        ("attr.status = 'KILLED'", ["r5"]),
        ("run.status = 'KILLED'", ["r5"]),
        ("attributes.STATUS = 'KILLED'", ["r5"]),
    ],
)
def test_attribute_comparisons(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


# --- identifiers and quoting ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.`val loss` < 2.5", ["r1", "r2"]),
        ('metrics."val loss" < 2.5', ["r1", "r2"]),
        ("metrics.val/loss < 2.5", ["r4", "r5"]),
        ("metrics.`val/loss` < 2.5", ["r4", "r5"]),
        ("params.model.depth = 3", ["r1", "r4"]),
        ("params.model.depth = '3'", ["r1", "r4"]),
        ('params."model.depth" = "10"', ["r5"]),
        ("params.`model.depth` > 4", ["r2", "r5"]),
        ("metrics.`val loss` < 2.5 AND metrics.`val/loss` > 4.5", ["r1"]),
    ],
)
def test_quoted_and_dotted_keys(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


def test_unquoted_keys_may_hold_unicode_letters() -> None:
    df = pd.DataFrame({"run_id": ["a", "b"], "metrics.précision": [0.5, 0.9]})
    assert matching("metrics.précision > 0.6", df) == ["b"]


def test_a_doubled_quote_inside_a_quoted_key() -> None:
    df = pd.DataFrame({"run_id": ["a", "b"], "metrics.it`s": [1.0, 2.0]})
    assert matching("metrics.`it``s` > 1", df) == ["b"]


def test_parse_filter_builds_identifiers_with_frame_columns() -> None:
    expr = parse_filter("metrics.`val loss` < 1 and attr.experiment = 'x'")
    assert expr == BoolOp(
        "AND",
        (
            Comparison(Identifier("metrics", "val loss", "number"), "<", 1.0),
            Comparison(Identifier("attributes", "experiment_id", "string"), "=", "x"),
        ),
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_filter_matches_every_run(text: str) -> None:
    assert parse_filter(text) is None
    assert matching(text) == ["r1", "r2", "r3", "r4", "r5"]


# --- boolean structure --------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    running, low, lr = (
        "attributes.status = 'RUNNING'",
        "metrics.rmse < 1",
        "params.lr = '0.1'",
    )
    assert matching(f"{running} OR {low} AND {lr}") == ["r1", "r3"]
    assert matching(f"{running} OR ({low} AND {lr})") == ["r1", "r3"]
    assert matching(f"({running} OR {low}) AND {lr}") == ["r1"]
    assert matching(f"{low} AND {lr} OR {running}") == ["r1", "r3"]


def test_nested_parentheses() -> None:
    text = "((metrics.rmse < 1) or (attributes.status = 'RUNNING' and (params.lr = 0.25)))"
    assert matching(text) == ["r1", "r3", "r5"]


@pytest.mark.parametrize(
    "text",
    [
        "metrics.rmse < 1 and tags.owner like 'a%' or attributes.status ilike 'running'",
        "metrics.rmse < 1 AnD tags.owner LiKe 'a%' oR attributes.status ILike 'running'",
    ],
)
def test_keywords_are_case_insensitive(text: str) -> None:
    assert matching(text) == ["r1", "r3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tags.note is null", ["r3"]),
        ("tags.note Is Not Null", ["r1", "r2", "r4", "r5"]),
        ("params.random_state not in ('x')", ["r1", "r2", "r4", "r5"]),
        ("params.random_state in (42)", ["r1", "r2"]),
    ],
)
def test_word_operators_are_case_insensitive(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


# --- missing values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.rmse IS NULL", ["r2"]),  # NaN is missing
        ("metrics.rmse IS NOT NULL", ["r1", "r3", "r4", "r5"]),
        ("params.random_state IS NULL", ["r3"]),
        ("tags.owner IS NULL", ["r4"]),
        ("attributes.end_time IS NULL", ["r3"]),
        ("attributes.end_time IS NOT NULL", ["r1", "r2", "r4", "r5"]),
        ("metrics.nope IS NULL", ["r1", "r2", "r3", "r4", "r5"]),
        ("metrics.nope IS NOT NULL", []),
        ("metrics.nope != 1", []),
        ("params.nope != 'x'", []),
        ("params.nope NOT IN ('x', 1)", []),
        ("tags.nope != ''", []),
        ("tags.owner != 'nobody'", ["r1", "r2", "r3", "r5"]),
        ("params.random_state NOT IN ('nothing')", ["r1", "r2", "r4", "r5"]),
    ],
)
def test_a_missing_key_matches_only_is_null(text: str, expected: list[str]) -> None:
    assert matching(text) == expected


def test_a_frame_without_columns() -> None:
    empty = pd.DataFrame()
    assert filter_mask(empty, "attributes.status = 'FINISHED'").tolist() == []
    assert filter_frame(empty, "metrics.m IS NULL").empty
    assert sort_frame(empty, ["metrics.m DESC"]).empty
    with pytest.raises(FilterError):
        filter_mask(empty, "attributes.status <")


def test_a_frame_lacking_attribute_columns_treats_them_as_missing() -> None:
    df = pd.DataFrame({"metrics.m": [1.0, 2.0]})
    assert filter_mask(df, "attributes.status != 'x'").tolist() == [False, False]
    assert filter_mask(df, "attributes.end_time IS NULL").tolist() == [True, True]


def test_mask_is_aligned_with_a_custom_index() -> None:
    df = make_runs().set_index(pd.Index([50, 40, 30, 20, 10]))
    mask = filter_mask(df, "metrics.rmse < 1")
    assert mask.dtype == bool
    assert list(mask.index) == [50, 40, 30, 20, 10]
    assert mask.tolist() == [True, False, False, False, True]
    assert list(filter_frame(df, "metrics.rmse < 1").index) == [50, 10]


def test_filter_frame_keeps_every_column() -> None:
    result = filter_frame(RUNS, "params.random_state = 42")
    assert list(result.columns) == list(RUNS.columns)
    assert result["run_id"].tolist() == ["r1", "r2"]
    assert filter_frame(RUNS, "").equals(RUNS)


def test_string_dtype_columns() -> None:
    df = pd.DataFrame(
        {
            "run_id": pd.array(["a", "b", "c"], dtype="string"),
            "tags.t": pd.array(["x.y", None, "xzy"], dtype="string"),
            "metrics.m": pd.array([1.0, None, 3.0], dtype="Float64"),
        }
    )
    assert matching("tags.t LIKE 'x.y'", df) == ["a"]
    assert matching("tags.t != 'q'", df) == ["a", "c"]
    assert matching("metrics.m >= 1", df) == ["a", "c"]
    assert matching("metrics.m IS NULL", df) == ["b"]


# --- LIKE never passes user text to the regex engine -----------------------------------


@given(st.text(alphabet=st.characters(blacklist_characters="%_"), max_size=20))
def test_like_without_wildcards_matches_only_the_literal(literal: str) -> None:
    assert like_regex(literal).fullmatch(literal)
    assert not like_regex(literal).fullmatch(literal + "x")
    assert not like_regex(literal + "x").fullmatch(literal)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("a.b%", "axb", False),
        ("a.b%", "a.bc", True),
        ("(x)+", "(x)+", True),
        ("(x)+", "xx", False),
        ("[ab]", "a", False),
        ("^a$", "^a$", True),
        ("a|b", "a", False),
        ("a\\d", "a\\d", True),
        ("a\\d", "a1", False),
        ("x_z", "x\nz", True),
        ("%", "", True),
    ],
)
def test_like_regex_escapes_metacharacters(pattern: str, text: str, expected: bool) -> None:
    assert bool(like_regex(pattern).fullmatch(text)) is expected


# --- malformed filters ----------------------------------------------------------------------

_OPERATORS = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL or IS NOT NULL"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.accuracy <", "column 19: expected a value after '<'"),
        ("metrics.x < AND metrics.y > 1", "column 13: expected a value after '<', got 'AND'"),
        (
            "params.model = xgb",
            "column 16: expected a value after '=', got 'xgb': quote strings, as in 'xgb'",
        ),
        (
            "params.x = `a`",
            "column 12: expected a value after '=', got `a`: backticks quote keys, quote strings with '...'",
        ),
        ("metrics.x = 'abc", "column 13: unterminated string: expected a closing '"),
        ('params.x = "abc', 'column 12: unterminated string: expected a closing "'),
        ("metrics.`val loss < 1", "column 9: unterminated key: expected a closing `"),
        (
            "foo.x > 1",
            "column 1: unknown prefix 'foo': expected metrics., params., tags., attributes. or datasets.",
        ),
        (
            "rmse < 1",
            "column 1: 'rmse' needs a prefix: write metrics.rmse, params.rmse or tags.rmse",
        ),
        (
            "attributes.foo = 'x'",
            "column 1: unknown attribute 'foo': expected one of run_id, run_name, status, "
            "experiment_id, lifecycle_stage, user, artifact_uri, parent_run_id, start_time, "
            "end_time, duration",
        ),
        (
            "metrics. > 1",
            "column 9: expected a key after 'metrics.', as in metrics.rmse or metrics.`val loss`",
        ),
        ("metrics.x == 1", f"column 11: unknown operator '==': expected {_OPERATORS}"),
        ("metrics.x BETWEEN 1", f"column 11: unknown operator 'BETWEEN': expected {_OPERATORS}"),
        ("metrics.x", f"column 10: expected an operator ({_OPERATORS}), got the end of the text"),
        ("metrics.x 5", f"column 11: expected an operator ({_OPERATORS}), got '5'"),
        (
            "(metrics.x > 1",
            "column 15: expected ')' to close the '(' at column 1, got the end of the text",
        ),
        ("metrics.x > 1)", "column 14: unbalanced ')': there is no '(' to close"),
        (
            "metrics.x > 1 metrics.y > 2",
            "column 15: expected AND, OR or the end of the filter, got 'metrics.y'",
        ),
        (
            "metrics.x > 1 OR",
            "column 17: expected an identifier such as metrics.rmse or params.model, got the end of the text",
        ),
        (
            "metrics.x > 1 OR OR metrics.y > 1",
            "column 18: expected an identifier such as metrics.rmse or params.model, got 'OR'",
        ),
        (
            "()",
            "column 2: expected an identifier such as metrics.rmse or params.model, got ')'",
        ),
        ("params.x IN ()", "column 14: empty IN list: expected at least one value"),
        ("params.x NOT IN ()", "column 18: empty NOT IN list: expected at least one value"),
        ("params.x IN 'a'", "column 13: expected '(' after IN, got 'a'"),
        ("params.x IN ('a' 'b')", "column 18: expected ',' or ')' in the IN list, got 'b'"),
        ("params.x IN ('a',)", "column 18: expected a value in the IN list, got ')'"),
        ("params.x NOT 'a'", "column 14: expected IN after NOT, got 'a'"),
        ("metrics.x IS 3", "column 14: expected NULL or NOT NULL after IS, got '3'"),
        ("metrics.x IS NOT 3", "column 18: expected NULL after IS NOT, got '3'"),
        ("params.x LIKE 5", "column 15: LIKE needs a quoted string pattern, got 5"),
        ("tags.x ILIKE", "column 13: expected a value after 'ILIKE'"),
        (
            "metrics.x LIKE 'a%'",
            "column 11: LIKE does not apply to metric 'x': use =, !=, <, <=, >, >= or IN",
        ),
        ("metrics.x < 'a'", "column 13: metric 'x' compares with numbers, got string 'a'"),
        ('metrics.x = "1"', "column 13: metric 'x' compares with numbers, got string \"1\""),
        ("metrics.x IN (1, 'a')", "column 18: metric 'x' compares with numbers, got string 'a'"),
        (
            "attributes.start_time > 'today'",
            "column 25: attribute 'start_time' compares with numbers, got string 'today'",
        ),
        (
            "attributes.status < 'a'",
            "column 19: '<' does not apply to attribute 'status': use =, !=, LIKE, ILIKE or IN",
        ),
        (
            "attributes.status = 1",
            "column 21: attribute 'status' compares with strings: quote the value, as in '1'",
        ),
        ("metrics.x > 1 & metrics.y > 2", "column 15: unexpected character '&'"),
        ("metrics.x > 42abc", "column 13: invalid number '42abc'"),
        ("metrics.x > 1.2.3", "column 13: invalid number '1.2.3'"),
    ],
)
def test_malformed_filters(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert str(caught.value) == f"filter error at {message}"
    assert caught.value.column == int(message.split(":")[0].removeprefix("column "))


def test_filter_errors_are_raised_before_looking_at_the_frame() -> None:
    with pytest.raises(FilterError, match="column 19: expected a value after '<'"):
        filter_frame(RUNS, "metrics.accuracy <")


# --- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "column"),
    [
        ("metrics", "rmse", "metrics.rmse"),
        ("metric", "val loss", "metrics.val loss"),
        ("params", "model.depth", "params.model.depth"),
        ("parameter", "x", "params.x"),
        ("tags", "mlflow.note", "tags.mlflow.note"),
        ("attributes", "run_name", "run_name"),
        ("attr", "experiment", "experiment_id"),
        ("run", "start_time", "start_time"),
    ],
)
def test_resolve_identifier(kind: str, key: str, column: str) -> None:
    assert resolve_identifier(kind, key) == column


@pytest.mark.parametrize(
    ("kind", "key", "message"),
    [
        ("metricz", "x", "unknown prefix 'metricz'"),
        ("attributes", "name", "unknown attribute 'name': expected one of run_id, "),
        ("metrics", "", "empty key after 'metrics.'"),
    ],
)
def test_resolve_identifier_errors(kind: str, key: str, message: str) -> None:
    with pytest.raises(FilterError, match=re.escape(f"filter error: {message}")):
        resolve_identifier(kind, key)


# --- order-by keys --------------------------------------------------------------------------


def test_parse_order_by() -> None:
    keys = parse_order_by(
        ["metrics.rmse ASC", "params.alpha DESC", "start_time", "attributes.experiment desc"]
    )
    assert keys == [
        OrderKey("metrics.rmse", ascending=True),
        OrderKey("params.alpha", ascending=False),
        OrderKey("start_time", ascending=True),
        OrderKey("experiment_id", ascending=False),
    ]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (None, []),
        ([], []),
        ("run_name", [OrderKey("run_name", True)]),
        ("metrics.`val loss` DESC", [OrderKey("metrics.val loss", False)]),
        ('tags."a b" asc', [OrderKey("tags.a b", True)]),
        ("metric.x desc, param.y", [OrderKey("metrics.x", False), OrderKey("params.y", True)]),
        (("end_time",), [OrderKey("end_time", True)]),
    ],
)
def test_parse_order_by_forms(keys: Any, expected: list[OrderKey]) -> None:
    assert parse_order_by(keys) == expected


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            "metrics.rmse UP",
            "filter error at column 14: invalid order-by key 'metrics.rmse UP': "
            "expected ASC, DESC, ',' or the end of the key, got 'UP'",
        ),
        (
            ["start_time", "rmse"],
            "filter error at column 1: invalid order-by key 'rmse': "
            "'rmse' needs a prefix: write metrics.rmse, params.rmse or tags.rmse",
        ),
        (
            "attributes.nope DESC",
            "filter error at column 1: invalid order-by key 'attributes.nope DESC': "
            "unknown attribute 'nope': expected one of run_id, run_name, status, "
            "experiment_id, lifecycle_stage, user, artifact_uri, parent_run_id, start_time, "
            "end_time, duration",
        ),
        (
            "metrics.rmse DESC ASC",
            "filter error at column 19: invalid order-by key 'metrics.rmse DESC ASC': "
            "expected ASC, DESC, ',' or the end of the key, got 'ASC'",
        ),
        (
            [" "],
            "filter error: empty order-by key ' ': expected an identifier such as "
            "metrics.rmse, optionally followed by ASC or DESC",
        ),
    ],
)
def test_parse_order_by_errors(keys: Any, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_order_by(keys)
    assert str(caught.value) == message


# --- sorting --------------------------------------------------------------------------------


def order(keys: Any, df: pd.DataFrame = RUNS) -> list[str]:
    return list(sort_frame(df, keys)["run_id"])


def test_default_order_is_newest_first() -> None:
    assert order(None) == ["r5", "r4", "r3", "r2", "r1"]
    assert order([]) == ["r5", "r4", "r3", "r2", "r1"]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("metrics.rmse", ["r1", "r5", "r4", "r3", "r2"]),
        ("metrics.rmse DESC", ["r3", "r4", "r5", "r1", "r2"]),
        ("end_time DESC", ["r5", "r4", "r2", "r1", "r3"]),
        ("end_time ASC", ["r1", "r2", "r4", "r5", "r3"]),
        ("tags.owner", ["r3", "r1", "r2", "r5", "r4"]),  # ties: newest first
        ("tags.owner DESC", ["r5", "r2", "r3", "r1", "r4"]),
    ],
)
def test_missing_values_sort_last_in_both_directions(keys: str, expected: list[str]) -> None:
    assert order(keys) == expected


def test_mixed_type_params_sort_numbers_before_strings() -> None:
    # random_state: r1=42, r2='42', r3=None, r4='abc', r5=7
    assert order("params.random_state") == ["r5", "r2", "r1", "r4", "r3"]
    assert order("params.random_state DESC") == ["r4", "r2", "r1", "r5", "r3"]
    # lr: r1=0.1, r2='0.1', r3=0.25, r4=True (a string here), r5=NaN
    assert order("params.lr") == ["r2", "r1", "r3", "r4", "r5"]


def test_params_sort_numerically_not_lexicographically() -> None:
    df = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "start_time": [1, 2, 3, 4],
            "params.n": objects([10, 9, "100", "x10"]),
        }
    )
    assert order("params.n", df) == ["b", "a", "c", "d"]


def test_ties_fall_back_to_start_time_then_run_id() -> None:
    df = pd.DataFrame(
        {
            "run_id": ["c", "a", "b", "d"],
            "start_time": [5, 5, 5, 9],
            "metrics.m": [1.0, 1.0, 1.0, 1.0],
        }
    )
    assert order("metrics.m", df) == ["d", "a", "b", "c"]
    assert order("start_time", df) == ["a", "b", "c", "d"]


def test_sort_is_stable_for_identical_rows() -> None:
    df = pd.DataFrame({"run_id": ["x", "x", "x"], "metrics.m": [1.0, 1.0, 0.0], "n": [1, 2, 3]})
    assert sort_frame(df, "metrics.m")["n"].tolist() == [3, 1, 2]


def test_sorting_by_several_keys() -> None:
    keys = ["attributes.experiment_id DESC", "metrics.rmse"]
    assert order(keys) == ["r5", "r3", "r1", "r4", "r2"]


def test_sorting_by_an_absent_column_keeps_the_default_order() -> None:
    assert order("metrics.nope DESC") == ["r5", "r4", "r3", "r2", "r1"]


def test_sort_frame_keeps_index_and_columns() -> None:
    df = make_runs().set_index(pd.Index(list("vwxyz")))
    result = sort_frame(df, "metrics.rmse")
    assert list(result.index) == ["v", "z", "y", "x", "w"]
    assert list(result.columns) == list(df.columns)


def test_sort_errors_name_the_key() -> None:
    with pytest.raises(FilterError, match=re.escape("invalid order-by key 'metrics.rmse sideways'")):
        sort_frame(RUNS, ["metrics.rmse sideways"])


# --- property: metric filters agree with a row-by-row evaluation ------------------------------

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_SMALL = [-1.0, 0.0, 0.5, 1.0, 2.5]
metric_values = st.one_of(st.sampled_from([*_SMALL, NAN]), st.floats(allow_infinity=False, width=64))
thresholds = st.one_of(
    st.sampled_from(_SMALL),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
)
comparisons = st.tuples(st.sampled_from(["m", "n"]), st.sampled_from(list(_COMPARE)), thresholds)
Leaf = tuple[str, str, float]
trees = st.recursive(
    comparisons,
    lambda children: st.tuples(
        st.sampled_from(["AND", "OR", "and", "or"]), st.lists(children, min_size=2, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    size = draw(st.integers(0, 8))
    column = st.lists(metric_values, min_size=size, max_size=size)
    return pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(size)],
            "metrics.m": pd.array(draw(column), dtype="float64"),
            "metrics.n": pd.array(draw(column), dtype="float64"),
        }
    )


def render_leaf(leaf: Leaf) -> str:
    name, op, number = leaf
    return f"metrics.{name} {op} {number!r}"


def leaf_holds(leaf: Leaf, row: dict[str, Any]) -> bool:
    name, op, number = leaf
    value = row[f"metrics.{name}"]
    return not math.isnan(value) and _COMPARE[op](value, number)


def render_tree(tree: Any) -> str:
    if isinstance(tree[1], list):
        return "(" + f" {tree[0]} ".join(render_tree(child) for child in tree[1]) + ")"
    return render_leaf(tree)


def tree_holds(tree: Any, row: dict[str, Any]) -> bool:
    if isinstance(tree[1], list):
        combine = all if tree[0].upper() == "AND" else any
        return combine(tree_holds(child, row) for child in tree[1])
    return leaf_holds(tree, row)


@settings(max_examples=200, deadline=None)
@given(frames(), trees)
def test_nested_metric_filters_match_row_by_row(df: pd.DataFrame, tree: Any) -> None:
    expected = [tree_holds(tree, row) for row in df.to_dict("records")]
    assert filter_mask(df, render_tree(tree)).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(
    frames(),
    st.lists(comparisons, min_size=1, max_size=6),
    st.lists(st.sampled_from(["AND", "OR", "and", "Or"]), min_size=5, max_size=5),
)
def test_flat_metric_filters_follow_precedence(
    df: pd.DataFrame, leaves: list[Leaf], joins: list[str]
) -> None:
    text = render_leaf(leaves[0])
    groups = [[leaves[0]]]  # OR of ANDs: how AND binding tighter reads
    for join, leaf in zip(joins, leaves[1:], strict=False):
        text += f" {join} {render_leaf(leaf)}"
        if join.upper() == "AND":
            groups[-1].append(leaf)
        else:
            groups.append([leaf])
    expected = [
        any(all(leaf_holds(leaf, row) for leaf in group) for group in groups) for row in df.to_dict("records")
    ]
    assert filter_mask(df, text).tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3)), max_size=8))
def test_sorting_mixed_params_never_raises_and_puts_missing_last(values: list[Any]) -> None:
    df = pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(len(values))],
            "start_time": list(range(len(values))),
            "params.p": objects(values),
        }
    )
    for direction in ("ASC", "DESC"):
        result = sort_frame(df, f"params.p {direction}")["params.p"].tolist()
        present = [value for value in result if value is not None]
        assert result == present + [None] * (len(result) - len(present))


# --- safety ------------------------------------------------------------------------------------


def test_no_dynamic_evaluation_of_user_text() -> None:
    import gittrack.query.filter as module

    for path in Path(module.__file__).parent.glob("filter*.py"):
        source = path.read_text()
        for forbidden in ("eval(", "exec(", ".query("):
            assert forbidden not in source, f"{forbidden} in {path.name}"


def test_bare_attribute_names_mean_attributes_as_in_mlflow() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b"],
            "status": ["FINISHED", "FAILED"],
            "start_time": pd.array([1, 2], dtype="Int64"),
        }
    )
    assert list(filter_frame(frame, "status = 'FAILED'")["run_id"]) == ["b"]
    assert list(filter_frame(frame, "attributes.status = 'FAILED'")["run_id"]) == ["b"]


@pytest.mark.parametrize("text", ["metrics.x > 1 AND", "AND metrics.x > 1", "and metrics.x > 1 and"])
def test_a_dangling_and_is_ignored_as_mlflow_does(text: str) -> None:
    assert parse_filter(text) == parse_filter("metrics.x > 1")
