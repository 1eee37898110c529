"""``gittrack ls`` answered by the run index without pandas gives exactly the table of the
pandas path, and a large store's query trusts its stamps only as far as docs/format.md says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import git, invoke, make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_indexed import _filters, _orders, _run, make_run

from gittrack.query import search as search_module
from gittrack.query import trust
from gittrack.review.ls import ls, ls_table
from gittrack.review.render import render
from gittrack.store import layout

_columns = st.sampled_from(
    [None, ["params.a"], ["metrics.b", "status", "params.c d"], ["tags.a", "experiment", "commit", "parent"]]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), runs=st.lists(_run, min_size=0, max_size=6))
def test_the_pandas_free_table_is_the_pandas_table(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, runs: list[dict[str, Any]]
) -> None:
    store = tmp_path_factory.mktemp("ls") / ".runs"
    for spec in runs:
        make_run(store, spec)
    for _ in range(3):
        fmt = data.draw(st.sampled_from(["table", "markdown", "json"]))
        query = {
            "filter_string": data.draw(_filters()),
            "order_by": data.draw(_orders()) or None,
            "limit": data.draw(st.sampled_from([None, 0, 1, 3])),
            "view": data.draw(st.sampled_from(["active", "deleted", "all"])),
            "experiments": data.draw(st.sampled_from([None, ["e1"], ["e2", "e3"]])),
            "columns": data.draw(_columns),
            "all_columns": data.draw(st.booleans()),
            "exact": fmt == "json",
        }
        said: list[str] = []
        try:
            fast = ls_table(store, warn=said.append, **query)
        except Exception as exc:  # a key no run has: the pandas path must say the same
            with pytest.raises(type(exc), match="no run"):
                ls(store, warn=lambda _: None, **query)
            continue
        if fast is None:  # no index to answer from: an empty store has none
            assert not runs
            continue
        heard: list[str] = []
        slow = ls(store, warn=heard.append, **query)
        assert said == heard
        assert render(fast, fmt, width=100) == render(slow, fmt, width=100), query


def test_ls_of_the_work_tree_imports_no_pandas(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    for i in range(3):
        make_run(repo / ".runs", {**_spec(i, start=i), "metrics": {"b": 0.5 * i}})
    code = (
        "import sys\nfrom gittrack.cli import cli\n"
        "try:\n    cli(['ls', '-n', '2', '-f', 'metrics.b > 0', '--columns', 'params.a'])\n"
        "except SystemExit:\n    pass\n"
        "print('pandas' in sys.modules, 'tabulate' in sys.modules)\n"
    )
    for _ in range(2):  # the first builds the index; neither needs pandas
        command = [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True)
        assert done.stdout.splitlines()[-1] == "False False", done.stdout + done.stderr
        assert "params" in done.stdout


# -- trusting a large store's stamps (query/trust.py) -----------------------------------------


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GITTRACK_INDEX_TRUST_FROM", "0")  # as a store of 100,000 runs would
    search_module.clear_memory()
    yield
    search_module.clear_memory()


def _settle(repo: Path) -> None:
    """Date every watched file 10 s back, as if the last change were that old."""
    store = repo / ".runs"
    past = time.time_ns() - 10_000_000_000
    paths = [store, repo / ".git" / "index", repo / ".git" / "HEAD"]
    mark = store / layout.CACHE_DIR / layout.CHANGED_MARK
    if mark.exists() and mark.stat().st_mtime_ns > 0:
        paths.append(mark)
    for path in paths:
        if path.exists():
            os.utime(path, ns=(past, past))


def _names(repo: Path) -> list[str]:
    search_module.clear_memory()  # as a new process
    result = invoke("--store", str(repo / ".runs"), "ls", "--format", "json", "--all-columns")
    assert result.exit_code == 0, result.output
    return sorted(f"{r['name']}:{r['params.a']}:{r.get('tags.t')}" for r in json.loads(result.stdout))


def _trusted(repo: Path) -> bool:
    from gittrack.query import index

    store = repo / ".runs"
    return trust.trusted(store, index.stamp(store))


def _spec(a: Any, start: int = 0) -> dict[str, Any]:
    return {"params": {"a": a}, "metrics": {}, "tags": {}, "status": "FINISHED", "experiment": "e1",
            "start": start, "deleted": False}  # fmt: skip


def test_a_trusted_store_still_sees_every_change_gittrack_and_git_make(
    tmp_path: Path, trusting: None
) -> None:
    import gittrack

    repo = make_repo(tmp_path / "repo")
    store = repo / ".runs"
    make_run(store, _spec(1))
    first = _names(repo)
    _settle(repo)
    assert _names(repo) == first  # the run directories are read once more, then the stamps saved
    assert _trusted(repo)

    run_id = next(p.name for p in store.iterdir() if not p.name.startswith("."))
    client = gittrack.MlflowClient(tracking_uri=str(store))
    client.set_tag(run_id, "t", "tagged")  # a write into a finished run: the change mark
    assert not _trusted(repo)
    assert _names(repo) == [first[0].replace(":None", ":tagged")]

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "runs")
    client.delete_tag(run_id, "t")
    _names(repo)
    _settle(repo)
    _names(repo)
    assert _trusted(repo)
    git(repo, "checkout", "-q", "--", ".runs")  # git puts the tag back: git's index changes
    assert _names(repo) == [first[0].replace(":None", ":tagged")]

    _settle(repo)
    _names(repo)
    assert _trusted(repo)
    make_run(store, _spec(2, start=1))  # a new run directory: the store's own stamp
    assert len(_names(repo)) == 2


def test_a_trusted_store_misses_a_foreign_edit_until_the_store_is_touched(
    tmp_path: Path, trusting: None
) -> None:
    repo = make_repo(tmp_path / "repo")
    store = repo / ".runs"
    make_run(store, _spec(1))
    _names(repo)
    _settle(repo)
    before = _names(repo)
    assert _trusted(repo)
    params = next(p for p in store.iterdir() if not p.name.startswith(".")) / layout.PARAMS
    edited = params.with_name("edited.tmp")
    edited.write_text("a: 7\n", encoding="utf-8")
    os.replace(edited, params)  # another tool (sed -i, an editor) rewrites a run's file
    assert _names(repo) == before  # the documented limit (docs/format.md, "Large stores")
    os.utime(store)  # `touch .runs`
    assert _names(repo) == [before[0].replace(":1:", ":7:")]

    _settle(repo)
    _names(repo)
    assert _trusted(repo)
    assert invoke("--store", str(store), "check").exit_code == 0
    assert not _trusted(repo)  # after a check, the next query looks at every run again


def test_a_new_cache_is_trusted_by_the_listing_of_run_directories(tmp_path: Path, trusting: None) -> None:
    import shutil

    repo = make_repo(tmp_path / "repo")
    store = repo / ".runs"
    make_run(store, _spec(1))
    _names(repo)
    _settle(repo)
    shutil.rmtree(store / layout.CACHE_DIR)  # the store's own mtime is now too recent to trust
    assert len(_names(repo)) == 1  # a cold build, recorded with the listing
    clean = store / layout.CACHE_DIR / trust.STATE_FILE
    assert json.loads(clean.read_text())["names"]
    assert _trusted(repo)
    (store / "20260101-000000-notarun").mkdir()  # a new directory: the listing differs
    assert not _trusted(repo)
    (store / "20260101-000000-notarun").rmdir()
    assert _trusted(repo)

    past = time.time_ns() - 10_000_000_000
    os.utime(store, ns=(past, past))  # as if the cache had been made 10 s ago
    assert _trusted(repo)  # the store's stamp is settled now: recorded in place of the listing
    saved = json.loads(clean.read_text())
    assert saved["names"] is None and saved["stamps"]["store"] == [
        store.stat().st_ino,
        past,
        store.stat().st_size,
    ]
    make_run(store, _spec(2, start=1))
    assert not _trusted(repo)
    assert len(_names(repo)) == 2


def test_small_stores_never_trust_their_stamps(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    make_run(repo / ".runs", _spec(1))
    _names(repo)
    _settle(repo)
    _names(repo)
    assert not _trusted(repo)  # fewer runs than GITTRACK_INDEX_TRUST_FROM (20,000)


# -- ls --rev from the revision's own index (query/revision_index.py) -------------------------


def test_ls_at_a_revision_without_pandas_is_the_pandas_table(tmp_path: Path) -> None:
    import gittrack
    from gittrack.store.writer import RunWriter

    repo = make_repo(tmp_path / "repo")
    store = repo / ".runs"
    for i in range(6):
        make_run(store, {**_spec(i, start=i), "experiment": f"e{i % 3}", "metrics": {"b": 0.5 * i},
                         "deleted": i == 4})  # fmt: skip
    damaged = sorted(p for p in store.iterdir() if not p.name.startswith("."))[1]
    (damaged / layout.PARAMS).write_text("a: [1\n", encoding="utf-8")
    live = make_run_running(store)
    client = gittrack.MlflowClient(tracking_uri=str(store))
    client.delete_experiment(client.get_experiment_by_name("e2").experiment_id)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "runs")
    RunWriter.attach(live).finish("FINISHED")  # ended since: RUNNING at HEAD reads KILLED
    cases: list[dict[str, Any]] = [
        {},
        {"limit": 2},
        {"view": "all", "all_columns": True},
        {"view": "deleted"},
        {"experiments": ["e1"], "columns": ["params.a", "status"]},
        {"experiments": ["nope"]},
    ]
    for query in cases:
        for fmt in ("table", "json"):
            search_module.clear_memory()
            said: list[str] = []
            fast = ls_table(store, rev="HEAD", exact=fmt == "json", warn=said.append, **query)
            assert fast is not None, query
            heard: list[str] = []
            slow = ls(store, rev="HEAD", exact=fmt == "json", warn=heard.append, **query)
            assert said == heard, query
            assert render(fast, fmt, width=200) == render(slow, fmt, width=200), query
    assert any("skipping run" in m for m in said)  # the damaged run is warned about every time
    with pytest.raises(Exception, match=r"did you mean 'params\.a'"):
        ls_table(store, rev="HEAD", columns=["params.aa"])
    assert ls_table(store, rev="HEAD", filter_string="params.a > 1") is None  # the frame answers


def make_run_running(store: Path) -> Path:
    from gittrack.store import context, ids
    from gittrack.store.layout import Meta
    from gittrack.store.writer import RunWriter

    meta = Meta(run_id=ids.new_run_id(), name="live", experiment="e0", status="RUNNING",
                start_time=1_700_000_000_009, host=context.host(), pid=os.getpid())  # fmt: skip
    writer = RunWriter.create(store, meta, new_id=ids.new_run_id)
    writer.log_params({"a": 9})
    writer.close()
    return writer.run_dir


def test_the_cli_lists_a_revision_without_pandas(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    for i in range(3):
        make_run(repo / ".runs", _spec(i, start=i))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "runs")
    code = (
        "import sys\nfrom gittrack.cli import cli\n"
        "try:\n    cli(['ls', '--rev', 'HEAD', '-n', '2'])\n"
        "except SystemExit:\n    pass\n"
        "print('pandas' in sys.modules)\n"
    )
    outputs = []
    for _ in range(2):  # the first builds the revision's index; neither needs pandas
        command = [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True)
        assert done.stdout.splitlines()[-1] == "False", done.stdout + done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 6  # header (2 lines), rule, 2 runs, flag
