"""Record MLflow's answers to every case into ``expected.json`` (runs in MLflow's interpreter).

    PYTHONPATH=tests bench/.venv/bin/python -m differential.record [--out PATH] [--keep]

Each store (``mlflow-file``, ``mlflow-sqlite``) is built and queried in its own worker
process, in its own temporary git repository with a hermetic HOME.  The file store is the
reference; a case where the SQLite store answers otherwise is flagged (``stores_agree:
false``, with the SQLite answer) since it cannot be a requirement for gittrack.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from differential.cases import BY_ID, CASES
from differential.compare import compare

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
REFERENCE, SECOND = "mlflow-file", "mlflow-sqlite"


def hermetic_env(home: Path) -> dict[str, str]:
    """The worker's environment: a fresh HOME and git identity, MLflow quiet and offline."""
    from differential.runner import LEAKY_ENV, MLFLOW_ENV

    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
    env.update(MLFLOW_ENV)
    env.update({"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "PYTHONPATH": str(HERE.parent)})
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = "Test User"
        env[f"GIT_{role}_EMAIL"] = "test@example.com"
    return env


def run_worker(backend: str, base: Path) -> dict[str, Any]:
    root, home, out = base / backend / "repo", base / backend / "home", base / f"{backend}.json"
    home.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "differential.record",
        "--worker",
        backend,
        "--root",
        str(root),
        "--out",
        str(out),
    ]
    print(f"record: {backend} ...", file=sys.stderr, flush=True)
    subprocess.run(command, check=True, env=hermetic_env(home), cwd=base)
    return json.loads(out.read_text())


def worker(backend: str, root: Path, out: Path) -> None:
    from differential import runner

    runner.make_git_repo(root)
    os.chdir(root)
    module = runner.open_backend(backend, root)
    built = runner.build(backend, module)
    answers = {case.id: runner.run_case(case, built) for case in CASES}
    out.write_text(json.dumps({"answers": answers, "versions": versions(module)}, allow_nan=False))


def versions(module: Any) -> dict[str, str]:
    import pandas as pd
    import sqlalchemy

    return {
        "mlflow": module.__version__,
        "pandas": pd.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "python": platform.python_version(),
    }


def merge(reference: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for case_id, answer in reference["answers"].items():
        case = BY_ID[case_id]
        other = second["answers"][case_id]
        verdict = compare(case, answer, other)
        entry: dict[str, Any] = {"call": case.call, "args": case.args, "checks": list(case.checks)}
        if case.idiom:
            entry["idiom"] = case.idiom
        entry["expected"] = answer
        entry["stores_agree"] = verdict.agrees
        if not verdict.agrees:
            category = str(verdict.category).replace("gittrack", "sqlite")  # the SQLite store's view
            entry["sqlite"] = {"category": category, "detail": verdict.detail, "answer": other}
        cases[case_id] = entry
    return {
        "versions": reference["versions"],
        "reference": REFERENCE,
        "stores_disagree": sorted(c for c, e in cases.items() if not e["stores_agree"]),
        "cases": cases,
    }


def dump(recorded: dict[str, Any]) -> str:
    """JSON with one case per line, so that a re-recording diffs case by case."""
    head = {k: v for k, v in recorded.items() if k != "cases"}
    lines = [json.dumps(head, allow_nan=False)[:-1] + ', "cases": {']
    entries = [f"{json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in recorded["cases"].items()]
    lines.append(",\n".join(entries))
    lines.append("}}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXPECTED)
    parser.add_argument("--keep", action="store_true", help="keep the temporary stores (path printed)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.root, args.out)
        return 0
    base = Path(tempfile.mkdtemp(prefix="differential-"))
    recorded = merge(run_worker(REFERENCE, base), run_worker(SECOND, base))
    args.out.write_text(dump(recorded))
    disagree = recorded["stores_disagree"]
    print(
        f"record: {len(recorded['cases'])} cases -> {args.out}; "
        f"file and SQLite stores disagree on {len(disagree)}"
    )
    if args.keep:
        print(f"record: stores kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
