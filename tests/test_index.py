"""The run index (``<store>/.cache/index.sqlite``): a cache that is never the source of truth.

Runs are written with the store's own writer into real directories; the only
instrumentation is a counting wrapper around ``read_run`` (it calls the real one).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gittrack.query import index
from gittrack.query import search as search_module
from gittrack.query.filter import filter_frame
from gittrack.query.frame import frame_from_rows, record_row
from gittrack.query.search import search
from gittrack.store import context, ids, layout
from gittrack.store.layout import Meta
from gittrack.store.reader import read_run, scan
from gittrack.store.writer import RunWriter, now_ms

# -- builders -----------------------------------------------------------------------------


def make_run(
    store: Path,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    status: str = "FINISHED",
    experiment: str = "exp",
    start_time: int | None = None,
) -> Path:
    """A run written by the store's writer; RUNNING runs stay owned by this (live) process."""
    meta = Meta(
        run_id=ids.new_run_id(),
        name=ids.new_run_name(),
        experiment=experiment,
        status="RUNNING",
        start_time=now_ms() if start_time is None else start_time,
        host=context.host(),
        pid=os.getpid(),
    )
    writer = RunWriter.create(store, meta, new_id=ids.new_run_id)
    writer.log_params(params or {})
    for key, value in (metrics or {}).items():
        writer.log_metric(key, value)
    writer.set_tags(tags or {})
    if status == "RUNNING":
        writer.close()
    else:
        writer.finish(status)
    return writer.run_dir


def plain_scan(store: Path) -> pd.DataFrame:
    """The runs frame built straight from the files, bypassing the index."""
    return frame_from_rows(record_row(r) for r in scan(store, lambda _: None))


def by_run_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("run_id").reset_index(drop=True)


def index_path(store: Path) -> Path:
    return store / layout.CACHE_DIR / index.INDEX_FILE


