"""Load and kill test through MLflow's own client over the ``gittrack:`` store (issue 17).

    bench/.venv/bin/python bench/plugin_load.py --procs 8 --runs 20 --steps 100 --kill 2

``bench/load.py`` with MLflow's client as the writer: ``--procs`` processes (``import mlflow``,
``MLFLOW_TRACKING_URI=gittrack:.``) each log ``--runs`` runs of ``--steps`` steps of two
metrics whose values encode (worker, run, step) into one repository at once, while ``--kill``
more MLflow processes start a run each, log their steps and are SIGKILLed mid-run.  Afterwards
every run of the loggers must be there once, FINISHED, with every metric row
(``load.verify``); each killed process's run must read KILLED through ``import gittrack`` and
through MLflow's client (``search_runs`` of KILLED runs finds exactly them, with all their
steps); and ``gittrack check`` must be clean.  Runs in MLflow's interpreter (``bench/.venv``,
gittrack installed there).  Exit status 0 when all holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import LoadResult, git_env, make_repo, verify

WORKER = """
import sys, time, mlflow
worker, runs, steps = (int(a) for a in sys.argv[1:4])
doomed = sys.argv[4:] == ["--doomed"]
mlflow.set_experiment("doomed" if doomed else "load")
for run in range(runs):
    with mlflow.start_run(run_name=f"w{worker}-r{run}") as active:
        mlflow.log_params({"worker": worker, "run": run})
        mlflow.set_tag("owner", f"w{worker}")
        for step in range(steps):
            mlflow.log_metrics({"loss": worker * 1e6 + run * 1e3 + step, "sub/acc": step / 7}, step=step)
        if doomed:
            print(active.info.run_id, flush=True)
            time.sleep(600)
"""


def mlflow_env() -> dict[str, str]:
    env = git_env()
    env.pop("PYTHONPATH", None)
    return env | {"MLFLOW_TRACKING_URI": "gittrack:.", "PYTHONWARNINGS": "ignore",
                  "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}  # fmt: skip


def start(root: Path, worker: int, runs: int, steps: int, *extra: str) -> subprocess.Popen[str]:
    """A worker process: the script a user would run (``python train_load.py``), in ``root``."""
    script = root / "train_load.py"
    if not script.exists():
        script.write_text(textwrap.dedent(WORKER))
    return subprocess.Popen(
        [sys.executable, script.name, str(worker), str(runs), str(steps), *extra],
        cwd=root, env=mlflow_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def create_experiments(root: Path) -> None:
    """Both experiments exist before the processes start: MLflow's ``set_experiment`` run by
    two processes at once on a new name returns without activating it in the process whose
    ``create_experiment`` lost the race, which then logs into Default (MLflow's behaviour with
    every store; docs/mlflow-plugin.md), and this benchmark is about logging, not that race."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"gittrack:{root}")
    for name in ("load", "doomed"):
        client.create_experiment(name)


def log_and_kill(
    root: Path, procs: int, runs: int, steps: int, kill: int
) -> tuple[list[str], dict[str, int]]:
    """Start every logger and every doomed process at once; SIGKILL each doomed one once its run
    has logged its steps (the loggers still running); wait for the loggers.  Returns the
    failures and the killed runs (run id -> steps logged)."""
    loggers = [start(root, i, runs, steps) for i in range(procs)]
    doomed = [start(root, procs + i, 1, steps, "--doomed") for i in range(kill)]
    failures, killed = [], {}
    for proc in doomed:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        if run_id:
            killed[run_id] = steps
        else:
            failures.append(f"a doomed process never started its run: {err[-500:]}")
    still_running = sum(p.poll() is None for p in loggers)
    for i, proc in enumerate(loggers):
        _, err = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"worker {i} exited {proc.returncode}: {err[-500:]}")
    if kill and not still_running:
        print("note: every logger had finished before the kills", file=sys.stderr)
    return failures, killed


def verify_killed(root: Path, killed: dict[str, int]) -> list[str]:
    """Each killed run reads KILLED, with all its steps, through gittrack and MLflow's client."""
    import mlflow

    import gittrack

    problems = []
    ours = gittrack.MlflowClient(tracking_uri=str(root / ".runs"))
    theirs = mlflow.MlflowClient(tracking_uri=f"gittrack:{root}")
    for run_id, steps in killed.items():
        for who, client in (("gittrack", ours), ("MLflow", theirs)):
            status = client.get_run(run_id).info.status
            rows = len(client.get_metric_history(run_id, "loss"))
            if status != "KILLED" or rows != steps:
                problems.append(f"{who}: killed run {run_id} reads {status} with {rows} of {steps} rows")
    if killed:
        exp = theirs.get_experiment_by_name("doomed").experiment_id
        found = {r.info.run_id for r in theirs.search_runs([exp], "attributes.status = 'KILLED'")}
        if found != set(killed):
            problems.append(f"MLflow's search_runs of KILLED runs: {sorted(found)}, killed {sorted(killed)}")
    return problems


def run_load(root: Path, procs: int, runs: int, steps: int, kill: int) -> LoadResult:
    from gittrack.maintenance.check import check

    make_repo(root)
    create_experiments(root)
    result = LoadResult(procs, runs, steps)
    begin = time.perf_counter()
    failures, killed = log_and_kill(root, procs, runs, steps, kill)
    result.problems += failures
    result.log_seconds = time.perf_counter() - begin
    begin = time.perf_counter()
    store = root / ".runs"
    result.problems += verify(store, procs, runs, steps, skip=set(killed))
    result.problems += verify_killed(root, killed)
    result.verify_seconds = time.perf_counter() - begin
    begin = time.perf_counter()
    killed_meta = [f"{run_id}/meta.yaml" for run_id in killed]  # check names each killed run, rightly

    def expected(item: str) -> bool:
        return "readers show KILLED" in item and any(meta in item for meta in killed_meta)

    result.problems += [f"check: {i}" for i in map(str, check(store).items) if not expected(i)]
    result.check_seconds = time.perf_counter() - begin
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--kill", type=int, default=2, help="MLflow processes SIGKILLed mid-run")
    parser.add_argument("--dir", type=Path, default=None, help="work here (kept) instead of a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gittrack-plugin-load-") as tmp:
        root = args.dir.resolve() if args.dir is not None else Path(tmp)
        result = run_load(root, args.procs, args.runs, args.steps, args.kill)
        print(f"MLflow's client over gittrack:, {args.kill} processes SIGKILLed mid-run")
        print(result.report(), flush=True)
    return 0 if not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
