"""The revision cache (``.runs/.cache/revisions/``) gives exactly what a straight read from
git gives: cold, warm, and patched from a nearby cached tree, warnings included."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import gittrack
from gittrack import git as gitmod
from gittrack.query import revision_cache
from gittrack.query.revision import load_rows_at
from gittrack.query.search import clear_memory
from gittrack.review.diff import diff
from gittrack.store import layout
from gittrack.store.config import load_config


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", ".runs")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def log_runs(count: int, start: int = 0, experiment: str = "exp") -> list[str]:
    gittrack.set_experiment(experiment)
    ids = []
    for i in range(start, start + count):
        gitmod.clear_capture_cache()
        with gittrack.start_run(run_name=f"r{i}") as run:
            gittrack.log_params({"i": i, "kind": "odd" if i % 2 else "even"})
            gittrack.log_metric("rmse", 1 / (i + 1))
            ids.append(run.info.run_id)
    return ids


def straight(store: Path, sha: str) -> tuple[list[dict[str, Any]], set[str], list[str]]:
    said: list[str] = []
    rows, deleted = load_rows_at(store, sha, said.append, resolved=True)
    return rows, deleted, said


def cached(store: Path, sha: str) -> tuple[list[dict[str, Any]], set[str], list[str]]:
    said: list[str] = []
    rows, deleted = revision_cache.rows_at(store, sha, said.append)
    return rows, deleted, said


def same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)  # NaN-safe, order-sensitive


def test_cold_warm_and_patched_reads_equal_the_straight_read(repo: Path) -> None:
    store = repo / ".runs"
    log_runs(6)
    first = commit_all(repo, "six")
    log_runs(3, start=6, experiment="other")
    shutil.rmtree(store / sorted(p.name for p in store.iterdir() if p.name[0].isdigit())[0])  # one removed
    broken = store / sorted(p.name for p in store.iterdir() if p.name[0].isdigit())[0]
    (broken / layout.PARAMS).write_text("a: [unclosed\n")  # one damaged
    gittrack.MlflowClient().delete_experiment(gittrack.get_experiment_by_name("other").experiment_id)
    second = commit_all(repo, "three more, one gone, one damaged, an experiment deleted")
    for sha in (first, second, first, second):  # cold, cold (patched from first), warm, warm
        want, got = straight(store, sha), cached(store, sha)
        assert same(got[0], want[0])
        assert got[1] == want[1] == ({"other"} if sha == second else set())
        assert got[2] == want[2] and len(want[2]) == (1 if sha == second else 0)
    files = sorted((store / layout.CACHE_DIR / revision_cache.FOLDER).glob("*" + revision_cache.SUFFIX))
    trees = {git(repo, "rev-parse", f"{s}:.runs") for s in (first, second)}
    assert {f.name.removesuffix(revision_cache.SUFFIX) for f in files} == trees
    assert second not in git(repo, "status", "--porcelain", "--untracked-files=all")


def test_a_damaged_cache_file_is_read_around(repo: Path) -> None:
    store = repo / ".runs"
    log_runs(3)
    sha = commit_all(repo, "three")
    want = straight(store, sha)
    cached(store, sha)
    for path in (store / layout.CACHE_DIR / revision_cache.FOLDER).glob("*" + revision_cache.SUFFIX):
        path.write_text("{not json")
    assert same(cached(store, sha)[0], want[0])
    assert same(cached(store, sha)[0], want[0])  # rewritten whole


def test_diff_from_the_cache_equals_diff_from_git(repo: Path) -> None:
    """A PR adding runs to a history: the report from cached and patched frames is the report
    from reading both sides whole."""
    store = repo / ".runs"
    log_runs(8)
    base = commit_all(repo, "base")
    added = log_runs(3, start=8)
    head = commit_all(repo, "pr")
    config = load_config()

    def report() -> Any:
        clear_memory()
        return diff(store, base=base, head=head, config=config)

    shutil.rmtree(store / layout.CACHE_DIR, ignore_errors=True)
    first = report()  # base read whole, head patched from it
    warm = report()  # both from the cache
    shutil.rmtree(store / layout.CACHE_DIR / revision_cache.FOLDER)
    revision_cache.KEEP, keep = 0, revision_cache.KEEP  # nothing kept: every read goes to git
    try:
        whole = report()
    finally:
        revision_cache.KEEP = keep
    assert first == warm == whole
    assert {r.run_id for r in first.experiments[0].added} == set(added)


def test_a_read_of_many_runs_on_every_core_gives_the_rows_of_one_process(repo: Path) -> None:
    """Past query.revision.POOL_FROM runs, ``gittrack``'s own process parses them in a pool
    of workers; the rows, their order and the warnings are those of one process."""
    import os
    import sys

    from helpers import invoke

    from gittrack.query.revision import POOL_FROM
    from gittrack.store import yamlio

    store = repo / ".runs"
    for i in range(POOL_FROM + 50):
        run = store / f"20260101-{i:06d}-abcdef"
        run.mkdir(parents=True)
        meta = {
            "format_version": 1, "run_id": run.name, "name": f"r{i}", "experiment": f"e{i % 3}",
            "status": "FINISHED", "start_time": "2026-01-01T00:00:00.000Z",
            "metrics": {"rmse": {"last": 1 / (i + 1), "min": 0.0, "max": 1.0, "count": 1, "step": 0}},
        }  # fmt: skip
        (run / layout.META).write_text(yamlio.dump(meta))
        (run / layout.PARAMS).write_text(f"i: {i}\n" if i != 7 else "i: [unclosed\n")
    sha = commit_all(repo, "many runs")
    args = ["ls", "--rev", sha, "--format", "csv", "--all-columns", "-n", str(POOL_FROM + 100)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    pooled = subprocess.run(
        [sys.executable, "-m", "gittrack", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(store / layout.CACHE_DIR)
    clear_memory()
    here = invoke(*args)
    assert here.exit_code == 0, here.stderr
    assert pooled.stdout == here.stdout and len(pooled.stdout.splitlines()) == POOL_FROM + 50
    assert "skipping run 20260101-000007-abcdef" in pooled.stderr
    assert pooled.stderr.splitlines()[-1:] == here.stderr.splitlines()[-1:]
