"""The plugin's latest metric (``integrations/mlflow_store/latest.py``) is MLflow's file store's:
the row with the highest ``(step, timestamp, value)``, whatever the order, ties, NaN or damage.

The module imports nothing of MLflow, so this runs in gittrack's own environment; the rule is
``max(rows, key=lambda m: (m.step, m.timestamp, m.value))`` as in
``mlflow/store/tracking/file_store.py`` (3.17.2).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gittrack.integrations.mlflow_store.latest import latest_rows
from gittrack.store.metric_csv import HEADER, MetricRow, format_row

ROWS = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 3),
        st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, 0.5]), st.floats(-2, 2)),
    ),
    max_size=8,
)


def _write(run_dir: Path, key: str, text: str) -> None:
    path = run_dir / "metrics" / f"{key}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _same(a: MetricRow | None, b: MetricRow | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.step, a.timestamp) == (b.step, b.timestamp) and (
        a.value == b.value or (math.isnan(a.value) and math.isnan(b.value))
    )


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, damaged=st.booleans())
def test_the_latest_row_is_mlflows_max(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[int, int, float]], damaged: bool
) -> None:
    run_dir = tmp_path_factory.mktemp("run")
    text = HEADER + "".join(format_row(*r) for r in rows)
    if damaged:
        text += "not,a,row\n" + "3,3,9"  # a bad line (skipped) and a torn last line (never data)
    _write(run_dir, "val/loss", text)
    want = max((MetricRow(*r) for r in rows), key=lambda m: (m.step, m.timestamp, m.value), default=None)
    got = latest_rows(run_dir, ["val/loss", "absent"])
    assert _same(got.get("val/loss"), want)
    assert "absent" not in got


def test_an_appended_row_is_seen(tmp_path: Path) -> None:
    """Metric files only grow: the cached answer is dropped when the file changes."""
    _write(tmp_path, "m", HEADER + format_row(1, 10, 0.5))
    assert latest_rows(tmp_path, ["m"])["m"] == MetricRow(1, 10, 0.5)
    _write(tmp_path, "m", HEADER + format_row(1, 10, 0.5) + format_row(2, 5, 0.25))
    assert latest_rows(tmp_path, ["m"])["m"] == MetricRow(2, 5, 0.25)
