"""``gittrack.search_runs``: MLflow's signature, columns and filter semantics, end to end.

Runs are written into a real store by the store's own writer, with fixed start
times so that orders are exact; the store is built once and only read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gittrack
from gittrack.errors import FilterError, MlflowException
from gittrack.query import index
from gittrack.store import context, layout
from gittrack.store.layout import Meta
from gittrack.store.reader import read_run
from gittrack.store.writer import RunWriter
from gittrack.tracking.entities import Run, ViewType

T0 = 1_780_000_000_000  # 2026-05-28T20:26:40Z, epoch ms


def make_run(
    store: Path,
    run_id: str,
    *,
    start: int,
    experiment: str = "nyc",
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    status: str = "FINISHED",
    duration_ms: int = 1500,
) -> Path:
    meta = Meta(
        run_id=run_id,
        name=f"name-{run_id[-1]}",
        experiment=experiment,
        status="RUNNING",
        start_time=start,
        host=context.host(),
        pid=os.getpid(),
        git={"commit": "c0ffee" + run_id[-1] * 34, "branch": "main", "dirty": False},
    )
    writer = RunWriter.create(store, meta, new_id=lambda: run_id)
    writer.log_params(params or {})
    for key, value in (metrics or {}).items():
        writer.log_metric(key, value, timestamp=start + 10)
    writer.set_tags(tags or {})
    if status == "RUNNING":
        writer.close()
    else:
        writer.finish(status, end_time=start + duration_ms)
    return writer.run_dir


A, B, C, D, E = (f"20260528-2026{i}0-aaaaa{i}" for i in range(1, 6))


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five runs: A, B, D in "nyc"; C in "other"; E still running. Newest is E. Read only."""
    store = tmp_path_factory.mktemp("search") / ".runs"
    make_run(
        store,
        A,
        start=T0 + 1000,
        params={"alpha": 0.1, "random_state": 42, "model": "xgb", "lr": 0.01, "seed": 1},
        metrics={"rmse": 6.5, "mae": 1.0},
        tags={"dev": "alice", "period": "day"},
    )
    make_run(
        store,
        B,
        start=T0 + 2000,
        params={"alpha": 0.5, "random_state": 42, "model": "lin", "lr": 0.5, "seed": 2},
        metrics={"rmse": 7.5, "mae": float("nan")},
        tags={"dev": "bob", "period": "daily"},
    )
    make_run(
        store,
        C,
        start=T0 + 3000,
        experiment="other",
        params={"alpha": 1, "random_state": 7, "model": "xgb", "seed": 3},
        metrics={"rmse": 5.0},
        tags={"dev": "carol", "period": "weekly"},
        status="FAILED",
    )
    make_run(
        store,
        D,
        start=T0 + 4000,
        params={"alpha": 2, "random_state": "42", "lr": "fast", "seed": 4},
        tags={"period": "monthly"},
        status="KILLED",
    )
    make_run(
        store, E, start=T0 + 5000, params={"alpha": 0.3, "seed": 5}, metrics={"rmse": 9.0}, status="RUNNING"
    )
    return store


