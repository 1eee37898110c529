"""Params MLflow sends as text are stored typed, and read back as the very same text (the
module imports no MLflow, so this runs without the ``[mlflow]`` extra)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gittrack.integrations.mlflow_store.params import typed_param
from gittrack.store import yamlio
from gittrack.store.names import param_str

values = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.none(), st.text(max_size=30),
    st.sampled_from(["1e-3", "007", "1_000", "-0", "-0.0", "Infinity", "nan", " 1", "١٢", "True ", "none"]),
)  # fmt: skip


@given(values)
def test_mlflow_text_reads_back_unchanged(value: object) -> None:
    text = param_str(value)  # what MLflow's client sends for a param logged as ``value``
    stored = yamlio.load(yamlio.dump_entry("p", typed_param(text)))["p"]
    assert param_str(stored) == text


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()))
def test_a_typed_value_is_stored_as_import_gittrack_stores_it(value: object) -> None:
    assert yamlio.dump_entry("p", typed_param(param_str(value))) == yamlio.dump_entry("p", value)


def test_examples() -> None:
    assert [typed_param(t) for t in ("10", "0.5", "True", "None", "1e-3", "adam", "007")] == [
        10, 0.5, True, None, "1e-3", "adam", "007"
    ]  # fmt: skip
