"""The second pass: every case with MLflow's own client over gittrack's ``gittrack:`` store.

    PYTHONPATH=tests bench/.venv/bin/python -m differential.plugin [--details] [--draft-pending FILE]
    PYTHONPATH=tests bench/.venv/bin/python -m differential.plugin --backend mlflow-file  # harness check

MLflow's client logs the scenario through the store plugin (``MLFLOW_TRACKING_URI=gittrack:<repo>``,
issue 17) and answers every case, in a hermetic worker (its own git repository and HOME) of MLflow's
interpreter.  Each answer is judged against MLflow's file store as recorded in ``expected.json``,
with none of gittrack's own DataFrame columns allowed: MLflow's client builds the DataFrames, so
they must be MLflow's exactly.  Issue 17 requires agreement on every case; the cases that do not
agree today are listed in ``pending-plugin.yaml``.  ``--backend mlflow-file`` runs the same pass on
MLflow's own file store, which must agree on every case: the check of the harness itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from differential import corpus
from differential.cases import BY_ID, CASES
from differential.compare import CATEGORIES, Verdict
from differential.record import hermetic_env

PLUGIN = "mlflow-gittrack"


def answers(python: Path, backend: str, base: Path) -> dict[str, Any]:
    """Build the scenario on ``backend`` and answer every case, in a worker of ``python``.

    Returns ``{"answers": {case id: answer}, "versions": {...}}``; raises ``RuntimeError`` with
    the worker's stderr when it fails (the scenario could not be logged, the plugin is missing).
    """
    root, home, out = base / backend / "repo", base / backend / "home", base / f"{backend}.json"
    home.mkdir(parents=True)
    command = [str(python), "-m", "differential.record", "--worker", backend, "--root", str(root)]
    done = subprocess.run(
        [*command, "--out", str(out)], env=hermetic_env(home), cwd=base, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {backend} worker exited {done.returncode}:\n{done.stderr[-4000:]}")
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def judge_all(answered: dict[str, Any]) -> dict[str, Verdict]:
    """Each case's verdict against MLflow's file store (MLflow's DataFrame columns exactly)."""
    return {case.id: corpus.judge(case, answered["answers"][case.id], own_columns=False) for case in CASES}


def cause(case_id: str) -> str:
    """What is known about a disagreement: listed for the plugin, or a difference of gittrack's API."""
    listed = corpus.pending_plugin().get(case_id)
    if listed is not None:
        return f"pending-plugin.yaml: {listed['reason']}"
    documented = corpus.documented()["cases"].get(case_id)
    if documented is not None:
        return f"not listed; documented.yaml keeps it deliberate in gittrack's API: {documented}"
    gittrack = corpus.pending().get(case_id)
    if gittrack is not None:
        return f"not listed; gittrack's API gets it wrong too (pending.yaml): {gittrack['reason']}"
    return "not listed: a store bug to find"


def summary(found: dict[str, Verdict], backend: str, versions: dict[str, str]) -> str:
    counts = Counter(v.category or "agree" for v in found.values())
    recorded = corpus.expected()["versions"]
    listed = corpus.pending_plugin()
    stale = sorted(c for c in listed if c in found and found[c].agrees)
    unlisted = sorted(c for c, v in found.items() if not v.agrees and c not in listed)
    lines = [
        f"differential, second pass {datetime.date.today().isoformat()}: MLflow {versions.get('mlflow')} "
        f"client over {backend} vs MLflow {recorded['mlflow']}'s file store (expected.json)",
        f"  cases                                {len(found)}",
        f"  agree                                {counts['agree']}",
    ]
    lines += [f"  {category:<37}{counts[category]}" for category in CATEGORIES]
    lines.append(
        f"  pending-plugin.yaml: {len(listed)} listed, {len(stale)} now agree, "
        f"{len(unlisted)} disagree but are not listed"
    )
    return "\n".join(lines)


def draft(found: dict[str, Verdict]) -> dict[str, Any]:
    return {
        case_id: {"category": v.category, "reason": f"{v.detail[:160]} ({cause(case_id)[:120]})"}
        for case_id, v in found.items()
        if not v.agrees
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=PLUGIN, choices=[PLUGIN, "mlflow-file", "mlflow-sqlite"])
    parser.add_argument("--details", action="store_true", help="print every disagreement and its cause")
    parser.add_argument("--draft-pending", type=Path, help="write a pending-plugin.yaml draft here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="differential-plugin-") as base:
        answered = answers(Path(sys.executable), args.backend, Path(base))
    found = judge_all(answered)
    if args.details:
        for case_id, verdict in found.items():
            if not verdict.agrees:
                print(f"{case_id}: {verdict.category}: {verdict.detail}\n  {BY_ID[case_id].describe()}")
                print(f"  cause: {cause(case_id)}")
    if args.draft_pending:
        args.draft_pending.write_text(yaml.safe_dump(draft(found), sort_keys=False, width=200))
    print(summary(found, args.backend, answered["versions"]))
    return 0 if all(v.agrees or c in corpus.pending_plugin() for c, v in found.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
