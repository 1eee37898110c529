"""``gittrack diff BASE HEAD`` from the changed run directories (review/diff_changes.py) gives
exactly the report, and the warnings, of the whole-frame diff: on generated histories of
commits that add, change, move, damage and remove runs and delete experiments, cold and
with the caches warm."""

from __future__ import annotations

import difflib
import itertools
import math
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gittrack.errors import UnknownKeyError
from gittrack.query import revision_cache, revision_digest
from gittrack.query.search import clear_memory
from gittrack.review import diff_changes
from gittrack.review.diff import diff
from gittrack.review.diff_render import to_json
from gittrack.store import experiments as experiment_events
from gittrack.store import layout, yamlio
from gittrack.store.config import Config, load_config

EXPERIMENTS = ("a", "b", "c")
VALUES = (0.5, 0.25, 0.25, 1.0, 0.0, -0.0, math.nan, math.inf, 2.0)
PARAMS = (1, 2, "2", "x", 0.5, True, None)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def write_run(store: Path, directory: str, spec: dict[str, Any]) -> None:
    """A finished (or failed) run's files, written as the store writes them."""
    run = store / directory
    run.mkdir(parents=True, exist_ok=True)
    start = 1_700_000_000_000 + 1000 * spec["start"]
    meta: dict[str, Any] = {
        "format_version": 1,
        "run_id": spec.get("run_id", directory),
        "name": spec["name"],
        "experiment": spec["experiment"],
        "status": spec["status"],
        "lifecycle_stage": spec["lifecycle"],
        "start_time": layout.iso_utc(start),
        "end_time": layout.iso_utc(start + 500),
    }
    if spec["status"] == "FAILED":
        meta["error"] = {"type": "ValueError", "message": f"bad {spec['name']}", "traceback": None}
    meta["metrics"] = {
        m: {"last": v, "min": v, "max": v, "count": 1, "step": 0} for m, v in spec["metrics"].items()
    }
    (run / layout.META).write_text(yamlio.dump(meta))
    params = {k: v for k, v in spec["params"].items() if v is not None}
    (run / layout.PARAMS).write_text(yamlio.dump(params) if params else "")
    (run / layout.TAGS).write_text("")


run_specs = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["r1", "r2", "r3"]),
        "experiment": st.sampled_from(EXPERIMENTS),
        "status": st.sampled_from(["FINISHED", "FINISHED", "FAILED"]),
        "lifecycle": st.sampled_from([layout.ACTIVE, layout.ACTIVE, layout.ACTIVE, layout.DELETED]),
        "start": st.integers(0, 3),  # few start times: ties decided by run id
        "metrics": st.dictionaries(
            st.sampled_from(["rmse", "r2", "loss"]), st.sampled_from(VALUES), max_size=3
        ),
        "params": st.dictionaries(st.sampled_from(["lr", "depth"]), st.sampled_from(PARAMS), max_size=2),
    }
)

steps = st.one_of(
    st.tuples(st.just("add"), run_specs),
    st.tuples(st.just("change"), st.integers(0, 50), run_specs),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("damage"), st.integers(0, 50)),
    st.tuples(st.just("misname"), st.integers(0, 50)),  # a run whose id is not its directory
    st.tuples(st.just("experiment"), st.sampled_from(EXPERIMENTS), st.sampled_from(["delete", "restore"])),
)


def apply(store: Path, step: tuple[Any, ...], counter: itertools.count[int]) -> None:
    runs = sorted(p.name for p in store.iterdir() if p.name[0].isdigit())
    kind = step[0]
    if kind == "add":
        write_run(store, f"20260101-0000{next(counter):02d}-abcdef", step[1])
        return
    if kind == "experiment":
        experiment_events.append_event_at(store, step[1], step[2], next(counter), {})
        return
    if not runs:
        return
    target = store / runs[step[1] % len(runs)]
    if kind == "change":
        write_run(store, target.name, step[2])
    elif kind == "remove":
        shutil.rmtree(target)
    elif kind == "damage":
        (target / layout.PARAMS).write_text("lr: [unclosed\n")
    elif kind == "misname":
        shutil.copytree(target, store / f"20260101-0000{next(counter):02d}-copied")


def reports(store: Path, base: str, head: str, config: Config, **options: Any) -> tuple[str, list[str]]:
    """The incremental report and the whole-frame one, each as JSON with its warnings."""
    said: list[tuple[str, list[str]]] = []
    for incremental in (True, False):
        clear_memory()
        heard: list[str] = []
        try:
            report = diff(
                store,
                base=base,
                head=head,
                config=config,
                warn=heard.append,
                incremental=incremental,
                **options,
            )
            text = to_json(report)
        except UnknownKeyError as exc:  # a --metric or --fail-if-worse metric no run in scope has
            text = f"UnknownKeyError: {exc}"
        # a warning names the commit its tree was first read at, which depends on the caches
        said.append((text, [re.sub(r"\b[0-9a-f]{40}:", "REV:", h) for h in heard]))
    if said[0] != said[1]:
        lines = difflib.unified_diff(said[1][0].splitlines(), said[0][0].splitlines(), "frames", "changes")
        raise AssertionError("\n".join(lines) + f"\n{said[1][1]}\n{said[0][1]}")
    return said[0]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(st.lists(steps, min_size=1, max_size=4), min_size=2, max_size=4))
