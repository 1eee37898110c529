# ruff: noqa: RUF001, RUF002  (the multiplication sign and en dash are meant: this writes markdown)
"""MLflow's own client over gittrack's ``gittrack:`` store, against MLflow's file and SQLite stores.

    bash bench/setup.sh && bench/.venv/bin/python bench/plugin_bench.py [--quick] [--json FILE]

Issue 17's benchmark: the same MLflow code (``import mlflow``) logs and searches with
``MLFLOW_TRACKING_URI`` set to ``gittrack:<repo>``, ``file:<repo>/mlruns`` or
``sqlite:///<repo>/mlflow.db``.  Every measured piece runs in a fresh worker process (this
script with ``--worker``) in its own temporary git repository, so the three stores share one
process tree and one machine state.  Ratios are MLflow / gittrack for times and gittrack /
MLflow for rates (×2 = the gittrack: store twice as fast), against the faster MLflow store.
The 1-minute load average is recorded before and after each piece: other work on the
machine inflates every number.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import bench_env, make_git_repo, median, timed

BACKENDS = ("mlflow-file", "mlflow-sqlite", "mlflow-gittrack")
EXPERIMENT = "bench"
FILTER = "metrics.m0 < 0.5 and params.p1 = 'b'"
ORDER = ["metrics.m1 DESC"]
FULL = {"calls": 500, "runs": 100, "steps": 20, "runs_budget_s": 90, "search_size": 1000, "warm": 5}
QUICK = {"calls": 100, "runs": 10, "steps": 20, "runs_budget_s": 30, "search_size": 200, "warm": 3}


def tracking_uri(backend: str, root: Path) -> str:
    if backend == "mlflow-file":
        return (root / "mlruns").as_uri()
    if backend == "mlflow-sqlite":
        return f"sqlite:///{root / 'mlflow.db'}"
    return f"gittrack:{root}"


# -- tasks: each runs in a fresh worker process, with ``mlflow`` pointed at one store -------------


def task_calls(mlflow: Any, sizes: dict[str, Any]) -> dict[str, Any]:
    """Latency of single fluent calls inside one run: log_param, set_tag, log_metric."""
    n = sizes["calls"]
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run():
        param_s, _ = timed(lambda: [mlflow.log_param(f"p{i}", i) for i in range(n)])
        tag_s, _ = timed(lambda: [mlflow.set_tag(f"t{i}", f"v{i}") for i in range(n)])
        metric_s, _ = timed(lambda: [mlflow.log_metric("loss", 1 / (i + 1), step=i) for i in range(n)])
        end_s, _ = timed(mlflow.end_run)
    return {"log_param_us": param_s / n * 1e6, "set_tag_us": tag_s / n * 1e6,
            "log_metric_us": metric_s / n * 1e6, "end_run_s": end_s}  # fmt: skip


def task_runs(mlflow: Any, sizes: dict[str, Any]) -> dict[str, Any]:
    """Complete runs as a training script logs them: 10 params, 5 tags, 5 metrics x steps."""
    mlflow.set_experiment(EXPERIMENT)
    done, start = 0, time.perf_counter()
    while done < sizes["runs"] and time.perf_counter() - start < sizes["runs_budget_s"]:
        with mlflow.start_run(run_name=f"run-{done}"):
            mlflow.log_params({f"p{i}": f"v{done % (i + 2)}" for i in range(10)})
            mlflow.set_tags({f"t{i}": f"tag{i}" for i in range(5)})
            for step in range(sizes["steps"]):
                mlflow.log_metrics({f"m{i}": (done + step + i) % 97 / 97 for i in range(5)}, step=step)
        done += 1
    return {"runs": done, "runs_per_s": done / (time.perf_counter() - start)}


def task_build(mlflow: Any, sizes: dict[str, Any]) -> dict[str, Any]:
    """The search store: runs logged with ``MlflowClient.log_batch`` (5 params, 5 metrics, 2 tags)."""
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient()
    exp = client.create_experiment(EXPERIMENT)

    def build() -> None:
        for i in range(sizes["search_size"]):
            run = client.create_run(exp, run_name=f"r{i}")
            now = int(time.time() * 1000)
            client.log_batch(
                run.info.run_id,
                metrics=[Metric(f"m{k}", (i * 7 + k * 13) % 100 / 100, now, 0) for k in range(5)],
                params=[Param(f"p{k}", "abc"[(i + k) % 3]) for k in range(5)],
                tags=[RunTag("group", f"g{i % 10}"), RunTag("owner", "bench")],
            )
            client.set_terminated(run.info.run_id)

    seconds, _ = timed(build)
    return {"build_s": seconds, "runs_per_s": sizes["search_size"] / seconds}


def task_search(mlflow: Any, sizes: dict[str, Any]) -> dict[str, Any]:
    """Search the built store in a new process: the first call (cold), then warm repeats."""

    def frame() -> Any:
        return mlflow.search_runs(experiment_names=[EXPERIMENT], filter_string=FILTER, order_by=ORDER)

    def client_all() -> Any:
        exp = mlflow.get_experiment_by_name(EXPERIMENT).experiment_id
        return mlflow.MlflowClient().search_runs([exp], max_results=sizes["search_size"])

    cold_s, found = timed(frame)
    warm = [timed(frame)[0] for _ in range(sizes["warm"])]
    listed = [timed(client_all) for _ in range(sizes["warm"])]
    return {"cold_s": cold_s, "warm_s": median(warm), "matched": len(found),
            "list_all_s": median([s for s, _ in listed]), "listed": len(listed[0][1])}  # fmt: skip


TASKS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "calls": task_calls, "runs": task_runs, "build": task_build, "search": task_search,
}  # fmt: skip


def worker(task: str, backend: str, root: Path, sizes: dict[str, Any], out: Path) -> None:
    start = time.perf_counter()
    try:
        make_git_repo(root)
        os.chdir(root)
        import mlflow

        mlflow.set_tracking_uri(tracking_uri(backend, root))
        import_s = time.perf_counter() - start
        result = {**TASKS[task](mlflow, sizes), "import_s": import_s}
    except Exception:
        result = {"error": traceback.format_exc()}
    out.write_text(json.dumps(result))


# -- the driver ---------------------------------------------------------------------------------


def run_worker(task: str, backend: str, root: Path, sizes: dict[str, Any]) -> dict[str, Any]:
    out = root.parent / f"{backend}-{task}.json"
    load_before = os.getloadavg()[0]
    command = [sys.executable, __file__, "--worker", task, "--backend", backend, "--root", str(root)]
    command += ["--sizes", json.dumps(sizes), "--out", str(out)]
    subprocess.run(command, check=True, env=bench_env(PYTHONWARNINGS="ignore"), stderr=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(out.read_text())
    result["load"] = [load_before, os.getloadavg()[0]]
    if "error" in result:
        print(f"{backend} {task} failed:\n{result['error']}", file=sys.stderr)
    print(f"  {backend:<16}{task:<8}{json.dumps(result)[:150]}", file=sys.stderr, flush=True)
    return result


def measure(base: Path, sizes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for backend in BACKENDS:
        results[backend] = {
            task: run_worker(task, backend, base / backend / task, sizes) for task in ("calls", "runs")
        }
        store = base / backend / "search"  # build, then search the same store in a new process
        results[backend]["build"] = run_worker("build", backend, store, sizes)
        results[backend]["search"] = run_worker("search", backend, store, sizes)
    return results


ROWS = [  # (task, key, label, unit, higher is better)
    ("calls", "log_param_us", "log_param (one run, {calls} calls)", "µs/call", False),
    ("calls", "set_tag_us", "set_tag (one run, {calls} calls)", "µs/call", False),
    ("calls", "log_metric_us", "log_metric (one run, {calls} steps)", "µs/call", False),
    ("calls", "end_run_s", "end_run after those calls", "s", False),
    ("runs", "runs_per_s", "complete runs (10 params, 5 tags, 5 metrics x {steps} steps)", "runs/s", True),
    ("build", "runs_per_s", "create_run + log_batch + set_terminated ({search_size} runs)", "runs/s", True),
    ("search", "import_s", "new process: import mlflow, set the URI", "s", False),
    ("search", "cold_s", "search_runs, filter + order, first call ({search_size} runs)", "s", False),
    ("search", "warm_s", "the same search, warm (same process)", "s", False),
    ("search", "list_all_s", "MlflowClient.search_runs, all {search_size} runs, warm", "s", False),
    ("search", "matched", "runs matched (must be equal)", "runs", None),
]


def table(results: dict[str, dict[str, Any]], sizes: dict[str, Any]) -> str:
    lines = [
        "| Measure | Unit | MLflow file | MLflow SQLite | gittrack: store | MLflow/gittrack |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for task, key, label, unit, higher in ROWS:
        values = [results[b][task].get(key) for b in BACKENDS]
        cells = [_num(v) for v in values]
        lines.append(f"| {label.format(**sizes)} | {unit} | {' | '.join(cells)} | {_ratio(values, higher)} |")
    return "\n".join(lines)


def _ratio(values: list[Any], higher: bool | None) -> str:
    file, sqlite, gittrack = values
    if higher is None or None in values or not gittrack:
        return "–"
    if higher:
        best, name = max((file, "file"), (sqlite, "sqlite"))
        return f"×{gittrack / best:.3g} ({name})"
    best, name = min((file, "file"), (sqlite, "sqlite"))
    return f"×{best / gittrack:.3g} ({name})"


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def machine() -> dict[str, Any]:
    import mlflow

    import gittrack

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()  # fmt: skip
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(), "python": platform.python_version(), "mlflow": mlflow.__version__,
            "gittrack": f"{gittrack.__version__} at {commit}", "load_start": os.getloadavg()[0]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a smoke test")
    parser.add_argument("--json", type=Path, help="also write every result here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.backend, args.root, json.loads(args.sizes), args.out)
        return 0
    sizes = QUICK if args.quick else FULL
    info = machine()
    with tempfile.TemporaryDirectory(prefix="plugin-bench-") as base:
        results = measure(Path(base), sizes)
    info["load_end"] = os.getloadavg()[0]
    loads = [x for r in results.values() for t in r.values() for x in t["load"]]
    print(f"MLflow {info['mlflow']} client; gittrack {info['gittrack']}; Python {info['python']}; "
          f"{info['cpus']} CPUs; {info['date']}; "
          f"1-minute load average {min(loads):.1f}-{max(loads):.1f}")  # fmt: skip
    print(table(results, sizes))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "sizes": sizes, "results": results}, indent=1))
    failed = [f"{b} {t}" for b, r in results.items() for t, v in r.items() if "error" in v]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
