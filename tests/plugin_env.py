"""Running MLflow itself, with gittrack as its store, in a subprocess (tests only).

MLflow lives in the benchmark's virtualenv (``bash bench/setup.sh``: MLflow 3.17.2 and
gittrack editable from this checkout, so MLflow's entry points find this code); tests that
need it are skipped with the reason when it is missing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MLFLOW_PYTHON = Path(os.environ.get("GITTRACK_MLFLOW_PYTHON", ROOT / "bench" / ".venv" / "bin" / "python"))
SCRIPTS = ROOT / "tests" / "mlflow_plugin"
needs_mlflow = pytest.mark.skipif(
    not MLFLOW_PYTHON.exists(),
    reason=f"MLflow's virtualenv {MLFLOW_PYTHON} is missing: run bash bench/setup.sh",
)


def mlflow_env(uri: str = "gittrack:.") -> dict[str, str]:
    """This (hermetic) environment with MLflow's tracking URI set to the plugin's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITTRACK_", "MLFLOW_"))}
    return env | {
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
        "PYTHONWARNINGS": "ignore",
        "PYTHONPATH": str(ROOT / "src"),
    }


def run_script(
    name: str, cwd: Path, *args: str, timeout: float = 600, uri: str = "gittrack:."
) -> subprocess.CompletedProcess[str]:
    """``tests/mlflow_plugin/<name>`` under MLflow's interpreter in ``cwd``."""
    return subprocess.run(
        [str(MLFLOW_PYTHON), str(SCRIPTS / name), *args],
        cwd=cwd, capture_output=True, text=True, env=mlflow_env(uri), timeout=timeout,
    )  # fmt: skip


def run_code(
    code: str, cwd: Path, *, timeout: float = 300, uri: str = "gittrack:."
) -> subprocess.CompletedProcess[str]:
    """``code`` under MLflow's interpreter in ``cwd``, with the plugin as MLflow's store."""
    return subprocess.run(
        [str(MLFLOW_PYTHON), "-c", code],
        cwd=cwd, capture_output=True, text=True, env=mlflow_env(uri), timeout=timeout,
    )  # fmt: skip
