"""Validation of names, metric values, steps and artifact paths (gittrack.store.names, DESIGN.md §5)."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gittrack.errors import InvalidArtifactPathError, InvalidNameError, InvalidValueError
from gittrack.store import ids, names
from gittrack.store.layout import Meta
from gittrack.store.reader import read_run
from gittrack.store.writer import RunWriter, now_ms

# -- names ------------------------------------------------------------------------------------

VALID_NAMES = [
    "a",
    "loss",
    "train/loss",
    "a-b_c.d e",
    "learning rate",
    "1",
    "v1.2",
    ".hidden",
    "a..b",
    "x" * 250,
    "ümlaut/日本語/Ωμέγα",
    "число_эпох",
    "٣",  # an Arabic-Indic digit: a Unicode digit
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_names_are_returned_unchanged(name: str) -> None:
    assert names.check_name(name) == name


BAD_NAMES = [
    pytest.param("/a", "must not start with '/'", id="leading-slash"),
    pytest.param("/", "must not start with '/'", id="only-slash"),
    pytest.param("..", "'..'", id="dotdot"),
    pytest.param("a/../b", "'..'", id="dotdot-inside"),
    pytest.param("../a", "'..'", id="dotdot-first"),
    pytest.param("a/..", "'..'", id="dotdot-last"),
    pytest.param(".", "'.'", id="dot"),
    pytest.param("a/./b", "'.'", id="dot-segment"),
    pytest.param("a//b", "empty", id="double-slash"),
    pytest.param("a/", "empty", id="trailing-slash"),
    pytest.param("a /b", "space-padded", id="space-padded-segment"),
    pytest.param("a\nb", "contains '\\n'", id="newline"),
    pytest.param("a\tb", "contains '\\t'", id="tab"),
    pytest.param("a\x00", "contains '\\x00'", id="nul"),
    pytest.param("a\x1b[31m", "contains '\\x1b'", id="escape"),
    pytest.param("a\x7f", "contains '\\x7f'", id="del"),
    pytest.param("a:b", "contains ':'", id="colon"),
    pytest.param("a=b", "contains '='", id="equals"),
    pytest.param("a,b", "contains ','", id="comma"),
    pytest.param("a*b", "contains '*'", id="star"),
    pytest.param("a\\b", "contains '\\\\'", id="backslash"),
    pytest.param("a'b", 'contains "\'"', id="quote"),
    pytest.param('a"b', "contains '\"'", id="double-quote"),
    pytest.param("a#b", "contains '#'", id="hash"),
    pytest.param("a+b", "contains '+'", id="plus"),
    pytest.param("a\u200bb", "contains '\\u200b'", id="zero-width-space"),
    pytest.param("a\U0001f642", "contains", id="emoji"),
]


@pytest.mark.parametrize(("name", "fragment"), BAD_NAMES)
def test_bad_names_raise_invalid_name_error_naming_the_name(name: str, fragment: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        names.check_name(name, "param name")
    message = str(caught.value)
    assert repr(name) in message
    assert fragment in message
    assert message.startswith("param name ")


def test_empty_name_is_refused() -> None:
    with pytest.raises(InvalidNameError, match=r"^metric name must not be empty$"):
        names.check_name("", "metric name")


def test_name_of_251_characters_is_refused_with_its_length() -> None:
    with pytest.raises(InvalidNameError, match="is 251 characters long; the limit is 250"):
        names.check_name("y" * 251)


@pytest.mark.parametrize("name", [5, None, b"loss", 1.5])
def test_non_string_names_are_refused(name: object) -> None:
    with pytest.raises(InvalidNameError, match="must be a string"):
        names.check_name(name)


def test_invalid_name_error_is_a_value_error() -> None:
    # Code written for MLflow catches MlflowException / ValueError around logging.
    with pytest.raises(ValueError):
        names.check_name("a:b")


# -- metric values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [True, False, np.bool_(True), "1.5", "x", None, 1 + 2j, [1.0], {"v": 1}, np.array([1.0, 2.0])],
    ids=lambda v: type(v).__name__,
)
def test_non_real_metric_values_are_refused_naming_the_key(value: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        names.check_metric_value("rmse", value)
    assert "'rmse'" in str(caught.value)
    assert "is not a real number" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (2.5, 2.5),
        (np.float32(0.5), 0.5),
        (np.float64(0.1), 0.1),
        (np.int64(3), 3.0),
        (np.int8(-4), -4.0),
        (np.array(7.25), 7.25),  # a 0-d array holds one number
        (Fraction(1, 4), 0.25),
        (float("inf"), float("inf")),
        (-0.0, -0.0),
    ],
    ids=repr,
)
def test_real_metric_values_become_python_floats(value: object, expected: float) -> None:
    got = names.check_metric_value("m", value)
    assert type(got) is float
    assert repr(got) == repr(expected)


def test_nan_metric_value_is_accepted() -> None:
    got = names.check_metric_value("m", float("nan"))
    assert got != got


# -- steps and timestamps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        (-1, "step -1 must be >= 0"),
        (np.int64(-3), "step -3 must be >= 0"),
        (1.0, "must be an integer >= 0, got float"),
        (1.5, "must be an integer >= 0, got float"),
        (True, "must be an integer >= 0, got bool"),
        (False, "must be an integer >= 0, got bool"),
        ("2", "must be an integer >= 0, got str"),
        (np.float64(2.0), "must be an integer >= 0, got float"),
    ],
    ids=repr,
)
def test_bad_steps_are_refused(step: object, fragment: str) -> None:
    with pytest.raises(InvalidValueError, match=r"^metric 'loss': ") as caught:
        names.check_step("loss", step)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("step", "expected"), [(0, 0), (7, 7), (np.int64(12), 12), (2**40, 2**40)])
def test_integer_steps_are_accepted_as_int(step: object, expected: int) -> None:
    got = names.check_step("loss", step)
    assert type(got) is int
    assert got == expected


@pytest.mark.parametrize("timestamp", [-1, float("nan"), float("inf"), True, "1700000000000", None])
def test_bad_timestamps_are_refused(timestamp: object) -> None:
    with pytest.raises(InvalidValueError, match=r"^metric 'loss': timestamp"):
        names.check_timestamp("loss", timestamp)


def test_timestamp_is_kept_as_int_milliseconds() -> None:
    assert names.check_timestamp("loss", 1_700_000_000_123) == 1_700_000_000_123


# -- artifact paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/abs/file",
        "/",
        "..",
        "../x",
        "a/../../x",
        "a/b/../../../x",
        "a\\b",
        "..\\x",
        "C:foo",
        "c:/windows",
        "a\x00b",
        "a\nb",
    ],
)
def test_bad_artifact_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidArtifactPathError) as caught:
        names.check_artifact_path(path)
    assert repr(path) in str(caught.value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (None, ""),
        ("", ""),
        (".", ""),
        ("./", ""),
        ("models", "models"),
        ("models/", "models"),
        ("./models", "models"),
        ("a//b", "a/b"),
        ("a/./b/", "a/b"),
        ("models_pickle/v1", "models_pickle/v1"),
        ("..hidden/x", "..hidden/x"),
    ],
)
def test_artifact_paths_are_normalised(path: str | None, expected: str) -> None:
    assert names.check_artifact_path(path) == expected


# -- properties ------------------------------------------------------------------------------

ALLOWED_EXTRA = "_-. /"
allowed_char = st.one_of(
    st.characters(categories=["L", "Nd"]),
    st.sampled_from(ALLOWED_EXTRA),
)
allowed_text = st.text(alphabet=allowed_char, min_size=1, max_size=40)


def structurally_valid(name: str) -> bool:
    """DESIGN §5 on a string of allowed characters: no leading '/', no empty/./.. segment,
    no segment padded with spaces (the rule names.py documents)."""
    if name.startswith("/"):
        return False
    return all(s not in ("", ".", "..") and s == s.strip() for s in name.split("/"))


def new_writer(store: Path) -> RunWriter:
    meta = Meta(run_id=ids.new_run_id(), name="prop", experiment="Default", status="RUNNING",
                start_time=now_ms())  # fmt: skip
    return RunWriter.create(store, meta, new_id=ids.new_run_id)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(name=allowed_text)
@example(name="train/loss")
@example(name="x" * 250)
def test_names_of_allowed_characters_are_stored_and_read_back(name: str) -> None:
    try:
        names.check_name(name)
    except InvalidNameError as exc:
        assert not structurally_valid(name), f"{name!r} refused: {exc}"
        return
    assert structurally_valid(name)
    with tempfile.TemporaryDirectory() as tmp:
        writer = new_writer(Path(tmp))
        writer.log_params({name: 1})
        writer.set_tags({name: "v"})
        writer.log_metric(name, 0.5)
        writer.finish()
        record = read_run(writer.run_dir)
        assert record.params == {name: 1}
        assert record.tags == {name: "v"}
        assert list(record.metrics) == [name]
        assert [r.value for r in record.histories()[name]] == [0.5]


def test_metric_named_like_a_temporary_file_reads_back(tmp_path: Path) -> None:
    # ".tmp-loss" is a valid name (letters, '.', '-'); its CSV must not be mistaken for a
    # half-written temporary file and skipped by readers.
    writer = new_writer(tmp_path)
    writer.log_metric(".tmp-loss", 0.5)
    writer.log_metric("tmp/.tmp-x", 1.5)
    running = read_run(writer.run_dir)
    assert sorted(running.histories()) == [".tmp-loss", "tmp/.tmp-x"]
    assert sorted(running.metrics) == [".tmp-loss", "tmp/.tmp-x"]
    writer.finish()
    assert [r.value for r in read_run(writer.run_dir).histories()[".tmp-loss"]] == [0.5]


def test_longest_unicode_metric_name_is_stored_or_refused_up_front(tmp_path: Path) -> None:
    # 250 letters is a valid length, but 250 x "é" is 500 UTF-8 bytes: more than a file name
    # can hold on common filesystems.  Either the name is stored and reads back, or it is
    # refused with InvalidNameError before anything is written; never a raw OSError.
    name = "é" * 250
    writer = new_writer(tmp_path)
    try:
        writer.log_metric(name, 1.0)
    except InvalidNameError as exc:
        assert repr(name[:40]) in str(exc)
        assert not (writer.run_dir / "metrics").exists()
    else:
        assert [r.value for r in read_run(writer.run_dir).histories()[name]] == [1.0]
    finally:
        writer.close()


forbidden_char = st.characters().filter(lambda c: not (c.isalnum() or c in "_-. /"))


@settings(max_examples=100, deadline=None, database=None)
@given(before=st.text(max_size=50), bad=forbidden_char, after=st.text(max_size=50))
def test_any_forbidden_character_is_refused_naming_the_name(before: str, bad: str, after: str) -> None:
    name = before + bad + after
    with pytest.raises(InvalidNameError) as caught:
        names.check_name(name, "tag name")
    assert repr(name) in str(caught.value)
