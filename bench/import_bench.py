"""Benchmark: `gittrack import mlflow` of a 10,000-run MLflow SQLite store.

    .venv/bin/python bench/import_bench.py                 # 10,000 runs; ~1 min to build, then the import
    bench/.venv/bin/python bench/import_bench.py --check   # also let MLflow's client read the built store

The store is built directly with sqlite3, not through MLflow: MLflow's client needs about
3 minutes for 10,000 bare runs (docs/benchmarks.md, W3) and far longer with metric
histories.  The schema is MLflow's own: every CREATE statement and the alembic revision
are copied from ``tests/fixtures/mlflow/sqlite/mlflow.db``, which MLflow 3.17.2 wrote, and
the rows are what MLflow writes (runs, params, tags with the system tags, metrics with
``is_nan``, ``latest_metrics``, one experiment), as W2's "complete run": 10 params, 5 tags,
5 metrics x 100 steps, one 1 KB artifact in ``mlruns/<experiment>/<run>/artifacts/``.
With ``--check`` (MLflow importable) MLflow's client counts the runs and reads one run's
history, so the store is one MLflow reads.

Then ``gittrack import mlflow sqlite:///…`` runs in a fresh process (the interpreter given
by ``--python``, default this one), timed from start to exit, and once more to time the
no-op second import.  Results are printed and written to ``bench/results/import-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_SOURCE = ROOT / "tests" / "fixtures" / "mlflow" / "sqlite" / "mlflow.db"
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def copy_schema(db: Path) -> None:
    """MLflow's schema (tables, indexes, alembic revision) from a database MLflow wrote."""
    with closing(sqlite3.connect(f"{SCHEMA_SOURCE.as_uri()}?mode=ro", uri=True)) as source:
        statements = [
            sql
            for (sql,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'index', rowid"
            )
        ]
        alembic = source.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    with closing(sqlite3.connect(db)) as con:
        for sql in statements:
            con.execute(sql)
        con.execute("INSERT INTO alembic_version VALUES (?)", (alembic,))
        con.commit()


def build(folder: Path, runs: int, metrics: int, steps: int, seed: int = 0) -> Path:
    """A SQLite store of ``runs`` runs in one experiment, with artifacts beside it."""
    rng = random.Random(seed)
    db = folder / "mlflow.db"
    copy_schema(db)
    artifacts = folder / "mlruns" / "1"
    with closing(sqlite3.connect(db)) as con:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        for exp_id, name in ((0, "Default"), (1, "bench")):
            con.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
                " creation_time, last_update_time, workspace) VALUES (?, ?, ?, 'active', ?, ?, 'default')",
                (exp_id, name, str(folder / "mlruns" / str(exp_id)), START_MS, START_MS),
            )
        for i in range(runs):
            _run(con, rng, i, artifacts, metrics, steps)
        con.commit()
    return db


def _run(
    con: sqlite3.Connection, rng: random.Random, i: int, artifacts: Path, metrics: int, steps: int
) -> None:
    run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    start = START_MS + i * 1000
    name = f"run-{i}"
    folder = artifacts / run_id / "artifacts"
    folder.mkdir(parents=True)
    (folder / "model.txt").write_bytes(rng.randbytes(1024))
    con.execute(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
        " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
        " VALUES (?, ?, 'UNKNOWN', '', '', 'bench', 'FINISHED', ?, ?, '', 'active', ?, 1)",
        (run_id, name, start, start + 900, str(folder)),
    )
    params = {f"p{k}": str(rng.choice([0.1, 0.01, 3, "adam", True])) for k in range(10)}
    con.executemany("INSERT INTO params VALUES (?, ?, ?)", [(k, v, run_id) for k, v in params.items()])
    tags = {f"t{k}": f"value-{rng.randrange(100)}" for k in range(5)}
    tags |= {
        "mlflow.runName": name,
        "mlflow.user": "bench",
        "mlflow.source.name": "train.py",
        "mlflow.source.type": "LOCAL",
    }
    con.executemany("INSERT INTO tags VALUES (?, ?, ?)", [(k, v, run_id) for k, v in tags.items()])
    for m in range(metrics):
        key = f"metric_{m}"
        rows = [(key, rng.random(), start + s, run_id, s, 0) for s in range(steps)]
        con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", rows)
        last = rows[-1]
        con.execute(
            "INSERT INTO latest_metrics VALUES (?, ?, ?, ?, 0, ?)", (key, last[1], last[2], last[4], run_id)
        )


def check_with_mlflow(db: Path, runs: int, metrics: int, steps: int) -> str:
    """MLflow's client reads the built store: its run count and one run's history."""
    try:
        from mlflow import MlflowClient
    except ImportError:
        return "skipped (MLflow is not importable here)"
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    found = client.search_runs(["1"], max_results=50_000)
    history = client.get_metric_history(found[0].info.run_id, "metric_0")
    assert len(found) == runs and len(history) == steps, (len(found), len(history))
    version = __import__("mlflow").__version__
    return f"MLflow {version} lists {len(found):,} runs and {len(history)} points of one history"


def timed_import(python: str, store: Path, db: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system) of the import process, and its summary."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [
            python,
            "-m",
            "gittrack",
            "--store",
            str(store),
            "import",
            "mlflow",
            f"sqlite:///{db}",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, done.stderr


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "gittrack_commit": commit.stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs gittrack")
    parser.add_argument("--check", action="store_true", help="let MLflow's client read the built store")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gittrack-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        began = time.perf_counter()
        (folder / "mlflow").mkdir()
        db = build(folder / "mlflow", args.runs, args.metrics, args.steps)
        built = time.perf_counter() - began
        checked = (
            check_with_mlflow(db, args.runs, args.metrics, args.steps)
            if args.check
            else "not asked (--check)"
        )
        first, first_cpu, summary = timed_import(args.python, folder / "gittrack" / ".runs", db)
        second, second_cpu, again = timed_import(args.python, folder / "gittrack" / ".runs", db)
        result = {
            **machine(),
            "runs": args.runs,
            "metric_points": args.runs * args.metrics * args.steps,
            "build_s": round(built, 1),
            "mlflow_check": checked,
            "import_s": round(first, 1),
            "import_cpu_s": round(first_cpu, 1),
            "second_import_s": round(second, 1),
            "second_import_cpu_s": round(second_cpu, 1),
            "summary": summary,
            "second_summary": again,
        }
        out = ROOT / "bench" / "results" / f"import-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(summary + again)
        print(json.dumps({k: v for k, v in result.items() if "summary" not in k}, indent=1))
        print(f"written {out.relative_to(ROOT)}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
