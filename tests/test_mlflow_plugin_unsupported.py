"""What the plugin cannot serve (traces, assessments, evaluation datasets, scorers, label
schemas, a logged model outside a run) raises MLflow's own ``MlflowException`` naming the
method: never a silent no-op."""

from __future__ import annotations

import json
from pathlib import Path

from tests.plugin_env import needs_mlflow, run_script

pytestmark = needs_mlflow


def test_unsupported_methods_raise_mlflow_exception_naming_them(git_repo: Path) -> None:
    done = run_script("unsupported.py", git_repo)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(found) >= 13
    for method, (kind, is_mlflow, message) in found.items():
        assert (kind, is_mlflow) == ("Unsupported", True), f"{method}: {kind} {message}"
        assert message.startswith("gittrack's MLflow store does not support ")
        named = "create_logged_model" if method == "initialize_logged_model" else method.rpartition(".")[2]
        assert named in message
