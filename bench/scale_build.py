"""Building the scale benchmark's stores: gittrack's (in a real git repo) and MLflow's SQLite.

gittrack's store is written through gittrack's own run writer
(:class:`gittrack.store.writer.RunWriter`, as ``start_run``/``log_*``/``end_run`` use it:
the same meta.yaml, params.yaml, tags.yaml, metric CSVs and environment.txt), by one process
per core, each writing slices of runs.  Should a later gittrack change that internal writer's
signature, the builder falls back to the public ``MlflowClient`` API (slower, same files).
Experiments are created with the public API first.  ``gittrack check`` afterwards proves the
store is one gittrack reads as its own.

MLflow's SQLite store: MLflow creates its schema (``SqlAlchemyStore``, so its own migrations)
and the experiments; runs, params, tags, metric rows and latest metrics are then inserted in
bulk with ``sqlite3`` into that schema, in one transaction: ``log_batch`` per run would take
longer than the whole gittrack benchmark at 100,000 runs.  Runs ``bench/.venv``'s Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def init_repo(repo: Path) -> None:
    """A project repository with one commit of code, as a user's would be."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    # no detached `git gc --auto` after a commit: it would run on into the next measurement
    git(repo, "config", "gc.auto", "0")
    (repo / "train.py").write_text("print('training')\n", encoding="utf-8")
    (repo / "README.md").write_text("A project tracked with gittrack (scale benchmark).\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "code")


def build_gittrack(repo: Path, seed: int, start: int, stop: int, workers: int) -> str:
    """Write runs ``[start, stop)`` into ``repo/.runs``; returns the writer used."""
    env = {**os.environ, **GIT_ENV}
    code = "import gittrack, scale_data\nfor e in scale_data.EXPERIMENTS:\n    gittrack.set_experiment(e)\n"
    pythonpath = os.pathsep.join(p for p in (str(Path(__file__).parent), env.get("PYTHONPATH", "")) if p)
    subprocess.run([sys.executable, "-c", code], cwd=repo, env={**env, "PYTHONPATH": pythonpath}, check=True)
    slices = scale_data.chunks(start, stop, workers * 4)
    if workers <= 1:
        used = {write_slice(repo, seed, a, b) for a, b in slices}
    else:
        with ProcessPoolExecutor(workers) as pool:
            used = set(
                pool.map(write_slice, [repo] * len(slices), [seed] * len(slices), *zip(*slices, strict=False))
            )
    return ",".join(sorted(used))


# -- in a worker process ---------------------------------------------------------------------

_state: dict[str, Any] = {}


def write_slice(repo: Path, seed: int, start: int, stop: int) -> str:
    os.chdir(repo)
    for key, value in GIT_ENV.items():
        os.environ[key] = value
    try:
        writer = _internal_writer()
    except (ImportError, AttributeError, TypeError) as exc:
        _state["fallback"] = repr(exc)
        writer = None
    for index in range(start, stop):
        spec = scale_data.run_spec(seed, index)
        if writer is not None:
            try:
                writer(spec, seed)
                continue
            except TypeError as exc:  # the internal writer changed: public API from here on
                _state["fallback"] = repr(exc)
                writer = None
        _client_write(spec, seed)
    return "client" if "fallback" in _state else "RunWriter"


def _internal_writer() -> Any:
    from gittrack.store import context
    from gittrack.store.config import load_config
    from gittrack.store.layout import Meta
    from gittrack.store.writer import RunWriter
    from gittrack.tracking import capture

    config = load_config()
    store = config.store
    state = capture.git_state(config, store)
    git_meta = None if state is None else state.to_dict()
    diff = None if state is None else state.diff
    environment = context.environment() if config.get("capture", "environment") else None
    base = {"user": context.user(), "host": context.host(), "pid": os.getpid(), "source": context.source()}

    def taken() -> str:
        raise RuntimeError("two benchmark runs drew one id")

    def write(spec: scale_data.RunSpec, seed: int) -> None:
        parent = None if spec.parent is None else scale_data.run_id(seed, spec.parent)
        meta = Meta(
            run_id=spec.run_id,
            name=spec.name,
            experiment=spec.experiment,
            status="RUNNING",
            start_time=spec.start_ms,
            parent_run_id=parent,
            git=git_meta,
            **base,
        )
        run = RunWriter.create(store, meta, new_id=taken, git_diff=diff, environment=environment)
        run.log_params(spec.params)
        run.set_tags(spec.tags)
        for key, rows in spec.metrics.items():
            run.log_history(key, rows)
        run.finish("FINISHED", spec.end_ms)

    return write


def _client_write(spec: scale_data.RunSpec, seed: int) -> None:
    """The same run through the public API (run id fixed by patching the id generator)."""
    import gittrack
    from gittrack.entities import Metric, Param
    from gittrack.store import ids

    client = _state.get("client") or _state.setdefault("client", gittrack.MlflowClient())
    ids.new_run_id = lambda now=None: spec.run_id  # type: ignore[assignment]  # a seeded id
    tags = dict(spec.tags)
    if spec.parent is not None:
        tags["mlflow.parentRunId"] = scale_data.run_id(seed, spec.parent)
    run = client.create_run(spec.experiment, start_time=spec.start_ms, tags=tags, run_name=spec.name)
    metrics = [Metric(k, v, ts, step) for k, rows in spec.metrics.items() for step, ts, v in rows]
    params = [Param(k, v) for k, v in spec.params.items()]
    client.log_batch(run.info.run_id, metrics=metrics, params=params)
    client.set_terminated(run.info.run_id, "FINISHED", end_time=spec.end_ms)


# -- MLflow's SQLite store (run with bench/.venv's Python: `python scale_build.py mlflow ...`) ----


def build_mlflow(db: Path, seed: int, count: int) -> None:
    import sqlite3

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{db}", str(db.parent / "mlartifacts"))
    exp_ids = {name: store.create_experiment(name) for name in scale_data.EXPERIMENTS}
    store.engine.dispose()
    con = sqlite3.connect(db)
    columns = {
        t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
        for t in ("runs", "latest_metrics", "metrics")
    }
    rows: dict[str, list[dict[str, Any]]] = {
        "runs": [],
        "params": [],
        "tags": [],
        "metrics": [],
        "latest_metrics": [],
    }
    for index in range(count):
        spec = scale_data.run_spec(seed, index)
        uid = spec.hex
        rows["runs"].append(
            {
                "run_uuid": uid,
                "name": spec.name,
                "source_type": "LOCAL",
                "source_name": "",
                "entry_point_name": "",
                "user_id": "bench",
                "status": "FINISHED",
                "start_time": spec.start_ms,
                "end_time": spec.end_ms,
                "deleted_time": None,
                "source_version": "",
                "lifecycle_stage": "active",
                "artifact_uri": f"{db.parent}/mlartifacts/{exp_ids[spec.experiment]}/{uid}/artifacts",
                "experiment_id": int(exp_ids[spec.experiment]),
            }
        )
        tags = {**spec.tags, "mlflow.runName": spec.name, "mlflow.user": "bench"}
        if spec.parent is not None:
            tags["mlflow.parentRunId"] = scale_data.run_hex(seed, spec.parent)
        rows["tags"] += [{"key": k, "value": v, "run_uuid": uid} for k, v in tags.items()]
        rows["params"] += [{"key": k, "value": v, "run_uuid": uid} for k, v in spec.params.items()]
        for key, history in spec.metrics.items():
            for step, ts, value in history:
                rows["metrics"].append(
                    {
                        "key": key,
                        "value": value,
                        "timestamp": ts,
                        "run_uuid": uid,
                        "step": step,
                        "is_nan": False,
                    }
                )
            step, ts, value = history[-1]
            rows["latest_metrics"].append(
                {"key": key, "value": value, "timestamp": ts, "step": step, "is_nan": False, "run_uuid": uid}
            )
    with con:
        for table, items in rows.items():
            if not items:
                continue
            wanted = columns.get(table) or list(items[0])
            names = [c for c in items[0] if c in wanted]
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            con.executemany(sql, [tuple(item[c] for c in names) for item in items])
    con.close()


if __name__ == "__main__":
    if sys.argv[1] == "mlflow":
        build_mlflow(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
