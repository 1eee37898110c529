"""A repository mixing runs logged by ``import gittrack`` and by MLflow through the plugin:
the same calls write the same files (but for ids, times, process facts), and every reader
(gittrack's CLI and Client, MLflow's client over the plugin) sees both alike."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import invoke, load_yaml
from tests.plugin_env import MLFLOW_PYTHON, SCRIPTS, mlflow_env, needs_mlflow, run_code

pytestmark = needs_mlflow
# meta.yaml facts of one process and one moment (and the run names, which say the front door)
_VARYING = {"run_id", "name", "start_time", "end_time", "duration", "pid", "source", "parent_run_id"}
VARYING_COLUMNS = ("id", "name", "start", "duration", "tags.mlflow.runName")
_TIMESTAMP = re.compile(r"^(\d+),\d+,", re.MULTILINE)


def log_same_calls(repo: Path, front: str) -> str:
    """The script runs from inside the repository, as a project's own script does (MLflow
    takes the git facts of the script's folder, gittrack those of the store's work tree)."""
    script = repo / "same_calls.py"
    script.write_bytes((SCRIPTS / "same_calls.py").read_bytes())
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "same_calls.py", front],
        cwd=repo, env=mlflow_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def run_files(run_dir: Path) -> dict[str, bytes]:
    """A run's files as bytes, with what differs between any two runs masked."""
    found = {}
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        name = path.relative_to(run_dir).as_posix()
        if name in ("environment.txt", "git.diff"):
            continue
        data = path.read_bytes()
        if name == "meta.yaml":
            meta = load_yaml(path)
            data = json.dumps({k: v for k, v in meta.items() if k not in _VARYING}, sort_keys=True).encode()
        elif name.endswith(".csv"):
            data = _TIMESTAMP.sub(r"\1,T,", data.decode()).encode()
        found[name] = data
    return found


def child_of(store: Path, parent: str) -> Path:
    (child,) = [
        p
        for p in store.iterdir()
        if (p / "meta.yaml").is_file() and load_yaml(p / "meta.yaml")["parent_run_id"] == parent
    ]
    return child


def test_the_same_calls_write_the_same_files(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = git_repo / ".runs"
    by_gittrack = log_same_calls(git_repo, "gittrack")
    by_mlflow = log_same_calls(git_repo, "mlflow")
    assert run_files(store / by_mlflow) == run_files(store / by_gittrack)
    assert run_files(child_of(store, by_mlflow)) == run_files(child_of(store, by_gittrack))
    assert (store / by_mlflow / "params.yaml").read_bytes() == (
        store / by_gittrack / "params.yaml"
    ).read_bytes()

    monkeypatch.chdir(git_repo)
    listed = invoke("ls", "--format", "json", "--all-columns", "-f", "tags.team = 'vision'")
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert set(rows) == {"parent-gittrack", "parent-mlflow"}
    masked = [{k: v for k, v in r.items() if k not in VARYING_COLUMNS} for r in rows.values()]
    assert masked[0] == masked[1]

    from gittrack import MlflowClient

    client = MlflowClient(tracking_uri=str(store))
    ours = {r.info.run_name: r for r in client.search_runs(["mixed"], "params.epochs = '10'")}
    assert set(ours) == {"parent-gittrack", "parent-mlflow"}
    assert ours["parent-gittrack"].data.params == ours["parent-mlflow"].data.params
    tags = [
        {k: v for k, v in r.data.tags.items() if k not in ("mlflow.runName", "mlflow.source.name")}
        for r in ours.values()
    ]
    assert tags[0] == tags[1]

    seen = run_code(
        "import json, mlflow\n"
        "runs = mlflow.search_runs(['mixed'], filter_string=\"params.epochs = '10'\", output_format='list')\n"
        "seen = {r.info.run_name: [r.data.params, r.data.metrics['loss'], r.info.status] for r in runs}\n"
        "print(json.dumps(seen))\n",
        git_repo,
    )
    assert seen.returncode == 0, seen.stderr[-3000:]
    through_mlflow = json.loads(seen.stdout.strip().splitlines()[-1])
    assert set(through_mlflow) == {"parent-gittrack", "parent-mlflow"}
    assert through_mlflow["parent-gittrack"] == through_mlflow["parent-mlflow"]