@pytest.fixture
def store(shared_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared five runs as the tracking store (tests that change runs use ``private_store``)."""
    monkeypatch.chdir(tmp_path)
    gittrack.set_tracking_uri(shared_store)
    return shared_store


@pytest.fixture
def private_store(shared_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the five runs, without any index, that a test may change."""
    import shutil

    store = tmp_path / ".runs"
    shutil.copytree(shared_store, store, ignore=shutil.ignore_patterns(layout.CACHE_DIR))
    monkeypatch.chdir(tmp_path)
    gittrack.set_tracking_uri(store)
    return store


def search(*args: Any, **kwargs: Any) -> Any:
    """``gittrack.search_runs`` over every experiment (MLflow's default is the active one)."""
    if not args and "experiment_ids" not in kwargs and "experiment_names" not in kwargs:
        kwargs.setdefault("search_all_experiments", True)
    return gittrack.search_runs(*args, **kwargs)


def ids(found: pd.DataFrame | list[Run]) -> list[str]:
    if isinstance(found, pd.DataFrame):
        return list(found["run_id"])
    return [r.info.run_id for r in found]


# -- the DataFrame --------------------------------------------------------------------------


def test_dataframe_has_mlflow_columns(store: Path) -> None:
    df = search()
    assert isinstance(df, pd.DataFrame)
    for column in (
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
        "run_name",
        "git.commit",
        "duration",
        "metrics.rmse",
        "metrics.mae",
        "params.alpha",
        "params.model",
        "tags.dev",
    ):
        assert column in df.columns, column
    assert ids(df) == [E, D, C, B, A]  # newest first
    row = df.set_index("run_id").loc[A]
    assert row["experiment_id"] == "nyc"
    assert row["run_name"] == "name-1"
    assert row["status"] == "FINISHED"
    assert row["git.commit"] == "c0ffee" + "1" * 34
    assert row["duration"] == 1.5
    assert row["metrics.rmse"] == 6.5
    assert row["tags.dev"] == "alice"
    assert row["artifact_uri"] == (store / A / "artifacts").as_uri()


def test_times_are_utc_datetimes_as_in_mlflow(store: Path) -> None:
    df = search().set_index("run_id")
    assert isinstance(df["start_time"].dtype, pd.DatetimeTZDtype)
    assert str(df["start_time"].dt.tz) == "UTC"
    assert df.loc[A, "start_time"] == pd.Timestamp(T0 + 1000, unit="ms", tz="UTC")
    assert df.loc[A, "end_time"] == pd.Timestamp(T0 + 2500, unit="ms", tz="UTC")
    assert pd.isna(df.loc[E, "end_time"])  # still running
    assert df["start_time"].max() == pd.Timestamp(T0 + 5000, unit="ms", tz="UTC")


def test_params_are_strings_as_in_mlflow(store: Path) -> None:
    df = search()
    assert df["params.seed"].tolist() == ["5", "4", "3", "2", "1"]
    assert df.set_index("run_id").loc[A, "params.alpha"] == "0.1"
    assert df.set_index("run_id").loc[A, "params.random_state"] == "42"
    assert len(df[df["params.random_state"] == "42"]) == 3  # the MLflow idiom: int 42 and string "42"
    assert pd.isna(df.set_index("run_id").loc[E, "params.model"])


def test_params_keep_their_types_on_request(store: Path) -> None:
    df = search(typed_params=True)
    assert df["params.alpha"].max() == 2  # ints and floats: a float column
    assert df["params.alpha"].dtype == "float64"
    assert df["params.seed"].dtype == "int64"  # every run has it, all ints
    assert df["params.seed"].sum() == 15
    assert df.set_index("run_id").loc[D, "params.random_state"] == "42"  # logged as a string
    assert df.set_index("run_id").loc[A, "params.random_state"] == 42
    assert df["params.model"].dropna().tolist() == ["xgb", "lin", "xgb"]


def test_an_int_param_missing_from_some_runs_is_numeric(private_store: Path) -> None:
    depth = private_store / C / layout.PARAMS
    depth.write_text(depth.read_text() + "depth: 6\n")
    df = search(typed_params=True).set_index("run_id")
    assert df["params.depth"].dtype == "float64"  # NaN where missing, as pandas does
    assert df.loc[C, "params.depth"] == 6
    assert df["params.depth"].isna().sum() == 4
    only = search(filter_string="params.depth IS NOT NULL", typed_params=True)
    assert only["params.depth"].dtype == "int64"


def test_mixed_params_stay_as_logged(store: Path) -> None:
    df = search(typed_params=True).set_index("run_id")
    assert df["params.lr"].dtype == object
    assert df.loc[A, "params.lr"] == 0.01
    assert df.loc[D, "params.lr"] == "fast"
    assert pd.isna(df.loc[C, "params.lr"])


def test_empty_results_have_mlflows_columns_and_types(store: Path) -> None:
    df = search(filter_string="metrics.rmse > 100")
    assert isinstance(df["start_time"].dtype, pd.DatetimeTZDtype)
    assert "metrics.rmse" not in df.columns  # as MLflow: a column only for keys the runs found have
    assert df["artifact_uri"].dtype == df["run_id"].dtype


def test_list_output_gives_run_objects(store: Path) -> None:
    runs = search(output_format="list", order_by=["metrics.rmse ASC"])
    assert isinstance(runs, list)
    assert ids(runs) == [C, A, B, E, D]
    best = runs[0]
    assert isinstance(best, Run)
    assert best.info.run_id == best.info.run_uuid == C
    assert best.info.experiment_id == "other"
    assert best.info.status == "FAILED"
    assert best.info.start_time == T0 + 3000
    assert best.info.end_time == T0 + 4500
    assert best.info.lifecycle_stage == "active"
    assert best.data.params == {"alpha": "1", "random_state": "7", "model": "xgb", "seed": "3"}
    assert best.data.metrics == {"rmse": 5.0}
    assert best.data.tags["dev"] == "carol"
    assert runs[3].info.end_time is None


def test_list_output_has_the_system_tags_of_get_run(store: Path) -> None:
    for run in search(output_format="list"):
        full = gittrack.get_run(run.info.run_id)
        assert run.data.tags["mlflow.runName"] == run.info.run_name
        assert run.data.tags["mlflow.source.git.commit"] == full.data.tags["mlflow.source.git.commit"]
        assert {k: v for k, v in full.data.tags.items() if k in run.data.tags} == run.data.tags


def test_unknown_output_format_is_refused_before_reading(private_store: Path, reads: list[Path]) -> None:
    with pytest.raises(MlflowException, match="Unsupported output format: arrow") as caught:
        search(output_format="arrow")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert reads == []


@pytest.mark.parametrize("bad", [2.5, "3", True])
def test_a_bad_max_results_is_refused_before_reading(
    private_store: Path, reads: list[Path], bad: Any
) -> None:
    with pytest.raises(MlflowException, match="max_results"):
        search(max_results=bad)
    assert reads == []


def test_a_max_results_below_one_finds_nothing_as_in_mlflow(store: Path) -> None:
    assert ids(search(max_results=0)) == [] and ids(search(max_results=-1)) == []


def test_max_results_accepts_numpy_integers(store: Path) -> None:
    import numpy as np

    assert ids(search(max_results=np.int64(1))) == [E]


def test_an_int_param_beyond_64_bits_is_kept_exactly(private_store: Path) -> None:
    params = private_store / A / layout.PARAMS
    params.write_text(params.read_text() + f"hash: {2**64 + 1}\n")
    params = private_store / B / layout.PARAMS
    params.write_text(params.read_text() + "hash: 3\n")
    df = search(filter_string="params.hash IS NOT NULL", typed_params=True).set_index("run_id")
    assert df.loc[A, "params.hash"] == 2**64 + 1
    assert df.loc[B, "params.hash"] == 3
    assert ids(search(filter_string=f"params.hash = '{2**64 + 1}'")) == [A]


def test_nothing_found(store: Path) -> None:
    df = search(filter_string="metrics.rmse > 100")
    assert df.empty
    assert {"run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"} <= set(df.columns)
    assert search(filter_string="metrics.rmse > 100", output_format="list") == []


def test_an_empty_store(repo: Path) -> None:
    df = search()
    assert df.empty
    assert "run_id" in df.columns
    assert search(output_format="list") == []
    assert not (repo / ".runs").exists()


# -- experiments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"experiment_ids": "nyc"}, [E, D, B, A]),
        ({"experiment_ids": ["nyc"]}, [E, D, B, A]),
        ({"experiment_ids": ("other",)}, [C]),
        ({"experiment_ids": ["nyc", "other"]}, [E, D, C, B, A]),
        ({"experiment_names": ["other"]}, [C]),
        ({"experiment_ids": [], "search_all_experiments": True}, [E, D, C, B, A]),
        ({"experiment_ids": "unknown"}, []),
    ],
)
def test_experiment_ids_are_names(store: Path, kwargs: dict[str, Any], expected: list[str]) -> None:
    assert ids(search(**kwargs)) == expected


