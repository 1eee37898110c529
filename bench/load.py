"""Load test: many processes log runs into one store at once; then nothing may be lost or mixed.

    python bench/load.py --procs 16 --runs 100 --steps 100

Each of ``--procs`` worker processes (``import gittrack``, a real subprocess) logs
``--runs`` runs one after another, each with params naming its worker and run, and
``--steps`` steps of two metrics whose values encode (worker, run, step).  All workers
write into the same store, in a fresh git repository (``--dir``, default a temp dir).
Afterwards the store must hold exactly procs x runs FINISHED runs, every metric row in
its run (counted and checked value by value), no file a reader cannot parse, and
``gittrack check`` must be clean.  Exit status 0 when all holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

WORKER = """
import sys, gittrack
worker, runs, steps = (int(a) for a in sys.argv[1:4])
gittrack.set_experiment("load")
for run in range(runs):
    with gittrack.start_run(run_name=f"w{worker}-r{run}"):
        gittrack.log_params({"worker": worker, "run": run})
        gittrack.set_tag("owner", f"w{worker}")
        for step in range(steps):
            gittrack.log_metrics({"loss": worker * 1e6 + run * 1e3 + step, "sub/acc": step / 7}, step=step)
"""

CLEAN_ENV = ("GITTRACK_DIR", "GITTRACK_RUN_ID", "GITTRACK_EXPERIMENT", "MLFLOW_TRACKING_URI")


@dataclass
class LoadResult:
    procs: int
    runs: int
    steps: int
    log_seconds: float = 0.0
    verify_seconds: float = 0.0
    check_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.procs * self.runs * self.steps * 2

    def report(self) -> str:
        verdict = "OK" if not self.problems else f"FAILED ({len(self.problems)} problems)"
        lines = [
            f"{self.procs} procs x {self.runs} runs x {self.steps} steps x 2 metrics: {verdict}",
            f"  logging   {self.log_seconds:8.2f} s  ({self.rows / max(self.log_seconds, 1e-9):,.0f} rows/s,"
            f" {self.procs * self.runs / max(self.log_seconds, 1e-9):,.1f} runs/s)",
            f"  verify    {self.verify_seconds:8.2f} s  (every run and row read back)",
            f"  check     {self.check_seconds:8.2f} s",
        ]
        return "\n".join(lines + [f"  problem: {p}" for p in self.problems[:20]])


def make_repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        (root / "train.py").write_text("# the user's training code\n")
        subprocess.run(["git", "add", "train.py"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-q", "-m", "initial"], cwd=root, check=True, env=git_env())


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", "load")
        env.setdefault(f"GIT_{role}_EMAIL", "load@example.invalid")
    return env


def log_all(root: Path, procs: int, runs: int, steps: int) -> list[str]:
    """Start every worker at once in ``root``; wait for all; return failures."""
    code = textwrap.dedent(WORKER)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(i), str(runs), str(steps)],
            cwd=root,
            env=git_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(procs)
    ]
    failures = []
    for i, proc in enumerate(workers):
        _, err = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"worker {i} exited {proc.returncode}: {err.decode()[-500:]}")
    return failures


def verify(store: Path, procs: int, runs: int, steps: int, skip: Collection[str] = ()) -> list[str]:
    """Every run present once, FINISHED, with all its rows and nothing of another run's
    (the runs named in ``skip``, of processes killed on purpose, are left out)."""
    from gittrack.errors import CorruptRunError
    from gittrack.store.metric_csv import metric_files, read_history
    from gittrack.store.reader import read_run, run_dirs

    problems: list[str] = []
    seen: dict[tuple[int, int], str] = {}
    dirs = [d for d in run_dirs(store) if d.name not in skip]
    if len(dirs) != procs * runs:
        problems.append(f"{len(dirs)} run directories, expected {procs * runs}")
    for run_dir in dirs:
        try:
            record = read_run(run_dir)
        except CorruptRunError as exc:
            problems.append(f"unreadable run: {exc}")
            continue
        worker, run = record.params.get("worker"), record.params.get("run")
        key = (int(worker), int(run)) if worker is not None and run is not None else (-1, -1)
        if key in seen:
            problems.append(f"runs {seen[key]} and {run_dir.name} both claim worker/run {key}")
        seen[key] = run_dir.name
        if record.status != "FINISHED" or record.meta.name != f"w{key[0]}-r{key[1]}":
            problems.append(f"{run_dir.name}: status {record.status}, name {record.meta.name}")
        if record.tags != {"owner": f"w{key[0]}"}:
            problems.append(f"{run_dir.name}: tags {record.tags}")
        files = metric_files(run_dir)
        if set(files) != {"loss", "sub/acc"}:
            problems.append(f"{run_dir.name}: metric files {sorted(files)}")
        for name, path in files.items():
            rows, bad = read_history(path)
            want = [key[0] * 1e6 + key[1] * 1e3 + s if name == "loss" else s / 7 for s in range(steps)]
            if [r.step for r in rows] != list(range(steps)) or [r.value for r in rows] != want or bad:
                problems.append(f"{run_dir.name}: {name}: {len(rows)} rows, {len(bad)} bad lines")
            summary = record.meta.metrics.get(name)
            if summary is None or summary.count != steps:
                problems.append(f"{run_dir.name}: {name}: summary {summary}")
    missing = {(w, r) for w in range(procs) for r in range(runs)} - set(seen)
    if missing:
        problems.append(f"{len(missing)} runs missing, e.g. worker/run {sorted(missing)[:5]}")
    return problems


def run_load(root: Path, procs: int, runs: int, steps: int) -> LoadResult:
    from gittrack.maintenance.check import check

    make_repo(root)
    store = root / ".runs"
    result = LoadResult(procs, runs, steps)
    start = time.perf_counter()
    result.problems += log_all(root, procs, runs, steps)
    result.log_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result.problems += verify(store, procs, runs, steps)
    result.verify_seconds = time.perf_counter() - start
    start = time.perf_counter()
    report = check(store)
    result.check_seconds = time.perf_counter() - start
    result.problems += [f"check: {item}" for item in report.items]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, default=16)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None, help="work here (kept) instead of a temp dir")
    args = parser.parse_args(argv)
    if args.dir is not None:
        result = run_load(args.dir.resolve(), args.procs, args.runs, args.steps)
        print(result.report(), flush=True)
    else:
        with tempfile.TemporaryDirectory(prefix="gittrack-load-") as tmp:
            result = run_load(Path(tmp), args.procs, args.runs, args.steps)
            print(result.report(), flush=True)  # before the (slow) removal of the temp dir
    return 0 if not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
