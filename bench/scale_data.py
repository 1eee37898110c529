"""The scale benchmark's runs, as plain data: the same for gittrack's store and MLflow's.

Run ``i`` of a store built from ``seed`` is a pure function of ``(seed, i)``, so any process
can make any slice of the runs, and every store of the same ``(N, seed)`` holds the same
runs (same ids, names, values), whichever backend and however many workers built it.

Shape (issue #16): 5 params, 3 tags, 4 metrics x 20 steps, status FINISHED, spread over a
few experiments; every tenth run is a parent whose next four runs are its children.
Only the standard library: this module is imported by gittrack's builder and by MLflow's
(which runs in bench/.venv).
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field

EXPERIMENTS = ("churn", "forecast", "ranking", "vision", "nlp")
METRICS = ("rmse", "mae", "r2", "loss")
STEPS = 20
FAMILY = 10  # run i with i % FAMILY in 1..CHILDREN is a child of run i - i % FAMILY
CHILDREN = 4
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SPACING_MS = 7_000  # one run started every 7 s
FILTER = "metrics.rmse < 0.5"  # the filtered query, about a third of the runs
TOP_METRIC = "rmse"  # top 20 by this metric, ascending


@dataclass(frozen=True)
class RunSpec:
    index: int
    hex: str  # 32 random-looking hex digits derived from (seed, index)
    run_id: str  # gittrack's id: start time + first 12 hex digits
    name: str
    experiment: str
    start_ms: int
    end_ms: int
    parent: int | None  # index of the parent run
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)  # key: (step, ts, value)


def run_hex(seed: int, index: int) -> str:
    return hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=16).hexdigest()


def start_ms(index: int) -> int:
    return BASE_MS + index * SPACING_MS


def run_id(seed: int, index: int) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(start_ms(index) / 1000))
    return f"{stamp}-{run_hex(seed, index)[:12]}"


def parent_of(index: int) -> int | None:
    offset = index % FAMILY
    return index - offset if 1 <= offset <= CHILDREN else None


def run_spec(seed: int, index: int) -> RunSpec:
    rng = random.Random(f"{seed}:{index}")
    parent = parent_of(index)
    family = index - index % FAMILY
    experiment = EXPERIMENTS[(family // FAMILY) % len(EXPERIMENTS)]  # children share the parent's
    start = start_ms(index)
    params = {
        "lr": repr(round(10 ** rng.uniform(-4, -1), 6)),
        "depth": str(rng.randint(2, 12)),
        "model": rng.choice(("gbm", "mlp", "linear")),
        "batch_size": str(rng.choice((32, 64, 128, 256))),
        "seed": str(rng.randint(0, 9999)),
    }
    tags = {
        "team": rng.choice(("core", "search", "ads")),
        "dataset": rng.choice(("v1", "v2", "v3")),
        "stage": "child" if parent is not None else rng.choice(("dev", "nightly")),
    }
    final = rng.uniform(0.2, 1.0)
    metrics: dict[str, list[tuple[int, int, float]]] = {k: [] for k in METRICS}
    for step in range(STEPS):
        ts = start + 1000 + step * 100
        decay = (STEPS - 1 - step) / STEPS
        rmse = round(final * (1 + decay) + rng.uniform(-0.01, 0.01), 6)
        metrics["rmse"].append((step, ts, rmse))
        metrics["mae"].append((step, ts, round(rmse * 0.8, 6)))
        metrics["r2"].append((step, ts, round(1 - rmse * rmse, 6)))
        metrics["loss"].append((step, ts, round(rmse * rmse + rng.uniform(0, 0.01), 6)))
    return RunSpec(
        index=index,
        hex=run_hex(seed, index),
        run_id=run_id(seed, index),
        name=f"run-{index}",
        experiment=experiment,
        start_ms=start,
        end_ms=start + 1000 + STEPS * 100,
        parent=parent,
        params=params,
        tags=tags,
        metrics=metrics,
    )


def chunks(start: int, stop: int, parts: int) -> list[tuple[int, int]]:
    """``[start, stop)`` cut into about ``parts`` slices on family boundaries (a parent and its
    children in one slice), at most 2,000 runs each so progress shows."""
    size = max(FAMILY, min(2000, -(-(stop - start) // max(parts, 1))))
    size -= size % FAMILY
    return [(a, min(a + size, stop)) for a in range(start, stop, size)]
