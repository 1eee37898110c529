"""Load and kill through the plugin (issue 17): bench/plugin_load.py at a test's size.

MLflow client processes (``bench/.venv``, ``MLFLOW_TRACKING_URI=gittrack:.``) log runs into one
repository at once while others are SIGKILLed mid-run; the script checks that every logger's
run and row is there, that each killed run reads KILLED through gittrack and MLflow's client,
and that ``gittrack check`` is clean.  Marked slow: about a minute on two busy cores.
tests/test_mlflow_plugin_concurrency.py has the small variant.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mlflow_venv import MLFLOW_PYTHON, ROOT, missing, mlflow_env


@pytest.mark.slow
def test_mlflow_processes_log_at_once_while_others_are_killed(tmp_path: Path) -> None:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    command = [str(MLFLOW_PYTHON), str(ROOT / "bench" / "plugin_load.py"), "--dir", str(tmp_path / "repo")]
    command += ["--procs", "6", "--runs", "4", "--steps", "50", "--kill", "2"]
    done = subprocess.run(command, capture_output=True, text=True, env=mlflow_env(), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "6 procs x 4 runs x 50 steps x 2 metrics: OK" in done.stdout
