"""Build a store of N runs quickly, through gittrack's own store writer, and measure what git
pays for it: files, bytes, `git add` + `git commit`, `git status`, clone and checkout.

    python bench/scale_store.py 10000 --root /work/teams-stores [--inline-environment]

Runs have the shape of the scale issue: 5 params, 3 tags, 4 metrics x 20 steps, the package
environment capture. They are written by ``--jobs`` processes in parallel (each its own
runs, as real workers would), reproducible from ``--seed``. ``--inline-environment`` writes
each run's capture into the run (``environment.txt``, the format before environments were
shared) to measure the difference. Results go to ``<root>/scale-<N>[-inline].json``;
docs/scale.md holds them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from gittrack.store import context, ids, layout
from gittrack.store.layout import Meta
from gittrack.store.writer import RunWriter

METRICS = ("loss", "val_loss", "accuracy", "lr")
STEPS = 20


def write_runs(store: str, first: int, count: int, seed: int, inline: bool) -> int:
    """Runs ``first``..``first+count`` (one worker process): ids, values and times from ``seed``."""
    rng = random.Random(seed + first)
    environment = context.environment()
    base_ms = 1_790_000_000_000 + first * 1000
    for i in range(first, first + count):
        start = base_ms + (i - first) * 1000
        meta = Meta(
            run_id=ids.new_run_id(),
            name=f"run-{i}",
            experiment=f"exp-{i % 10}",
            status="RUNNING",
            start_time=start,
            user="bench",
            host="bench-host",
            pid=os.getpid(),
            source={"entry_point": "train.py", "argv": ["train.py", f"--seed={i}"]},
        )
        writer = RunWriter.create(
            Path(store), meta, new_id=ids.new_run_id, environment=None if inline else environment
        )
        if inline:
            (writer.run_dir / layout.ENVIRONMENT).write_text(environment, encoding="utf-8")
        writer.log_params(
            {"lr": 10 ** -rng.randint(1, 5), "depth": rng.randint(2, 12), "model": rng.choice("abc"),
             "seed": i, "batch": rng.choice([32, 64, 128])}
        )  # fmt: skip
        writer.set_tags({"team": "vision", "dataset": f"v{i % 3}", "stage": "sweep"})
        for metric in METRICS:
            for step in range(STEPS):
                writer.log_metric(metric, rng.random(), step, start + step * 10)
        writer.finish("FINISHED", start + STEPS * 10)
    return count


def build(store: Path, runs: int, jobs: int, seed: int, inline: bool) -> float:
    started = time.perf_counter()
    chunk = -(-runs // jobs)
    with ProcessPoolExecutor(jobs) as pool:
        parts = [
            pool.submit(write_runs, str(store), first, min(chunk, runs - first), seed, inline)
            for first in range(0, runs, chunk)
        ]
        assert sum(p.result() for p in parts) == runs
    return time.perf_counter() - started


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return round(time.perf_counter() - started, 2)


def files_and_bytes(store: Path) -> tuple[int, int]:
    count = size = 0
    for folder, _dirs, names in os.walk(store):
        if layout.CACHE_DIR in Path(folder).parts:
            continue
        count += len(names)
        size += sum(os.path.getsize(os.path.join(folder, n)) for n in names)
    return count, size


def disk_kb(path: Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True).stdout.split()[0])


def measure(root: Path, runs: int, jobs: int, seed: int, inline: bool) -> dict[str, object]:
    repo = root / f"repo-{runs}{'-inline' if inline else ''}"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    store = repo / ".runs"
    out: dict[str, object] = {"runs": runs, "inline_environment": inline, "jobs": jobs}
    out["load_before"] = os.getloadavg()
    out["build_s"] = round(build(store, runs, jobs, seed, inline), 1)
    out["files"], out["bytes"] = files_and_bytes(store)
    out["work_tree_kb"] = disk_kb(store)
    out["git_add_s"] = timed(["git", "add", "-A"], repo)
    out["git_commit_s"] = timed(["git", "commit", "-q", "-m", "runs"], repo)
    timed(["git", "status", "--porcelain"], repo)  # the first one refreshes the index
    out["git_status_s"] = timed(["git", "status", "--porcelain"], repo)
    clone = root / f"clone-{runs}{'-inline' if inline else ''}"
    shutil.rmtree(clone, ignore_errors=True)
    clone_cmd = ["git", "clone", "-q", "--no-local", "--no-checkout", str(repo), str(clone)]
    out["clone_no_checkout_s"] = timed(clone_cmd, root)
    out["checkout_s"] = timed(["git", "checkout", "-q", "main"], clone)
    out["pack_kb"] = disk_kb(clone / ".git")
    out["load_after"] = os.getloadavg()
    out["machine"] = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    out["git"] = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", type=int)
    parser.add_argument("--root", type=Path, default=Path("/tmp/gittrack-scale"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inline-environment", action="store_true")
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    result = measure(args.root, args.runs, args.jobs, args.seed, args.inline_environment)
    name = f"scale-{args.runs}{'-inline' if args.inline_environment else ''}.json"
    (args.root / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2), flush=True)
    shutil.rmtree(args.root / f"clone-{args.runs}{'-inline' if args.inline_environment else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
