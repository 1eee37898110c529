"""Experiment state a query needs from the work tree: which experiments are deleted.

(At a git revision the same comes with the runs, from one tree read:
:func:`gittrack.query.revision.snapshot_at`.)
"""

from __future__ import annotations

import warnings
from pathlib import Path

from gittrack.errors import GittrackWarning
from gittrack.store import experiments, layout


def deleted_experiments(store: Path) -> set[str]:
    found = experiments.read_records(store, _warn)
    return {name for name, record in found.items() if record.lifecycle_stage == layout.DELETED}


def _warn(message: str) -> None:
    warnings.warn(message, GittrackWarning, stacklevel=3)
