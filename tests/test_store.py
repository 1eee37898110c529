"""The on-disk run format (DESIGN.md §1), written through the API and RunWriter, read back."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from helpers import git, head, invoke, load_yaml, same_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gittrack as mlflow
from gittrack.store import cache, context, layout, yamlio
from gittrack.store.layout import Meta
from gittrack.store.metric_csv import parse_history
from gittrack.store.reader import read_run
from gittrack.store.writer import compact
from gittrack.tracking.entities import param_str

pytestmark = pytest.mark.usefixtures("clean_api")

NAN, INF = float("nan"), float("inf")


def run_dir_of(active: mlflow.ActiveRun) -> Path:
    return Path(active._writer.run_dir)


# -- params and tags: append, then compact --------------------------------------------------


def test_log_param_appends_one_entry_per_call_and_file_stays_valid_yaml(in_repo: Path) -> None:
    calls = [("zeta", 2), ("alpha", "x"), ("mid", 0.5), ("flag", True), ("none", None)]
    expected_lines = ["zeta: 2\n", "alpha: x\n", "mid: 0.5\n", "flag: true\n", "none: null\n"]
    with mlflow.start_run() as run:
        path = run_dir_of(run) / "params.yaml"
        logged: dict[str, Any] = {}
        previous = ""
        for (key, value), line in zip(calls, expected_lines, strict=True):
            mlflow.log_param(key, value)
            logged[key] = value
            text = path.read_text()
            assert text == previous + line  # appended, never rewritten
            assert load_yaml(path) == logged  # valid YAML after every call
            previous = text
    # end_run compacts: sorted, one line per key
    assert path.read_text() == "alpha: x\nflag: true\nmid: 0.5\nnone: null\nzeta: 2\n"


def test_tag_set_twice_appends_twice_reader_takes_last_and_end_compacts(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        path = run_dir_of(run) / "tags.yaml"
        mlflow.set_tag("stage", "dev")
        mlflow.set_tag("b", 1)
        mlflow.set_tag("stage", "prod")
        assert path.read_text() == "stage: dev\nb: '1'\nstage: prod\n"
        assert read_run(run_dir_of(run)).tags == {"stage": "prod", "b": "1"}
        assert mlflow.get_run(run.info.run_id).data.tags["stage"] == "prod"
    assert path.read_text() == "b: '1'\nstage: prod\n"
    assert read_run(path.parent).tags == {"b": "1", "stage": "prod"}


# -- meta.yaml ------------------------------------------------------------------------------


def parse_iso(text: str) -> dt.datetime:
    assert isinstance(text, str) and text.endswith("Z"), text
    return dt.datetime.fromisoformat(text[:-1] + "+00:00")


def test_meta_yaml_while_running_and_after_end(in_repo: Path) -> None:
    with mlflow.start_run(run_name="meta-run") as run:
        meta_path = run_dir_of(run) / "meta.yaml"
        running = load_yaml(meta_path)
        assert running["status"] == "RUNNING"
        assert running["end_time"] is None
        assert running["duration"] is None
        mlflow.log_metric("loss", 3.0)
        mlflow.log_metric("loss", 1.0)
        mlflow.log_metric("loss", 2.0)
    meta = load_yaml(meta_path)
    assert next(iter(meta)) == "format_version"
    assert meta["format_version"] == 1
    assert meta["run_id"] == run.info.run_id == meta_path.parent.name
    assert meta["name"] == "meta-run"
    assert meta["experiment"] == "Default"
    assert meta["status"] == "FINISHED"
    start, end = parse_iso(meta["start_time"]), parse_iso(meta["end_time"])
    assert start <= end
    assert meta["duration"] == round((end - start).total_seconds(), 3)
    assert meta["user"] == context.user()
    assert meta["host"] == socket.gethostname()
    assert meta["pid"] == os.getpid()
    assert meta["parent_run_id"] is None
    assert meta["source"]["argv"] == sys.argv
    assert meta["source"]["cwd"] == str(in_repo)
    git_block = meta["git"]
    assert git_block["commit"] == head(in_repo)
    assert git_block["branch"] == "main"
    assert git_block["dirty"] is False
    assert meta["metrics"] == {"loss": {"last": 2.0, "min": 1.0, "max": 3.0, "count": 3, "step": 2}}


def finished_run_dir(repo: Path) -> Path:
    with mlflow.start_run(run_name="canon", tags={"z": "last", "a": "first"}) as run:
        mlflow.log_params({"lr": 0.001, "depth": 5, "model": "xgb", "note": "a: b # c", "nan": NAN})
        mlflow.log_param("empty", "")
        mlflow.set_tag("a", "again")
        for step, value in enumerate([0.5, NAN, INF, -INF, 1e-310, -0.0]):
            mlflow.log_metric("train/loss", value, step=step)
        mlflow.log_metric("acc", 0.75)
    return run_dir_of(run)


def test_finished_run_files_are_canonical(in_repo: Path) -> None:
    run_dir = finished_run_dir(in_repo)
    for name in ("params.yaml", "tags.yaml"):
        raw = (run_dir / name).read_bytes()
        assert yamlio.dump(yamlio.load(raw), sort_keys=True).encode() == raw, name
    raw_meta = (run_dir / "meta.yaml").read_bytes()
    redumped = yamlio.dump(Meta.from_dict(yamlio.load(raw_meta)).to_dict()).encode()
    assert redumped == raw_meta


def test_compact_again_changes_no_byte_and_no_mtime(in_repo: Path) -> None:
    run_dir = finished_run_dir(in_repo)
    files = sorted(p for p in run_dir.rglob("*") if p.is_file())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    compact(run_dir)
    compact(run_dir)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(run_dir.rglob("*")) if p.is_file()}
    assert after == before


# -- metric CSVs ------------------------------------------------------------------------------


def test_metric_csv_header_and_rows(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("rmse", 6.5, step=0, timestamp=1_700_000_000_000)
        mlflow.log_metric("rmse", 0.1, step=3, timestamp=1_700_000_000_001)
        mlflow.log_metric("rmse", 2, step=4, timestamp=1_700_000_000_002)
        path = run_dir_of(run) / "metrics" / "rmse.csv"
        assert path.read_text() == (  # flushed per call, readable while running
            "step,timestamp,value\n0,1700000000000,6.5\n3,1700000000001,0.1\n4,1700000000002,2.0\n"
        )


def test_nan_and_infinities_round_trip_through_csv_and_summaries(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("all_nan", NAN)
        for value in (1.0, NAN, INF, -INF):
            mlflow.log_metric("mixed", value)
        run_dir = run_dir_of(run)
        lines = (run_dir / "metrics" / "mixed.csv").read_text().splitlines()
        assert [line.rsplit(",", 1)[1] for line in lines[1:]] == ["1.0", "nan", "inf", "-inf"]
    record = read_run(run_dir)
    assert [repr(r.value) for r in record.histories()["mixed"]] == ["1.0", "nan", "inf", "-inf"]
    mixed = record.metrics["mixed"]
    assert (mixed.last, mixed.min, mixed.max, mixed.count, mixed.step) == (-INF, -INF, INF, 4, 3)
    all_nan = record.metrics["all_nan"]
    assert math.isnan(all_nan.last) and math.isnan(all_nan.min) and math.isnan(all_nan.max)
    assert all_nan.count == 1
    assert math.isnan(mlflow.get_run(run.info.run_id).data.metrics["all_nan"])


def test_slash_in_metric_name_makes_a_sub_folder_and_reads_back(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("train/loss", 0.5)
        mlflow.log_metric("train/deep/acc", 0.9)
        mlflow.log_metric("train", 1.0)
    run_dir = run_dir_of(run)
    assert (run_dir / "metrics" / "train" / "loss.csv").is_file()
    assert (run_dir / "metrics" / "train" / "deep" / "acc.csv").is_file()
    assert (run_dir / "metrics" / "train.csv").is_file()
    assert sorted(read_run(run_dir).histories()) == ["train", "train/deep/acc", "train/loss"]
    assert mlflow.get_run(run.info.run_id).data.metrics == {
        "train": 1.0, "train/deep/acc": 0.9, "train/loss": 0.5,
    }  # fmt: skip


def test_default_step_counts_per_metric_from_zero(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("a", 1.0)
        mlflow.log_metric("a", 2.0)
        mlflow.log_metric("b", 3.0)
        mlflow.log_metric("a", 4.0)
        mlflow.log_metric("b", 5.0, step=10)
        mlflow.log_metric("b", 6.0)
        mlflow.log_metrics({"a": 7.0, "c": 8.0})
    histories = read_run(run_dir_of(run)).histories()
    assert [r.step for r in histories["a"]] == [0, 1, 2, 3]
    assert [r.step for r in histories["b"]] == [0, 10, 11]
    assert [r.step for r in histories["c"]] == [0]


def test_explicit_timestamp_is_kept(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, timestamp=123)
        mlflow.log_metrics({"n": 2.0}, timestamp=456)
    histories = read_run(run_dir_of(run)).histories()
    assert [r.timestamp for r in histories["m"]] == [123]
    assert [r.timestamp for r in histories["n"]] == [456]


def test_torn_last_csv_line_is_ignored_by_readers_and_dropped_on_resume(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        for step in range(3):
            mlflow.log_metric("loss", float(step), timestamp=1000 + step)
    run_dir = run_dir_of(run)
    path = run_dir / "metrics" / "loss.csv"
    with open(path, "ab") as handle:  # what a process killed inside write() leaves
        handle.write(b"3,1003,9.87")
    rows, problems = parse_history(path.read_text(), path)
    assert [r.value for r in rows] == [0.0, 1.0, 2.0]
    assert [p.line for p in problems] == [5]
    assert [r.step for r in read_run(run_dir).histories()["loss"]] == [0, 1, 2]

    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_metric("loss", 5.0, timestamp=2000)
    text = path.read_text()
    assert text == "step,timestamp,value\n0,1000,0.0\n1,1001,1.0\n2,1002,2.0\n3,2000,5.0\n"
    assert parse_history(text, path)[1] == []


# -- damaged runs do not stop readers ---------------------------------------------------------


def garbage_meta(run_dir: Path) -> Path:
    (run_dir / "meta.yaml").write_text("run_id: [unclosed\n  status: ::\n")
    return run_dir / "meta.yaml"


def binary_params(run_dir: Path) -> Path:
    (run_dir / "params.yaml").write_bytes(b"\x00\x01\xff\xfe\x89PNG\r\n\x1a\n")
    return run_dir / "params.yaml"


def missing_meta(run_dir: Path) -> Path:
    (run_dir / "meta.yaml").unlink()
    return run_dir / "meta.yaml"


def future_format(run_dir: Path) -> Path:
    path = run_dir / "meta.yaml"
    path.write_text(path.read_text().replace("format_version: 1\n", "format_version: 99\n"))
    return path


@pytest.mark.parametrize("damage", [garbage_meta, binary_params, missing_meta, future_format])
def test_damaged_run_is_skipped_with_one_warning_naming_the_file(in_repo: Path, damage: Any) -> None:
    ids = []
    for name in ("first", "broken", "third"):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_param("p", name)
        ids.append(run.info.run_id)
    bad_file = damage(in_repo / ".runs" / ids[1])

    result = invoke("ls", "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert sorted(r["id"] for r in listed) == sorted([ids[0], ids[2]])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1, result.stderr
    assert str(bad_file) in warnings[0]
    assert ids[1] in warnings[0]


# -- the cache folder -----------------------------------------------------------------------


def test_cache_dir_is_git_ignored_by_itself(in_repo: Path) -> None:
    store = in_repo / ".runs"
    folder = cache.ensure_cache_dir(store)
    assert folder == store / layout.CACHE_DIR
    assert (folder / ".gitignore").is_file()
    (folder / "index.sqlite").write_bytes(b"anything")
    status = git(in_repo, "status", "--porcelain", "--untracked-files=all", "--ignored=no")
    assert ".cache" not in status
    assert status == ""  # the store holds nothing else yet


def test_cache_dir_never_in_git_status_after_runs_and_ls(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    assert invoke("ls").exit_code == 0
    assert invoke("ls", "--format", "csv").exit_code == 0
    status = git(in_repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert status  # the run itself is there to be committed...
    committed = (f"?? .runs/{run.info.run_id}/", "?? .runs/environments/")  # its environment, stored once
    assert all(line.startswith(committed) for line in status), status
    assert not any(".cache" in line for line in status)  # ...the cache never


# -- property: everything logged reads back ---------------------------------------------------

name_char = st.one_of(st.characters(categories=["L", "Nd"]), st.sampled_from("_-."))
segment = st.builds(
    lambda a, b: f"{a} {b}" if b else a,
    st.text(alphabet=name_char, min_size=1, max_size=8),
    st.one_of(st.just(""), st.text(alphabet=name_char, min_size=1, max_size=4)),
).filter(lambda s: s not in (".", ".."))
key_strategy = st.lists(segment, min_size=1, max_size=3).map("/".join)

TRICKY_TEXT = [
    "", " ", "  leading", "trailing  ", "a: b", "#comment", "- item", "true", "null", "1.5",
    "'quoted'", '"double"', "multi\nline\n", "\ttab", "~", "yes", "0x1F", "1e3", "[1, 2]",
    "{a: 1}", "&anchor", "*ref", "!tag", "%", "@", "`", "|", ">", "ünï©ødé 日本", "\r\n",
    "a\x85b", "\u2028", "\ufeffbom", "\x00nul", "\x1b[0m",
]  # fmt: skip
tricky_text = st.sampled_from(TRICKY_TEXT)


def test_every_tricky_text_value_round_trips_as_param_and_tag(in_repo: Path) -> None:
    params = {f"p{i}": v for i, v in enumerate(TRICKY_TEXT)}
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        mlflow.set_tags(params)
    record = read_run(run_dir_of(run))
    assert record.params == params
    assert record.tags == params
    assert mlflow.get_run(run.info.run_id).data.params == params


param_value_strategy = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    tricky_text,
)
PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


plain_word = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_./-]{0,12}", fullmatch=True),
    st.sampled_from(["y", "n", "yes", "No", "TRUE", "off", "null", "Null", "nULL", "_", "a.", "e1"]),
)


@settings(max_examples=300, deadline=None, database=None)
@given(key=st.one_of(plain_word, key_strategy),
       value=st.one_of(plain_word, param_value_strategy))  # fmt: skip
def test_appended_entry_is_what_the_dumper_writes(key: str, value: Any) -> None:
    # Appended lines and compacted files must agree byte for byte, or compaction would churn.
    entry = yamlio.dump_entry(key, value)
    assert entry == yamlio.dump({key: value})
    [(read_key, read_value)] = yamlio.load(entry).items()
    assert read_key == key
    assert same_value(read_value, value)


def end_all_runs() -> None:
    while mlflow.active_run() is not None:
        mlflow.end_run()


@PROPERTY_SETTINGS
@given(params=st.dictionaries(key_strategy, param_value_strategy, max_size=8), split=st.integers(0, 8))
def test_params_round_trip(in_repo: Path, params: dict[str, Any], split: int) -> None:
    keys = list(params)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(tmp)
        try:
            with mlflow.start_run() as run:
                for key in keys[:split]:
                    assert mlflow.log_param(key, params[key]) is params[key]
                mlflow.log_params({k: params[k] for k in keys[split:]})
                running = read_run(run_dir_of(run)).params
        finally:
            end_all_runs()
        got = mlflow.get_run(run.info.run_id)
        assert got.data.params == {k: param_str(v) for k, v in params.items()}
        raw = read_run(run_dir_of(run)).params
        text = (run_dir_of(run) / "params.yaml").read_bytes() if params else b""
        assert yamlio.dump(yamlio.load(text) or {}, sort_keys=True).encode() == text  # canonical
        for params_read in (running, raw):
            assert set(params_read) == set(params)
            for key, value in params.items():
                assert same_value(params_read[key], value), (key, params_read[key], value)


@PROPERTY_SETTINGS
@given(tags=st.dictionaries(key_strategy, st.one_of(st.text(max_size=30), tricky_text), max_size=8))
def test_tags_round_trip(in_repo: Path, tags: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(tmp)
        try:
            with mlflow.start_run() as run:
                for key, value in tags.items():
                    mlflow.set_tag(key, "placeholder")
                    mlflow.set_tag(key, value)  # set twice: the last one wins
        finally:
            end_all_runs()
        assert read_run(run_dir_of(run)).tags == tags
        data_tags = mlflow.get_run(run.info.run_id).data.tags
        assert {k: data_tags[k] for k in tags} == tags


metric_value = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.sampled_from([-0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e308]),
)
metric_entry = st.tuples(
    metric_value,
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=2**42)),
)


def reference_summary(rows: list[tuple[int, float]]) -> tuple[float, float, float, int, int]:
    """last = value at the highest step (latest logged on ties); min/max ignore NaN."""
    last_step = max(step for step, _ in rows)
    last = [value for step, value in rows if step == last_step][-1]
    finite = [value for _, value in rows if not math.isnan(value)]
    low = min(finite) if finite else NAN
    high = max(finite) if finite else NAN
    return last, low, high, len(rows), last_step


@PROPERTY_SETTINGS
@given(metrics=st.dictionaries(key_strategy, st.lists(metric_entry, min_size=1, max_size=12),
                               min_size=1, max_size=3))  # fmt: skip
def test_metrics_round_trip(in_repo: Path, metrics: dict[str, list[tuple[float, Any, Any]]]) -> None:
    expected: dict[str, list[tuple[int, float, int | None]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(tmp)
        try:
            with mlflow.start_run() as run:
                for key, entries in metrics.items():
                    rows = expected[key] = []
                    for value, step, timestamp in entries:
                        mlflow.log_metric(key, value, step=step, timestamp=timestamp)
                        if step is None:
                            step = max((s for s, _, _ in rows), default=-1) + 1
                        rows.append((step, value, timestamp))
                running = read_run(run_dir_of(run))
                check_metrics(running, running.histories(), expected)
        finally:
            end_all_runs()
        finished = read_run(run_dir_of(run))
        check_metrics(finished, finished.histories(), expected)
        data = mlflow.get_run(run.info.run_id).data.metrics
    for key, rows in expected.items():
        assert repr(data[key]) == repr(reference_summary([(s, float(v)) for s, v, _ in rows])[0])


def check_metrics(record: Any, histories: dict[str, Any],
                  expected: dict[str, list[tuple[int, float, int | None]]]) -> None:  # fmt: skip
    assert sorted(histories) == sorted(expected)
    for key, rows in expected.items():
        got = histories[key]
        assert [r.step for r in got] == [s for s, _, _ in rows]
        assert [repr(r.value) for r in got] == [repr(float(v)) for _, v, _ in rows]
        assert all(ts is None or r.timestamp == ts for r, (_, _, ts) in zip(got, rows, strict=True))
        summary = record.metrics[key]
        want = reference_summary([(s, float(v)) for s, v, _ in rows])
        have = (summary.last, summary.min, summary.max, summary.count, summary.step)
        assert repr(have[0]) == repr(want[0]), key  # last: exactly the value logged
        # min/max: equal, or both NaN (which of 0.0 and -0.0 is "the" minimum is not specified)
        assert all(h == w or (h != h and w != w) for h, w in zip(have[1:], want[1:], strict=True)), key


def test_find_run_dir_by_names_yaml_quotes_or_not(tmp_path: Path) -> None:
    from gittrack.store.reader import find_run_dir

    names = ["plain-name", "yes", "it's a run", "émoji 🎉", "1.5"]
    dirs = {}
    for i, name in enumerate(names):
        meta = Meta(
            run_id=f"20260101-00000{i}-aaaaaa",
            name=name,
            experiment="e",
            status="FINISHED",
            start_time=1_700_000_000_000,
        )
        (tmp_path / meta.run_id).mkdir()
        (tmp_path / meta.run_id / "meta.yaml").write_text(yamlio.dump(meta.to_dict()), encoding="utf-8")
        dirs[name] = tmp_path / meta.run_id
    for name in names:
        assert find_run_dir(tmp_path, name) == dirs[name]


def test_log_history_writes_many_rows_at_once_and_checks_every_row_first(tmp_path: Path) -> None:
    from gittrack.errors import InvalidValueError
    from gittrack.store.writer import RunWriter

    meta = Meta(
        run_id="20260101-000000-abcdef123456", name="r", experiment="Default", status="RUNNING", start_time=0
    )
    writer = RunWriter.create(tmp_path, meta, new_id=lambda: "20260101-000000-000000000000")
    with pytest.raises(InvalidValueError, match="step -1"):
        writer.log_history("loss", [(0, 5, 1.0), (-1, 6, 2.0)])
    assert not (writer.run_dir / "metrics" / "loss.csv").exists()
    writer.log_history("loss", [(0, 5, 1.0), (0, 6, math.nan), (3, 7, 0.5), (1, 8, 0.25)])
    writer.finish("FINISHED", 10)
    rows, problems = parse_history((writer.run_dir / "metrics" / "loss.csv").read_text(), Path("loss.csv"))
    assert not problems and [(r.step, r.timestamp) for r in rows] == [(0, 5), (0, 6), (3, 7), (1, 8)]
    summary = read_run(writer.run_dir).metrics["loss"]
    assert (summary.last, summary.step, summary.count, summary.min, summary.max) == (0.5, 3, 4, 0.25, 1.0)