def index_rows(store: Path) -> dict[str, dict[str, Any]]:
    """The rows stored in the index file, by run id."""
    db = sqlite3.connect(index_path(store))
    try:
        return {r[0]: json.loads(r[1]) for r in db.execute("SELECT run_id, row FROM runs")}
    finally:
        db.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / ".runs"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run ids read from their files by the index, in order (counts calls to the real read_run)."""
    seen: list[str] = []

    def counting(run_dir: Path) -> Any:
        seen.append(run_dir.name)
        return read_run(run_dir)

    monkeypatch.setattr(index, "read_run", counting)
    return seen


def query(store: Path, **kwargs: Any) -> pd.DataFrame:
    return search(store, view="all", **kwargs)


# -- where it lives -------------------------------------------------------------------------


def test_index_is_written_under_the_store_cache(store: Path) -> None:
    make_run(store, params={"a": 1})
    assert not index_path(store).exists()
    query(store)
    assert index_path(store).is_file()
    assert set(index_rows(store)) == {d.name for d in store.iterdir() if not d.name.startswith(".")}


def test_an_empty_store_creates_nothing(store: Path) -> None:
    assert query(store).empty
    assert not store.exists()


def test_index_is_never_seen_by_git_even_without_init(repo: Path) -> None:
    import gittrack

    with gittrack.start_run():
        gittrack.log_param("alpha", 0.5)
    subprocess.run(["git", "add", ".runs"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "runs"], cwd=repo, check=True)
    assert len(gittrack.search_runs()) == 1
    assert index_path(repo / ".runs").is_file()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--ignored=no"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    assert status.stdout == ""


# -- incremental updates --------------------------------------------------------------------


def test_only_new_or_changed_runs_are_read_again(store: Path, reads: list[str]) -> None:
    first = [make_run(store, params={"i": i}) for i in range(3)]
    assert len(query(store)) == 3
    assert sorted(reads) == sorted(d.name for d in first)

    reads.clear()
    assert len(query(store)) == 3
    assert reads == []  # warm: nothing re-read

    new = make_run(store, params={"i": 3})
    reads.clear()
    assert len(query(store)) == 4
    assert reads == [new.name]

    (first[0] / layout.TAGS).write_text("note: edited\n")
    reads.clear()
    frame = query(store)
    assert reads == [first[0].name]
    assert frame.set_index("run_id").loc[first[0].name, "tags.note"] == "edited"


def test_a_new_process_reuses_the_index_file(store: Path, reads: list[str]) -> None:
    for i in range(3):
        make_run(store, params={"i": i})
    query(store)
    search_module.clear_memory()  # as a fresh process would start
    reads.clear()
    assert len(query(store)) == 3
    assert reads == []


def test_running_runs_are_always_read_again(store: Path, reads: list[str]) -> None:
    make_run(store, params={"i": 0})
    running = make_run(store, params={"i": 1}, metrics={"loss": 1.0}, status="RUNNING")
    query(store)
    reads.clear()
    # a live run's metrics live in its CSVs, which do not change the index signature
    writer = RunWriter.attach(running)
    writer.log_metric("loss", 0.25)
    writer.close()
    frame = query(store).set_index("run_id")
    assert reads == [running.name]
    assert frame.loc[running.name, "metrics.loss"] == 0.25


def test_a_removed_run_leaves_the_index(store: Path) -> None:
    import shutil

    keep, gone = make_run(store), make_run(store)
    query(store)
    shutil.rmtree(gone)
    assert list(query(store)["run_id"]) == [keep.name]
    assert set(index_rows(store)) == {keep.name}


# -- missing, stale, corrupt ------------------------------------------------------------------


def test_a_deleted_index_is_rebuilt_silently(store: Path, recwarn: pytest.WarningsRecorder) -> None:
    for i in range(3):
        make_run(store, params={"i": i})
    before = query(store)
    index_path(store).unlink()
    after = query(store)
    pd.testing.assert_frame_equal(before, after)
    assert index_path(store).is_file()
    assert len(index_rows(store)) == 3
    assert not recwarn.list


def test_a_deleted_cache_folder_is_rebuilt(store: Path) -> None:
    import shutil

    make_run(store, params={"i": 1})
    query(store)
    shutil.rmtree(store / layout.CACHE_DIR)
    assert len(query(store)) == 1
    assert index_path(store).is_file()
    assert (store / layout.CACHE_DIR / ".gitignore").is_file()


def test_a_hand_edited_param_is_seen_by_the_next_query(store: Path) -> None:
    run_dir = make_run(store, params={"alpha": 0.1, "model": "xgb"})
    assert query(store)["params.alpha"].tolist() == [0.1]
    # same size, written right after the query: only a correct signature check notices
    (run_dir / layout.PARAMS).write_text("alpha: 0.2\nmodel: xgb\n")
    assert query(store)["params.alpha"].tolist() == [0.2]
    search_module.clear_memory()
    assert query(store)["params.alpha"].tolist() == [0.2]


def test_a_rewrite_keeping_size_and_mtime_is_still_seen(store: Path) -> None:
    """gittrack replaces files atomically: a new inode tells the change even with coarse timestamps."""
    from gittrack.store.atomic import write_atomic

    run_dir = make_run(store, tags={"stage": "dev"})
    tags = run_dir / layout.TAGS
    before = tags.stat()
    query(store)
    write_atomic(tags, "stage: prd\n")
    os.utime(tags, ns=(before.st_atime_ns, before.st_mtime_ns))  # as if in the same clock tick
    assert tags.stat().st_size == before.st_size
    assert query(store)["tags.stage"].tolist() == ["prd"]


def test_client_set_tag_on_a_finished_run_is_seen(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gittrack

    run_dir = make_run(store, tags={"stage": "dev"})
    gittrack.set_tracking_uri(store)
    assert query(store)["tags.stage"].tolist() == ["dev"]
    client = gittrack.MlflowClient()
    for value in ("prd", "qa1", "prd"):  # same size each time, within the same instant
        client.set_tag(run_dir.name, "stage", value)
        assert query(store)["tags.stage"].tolist() == [value]


@pytest.mark.parametrize(
    "garbage", [b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000, b""]
)
def test_a_corrupt_index_is_rebuilt(store: Path, garbage: bytes, recwarn: pytest.WarningsRecorder) -> None:
    for i in range(2):
        make_run(store, params={"i": i}, metrics={"m": i / 3})
    expected = by_run_id(plain_scan(store))
    query(store)
    index_path(store).write_bytes(garbage)
    pd.testing.assert_frame_equal(by_run_id(query(store)), expected)
    assert len(index_rows(store)) == 2  # a valid database again
    search_module.clear_memory()
    index_path(store).write_bytes(garbage)
    pd.testing.assert_frame_equal(by_run_id(query(store)), expected)
    assert len(index_rows(store)) == 2
    assert not recwarn.list


def test_an_index_of_another_schema_version_is_rebuilt(store: Path, reads: list[str]) -> None:
    make_run(store, params={"i": 1})
    query(store)
    db = sqlite3.connect(index_path(store))
    db.execute("PRAGMA user_version = 999")
    db.commit()
    db.close()
    search_module.clear_memory()
    reads.clear()
    assert len(query(store)) == 1
    assert len(reads) == 1
    db = sqlite3.connect(index_path(store))
    assert db.execute("PRAGMA user_version").fetchone()[0] == index.SCHEMA_VERSION
    db.close()


def test_the_index_is_never_the_source_of_truth(store: Path) -> None:
    real = make_run(store, params={"alpha": 1})
    query(store)
    db = sqlite3.connect(index_path(store))
    ghost = {"run_id": "20000101-000000-aaaaaa", "experiment_id": "exp", "lifecycle_stage": "active"}
    db.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ghost["run_id"], "1:1", "-|-|-", "FINISHED", json.dumps(ghost), "[]", "[]", "exp", "active", 1.0),
    )
    db.execute("INSERT INTO cells VALUES ('params.alpha', ?, '1', 1.0, 0)", (ghost["run_id"],))
    db.execute(
        "UPDATE runs SET sig = 'bogus', fsig = 'bogus', row = ? WHERE run_id = ?",
        (json.dumps({"x": 1}), real.name),
    )
    db.commit()
    db.close()
    search_module.clear_memory()
    frame = query(store)
    assert frame["run_id"].tolist() == [real.name]
    assert frame["params.alpha"].tolist() == [1]
    assert query(store, filter_string="params.alpha = 1")["run_id"].tolist() == [real.name]


def test_a_read_only_cache_still_answers(store: Path) -> None:
    make_run(store, params={"i": 1})
    cache = store / layout.CACHE_DIR
    cache.mkdir(parents=True)
    cache.chmod(0o500)
    try:
        if os.access(cache, os.W_OK):  # root ignores permissions
            pytest.skip("permissions are not enforced for this user")
        assert len(query(store)) == 1
    finally:
        cache.chmod(0o700)


def test_values_the_json_index_cannot_hold_are_still_correct(store: Path) -> None:
    """A hand-written date in params.yaml: the indexed answer equals the plain scan."""
    run_dir = make_run(store)
    (run_dir / layout.PARAMS).write_text("day: 2024-01-02\nlayers: [64, 32]\n")
    expected = by_run_id(plain_scan(store))
    pd.testing.assert_frame_equal(by_run_id(query(store)), expected)
    search_module.clear_memory()
    pd.testing.assert_frame_equal(by_run_id(query(store)), expected)


# -- several processes at once ----------------------------------------------------------------

_WRITER = """
import sys, gittrack
store, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
gittrack.set_tracking_uri(store)
for i in range(count):
    with gittrack.start_run(experiment_id="load"):
        gittrack.log_params({"writer": tag, "i": i})
        gittrack.log_metric("m", i)
        gittrack.set_tag("t", tag)
        gittrack.set_tag("t", tag + "!")