def test_the_changed_runs_give_the_whole_frame_report(
    repo: Path, history: list[list[tuple[Any, ...]]]
) -> None:
    store = repo / ".runs"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir()
    (store / ".gitignore").write_text(".cache/\n")
    counter = itertools.count()
    commits = []
    for i, batch in enumerate(history):
        for step in batch:
            apply(store, step, counter)
        git(repo, "add", "-A", ".runs")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"step {i}")
        commits.append(git(repo, "rev-parse", "HEAD"))
    config = load_config()
    pairs = [*itertools.pairwise(commits), (commits[0], commits[-1]), (commits[-1], commits[0])]
    for cold in (True, False):
        if cold:
            shutil.rmtree(store / layout.CACHE_DIR, ignore_errors=True)
        for base, head in pairs:
            reports(store, base, head, config)
            reports(store, base, head, config, all_experiments=True)
            reports(store, base, head, config, experiments=["a"], all_experiments=True)
            reports(store, base, head, config, metrics=["rmse"], gates=["loss"])
            reports(store, base, head, config, experiments=["b"], gates=["r2"])


@pytest.fixture
def two_commits(repo: Path) -> tuple[Path, str, str]:
    store = repo / ".runs"
    store.mkdir(exist_ok=True)
    base_runs = {
        f"20260101-0000{i:02d}-base": {
            "name": f"b{i}",
            "experiment": EXPERIMENTS[i % 2],
            "status": "FINISHED",
            "lifecycle": layout.ACTIVE,
            "start": i,
            "metrics": {"rmse": 1.0 / (i + 1), "r2": 0.1 * i},
            "params": {"lr": 0.1 * i},
        }
        for i in range(6)
    }
    for directory, spec in base_runs.items():
        write_run(store, directory, spec)
    git(repo, "add", "-A", ".runs")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    write_run(store, "20260101-000099-head", {**base_runs["20260101-000001-base"], "name": "h", "start": 9})
    write_run(
        store, "20260101-000098-head", {**base_runs["20260101-000002-base"], "name": "f", "status": "FAILED"}
    )
    shutil.rmtree(store / "20260101-000000-base")
    git(repo, "add", "-A", ".runs")
    git(repo, "commit", "-q", "-m", "head")
    return store, base, git(repo, "rev-parse", "HEAD")


def test_a_warm_diff_reads_only_the_changed_runs(two_commits: tuple[Path, str, str]) -> None:
    store, base, head = two_commits
    config = load_config()
    text, heard = reports(store, base, head, config)
    assert '"added"' in text and heard == []
    digest = revision_digest.digest_at(store, base)
    assert digest is not None and digest.regular
    assert digest.experiments["a"].runs == 3 and digest.experiments["a"].metrics["rmse"].count == 3
    # the base's digest is all a warm diff needs of the base: without the base's rows it
    # still gives the same report, and reads no whole tree again
    for path in (store / layout.CACHE_DIR / revision_cache.FOLDER).glob("*" + revision_cache.SUFFIX):
        path.unlink()
    clear_memory()
    found = diff(store, base=base, head=head, config=config, warn=heard.append)
    assert to_json(found) == text
    assert not list((store / layout.CACHE_DIR / revision_cache.FOLDER).glob("*" + revision_cache.SUFFIX))


def test_a_failed_added_run_keeps_its_error(two_commits: tuple[Path, str, str]) -> None:
    store, base, head = two_commits
    report = diff(store, base=base, head=head, config=load_config())
    failed = [f for e in report.experiments for f in e.failed]
    assert [(f.name, f.error) for f in failed] == [("f", "ValueError: bad f")]


def test_many_changed_runs_take_the_whole_frames(
    two_commits: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, base, head = two_commits
    monkeypatch.setattr(diff_changes, "MAX_CHANGED", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            diff_changes.changes_report(
                store, base=diff_side(base), head=diff_side(head), config=load_config(), warn=print
            )
            is None
        )
    reports(store, base, head, load_config())


def diff_side(commit: str) -> Any:
    from gittrack.review.diff import Side

    return Side(commit, commit)


def test_registry_changes_use_the_runs_of_the_versions(in_repo: Path) -> None:
    import gittrack as mlflow

    def logged(name: str, rmse: float) -> str:
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_metric("rmse", rmse)
            mlflow.log_text("w", "model/weights.txt")
        return str(run.info.run_id)

    first = logged("first", 0.5)
    mlflow.register_model(f"runs:/{first}/model", "m")
    mlflow.MlflowClient().set_registered_model_alias("m", "champion", 1)
    git(in_repo, "add", "-A")
    git(in_repo, "commit", "-q", "-m", "v1")
    base = git(in_repo, "rev-parse", "HEAD")
    second = logged("second", 0.25)
    mlflow.register_model(f"runs:/{second}/model", "m")
    mlflow.MlflowClient().set_registered_model_alias("m", "champion", 2)
    git(in_repo, "add", "-A")
    git(in_repo, "commit", "-q", "-m", "v2 champion")
    text, _ = reports(in_repo / ".runs", base, git(in_repo, "rev-parse", "HEAD"), load_config())
    assert '"kind": "alias-moved"' in text and '"old_value": 0.5' in text
