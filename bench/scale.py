"""The scale benchmark (issue #16): gittrack's commands on stores of 1,000 to 100,000 runs.

    python bench/scale.py --runs 1000 10000 100000 --out bench/results/scale-before.json

Every command runs in a fresh process through gittrack's CLI (or its public Python API for
``search_runs``), so the same command measures any later gittrack.  Stores are built once per
``(N, seed, format)`` under ``--stores`` and reused; commands that change a store run on a
copy.  bench/README.md describes every measurement; bench/scale_report.py renders the JSON.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import scale_build  # noqa: E402
import scale_data  # noqa: E402
import scale_measure as m  # noqa: E402

SEARCH = r"""
import json, sys, time
t0 = time.perf_counter()
import gittrack
imported = time.perf_counter() - t0
kind = sys.argv[1]
kwargs = {"filter": dict(filter_string=sys.argv[2]),
          "top20": dict(order_by=[f"metrics.{sys.argv[3]} ASC"], max_results=20),
          "all": {}}[kind]  # MLflow's default page for pandas: 100,000 runs
times = []
for _ in range(2):
    t = time.perf_counter()
    frame = gittrack.search_runs(search_all_experiments=True, **kwargs)
    times.append(time.perf_counter() - t)
print(json.dumps({"first": times[0], "second": times[1], "rows": len(frame), "import": imported}))
"""
MLFLOW_SEARCH = SEARCH.replace("import gittrack", "import mlflow as gittrack")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # commands run in the stores' directories: a relative PYTHONPATH (PYTHONPATH=src) must
    # still name the gittrack being measured
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    os.environ["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths if p)
    gt = [sys.executable, "-m", "gittrack"]
    result: dict[str, Any] = {"meta": meta(args), "build": {}, "sizes": {}, "gittrack": {}, "mlflow": {}}
    if args.append and args.out.exists():  # more sizes into an earlier result (its meta kept)
        earlier = json.loads(args.out.read_text(encoding="utf-8"))
        result = {
            **earlier,
            "meta": {**earlier["meta"], f"meta_{'_'.join(map(str, args.runs))}": result["meta"]},
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for n in args.runs:
        print(f"== {n} runs", file=sys.stderr, flush=True)
        home = store_home(args, n)
        result["build"][str(n)] = prepare_stores(args, home, n)
        if args.build_only:
            continue
        result["sizes"][str(n)] = m.sizes(home / "committed", n)

        def save(result: dict[str, Any] = result) -> None:  # after every measurement
            result["meta"]["finished"] = now()
            args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")

        m.SAVE = save
        kept = result["gittrack"].get(str(n), {}) if args.only else {}
        result["gittrack"][str(n)] = m.Saved(kept)  # filled (and saved) one measurement at a time
        measure_gittrack(args, gt, home, n, result["gittrack"][str(n)])
        if args.mlflow_python and not args.only:
            result["mlflow"][str(n)] = m.Saved()
            measure_mlflow(args, home, n, result["mlflow"][str(n)])
        save()
    print("stores ready" if args.build_only else f"wrote {args.out}", file=sys.stderr)
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, nargs="+", default=[1000, 10000, 100000], help="store sizes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stores", type=Path, default=Path.home() / ".cache" / "gittrack-scale-stores")
    p.add_argument(
        "--out", type=Path, default=BENCH / "results" / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    p.add_argument("--label", default="", help="e.g. before/after; stored in the JSON")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per command before '> timeout'")
    p.add_argument("--repeats", type=int, default=3, help="repeats of each read (median)")
    p.add_argument(
        "--cold-repeats",
        type=int,
        default=None,
        help="repeats of the reads that start from cleared caches (default: --repeats); each"
        " rebuilds the index, minutes at 100,000 runs",
    )
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes building stores")
    p.add_argument("--mlflow-python", type=Path, default=BENCH / ".venv" / "bin" / "python")
    p.add_argument("--no-mlflow", action="store_true", help="skip MLflow's SQLite store")
    p.add_argument("--no-ui", action="store_true", help="skip gittrack ui")
    p.add_argument("--build-only", action="store_true", help="build (or find) the stores, measure nothing")
    p.add_argument(
        "--only",
        default=None,
        help="comma-separated result keys to measure again (e.g. search_filter,ui), keeping the"
        " others of --out (with --append); default: every measurement",
    )
    p.add_argument("--append", action="store_true", help="add these sizes to the results already in --out")
    args = p.parse_args(argv)
    if args.no_mlflow or not args.mlflow_python.exists():
        args.mlflow_python = None
    args.stores = args.stores.resolve()
    args.out = args.out.resolve()
    return args


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def meta(args: argparse.Namespace) -> dict[str, Any]:
    def out(cmd: list[str], cwd: Path = BENCH) -> str:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    gittrack_code = "import gittrack, sys; print(gittrack.__version__); print(gittrack.__file__)"
    version, _, where = out([sys.executable, "-c", gittrack_code]).partition("\n")
    source = Path(where).resolve().parent if where else BENCH
    mlflow = (
        out([str(args.mlflow_python), "-c", "import mlflow; print(mlflow.__version__)"])
        if args.mlflow_python
        else ""
    )
    return {
        "label": args.label,
        "date": now(),
        "machine": m.machine(),
        "load_average_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "gittrack": version,
        "gittrack_path": where,
        "gittrack_commit": out(["git", "rev-parse", "HEAD"], source),
        "gittrack_dirty": bool(out(["git", "status", "--porcelain", "--untracked-files=no"], source)),
        "mlflow": mlflow,
        "git": out(["git", "--version"]),
        "seed": args.seed,
        "repeats": args.repeats,
        "cold_repeats": args.cold_repeats or args.repeats,
        "timeout": args.timeout,
        "shape": "5 params, 3 tags, 4 metrics x 20 steps, FINISHED, 5 experiments, 4 children per 10 runs",
        "filter": scale_data.FILTER,
    }


# -- stores ------------------------------------------------------------------------------------


def store_format() -> str:
    """What the writer puts in a run, as a short key: a store is rebuilt when it changes.

    The relative paths of one family of runs' files, with the run ids and the (time-stamped)
    names of experiment records replaced by placeholders, so the key is the same every time.
    """
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "r"
        scale_build.init_repo(repo)
        scale_build.build_gittrack(repo, 0, 0, scale_data.FAMILY, 1)
        store = repo / ".runs"
        ids = {scale_data.run_id(0, i) for i in range(scale_data.FAMILY)}
        files = set()
        for path in store.rglob("*"):
            parts = path.relative_to(store).parts
            if not path.is_file() or parts[0] == ".cache":
                continue
            if parts[0] in ids:
                parts = ("RUN", *parts[1:])
            elif parts[0] == "experiments":
                parts = (*parts[:-1], "RECORD")
            files.add("/".join(parts))
        return hashlib.sha1("\n".join(sorted(files)).encode()).hexdigest()[:10]


def store_home(args: argparse.Namespace, n: int) -> Path:
    if not hasattr(args, "format"):
        args.format = store_format()
    return args.stores / f"n{n}-seed{args.seed}-{args.format}"


def prepare_stores(args: argparse.Namespace, home: Path, n: int) -> dict[str, Any]:
    """``fresh`` (N finished, uncommitted runs), ``committed`` (the same, committed and
    packed) and ``diff`` (committed + a commit adding 20 runs); each built once."""
    info: dict[str, Any] = {}
    fresh, committed, diff = home / "fresh", home / "committed", home / "diff"
    if not (home / "fresh.done").exists():
        shutil.rmtree(home, ignore_errors=True)
        start = time.perf_counter()
        scale_build.init_repo(fresh)
        info["writer"] = scale_build.build_gittrack(fresh, args.seed, 0, n, args.workers)
        info["build_seconds"] = round(time.perf_counter() - start, 1)
        (home / "fresh.done").write_text(json.dumps(info))
    info = json.loads((home / "fresh.done").read_text())
    if not (home / "committed.done").exists():
        m.copy_tree(fresh, committed)
        scale_build.git(committed, "add", "-A")
        scale_build.git(committed, "commit", "-q", "-m", f"{n} runs")
        scale_build.git(committed, "gc", "-q")
        (home / "committed.done").touch()
    if not (home / "diff.done").exists():
        m.copy_tree(committed, diff)
        scale_build.build_gittrack(diff, args.seed, n, n + 20, 1)
        scale_build.git(diff, "add", "-A")
        scale_build.git(diff, "commit", "-q", "-m", "20 more runs")
        (home / "diff.done").touch()
    if args.mlflow_python and not (home / "mlflow.done").exists():
        (home / "mlflow").mkdir(exist_ok=True)
        start = time.perf_counter()
        cmd = [
            str(args.mlflow_python),
            str(BENCH / "scale_build.py"),
            "mlflow",
            str(home / "mlflow" / "mlflow.db"),
        ]
        subprocess.run([*cmd, str(args.seed), str(n)], check=True, env=mlflow_env(home))
        (home / "mlflow.done").write_text(
            json.dumps({"build_seconds": round(time.perf_counter() - start, 1)})
        )
    if args.mlflow_python:
        info["mlflow"] = json.loads((home / "mlflow.done").read_text())
    return info


# -- measurements --------------------------------------------------------------------------------


def measure_gittrack(
    args: argparse.Namespace, gt: list[str], home: Path, n: int, res: dict[str, Any]
) -> dict[str, Any]:
    t, r = args.timeout, args.repeats
    rc = args.cold_repeats or r  # measurements whose setup clears the caches
    repo, scratch = home / "committed", home / "scratch"

    def cli(*words: str, cwd: Path = repo) -> float:
        return m.run([*gt, *words], cwd, t)[0]

    def clear() -> None:
        m.clear_caches(repo)

    only = set(args.only.split(",")) if args.only else None

    def want(key: str) -> bool:
        return only is None or key in only

    reads: dict[str, tuple[str, int, Callable[[], Any], Callable[[], None] | None]] = {
        "ls_cold": ("ls -n 20, cold", rc, lambda: cli("ls", "-n", "20"), clear),
        "ls_warm": ("ls -n 20, warm", r, lambda: cli("ls", "-n", "20"), None),
        "ls_filter_warm": ("ls -f, warm", r, lambda: cli("ls", "-n", "20", "-f", scale_data.FILTER), None),
        "ls_rev": (
            "ls --rev HEAD -n 5",
            rc,
            lambda: {
                "first": cli("ls", "--rev", "HEAD", "-n", "5"),
                "second": cli("ls", "--rev", "HEAD", "-n", "5"),
            },
            clear,
        ),
        "diff": (
            "diff HEAD~1 HEAD",
            rc,
            lambda: {
                "first": cli("diff", "HEAD~1", "HEAD", cwd=home / "diff"),
                "second": cli("diff", "HEAD~1", "HEAD", cwd=home / "diff"),
            },
            lambda: m.clear_caches(home / "diff"),
        ),
        "check": ("check", r, lambda: cli("check"), None),
    }
    for kind in ("filter", "top20", "all"):
        reads[f"search_{kind}"] = (
            f"search_runs {kind}",
            rc,
            lambda kind=kind: search(sys.executable, SEARCH, kind, repo, t, None),
            clear,
        )
    for key, (name, repeats, sample, prepare) in reads.items():
        if want(key):
            res[key] = m.measure(name, repeats, sample, t, prepare)
    if not args.no_ui and want("ui"):
        res.update(measure_ui(args, gt, repo, n))
    # last: each needs a fresh copy of the uncommitted store, slow at 100,000 runs
    for name, cmd in (
        ("commit", [*gt, "commit", "--all-finished"]),
        ("git_add_commit", ["sh", "-c", "git add -A && git commit -q -m runs"]),
    ):
        if not want(name):
            continue
        res[name] = m.measure(
            name,
            1,
            lambda cmd=cmd: m.run(cmd, scratch, t)[0],
            t,
            lambda: m.copy_tree(home / "fresh", scratch),
        )
    shutil.rmtree(scratch, ignore_errors=True)
    return res


def search(
    python: str, code: str, kind: str, cwd: Path, timeout: float, env: dict[str, str] | None
) -> dict[str, float]:
    cmd = [python, "-c", code, kind, scale_data.FILTER, scale_data.TOP_METRIC]
    seconds, out = m.run(cmd, cwd, timeout, env)
    found = json.loads(out.strip().splitlines()[-1])
    return {"first": found["first"], "second": found["second"], "process": seconds, "rows": found["rows"]}


def measure_ui(args: argparse.Namespace, gt: list[str], repo: Path, n: int) -> dict[str, Any]:
    """The runs page of one experiment and /compare of 5 runs, first and second GET, with the
    index warm (``ls`` ran before); a new server per repeat."""
    t = args.timeout
    runs = "/runs?" + urlencode({"exp": scale_data.EXPERIMENTS[0]})
    ids = [scale_data.run_id(args.seed, i) for i in range(0, min(n, 50), 10)][:5]
    compare = "/compare?" + urlencode([("run", i) for i in ids])

    def sample() -> dict[str, float]:
        server = m.UIServer(gt, repo, t)
        try:
            return {
                "start": server.start_seconds,
                "runs_first": server.get(runs, t),
                "runs_second": server.get(runs, t),
                "compare_first": server.get(compare, t),
                "compare_second": server.get(compare, t),
            }
        finally:
            server.stop()

    return {"ui": m.measure("ui", args.repeats, sample, t)}


def mlflow_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GITTRACK_"))}
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow' / 'mlflow.db'}",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        PYTHONPATH=str(BENCH),
    )
    return env


def measure_mlflow(args: argparse.Namespace, home: Path, n: int, res: dict[str, Any]) -> dict[str, Any]:
    env = mlflow_env(home)
    for kind in ("filter", "top20", "all"):
        res[f"search_{kind}"] = m.measure(
            f"mlflow search_runs {kind}",
            args.repeats,
            lambda kind=kind: search(
                str(args.mlflow_python), MLFLOW_SEARCH, kind, home / "mlflow", args.timeout, env
            ),
            args.timeout,
        )
    return res


if __name__ == "__main__":
    sys.exit(main())