"""

_READER = """
import sys, time, warnings
from pathlib import Path
from gittrack.query.search import search
store, stop = Path(sys.argv[1]), Path(sys.argv[2])
warnings.simplefilter("ignore")  # a run caught between mkdir and its meta.yaml may be skipped
rounds = 0
while not stop.exists() or rounds < 3:
    ids = list(search(store, view="all")["run_id"])
    assert len(ids) == len(set(ids)), ids
    rounds += 1
print(rounds)
"""


def test_concurrent_writers_and_readers(tmp_path: Path) -> None:
    store, stop, runs_each = tmp_path / "store", tmp_path / "stop", 6
    work = tmp_path / "work"
    work.mkdir()
    (work / ".gittrack.yml").write_text("capture:\n  environment: false\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "ignore"}

    def spawn(code: str, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *args],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    readers = [spawn(_READER, str(store), str(stop)) for _ in range(2)]
    writers = [spawn(_WRITER, str(store), f"w{n}", str(runs_each)) for n in range(4)]
    try:
        for proc in writers:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
    finally:
        stop.touch()
    for proc in readers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert int(out) >= 3

    frame = query(store)
    assert len(frame) == 4 * runs_each
    assert frame["run_id"].is_unique
    assert set(frame["status"]) == {"FINISHED"}
    assert sorted(frame["tags.t"]) == sorted(f"w{n}!" for n in range(4) for _ in range(runs_each))
    expected = by_run_id(plain_scan(store))
    pd.testing.assert_frame_equal(by_run_id(frame), expected)
    stored = index_rows(store)
    assert set(stored) == set(expected["run_id"])
    assert stored == {r.run_id: record_row(r) for r in scan(store, lambda _: None)}


# -- property: the index answers exactly as a plain scan ---------------------------------------

_KEYS = ("a", "b", "c")
_numbers = st.one_of(
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 2)),
)
_param_values = st.one_of(_numbers, st.sampled_from(["x", "y", "42", "1.5", "True"]), st.booleans())
_run = st.fixed_dictionaries(
    {
        "params": st.dictionaries(st.sampled_from(_KEYS), _param_values, max_size=3),
        "metrics": st.dictionaries(st.sampled_from(_KEYS), _numbers.map(float), max_size=3),
        "tags": st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(["x", "y", "xy"]), max_size=2),
        "status": st.sampled_from(["FINISHED", "FAILED", "KILLED", "RUNNING"]),
    }
)


def _quoted(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@st.composite
def _filters(draw: st.DrawFn, runs: list[dict[str, Any]]) -> str:
    """A filter over the keys present in ``runs`` (or an absent one), from a small grammar."""

    def comparison() -> str:
        kind = draw(st.sampled_from(["metrics", "params", "params", "tags", "status"]))
        if kind == "status":
            return f"attributes.status {draw(st.sampled_from(['=', '!=']))} {_quoted(draw(_run)['status'])}"
        present = sorted({k for r in runs for k in r[kind]})
        key = draw(st.sampled_from([*present, "zz"]))
        if kind == "metrics":
            op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
            return f"metrics.{key} {op} {draw(_numbers)}"
        values = [r[kind][key] for r in runs if key in r[kind]] or ["x"]
        value = draw(st.sampled_from(values))
        if kind == "tags":
            return f"tags.{key} {draw(st.sampled_from(['=', '!=', 'LIKE']))} {_quoted(value)}"
        if draw(st.booleans()) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"params.{key} {draw(st.sampled_from(['=', '!=', '<', '>=']))} {value}"
        return f"params.{key} {draw(st.sampled_from(['=', '!=']))} {_quoted(value)}"

    def expression(depth: int) -> str:
        if depth == 0 or draw(st.booleans()):
            return comparison()
        op = draw(st.sampled_from(["AND", "OR"]))
        return f"({expression(depth - 1)} {op} {expression(depth - 1)})"

    return expression(2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), runs=st.lists(_run, min_size=1, max_size=5))
def test_indexed_search_equals_a_plain_scan(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, runs: list[dict[str, Any]]
) -> None:
    store = tmp_path_factory.mktemp("prop") / ".runs"
    for spec in runs:
        make_run(store, **spec)
    reads: list[str] = []

    def counting(run_dir: Path) -> Any:
        reads.append(run_dir.name)
        return read_run(run_dir)

    real, index.read_run = index.read_run, counting  # type: ignore[assignment]
    try:
        for _ in range(2):  # the first query reads the files and fills the index
            text = data.draw(_filters(runs))
            expected = by_run_id(filter_frame(plain_scan(store), text))
            for fresh_process in (False, True):  # from the in-process memo, then from SQLite
                if fresh_process:
                    search_module.clear_memory()
                reads.clear()
                got = by_run_id(query(store, filter_string=text))
                pd.testing.assert_frame_equal(got, expected)
    finally:
        index.read_run = real  # type: ignore[assignment]
    # answered from the index: only runs still RUNNING were read again
    assert len(reads) == sum(spec["status"] == "RUNNING" for spec in runs)
    assert set(index_rows(store)) == {r.run_id for r in scan(store, lambda _: None)}


@pytest.fixture(autouse=True)
def _no_leftover_memo() -> Iterator[None]:
    search_module.clear_memory()
    yield


# -- freshness by directory stamps ------------------------------------------------------------


def _age(run_dir: Path, seconds: int = 3600) -> None:
    """Date the run directory back, as if written an hour ago (past the recent window)."""
    st = run_dir.stat()
    os.utime(run_dir, ns=(st.st_atime_ns - seconds * 10**9, st.st_mtime_ns - seconds * 10**9))


def test_an_old_unchanged_run_is_not_read_again(store: Path, reads: list[str]) -> None:
    runs = [make_run(store, params={"i": i}) for i in range(3)]
    for run_dir in runs:
        _age(run_dir)
    query(store)
    search_module.clear_memory()
    reads.clear()
    new = make_run(store, params={"i": 3})
    assert len(query(store, filter_string="params.i >= 0")) == 4
    assert reads == [new.name]  # a new run costs one run's read, not a rescan


def test_gittrack_appends_to_an_old_finished_run_are_seen(store: Path) -> None:
    import gittrack

    run_dir = make_run(store, tags={"stage": "dev"})
    _age(run_dir)
    assert query(store, filter_string="tags.stage = 'dev'")["run_id"].tolist() == [run_dir.name]
    gittrack.set_tracking_uri(store)
    gittrack.MlflowClient().set_tag(run_dir.name, "owner", "ana")  # appends to tags.yaml
    assert query(store, filter_string="tags.owner = 'ana'")["run_id"].tolist() == [run_dir.name]


def test_a_replaced_file_of_an_old_run_is_seen(store: Path) -> None:
    run_dir = make_run(store, params={"alpha": 0.1})
    _age(run_dir)
    assert query(store, filter_string="params.alpha = 0.1")["run_id"].tolist() == [run_dir.name]
    tmp = run_dir / ".tmp-params"
    tmp.write_text("alpha: 0.2\n")  # as editors, sed -i and git checkout do: a new file
    os.replace(tmp, run_dir / layout.PARAMS)
    assert query(store, filter_string="params.alpha = 0.2")["run_id"].tolist() == [run_dir.name]
