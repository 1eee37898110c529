"""The column-wise metric reader gives exactly the rows of the line-by-line one."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gittrack.store.metric_csv import HEADER, format_row, parse_columns, parse_history

rows = st.tuples(
    st.integers(0, 10**6), st.integers(0, 2**41), st.floats(allow_nan=True, allow_infinity=True)
).map(lambda r: format_row(*r))
garbage = st.sampled_from(["", "1,2", "1,2,3,4", "x,1,1.0", "1,2,zz", "<<<<<<< HEAD", "1,2,3.0e"])


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(rows, rows, rows, garbage.map(lambda g: g + "\n"))), st.booleans(), st.text(max_size=5)
)
def test_columns_equal_rows(lines: list[str], header: bool, tail: str) -> None:
    text = (HEADER if header else "") + "".join(lines) + tail.replace("\n", "")
    steps, stamps, values = parse_columns(text, Path("m.csv"))
    expected = parse_history(text, Path("m.csv"))[0]
    assert steps == [r.step for r in expected]
    assert stamps == [r.timestamp for r in expected]
    assert len(values) == len(expected)
    assert all(same(a, r.value) for a, r in zip(values, expected, strict=True))
