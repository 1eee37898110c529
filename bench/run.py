"""Benchmark gittrack against MLflow (file store and SQLite store).

    bash bench/setup.sh && bench/.venv/bin/python bench/run.py [--quick] [--only W1,W3]

The driver runs every measured piece in a fresh worker process (this same script with
``--worker``), so imports and caches never leak between backends, then prints a
markdown table and writes everything to ``bench/results/``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BACKENDS, EXPERIMENT, bench_env, git, gittrack_store, median, open_backend, tracking_uri

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")
UI_FILTER = "metrics.m0 < 0.5"  # W7's filtered page

FULL = {"w1": {"params": 1000, "tags": 1000, "metrics": 10, "steps": 1000, "budget_s": 30},
        "w2": {"runs": 1000, "steps": 100, "budget_s": 90},
        "w3_sizes": [1000, 10_000], "w4_size": 10_000, "w5_steps": 100_000, "w6_size": 1000,
        "cold_repeats": 3, "warm_repeats": 5, "cli_runs": 5,
        "w7_size": 10_000, "browser_repeats": 3}  # fmt: skip
QUICK = {"w1": {"params": 100, "tags": 100, "metrics": 10, "steps": 100, "budget_s": 10},
         "w2": {"runs": 50, "steps": 100, "budget_s": 20},
         "w3_sizes": [100, 1000], "w4_size": 1000, "w5_steps": 10_000, "w6_size": 100,
         "cold_repeats": 3, "warm_repeats": 3, "cli_runs": 5,
         "w7_size": 1000, "browser_repeats": 3}  # fmt: skip


# -- the worker side -----------------------------------------------------------------------------


def worker(task: str, backend: str, root: Path, args: dict[str, Any], out: Path,
           profile: Path | None) -> None:  # fmt: skip
    """Run one task in this fresh process and write its result (or why it failed) to ``out``."""
    start = time.perf_counter()
    try:
        module = open_backend(backend, root)
        import_s = time.perf_counter() - start
        from workloads import TASKS, Pending

        profiler = _start_profiler() if profile else None
        try:
            result = {**TASKS[task](module, root, args), "import_s": import_s}
        except Pending as exc:
            result = {"pending": str(exc)}
        if profiler is not None:
            profiler.stop()
            profile.write_text(profiler.output_text(unicode=False, color=False))
    except Exception:
        result = {"error": traceback.format_exc()}
    out.write_text(json.dumps(result))


def _start_profiler() -> Any:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    return profiler


# -- the driver side -----------------------------------------------------------------------------


class Driver:
    def __init__(self, sizes: dict[str, Any], work: Path, profile: bool, keep_stores: Path | None) -> None:
        self.sizes = sizes
        self.work = work
        self.profile = profile
        self.keep_stores = keep_stores
        self.stores: dict[tuple[str, int], dict[str, Any]] = {}
        self.calls = 0

    def call(self, task: str, backend: str, root: Path, **args: Any) -> dict[str, Any]:
        """Run ``task`` in a fresh worker process; adds ``wall_s``, the whole process's wall time."""
        self.calls += 1
        out = self.work / f"result-{self.calls}.json"
        command = [sys.executable, str(BENCH / "run.py"), "--worker", task, "--backend", backend,
                   "--dir", str(root), "--args", json.dumps(args), "--out", str(out)]  # fmt: skip
        if self.profile and backend == "gittrack":
            RESULTS.mkdir(exist_ok=True)
            command += ["--profile-to", str(RESULTS / f"profile-{task}-{self.calls}.txt")]
        start = time.perf_counter()
        proc = subprocess.run(command, env=bench_env(), capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not out.exists():
            return {"error": f"worker exited {proc.returncode}: {proc.stderr[-2000:]}"}
        result = json.loads(out.read_text())
        if "error" in result or "pending" in result:
            log(f"  {task}/{backend}: {(result.get('pending') or result['error']).strip().splitlines()[-1]}")
        return {**result, "wall_s": wall}

    def store(self, backend: str, runs: int) -> dict[str, Any]:
        """A store of ``runs`` runs, built once and shared by W3, W4 and W6.

        With ``--stores DIR`` a store built by an earlier invocation is reused (its
        ``built.json`` records how long building took then).
        """
        key = (backend, runs)
        if key not in self.stores:
            root = (self.keep_stores or self.work) / f"store-{backend}-{runs}"
            record = root / "built.json"
            if self.keep_stores and record.exists():
                log(f"  reusing {runs:,} runs in {backend} from {root}")
                self.stores[key] = {**json.loads(record.read_text()), "reused": True}
                return self.stores[key]
            shutil.rmtree(root, ignore_errors=True)  # a build that was interrupted
            log(f"  building {runs:,} runs in {backend} ...")
            built = {**self.call("build_runs", backend, root, runs=runs), "root": str(root)}
            self.stores[key] = built
            if "build_s" in built:
                log(f"  built {runs:,} runs in {backend} in {built['build_s']:.1f} s")
                record.write_text(json.dumps(built))
        return self.stores[key]

    def fresh(self, name: str) -> Path:
        return self.work / name

    # -- workloads -----------------------------------------------------------------------------

    def w1(self) -> dict[str, Any]:
        return {b: self.call("w1", b, self.fresh(f"w1-{b}"), **self.sizes["w1"]) for b in BACKENDS}

    def w2(self) -> dict[str, Any]:
        return {b: self.call("w2", b, self.fresh(f"w2-{b}"), **self.sizes["w2"]) for b in BACKENDS}

    def w3(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for size in self.sizes["w3_sizes"]:
            results[str(size)] = {b: self._w3_one(b, size) for b in BACKENDS}
        return results

    def _w3_one(self, backend: str, size: int) -> dict[str, Any]:
        store = self.store(backend, size)
        if "exp_id" not in store:
            return store  # the build failed or is pending
        root, exp_id = Path(store["root"]), store["exp_id"]
        result: dict[str, Any] = {"build_s": store["build_s"]}
        if backend == "gittrack":
            result["cold_no_index"] = self.cold_searches(backend, root, exp_id, clear_cache=True)
            result["index_present"] = _has_index(gittrack_store(root))
        result["cold"] = self.cold_searches(backend, root, exp_id)
        result["warm"] = self.call("search", backend, root, exp_id=exp_id,
                                   repeats=self.sizes["warm_repeats"], budget_s=60)  # fmt: skip
        for part in ("cold", "cold_no_index", "warm"):
            problem = _problem(result.get(part))
            if problem:
                result[problem] = f"{part}: {result[part]}"
        return result

    def cold_searches(self, backend: str, root: Path, exp_id: str, *, clear_cache: bool = False,
                      **args: Any) -> list[dict[str, Any]] | dict[str, Any]:  # fmt: skip
        """New processes that import the backend and search once; up to 3 within 60 s."""
        samples: list[dict[str, Any]] = []
        while len(samples) < self.sizes["cold_repeats"] and sum(s["wall_s"] for s in samples) < 60:
            if clear_cache:
                shutil.rmtree(gittrack_store(root) / ".cache", ignore_errors=True)
            sample = self.call("search", backend, root, exp_id=exp_id, repeats=0, budget_s=0, **args)
            if _problem(sample):
                return sample
            samples.append(sample)
        return samples

    def w4(self) -> dict[str, Any]:
        size, bin_dir = self.sizes["w4_size"], Path(sys.executable).parent
        results: dict[str, Any] = {}
        for backend in BACKENDS:
            store = self.store(backend, size)
            if "exp_id" not in store:
                results[backend] = store
                continue
            root, env = Path(store["root"]), bench_env()
            if backend == "gittrack":
                commands = {"help": [bin_dir / "gittrack", "--help"],
                            "ls": [bin_dir / "gittrack", "ls", "-n", "20"]}  # fmt: skip
            else:
                env["MLFLOW_TRACKING_URI"] = str(tracking_uri(backend, root))
                ls = ["runs", "list", "--experiment-id", store["exp_id"]]
                commands = {"help": [bin_dir / "mlflow", "--version"], "ls": [bin_dir / "mlflow", *ls]}
            results[backend] = {name: time_command([str(c) for c in cmd], root, env, self.sizes["cli_runs"])
                                for name, cmd in commands.items()}  # fmt: skip
            results[backend]["ls"]["peak_rss_mb"] = peak_rss_mb([str(c) for c in commands["ls"]], root, env)
        return results

    def w5(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for backend in BACKENDS:
            root = self.fresh(f"w5-{backend}")
            build = self.call("build_history", backend, root, steps=self.sizes["w5_steps"])
            if "run_id" not in build:
                results[backend] = build
                continue
            history = self.call(
                "metric_history", backend, root, run_id=build["run_id"], repeats=3, budget_s=60
            )
            results[backend] = {"build": build, "history": history, **_flag(history)}
        return results

    def w6(self) -> dict[str, Any]:
        """gittrack only: reading runs committed to git (rev=HEAD) vs from the working tree."""
        store = self.store("gittrack", self.sizes["w6_size"])
        if "exp_id" not in store:
            return {"worktree": store, "rev": store}
        root = self.fresh("w6-gittrack")
        shutil.copytree(store["root"], root, symlinks=True)
        shutil.rmtree(gittrack_store(root) / ".cache", ignore_errors=True)
        git(root, "add", ".runs")
        git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "runs")
        results: dict[str, Any] = {}
        for source, rev in (("worktree", None), ("rev", "HEAD")):
            extra = {"rev": rev} if rev else {}
            cold = self.cold_searches("gittrack", root, store["exp_id"], clear_cache=True,
                                      filtered=False, **extra)  # fmt: skip
            if isinstance(cold, dict):
                results[source] = cold
                continue
            warm = self.call("search", "gittrack", root, exp_id=store["exp_id"], filtered=False,
                             repeats=self.sizes["warm_repeats"], budget_s=30, **extra)  # fmt: skip
            results[source] = {"cold": cold, "warm": warm, **_flag(warm)}
        return results

    def w7(self) -> dict[str, Any]:
        """gittrack only: ``gittrack ui`` serving the runs page of W3's (and W4's) store."""
        size = self.sizes["w7_size"]
        store = self.store("gittrack", size)
        if "exp_id" not in store:
            return store
        root = Path(store["root"])
        if not _has_index(gittrack_store(root)):  # "cold" is a new server, not a missing index
            log("  building the index (one search) ...")
            primed = self.call("search", "gittrack", root, exp_id=store["exp_id"], filtered=False,
                               repeats=0, budget_s=0)  # fmt: skip
            if _problem(primed):
                return primed
        index_present = _has_index(gittrack_store(root))
        result = self.call("ui_page", "gittrack", root, experiment=EXPERIMENT, filter=UI_FILTER,
                           cold_repeats=self.sizes["cold_repeats"], warm_repeats=self.sizes["warm_repeats"],
                           browser_repeats=self.sizes["browser_repeats"], budget_s=60)  # fmt: skip
        return {**result, "runs": size, "index_present": index_present, "root": str(root)}


def _problem(result: Any) -> str | None:
    if isinstance(result, dict):
        return next((p for p in ("pending", "error") if p in result), None)
    return None


def _flag(result: dict[str, Any]) -> dict[str, Any]:
    problem = _problem(result)
    return {problem: result[problem]} if problem else {}


def _has_index(store: Path) -> bool:
    cache = store / ".cache"
    return cache.is_dir() and any(p.name != ".gitignore" for p in cache.iterdir())


# -- command-line timing ----------------------------------------------------------------------------


def time_command(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> dict[str, Any]:
    """Wall time of a command: hyperfine when installed, else ``runs`` runs and the median."""
    check = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if check.returncode != 0:
        return {"error": f"{' '.join(command)} exited {check.returncode}: {check.stderr[-1000:]}"}
    if shutil.which("hyperfine"):
        export = cwd / "hyperfine.json"
        subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", "1", "--runs", str(runs),
                        "--export-json", str(export), subprocess.list2cmdline(command)],
                       cwd=cwd, env=env, check=True, capture_output=True)  # fmt: skip
        times = json.loads(export.read_text())["results"][0]["times"]
        tool = "hyperfine"
    else:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        tool = "subprocess"
    return {"median_s": median(times), "samples": times, "tool": tool}


RSS_WRAPPER = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(command: list[str], cwd: Path, env: dict[str, str]) -> float | None:
    """Peak resident memory of one run of ``command``, from a fresh parent that waits only for it."""
    proc = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *command], cwd=cwd, env=env,
                          capture_output=True, text=True)  # fmt: skip
    return int(proc.stdout) / 1024 if proc.returncode == 0 else None


