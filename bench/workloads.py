"""The workloads. Each task receives the backend module (``mlflow`` or ``gittrack``) and
runs the same code against either; only bulk store building differs, because MLflow
needs ``MlflowClient.log_batch`` to build 10,000 runs in reasonable time.

A task returns a JSON-able dict; the driver (``run.py``) runs each task in a fresh process.
"""

from __future__ import annotations

import inspect
import random
import resource
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from harness import EXPERIMENT, is_mlflow, repeat, timed

QUERY = {
    "filter_string": "metrics.m0 < 0.5 and params.p0 = 'x'",
    "order_by": ["metrics.m1 DESC"],
}
HISTORY_KEY = "loss"


class Pending(Exception):
    """The backend lacks the API this task needs (gittrack features still being written)."""


def require(module: ModuleType, name: str, keyword: str | None = None) -> Any:
    func = getattr(module, name, None)
    if func is None:
        raise Pending(f"{module.__name__}.{name} does not exist yet")
    if keyword and keyword not in inspect.signature(func).parameters:
        raise Pending(f"{module.__name__}.{name} has no {keyword!r} argument yet")
    return func


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- W1: per-call logging overhead -----------------------------------------------------------


def w1_logging(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """µs per log_param / set_tag / log_metric call, each kind timed separately, one run per repeat."""
    mlflow.set_experiment(EXPERIMENT)
    kinds: dict[str, Callable[[], None]] = {
        "log_param": lambda: [mlflow.log_param(f"p{i}", i) for i in range(a["params"])],
        "set_tag": lambda: [mlflow.set_tag(f"t{i}", f"v{i}") for i in range(a["tags"])],
        "log_metric": lambda: [
            mlflow.log_metric(f"m{k}", step * 0.001, step=step)
            for step in range(a["steps"]) for k in range(a["metrics"])
        ],
    }  # fmt: skip
    calls = {"log_param": a["params"], "set_tag": a["tags"], "log_metric": a["metrics"] * a["steps"]}
    seconds: dict[str, list[float]] = {kind: [] for kind in kinds}
    end_run: list[float] = []
    for _ in range(3):
        mlflow.start_run()
        for kind, func in kinds.items():
            if not seconds[kind] or (len(seconds[kind]) < 3 and sum(seconds[kind]) < a["budget_s"]):
                seconds[kind].append(timed(func)[0])
        end_run.append(timed(mlflow.end_run)[0])
    us = {kind: [s / calls[kind] * 1e6 for s in samples] for kind, samples in seconds.items()}
    return {"us_per_call": us, "calls": calls, "end_run_s": end_run}


# -- W2: many small runs ------------------------------------------------------------------------


def w2_many_runs(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """Runs per second for complete runs: params, tags, metric steps, one 1 KB artifact."""
    mlflow.set_experiment(EXPERIMENT)
    artifact = root / "artifact.bin"
    artifact.write_bytes(random.Random(0).randbytes(1024))

    def one_run(i: int) -> None:
        with mlflow.start_run():
            mlflow.log_params({f"p{k}": f"{i}-{k}" for k in range(10)})
            mlflow.set_tags({f"t{k}": f"tag{k}" for k in range(5)})
            for step in range(a["steps"]):
                mlflow.log_metrics({f"m{k}": step * 0.01 + k for k in range(5)}, step=step)
            mlflow.log_artifact(str(artifact))

    per_run: list[float] = []
    while len(per_run) < a["runs"] and sum(per_run) < a["budget_s"]:
        per_run.append(timed(lambda: one_run(len(per_run)))[0])
    thirds = [per_run[i::3] for i in range(3)] if len(per_run) >= 3 else [per_run]
    return {"runs": len(per_run), "total_s": sum(per_run),
            "runs_per_s": [len(t) / sum(t) for t in thirds]}  # fmt: skip


# -- W3/W4/W6 stores: runs with 10 params, 5 metrics, 3 tags ----------------------------------------


def run_content(index: int) -> tuple[dict[str, str], list[dict[str, float]], dict[str, str]]:
    """Params, metric values per step and tags of run ``index``: the same on every backend."""
    rng = random.Random(index)
    params = {"p0": rng.choice("xyz"), "p1": str(rng.randint(1, 512)), "p2": f"{rng.random():.4g}"}
    params.update({f"p{k}": f"value-{rng.randint(0, 99)}" for k in range(3, 10)})
    steps = [{f"m{k}": rng.random() for k in range(5)} for _ in range(3)]
    tags = {"t0": rng.choice(["baseline", "tuned"]), "t1": f"seed-{index}", "t2": "bench"}
    return params, steps, tags


def build_runs(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """Create ``a["runs"]`` finished runs as fast as each backend's public API allows."""
    exp_id = mlflow.set_experiment(EXPERIMENT).experiment_id
    build = _build_with_log_batch if is_mlflow(mlflow) else _build_with_fluent_api
    seconds, _ = timed(lambda: build(mlflow, exp_id, a["runs"]))
    return {"exp_id": exp_id, "runs": a["runs"], "build_s": seconds}


def _build_with_fluent_api(mlflow: ModuleType, exp_id: str, runs: int) -> None:
    for i in range(runs):
        params, steps, tags = run_content(i)
        with mlflow.start_run(experiment_id=exp_id):
            mlflow.log_params(params)
            mlflow.set_tags(tags)
            for step, values in enumerate(steps):
                mlflow.log_metrics(values, step=step)


def _build_with_log_batch(mlflow: ModuleType, exp_id: str, runs: int) -> None:
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient()
    for i in range(runs):
        params, steps, tags = run_content(i)
        run_id = client.create_run(exp_id).info.run_id
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, now, s) for s, values in enumerate(steps) for k, v in values.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        client.set_terminated(run_id)


def search(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """One search (the cold call), then ``a["repeats"]`` more in the same process (warm)."""
    search_runs = require(mlflow, "search_runs", "rev" if a.get("rev") else None)
    kwargs = {"experiment_ids": [a["exp_id"]], **(QUERY if a.get("filtered", True) else {})}
    if a.get("rev"):
        kwargs["rev"] = a["rev"]
    first_s, frame = timed(lambda: search_runs(**kwargs))
    warm = repeat(lambda: search_runs(**kwargs), times=a["repeats"], budget_s=a["budget_s"])
    return {"search_s": first_s, "warm_s": warm if a["repeats"] else [], "rows": len(frame),
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


# -- W5: one long metric history ------------------------------------------------------------------


def build_history(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """One run with a ``a["steps"]``-step metric (MLflow: log_batch in chunks of 1,000)."""
    mlflow.set_experiment(EXPERIMENT)
    steps = a["steps"]

    def build() -> str:
        with mlflow.start_run() as run:
            run_id = run.info.run_id
            if is_mlflow(mlflow):
                _log_history_in_batches(mlflow, run_id, steps)
            else:
                for step in range(steps):
                    mlflow.log_metric(HISTORY_KEY, 1.0 / (step + 1), step=step)
        return str(run_id)

    seconds, run_id = timed(build)
    return {"run_id": run_id, "steps": steps, "build_s": seconds}


def _log_history_in_batches(mlflow: ModuleType, run_id: str, steps: int) -> None:
    from mlflow.entities import Metric

    client = mlflow.MlflowClient()
    for start in range(0, steps, 1000):
        now = int(time.time() * 1000)
        chunk = [Metric(HISTORY_KEY, 1.0 / (s + 1), now, s) for s in range(start, min(start + 1000, steps))]
        client.log_batch(run_id, metrics=chunk)


def metric_history(mlflow: ModuleType, root: Path, a: dict[str, Any]) -> dict[str, Any]:
    """``MlflowClient().get_metric_history`` of the long metric, repeated in one fresh process."""
    client = require(mlflow, "MlflowClient")()
    points: list[int] = []
    samples = repeat(lambda: points.append(len(client.get_metric_history(a["run_id"], HISTORY_KEY))),
                     times=a["repeats"], budget_s=a["budget_s"])  # fmt: skip
    return {"seconds": samples, "points": points[0], "peak_rss_mb": peak_rss_mb()}


TASKS: dict[str, Callable[[ModuleType, Path, dict[str, Any]], dict[str, Any]]] = {
    "w1": w1_logging,
    "w2": w2_many_runs,
    "build_runs": build_runs,
    "search": search,
    "build_history": build_history,
    "metric_history": metric_history,
}
