"""MlflowClient's experiment, run and registry methods answer through the gittrack store as
MLflow's own stores do (tests/mlflow_plugin/contract.py makes the calls)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import load_yaml
from tests.plugin_env import needs_mlflow, run_code, run_script

pytestmark = needs_mlflow


def test_the_store_contract_through_mlflow_client(git_repo: Path) -> None:
    done = run_script("contract.py", git_repo)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    rid = out["versions"][2].split("/")[1]
    expected = {
        "ids": ["exp-0", "exp-1", "exp-2"],
        "get": "exp-0",
        "by_name": "exp-1",
        "missing": True,
        "pages": [["Default", "exp-0"], ["exp-1", "exp-2"]],
        "filtered": ["exp-2"],
        "exp_tags": {"team": "a"},
        "duplicate": "RESOURCE_ALREADY_EXISTS",
        "renamed": True,
        "deleted_stage": "deleted",
        "deleted_listed": ["exp-1"],
        "restored_stage": "active",
        "child_status": "FAILED",
        "parent": True,
        "renamed_run": "renamed",
        "history": [[0, 20.0, 1000], [1, 21.0, 1001], [2, 22.0, 1002]],
        "search": ["r4", "r2"],
        "run_pages": [["child", "r0"], ["r2", "r3"]],
        "after_delete": 5,
        "deleted_runs": ["r4"],
        "after_restore": 6,
        "resumed_live": "RUNNING",
        "resumed": ["FINISHED", 4],
        "tag_deleted": True,
        "missing_run": "RESOURCE_DOES_NOT_EXIST",
        "versions": ["1", "2", f"runs:/{rid}/model", {"v": "2"}],
        "model": ["second", {"owner": "me"}, {"best": "2"}, ["2", "1"]],
        "latest_prod": ["1"],
        "by_alias": "2",
        "v1": ["v1 desc", {"q": "good"}],
        "download": f"gittrack:runs/{rid}/model",
        "search_models": ["reg"],
        "search_versions": ["1", "2"],
        "after_version_delete": ["1"],
        "renamed_model": "reg2",
        "model_gone": "RESOURCE_DOES_NOT_EXIST",
    }
    assert {k: v for k, v in out.items() if k != "time"} == expected
    store = git_repo / ".runs"
    assert load_yaml(store / rid / "meta.yaml")["experiment"] == "exp-0"
    assert sorted(p.name for p in (store / "experiments").iterdir()) == ["exp-0", "exp-1", "exp-2", "exp-two"]


def test_uri_forms_name_the_work_trees_store(git_repo: Path, tmp_path: Path) -> None:
    (git_repo / "src" / "deep").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    custom = tmp_path / "custom"
    (custom / ".git").mkdir(parents=True)
    (custom / ".gittrack.yml").write_text("store: experiments-store\n")
    code = (
        "import json\n"
        "from gittrack.integrations.mlflow_store.uris import store_of\n"
        f"uris = ['gittrack:.', 'gittrack:src/deep', 'gittrack://{git_repo}/src', 'gittrack:///{git_repo}',\n"
        f"        'gittrack:{tmp_path}/elsewhere/.runs', 'gittrack:///{custom}']\n"
        "found = {u: str(store_of(u)) for u in uris}\n"
        "try:\n"
        "    store_of('gittrack://otherhost/path')\n"
        "except Exception as exc:\n"
        "    found['host'] = type(exc).__name__\n"
        "print(json.dumps(found))\n"
    )
    done = run_code(code, git_repo)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    store = str(git_repo / ".runs")
    assert list(found.values()) == [
        store, store, store, store, str(tmp_path / "elsewhere" / ".runs"), str(custom / "experiments-store"),
        "MlflowException",
    ]  # fmt: skip