# -- putting it together ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def out(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in out("lscpu").splitlines()
                if line.startswith("Model name")), platform.processor())  # fmt: skip
    versions = out(sys.executable, "-c", "import importlib.metadata as m; "
                   "print(m.version('mlflow'), m.version('gittrack'))").split()  # fmt: skip
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0  # fmt: skip
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "mlflow": versions[0] if versions else None, "gittrack": versions[1] if len(versions) > 1 else None,
        "gittrack_commit": out("git", "-C", str(BENCH.parent), "rev-parse", "--short", "HEAD")
        or "uncommitted",
        "hyperfine": out("hyperfine", "--version") if shutil.which("hyperfine") else None,
        "gittrack_uncommitted_files": len(out("git", "-C", str(BENCH.parent), "status", "--porcelain",
                                             "--", "src").splitlines()),
    }  # fmt: skip


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def drive(only: list[str], quick: bool, keep: bool, profile: bool, stores: Path | None) -> None:
    from report import ROWS, markdown

    sizes = QUICK if quick else FULL
    work = Path(tempfile.mkdtemp(prefix="gittrack-bench-"))
    if stores is not None:
        stores = stores.resolve() / ("quick" if quick else "full")
        stores.mkdir(parents=True, exist_ok=True)
    driver = Driver(sizes, work, profile, stores)
    report: dict[str, Any] = {"machine": machine(), "quick": quick, "sizes": sizes, "raw": {},
                              "seconds": {}, "load_average": {}}  # fmt: skip
    try:
        for name in only:
            log(f"{name} ...")
            start, load_before = time.perf_counter(), os.getloadavg()[0]
            report["raw"][name] = getattr(driver, name.lower())()
            report["seconds"][name] = time.perf_counter() - start
            # other work on the machine skews timings: keep the 1-minute load around each workload
            report["load_average"][name] = [load_before, os.getloadavg()[0]]
            log(f"{name} done in {report['seconds'][name]:.0f} s (load average {load_before:.1f} "
                f"before, {os.getloadavg()[0]:.1f} after)")  # fmt: skip
    finally:
        if keep:
            log(f"stores kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    rows = [row for name in only for row in ROWS[name](report["raw"][name], sizes)]
    report["rows"] = [row.to_dict() for row in rows]
    table = markdown(rows)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(report, indent=1, default=str))
    (RESULTS / f"{stamp}.md").write_text(table)
    print(table)
    log(f"results: {RESULTS / stamp}.json and .md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="e.g. W1,W3 (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--stores",
        type=Path,
        metavar="DIR",
        help="keep the built stores in DIR and reuse them in later invocations",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile gittrack's workers with pyinstrument into bench/results/",
    )
    internal = parser.add_argument_group("internal (the driver starts workers with these)")
    internal.add_argument("--worker", help=argparse.SUPPRESS)
    internal.add_argument("--backend", choices=BACKENDS, help=argparse.SUPPRESS)
    internal.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    internal.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    internal.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    internal.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        worker(
            options.worker,
            options.backend,
            options.dir,
            json.loads(options.args),
            options.out,
            options.profile_to,
        )
        return
    only = [w.strip().upper() for w in options.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    drive(only, options.quick, options.keep, options.profile, options.stores)


if __name__ == "__main__":
    main()
