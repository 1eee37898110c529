"""Shared pieces of the benchmark: backends, the temp git repository, timing helpers.

Imported by both the driver and the workers, so it imports neither MLflow nor gittrack
at module level: a worker imports exactly one of them, in :func:`open_backend`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

BACKENDS = ("mlflow-file", "mlflow-sqlite", "gittrack")
EXPERIMENT = "bench"

# Every worker and CLI command gets these: MLflow quiet, offline and allowed its file store
# (MLflow 3.x refuses the file store without MLFLOW_ALLOW_FILE_STORE).
BENCH_ENV = {
    "MLFLOW_ALLOW_FILE_STORE": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
# Settings a user's shell may carry that would point a backend somewhere else.
LEAKY_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID",
             "MLFLOW_RUN_ID", "GITTRACK_DIR", "GITTRACK_RUN_ID", "GITTRACK_EXPERIMENT")  # fmt: skip


def bench_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
    return {**env, **BENCH_ENV, **extra}


# -- where each backend keeps its runs -------------------------------------------------------


def tracking_uri(backend: str, root: Path) -> str | None:
    """MLflow's tracking URI for a backend rooted at ``root``; None for gittrack (the default store)."""
    if backend == "mlflow-file":
        return (root / "mlruns").as_uri()
    if backend == "mlflow-sqlite":
        return f"sqlite:///{root / 'mlflow.db'}"
    return None


def gittrack_store(root: Path) -> Path:
    return root / ".runs"


def make_git_repo(root: Path) -> None:
    """A git repository with one commit, as a user's project would be."""
    root.mkdir(parents=True, exist_ok=True)
    if (root / ".git").exists():
        return
    git(root, "init", "-q")
    (root / "train.py").write_text("# the user's training code\n")
    git(root, "add", "train.py")
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "initial commit")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, env=bench_env(), stdout=subprocess.DEVNULL)


def open_backend(backend: str, root: Path) -> ModuleType:
    """Import the backend's module, point it at ``root`` and make ``root`` the working directory.

    Every backend runs inside the same kind of git repository; gittrack keeps its store
    at ``<root>/.runs``, MLflow at ``<root>/mlruns`` or ``<root>/mlflow.db``.
    """
    make_git_repo(root)
    os.chdir(root)
    if backend == "gittrack":
        import gittrack as module
    else:
        import mlflow as module

        module.set_tracking_uri(tracking_uri(backend, root))
    return module


def is_mlflow(module: ModuleType) -> bool:
    return module.__name__ == "mlflow"


# -- timing --------------------------------------------------------------------------------------


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def repeat(func: Callable[[], Any], *, times: int = 3, budget_s: float = 30.0) -> list[float]:
    """Time ``func`` ``times`` times, fewer when the samples so far already exceed ``budget_s``.

    At least one sample is always taken, so a slow backend is measured once rather than skipped.
    """
    samples: list[float] = []
    while len(samples) < times and sum(samples) < budget_s:
        samples.append(timed(func)[0])
    return samples


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
