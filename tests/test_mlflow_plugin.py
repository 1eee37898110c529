"""The MLflow store plugin: real ``import mlflow`` with ``MLFLOW_TRACKING_URI=gittrack:.``.

MLflow runs in its own virtualenv (tests/plugin_env.py); gittrack's readers (the CLI) run
here on the files MLflow's client wrote through the plugin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import git, invoke, load_yaml
from tests.plugin_env import needs_mlflow, run_script

pytestmark = needs_mlflow


def test_the_course_flow_through_mlflow_itself(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = run_script("course.py", git_repo)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads((git_repo / "course.json").read_text())
    assert out["names"] == ["lasso", "linear", "random-forest", "ridge"]
    assert out["rmse_sorted"]
    assert out["versions"] == ["1", "2"] and out["staging"] == "1" and out["champion"] == "2"
    assert out["loaded"] == [True, True, True, True]  # runs:/, models:/N/1, /Staging, @champion
    store = git_repo / ".runs"
    forest = store / out["forest"]
    assert sorted(p.name for p in (forest / "artifacts" / "model").iterdir()) == [
        "MLmodel",
        "conda.yaml",
        "model.pkl",
        "python_env.yaml",
        "requirements.txt",
    ]  # loading by models:/ wrote nothing into the run (MLflow's local store adds registered_model_meta)
    assert load_yaml(forest / "params.yaml") == {"max_depth": 2, "n_estimators": 3, "random_state": 0}
    (logged,) = (forest / "logged_models").iterdir()
    assert load_yaml(logged)["artifact_path"] == "model"
    assert f"models:/{load_yaml(logged)['model_id']}" == out["model_uri"]
    mlmodel = (forest / "artifacts" / "model" / "MLmodel").read_text()
    assert str(git_repo) not in mlmodel and str(tmp_path) not in mlmodel  # no machine path stored
    version = load_yaml(next((store / "models" / "course-model" / "versions").glob("2-*.yaml")))
    assert version["source"] == f"runs:/{out['forest']}/model" and version["run_id"] == out["forest"]

    monkeypatch.chdir(git_repo)
    listed = invoke("ls", "--format", "json", "--all-columns")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert sorted(r["id"] for r in rows) == out["runs"]
    autologged = [r for r in rows if r["name"] != "random-forest"]
    assert all(r["tags.estimator_name"] for r in autologged)
    assert all(r["metrics.training_r2_score"] is not None for r in autologged)
    shown = invoke("show", out["forest"])
    assert shown.exit_code == 0, shown.output
    assert "random-forest" in shown.stdout and "model/MLmodel" in shown.stdout
    models = invoke("models", "ls", "--format", "json")
    assert models.exit_code == 0, models.output
    (model,) = json.loads(models.stdout)
    assert (model["name"], model["versions"], model["aliases"], model["stages"]) == (
        "course-model",
        2,
        "champion: 2",
        "Staging: 1",
    )
    versions = invoke("models", "show", "course-model", "--format", "json")
    assert versions.exit_code == 0, versions.output
    listed_versions = json.loads(versions.stdout)
    assert [(v["version"], v["run_id"], v["stage"], v["aliases"]) for v in listed_versions] == [
        (1, out["forest"], "Staging", ""),
        (2, out["forest"], "None", "champion"),
    ]

    committed = invoke("commit", "--all-finished")
    assert committed.exit_code == 0, committed.output
    assert git(git_repo, "status", "--porcelain", "--", ".runs") == ""
    checked = invoke("check")
    assert checked.exit_code == 0 and "no problems" in checked.stdout + checked.stderr, checked.output
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(git_repo), str(clone)], check=True)
    for name in ("x_val.npy", "expected.npy"):
        shutil.copy(git_repo / name, clone / name)
    loaded = run_script("load_champion.py", clone)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert json.loads((clone / "champion.json").read_text()) == {"same": True, "uri": "gittrack:."}
    assert git(clone, "status", "--porcelain", "--", ".runs") == ""  # loading changed no file