def test_positional_arguments_follow_mlflow(store: Path) -> None:
    df = search(["nyc"], "metrics.rmse < 7", ViewType.ACTIVE_ONLY, 5, ["metrics.rmse ASC"])
    assert ids(df) == [A]


# -- filters: MLflow semantics -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.random_state = '42'", [D, B, A]),  # the int 42 and the string "42"
        ("params.random_state = 42", [D, B, A]),
        ("params.random_state != '42'", [C]),  # E lacks the key: never matches
        ("params.model != 'xgb'", [B]),  # D and E lack it
        ("params.lr < 0.1", [A]),  # numeric extension; 'fast' is not a number
        ("params.alpha >= 1", [D, C]),
        ("params.alpha = '0.1'", [A]),
        ("params.alpha = '1'", [C]),
        ("metrics.rmse < 7", [C, A]),
        ("metrics.rmse <= 6.5 AND params.model = 'xgb'", [C, A]),
        ("metrics.mae != 1", [B]),  # a NaN value is a value: != matches it, as in MLflow
        ("metrics.mae = 1", [A]),
        ("attributes.status = 'FINISHED'", [B, A]),
        ("attributes.status = 'RUNNING'", [E]),
        ("attributes.status IN ('FAILED', 'KILLED')", [D, C]),
        ("attributes.status NOT IN ('FINISHED', 'RUNNING')", [D, C]),
        ("tags.period LIKE '%y'", [D, C, B, A]),
        ("tags.period LIKE 'da%'", [B, A]),
        ("tags.dev ILIKE 'ALI%'", [A]),
        ("tags.dev != 'alice'", [C, B]),  # D and E have no dev tag
        ("params.model IN ('xgb', 'rf')", [C, A]),
        ("params.model NOT IN ('xgb')", [B]),
        ("params.lr IS NULL", [E, C]),
        ("metrics.rmse > 6 OR tags.dev = 'carol'", [E, C, B, A]),
        ("attributes.run_name = 'name-2'", [B]),
        ("attributes.run_id = '" + C + "'", [C]),
        ("attributes.start_time > " + str(T0 + 3500), [E, D]),
        ("attributes.experiment_id = 'other'", [C]),
    ],
)
def test_filter_semantics_end_to_end(store: Path, text: str, expected: list[str]) -> None:
    assert ids(search(filter_string=text)) == expected
    assert ids(search(filter_string=text, output_format="list")) == expected


