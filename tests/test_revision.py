"""Runs as committed at a git revision: ``search(store, rev=...)`` and the API on top of it.

Real repositories (the ``repo`` fixture is one, as the current directory); git is only
wrapped, never replaced, to count its processes.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gittrack
from gittrack.errors import ConfigError, GittrackError, GittrackWarning
from gittrack.query.search import search
from gittrack.store import context, ids, layout
from gittrack.store.layout import Meta
from gittrack.store.writer import RunWriter, now_ms


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_runs(repo: Path, message: str = "runs") -> str:
    git(repo, "add", ".runs")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def log_run(**params: Any) -> str:
    """One finished run through the public API; returns its id."""
    with gittrack.start_run() as run:
        gittrack.log_params(params)
        gittrack.log_metric("rmse", float(len(params)))
        return run.info.run_id


def make_run(
    store: Path,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, list[float]] | None = None,
    status: str = "FINISHED",
) -> Path:
    """A run written by the store's writer; a RUNNING one is left as a crashed writer leaves it."""
    meta = Meta(
        run_id=ids.new_run_id(),
        name=ids.new_run_name(),
        experiment="exp",
        status="RUNNING",
        start_time=now_ms(),
        host=context.host(),
        pid=os.getpid(),
    )
    writer = RunWriter.create(store, meta, new_id=ids.new_run_id)
    writer.log_params(params or {})
    for key, values in (metrics or {}).items():
        for value in values:
            writer.log_metric(key, value)
    if status == "RUNNING":
        writer.close()
    else:
        writer.finish(status)
    return writer.run_dir


def run_ids(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["run_id"])


@pytest.fixture
def store(repo: Path) -> Path:
    return repo / ".runs"


# -- which runs a revision holds -----------------------------------------------------------


def test_head_shows_exactly_the_committed_runs(repo: Path, store: Path) -> None:
    committed = [log_run(alpha=a) for a in (0.1, 0.2)]
    commit_runs(repo)
    later = log_run(alpha=0.3)
    assert run_ids(search(store, rev="HEAD")) == sorted(committed)
    assert run_ids(search(store)) == sorted([*committed, later])
    assert sorted(r.info.run_id for r in gittrack.MlflowClient().search_runs(rev="HEAD")) == sorted(committed)
    assert run_ids(gittrack.search_runs(rev="HEAD")) == sorted(committed)


def test_an_old_commit_a_branch_and_a_tag(repo: Path, store: Path) -> None:
    first = log_run(alpha=1)
    old = commit_runs(repo, "one run")
    git(repo, "tag", "v1")
    second = log_run(alpha=2)
    commit_runs(repo, "two runs")
    git(repo, "switch", "-q", "-c", "exp")
    on_branch = log_run(alpha=3)
    commit_runs(repo, "a run on a branch")
    git(repo, "switch", "-q", "main")
    assert not (store / on_branch).exists()  # not checked out: read from git's objects only

    assert run_ids(search(store, rev=old)) == [first]
    assert run_ids(search(store, rev=old[:10])) == [first]
    assert run_ids(search(store, rev="HEAD~1")) == [first]
    assert run_ids(search(store, rev="v1")) == [first]
    assert run_ids(search(store, rev="main")) == sorted([first, second])
    assert run_ids(search(store, rev="exp")) == sorted([first, second, on_branch])


def test_a_revision_before_any_run(repo: Path, store: Path) -> None:
    empty = git(repo, "rev-parse", "HEAD")
    log_run(alpha=1)
    commit_runs(repo)
    frame = search(store, rev=empty)
    assert frame.empty
    assert "run_id" in frame.columns


def test_runs_at_a_revision_read_like_the_working_tree(repo: Path, store: Path) -> None:
    for alpha in (1, 0.5, "deep"):
        with gittrack.start_run():
            gittrack.log_params({"alpha": alpha, "seed": 42})
            gittrack.log_metric("rmse", 3.0)
            gittrack.log_metric("rmse", 2.5)
            gittrack.set_tag("team", "a")
    commit_runs(repo)
    pd.testing.assert_frame_equal(search(store, rev="HEAD"), search(store))


def test_filters_and_order_apply_at_a_revision(repo: Path, store: Path) -> None:
    ids_by_alpha = {a: log_run(alpha=a) for a in (0.1, 0.5, 0.9)}
    commit_runs(repo)
    shutil.rmtree(store)  # the working tree no longer has them
    frame = search(store, rev="HEAD", filter_string="params.alpha > 0.2", order_by=["params.alpha DESC"])
    assert list(frame["run_id"]) == [ids_by_alpha[0.9], ids_by_alpha[0.5]]
    runs = gittrack.search_runs(rev="HEAD", filter_string="params.alpha < 0.2", output_format="list")
    assert isinstance(runs, list)
    assert [r.info.run_id for r in runs] == [ids_by_alpha[0.1]]
    assert runs[0].data.params == {"alpha": "0.1"}


def test_a_running_run_at_a_revision_has_its_committed_metrics(repo: Path, store: Path) -> None:
    make_run(store, params={"a": 1}, metrics={"loss": [1.0, 0.5]}, status="RUNNING")
    make_run(store, metrics={"val/loss": [2.0, 0.75]}, status="RUNNING")
    commit_runs(repo)
    frame = search(store, rev="HEAD")
    # committed while RUNNING: a commit never changes again, so no live process is behind it
    assert list(frame["status"]) == ["KILLED", "KILLED"]
    assert sorted(frame["metrics.loss"].dropna()) == [0.5]
    assert sorted(frame["metrics.val/loss"].dropna()) == [0.75]


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rev", ["no-such-branch", "deadbeef" * 5, "HEAD~99", "-rf"])
def test_an_unknown_revision_is_one_clear_error(repo: Path, store: Path, rev: str) -> None:
    log_run(alpha=1)
    commit_runs(repo)
    with pytest.raises(GittrackError, match=rf"^unknown revision '{rev}'") as caught:
        search(store, rev=rev)
    assert type(caught.value) is GittrackError
    with pytest.raises(GittrackError, match="unknown revision"):
        gittrack.search_runs(rev=rev)


