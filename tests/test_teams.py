"""Many machines, one history, through git (docs/teams.md): workers in their own clones log
runs on their own branches, push to a shared bare repository, and one octopus merge brings
every run together with no conflict; `check` is clean and the PR report covers them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import git, make_repo

WORKERS = 4
RUNS_PER_WORKER = 250

# One worker: a training script logging through the API, as a CI job or a colleague's
# machine would; it prints the ids it logged.
WORKER = """
import sys
import gittrack

worker, count = sys.argv[1], int(sys.argv[2])
gittrack.set_experiment("nightly")
for i in range(count):
    with gittrack.start_run(run_name=f"w{worker}-{i}") as run:
        gittrack.log_params({"worker": int(worker), "i": i, "lr": 10.0 ** -(i % 4)})
        gittrack.set_tag("worker", worker)
        for step in range(3):
            gittrack.log_metric("loss", 1.0 / (1 + i + step) + int(worker) / 10, step=step)
    print(run.info.run_id)
"""


PIPES = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}


def gittrack_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gittrack", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_four_workers_push_their_branches_and_one_merge_holds_every_run(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", {"train.py": "print('train')\n"})
    assert gittrack_cli(origin, "init").returncode == 0
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "gittrack init")
    remote = tmp_path / "shared.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(remote))

    clones = [tmp_path / f"worker-{w}" for w in range(WORKERS)]
    for w, clone in enumerate(clones):
        git(tmp_path, "clone", "-q", str(remote), str(clone))
        git(clone, "checkout", "-q", "-b", f"worker-{w}")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-c", WORKER]
    jobs = [
        subprocess.Popen([*command, str(w), str(RUNS_PER_WORKER)], cwd=clone, env=env, text=True, **PIPES)
        for w, clone in enumerate(clones)
    ]
    logged: set[str] = set()
    for job in jobs:
        out, err = job.communicate(timeout=600)
        assert job.returncode == 0, err
        logged.update(out.split())
    assert len(logged) == WORKERS * RUNS_PER_WORKER

    for w, clone in enumerate(clones):
        done = gittrack_cli(clone, "commit", "--all-finished")
        assert done.returncode == 0, done.stderr
        git(clone, "push", "-q", "origin", f"worker-{w}")

    lead = tmp_path / "lead"
    git(tmp_path, "clone", "-q", str(remote), str(lead))
    base = git(lead, "rev-parse", "HEAD")
    branches = [f"origin/worker-{w}" for w in range(WORKERS)]
    git(lead, "merge", "-q", "--no-ff", "--no-edit", *branches)  # one octopus merge; fails on a conflict
    assert git(lead, "rev-list", "--parents", "-n", "1", "HEAD").split()[1:] == [
        base,
        *(git(lead, "rev-parse", b) for b in branches),
    ]
    git(lead, "push", "-q", "origin", "HEAD:main")

    store = lead / ".runs"
    on_disk = {p.name for p in store.iterdir() if p.is_dir() and (p / "meta.yaml").is_file()}
    assert on_disk == logged
    check = gittrack_cli(lead, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert git(lead, "status", "--porcelain") == ""

    ls = gittrack_cli(lead, "ls", "--rev", "main", "-e", "nightly", "-n", "5000", "--format", "json")
    assert ls.returncode == 0, ls.stderr
    assert {row["id"] for row in json.loads(ls.stdout)} == logged

    # The pull-request report of the merge: every worker's runs added, the best loss named.
    report = gittrack_cli(lead, "diff", base, "HEAD", "--format", "json")
    assert report.returncode == 0, report.stderr
    [experiment] = json.loads(report.stdout)["experiments"]
    assert experiment["experiment"] == "nightly"
    assert {ref["run_id"] for ref in experiment["added"]} == logged
    assert experiment["removed"] == []
    [loss] = [m for m in experiment["metrics"] if m["metric"] == "loss"]
    assert loss["head_run"]["name"] == "w0-249" and loss["base_run"] is None  # worker 0 logs the lowest