# -- order ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, [E, D, C, B, A]),
        ([], [E, D, C, B, A]),
        (["metrics.rmse ASC"], [C, A, B, E, D]),
        (["metrics.rmse DESC"], [E, B, A, C, D]),  # missing last in both directions
        (["metrics.mae"], [A, B, E, D, C]),  # NaN after the numbers, missing last (MLflow)
        (["params.alpha DESC"], [D, C, B, E, A]),
        (["params.lr"], [A, B, D, E, C]),  # numbers, then strings, then missing
        (["start_time"], [A, B, C, D, E]),
        (["attributes.start_time DESC"], [E, D, C, B, A]),
        (["params.model", "metrics.rmse DESC"], [B, A, C, E, D]),
        ("tags.dev DESC", [C, B, A, E, D]),
    ],
)
def test_order_by(store: Path, order_by: Any, expected: list[str]) -> None:
    assert ids(search(order_by=order_by)) == expected


def test_max_results(store: Path) -> None:
    assert ids(search(max_results=2)) == [E, D]
    assert ids(search(max_results=2, order_by=["metrics.rmse"], output_format="list")) == [C, A]
    assert ids(search(max_results=0)) == []


# -- errors -----------------------------------------------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Run directories read by the query engine (counts calls to the real read_run)."""
    seen: list[Path] = []

    def counting(run_dir: Path) -> Any:
        seen.append(run_dir)
        return read_run(run_dir)

    monkeypatch.setattr(index, "read_run", counting)
    return seen


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"filter_string": "metrics.rmse <"}, 15),
        ({"filter_string": "params.x = 'unterminated"}, 12),
        ({"filter_string": "rmse < 7"}, 1),
        ({"filter_string": "metrics.rmse = 'a string'"}, 16),
        ({"order_by": ["metrics.rmse SIDEWAYS"]}, None),
    ],
)
def test_a_bad_filter_is_reported_before_anything_is_read(
    private_store: Path, reads: list[Path], kwargs: dict[str, Any], column: int | None
) -> None:
    with pytest.raises(FilterError) as caught:
        search(**kwargs)
    if column is not None:
        assert str(caught.value).startswith(f"filter error at column {column}:")
        assert caught.value.column == column
    else:
        assert str(caught.value).startswith("filter error")
    assert reads == []
    assert not (private_store / layout.CACHE_DIR).exists()
    with pytest.raises(FilterError):
        search(output_format="list", **kwargs)
    assert reads == []


def test_filter_error_is_a_value_error(store: Path) -> None:
    with pytest.raises(ValueError, match=r"^filter error at column \d+: "):
        search(filter_string="metrics.rmse <> 3")


# -- views ------------------------------------------------------------------------------------


def test_run_view_types(private_store: Path) -> None:
    meta = private_store / B / layout.META
    meta.write_text(meta.read_text().replace("lifecycle_stage: active", "lifecycle_stage: deleted"))
    assert B not in ids(search())
    assert ids(search(run_view_type=ViewType.DELETED_ONLY)) == [B]
    assert ids(search(run_view_type=ViewType.ALL)) == [E, D, C, B, A]
    assert ids(search(run_view_type=3)) == [E, D, C, B, A]


def test_nan_metric_values_are_missing_in_run_objects(store: Path) -> None:
    (run,) = search(filter_string=f"attributes.run_id = '{B}'", output_format="list")
    assert run.data.metrics["rmse"] == 7.5
    mae = run.data.metrics.get("mae", math.nan)
    assert math.isnan(mae)