def test_a_bad_filter_is_reported_before_git_runs(repo: Path, store: Path) -> None:
    with pytest.raises(GittrackError, match=r"^filter error at column 1:"):
        search(store, rev="no-such-branch", filter_string="= 3")


def test_a_store_outside_git_has_no_revisions(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not inside a git repository"):
        search(tmp_path / ".runs", rev="HEAD")


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        (layout.META, "run_id: [unclosed\n", "not valid YAML"),
        (layout.META, "- a list\n", "expected a mapping"),
        (layout.META, "format_version: 99\nrun_id: x\nstart_time: 2026-01-01T00:00:00Z\n", "format_version"),
        (layout.PARAMS, "alpha: [1\n", "not valid YAML"),
        (layout.TAGS, b"team: \xff\xfe\n", "not valid YAML"),
    ],
)
def test_a_damaged_committed_run_is_skipped_with_a_warning(
    repo: Path, store: Path, name: str, content: str | bytes, problem: str
) -> None:
    good = log_run(alpha=1)
    bad = log_run(alpha=2)
    path = store / bad / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    commit_runs(repo)
    with pytest.warns(GittrackWarning) as warned:
        frame = search(store, rev="HEAD")
    assert run_ids(frame) == [good]
    messages = [str(w.message) for w in warned]
    assert len(messages) == 1
    assert bad in messages[0]
    assert problem in messages[0]


def test_a_committed_run_without_meta_is_skipped_with_a_warning(repo: Path, store: Path) -> None:
    good = log_run(alpha=1)
    orphan = store / "20260101-000000-abcdef"
    orphan.mkdir()
    (orphan / layout.PARAMS).write_text("alpha: 3\n")
    commit_runs(repo)
    with pytest.warns(GittrackWarning, match=r"20260101-000000-abcdef.*meta\.yaml: missing"):
        frame = search(store, rev="HEAD")
    assert run_ids(frame) == [good]


def test_a_damaged_metric_file_of_a_running_run_is_skipped(repo: Path, store: Path) -> None:
    good = make_run(store, params={"a": 1})
    bad = make_run(store, metrics={"loss": [1.0]}, status="RUNNING")
    (bad / layout.METRICS_DIR / "loss.csv").write_bytes(b"step,timestamp,value\n0,1,\xff\n")
    commit_runs(repo)
    with pytest.warns(GittrackWarning, match=bad.name):
        frame = search(store, rev="HEAD")
    assert run_ids(frame) == [good.name]


# -- cost: a constant number of git processes ---------------------------------------------------


@pytest.fixture
def git_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that logs each invocation, then runs the real git."""
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "logging-bin"
    bin_dir.mkdir()
    log = tmp_path / "git-calls.log"
    script = bin_dir / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def count_git(log: Path, action: Any) -> list[str]:
    log.write_text("")
    action()
    return log.read_text().splitlines()


@pytest.mark.parametrize("status", ["FINISHED", "RUNNING"])
def test_git_processes_do_not_grow_with_the_number_of_runs(
    repo: Path, store: Path, git_calls: Path, status: str
) -> None:
    def add_runs(count: int) -> None:
        for i in range(count):
            make_run(
                store, params={"i": i}, metrics={"loss": [1.0, 0.5], f"m{i}/x": [float(i)]}, status=status
            )
        commit_runs(repo)

    def cold_read() -> None:  # no cached revision frame to start from (see test_revision_cache.py)
        shutil.rmtree(store / layout.CACHE_DIR / "revisions", ignore_errors=True)
        search(store, rev="HEAD")

    add_runs(2)
    few = count_git(git_calls, cold_read)
    add_runs(12)
    many = count_git(git_calls, cold_read)
    assert len(search(store, rev="HEAD")) == 14
    assert len(many) == len(few), (few, many)
    # rev-parse (commit), cat-file (store tree), ls-tree + cat-file of the summaries,
    # ls-tree + cat-file of RUNNING runs' CSVs
    assert len(many) <= 6, many
    assert not any(call.split()[0] in ("checkout", "switch", "stash", "reset") for call in many)


def test_reading_a_revision_changes_nothing(repo: Path, store: Path) -> None:
    log_run(alpha=1)
    commit_runs(repo)
    log_run(alpha=2)
    before = git(repo, "status", "--porcelain", "--untracked-files=all")
    head = git(repo, "rev-parse", "HEAD")
    search(store, rev="HEAD")
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert not (store / layout.CACHE_DIR / "index.sqlite").exists()  # the working-tree index is not involved


def test_a_revision_read_again_in_the_same_process_asks_git_only_for_its_sha(
    repo: Path, store: Path, git_calls: Path
) -> None:
    for i in range(3):
        make_run(store, params={"i": i}, metrics={"loss": [float(i)]})
    commit_runs(repo)
    first = search(store, rev="HEAD")
    again = count_git(git_calls, lambda: search(store, rev="HEAD"))
    assert [call.split()[0] for call in again] == ["rev-parse"]
    assert search(store, rev="HEAD").equals(first)
    make_run(store, params={"i": 3}, metrics={"loss": [3.0]})
    commit_runs(repo)  # HEAD moves: a new commit is read afresh
    assert len(search(store, rev="HEAD")) == 4
