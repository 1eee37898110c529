"""A model flavor gittrack does not implement itself (MLflow's LightGBM flavor, with its
autolog) logs and loads through the gittrack store: every flavor of MLflow works."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import load_yaml
from tests.plugin_env import MLFLOW_PYTHON, needs_mlflow, run_script

pytestmark = needs_mlflow


def _has_lightgbm() -> bool:
    done = subprocess.run([str(MLFLOW_PYTHON), "-c", "import lightgbm"], capture_output=True)
    return done.returncode == 0


def test_mlflow_lightgbm_logs_and_loads_through_the_plugin(git_repo: Path) -> None:
    if not _has_lightgbm():
        pytest.skip(f"lightgbm is not in {MLFLOW_PYTHON}: re-run bash bench/setup.sh")
    done = run_script("flavor.py", git_repo)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads((git_repo / "flavor.json").read_text())
    assert all(out["loaded"].values()) and len(out["loaded"]) == 3 and out["native"]
    run_dir = git_repo / ".runs" / out["run"]
    assert "lightgbm" in (run_dir / "artifacts" / "booster" / "MLmodel").read_text()
    assert load_yaml(run_dir / "params.yaml")["num_boost_round"] == 20  # autolog's params, typed
    assert load_yaml(run_dir / "meta.yaml")["status"] == "FINISHED"
