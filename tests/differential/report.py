"""Run every case on a backend and print how many agree with MLflow, by category.

    PYTHONPATH=tests .venv/bin/python -m differential.report [--backend gittrack] [--details]

The scenario is built in a temporary git repository with a hermetic HOME (as the test
does).  The counts are of what gittrack answers now, whatever ``pending.yaml`` says;
``--details`` prints every disagreement, and ``--draft-pending FILE`` writes a
``pending.yaml`` draft (category and the first difference as the reason, to be edited).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from differential import corpus
from differential.cases import CASES
from differential.compare import CATEGORIES, Verdict


def verdicts(backend_name: str, root: Path) -> dict[str, Verdict]:
    from differential import runner

    runner.make_git_repo(root)
    os.chdir(root)
    backend = runner.build(backend_name, runner.open_backend(backend_name, root))
    return {case.id: corpus.judge(case, runner.run_case(case, backend)) for case in CASES}


def hermetic(base: Path) -> None:
    home = base / "home"
    home.mkdir()
    os.environ.update({"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"})
    for role in ("AUTHOR", "COMMITTER"):
        os.environ[f"GIT_{role}_NAME"] = "Test User"
        os.environ[f"GIT_{role}_EMAIL"] = "test@example.com"
    for name in ("GITTRACK_DIR", "GITTRACK_RUN_ID", "GITTRACK_EXPERIMENT", "MLFLOW_TRACKING_URI"):
        os.environ.pop(name, None)


def summary(found: dict[str, Verdict], backend: str) -> str:
    """Counts per category; documented differences are counted apart from the categories."""
    documented = corpus.documented()["cases"]
    pending = corpus.pending()
    counts = Counter(
        "documented" if c in documented and not v.agrees else v.category or "agree" for c, v in found.items()
    )
    recorded = corpus.expected()
    lines = [
        f"differential {datetime.date.today().isoformat()}: {backend} {_version(backend)} vs MLflow "
        f"{recorded['versions']['mlflow']} (file store, as recorded in expected.json with "
        f"pandas {recorded['versions']['pandas']})",
        f"  cases                                {len(found)}",
        f"  agree                                {counts['agree']}",
        f"  documented differences               {counts['documented']}",
    ]
    lines += [f"  {category:<37}{counts[category]}" for category in CATEGORIES]
    stale = sorted(c for c in pending if c in found and found[c].agrees)
    unlisted = sorted(
        c for c, v in found.items() if not v.agrees and c not in pending and c not in documented
    )
    lines += [
        f"  MLflow's file and SQLite stores disagree on {len(recorded['stores_disagree'])} cases "
        "(matching either store counts as agreement)",
        f"  pending.yaml: {len(pending)} listed, {len(stale)} now agree, "
        f"{len(unlisted)} disagree but are not listed",
    ]
    return "\n".join(lines)


def _version(backend: str) -> str:
    import importlib

    name = "gittrack" if backend == "gittrack" else "mlflow"
    return str(getattr(importlib.import_module(name), "__version__", "?"))


def draft(found: dict[str, Verdict]) -> dict[str, Any]:
    return {
        case_id: {"category": v.category, "reason": v.detail[:160]}
        for case_id, v in found.items()
        if not v.agrees and case_id not in corpus.documented()["cases"]
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="gittrack")
    parser.add_argument("--details", action="store_true", help="print every disagreement")
    parser.add_argument("--draft-pending", type=Path, help="write a pending.yaml draft here")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="differential-report-"))
    hermetic(base)
    found = verdicts(args.backend, base / "repo")
    if args.details:
        for case_id, verdict in found.items():
            if not verdict.agrees:
                print(f"{case_id}: {verdict.category}: {verdict.detail}")
    if args.draft_pending:
        args.draft_pending.write_text(yaml.safe_dump(draft(found), sort_keys=False, width=200))
    print(summary(found, args.backend))
    return 0


if __name__ == "__main__":
    sys.exit(main())
