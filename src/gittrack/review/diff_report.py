"""The report ``gittrack diff`` makes, and how one metric's change is judged.

:mod:`gittrack.review.diff` builds a :class:`DiffReport` from two whole runs frames or
(between two commits) :mod:`gittrack.review.diff_changes` from the run directories that
changed; both use the helpers here, so a report means the same whichever way it was made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gittrack.query.directions import Direction, is_better
from gittrack.review.failures import failed_errors
from gittrack.review.models_diff import RegistryChange
from gittrack.store.config import Config

if TYPE_CHECKING:
    import pandas as pd

Verdict = Literal["better", "worse", "same", "new", "unchanged"]
WORKING_TREE = "working tree"


@dataclass(frozen=True)
class Side:
    """One side of the diff: what the user named, and the commit (None: the working tree)."""

    label: str
    commit: str | None


@dataclass(frozen=True)
class RunRef:
    run_id: str
    name: str


@dataclass(frozen=True)
class ParamChange:
    """A param whose value differs between the base's and the head's best run (None: unset)."""

    name: str
    base: Any
    head: Any


@dataclass(frozen=True)
class MetricChange:
    """The best run of one metric: of all base runs, and of the runs the head adds (None
    when no such run has the metric)."""

    metric: str
    direction: Direction
    base_run: RunRef | None
    base_value: float | None
    head_run: RunRef | None
    head_value: float | None
    change: float | None  # head - base
    relative: float | None  # change / |base|; None when base is 0
    verdict: Verdict
    params: tuple[ParamChange, ...] = ()


@dataclass(frozen=True)
class FailedRun:
    """A run the head adds that FAILED, with its error (``Type: message``; '' if none kept)."""

    run_id: str
    name: str
    error: str


@dataclass(frozen=True)
class ExperimentDiff:
    experiment: str
    added: tuple[RunRef, ...]
    removed: tuple[RunRef, ...]
    metrics: tuple[MetricChange, ...]
    failed: tuple[FailedRun, ...] = ()  # the added runs that FAILED


@dataclass(frozen=True)
class DiffReport:
    base: Side
    head: Side
    experiments: tuple[ExperimentDiff, ...]
    registry: tuple[RegistryChange, ...] = ()  # models registered, promoted (review/models_diff.py)


def metric_names(present: set[str], config: Config, wanted: Sequence[str]) -> list[str]:
    """The metrics of ``present`` to report (only ``wanted`` ones when given): configured
    ones first, then by name."""
    if wanted:
        present = present & set(wanted)
    configured = [str(m) for m in (config.get("metrics") or {}) if m in present]
    return configured + sorted(present - set(configured))


def param_changes(
    base: Mapping[str, Any] | pd.Series[Any], head: Mapping[str, Any] | pd.Series[Any]
) -> tuple[ParamChange, ...]:
    """The params that differ between two runs (frame rows, as Series or dicts)."""
    # .keys(): iterating a Series gives its values, iterating a dict its keys
    names = [k for row in (base, head) for k in row.keys()]  # noqa: SIM118
    keys = sorted({str(k) for k in names if str(k).startswith("params.")})
    changes = []
    for key in keys:
        old, new = _present(base.get(key)), _present(head.get(key))
        if old != new or type(old) is not type(new):
            changes.append(ParamChange(key[len("params.") :], old, new))
    return tuple(changes)


def _present(value: Any) -> Any:
    """None for a param a run does not have (absent column, None or NaN from the frame)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def metric_change(
    metric: str,
    way: Direction,
    *,
    base: tuple[RunRef, float] | None,
    head: tuple[RunRef, float] | None,
    params: tuple[ParamChange, ...] = (),
) -> MetricChange:
    """A :class:`MetricChange` with change, relative change and verdict worked out."""
    change = relative = None
    verdict: Verdict = "new" if base is None else "unchanged"
    if base is not None and head is not None:
        change = head[1] - base[1]
        relative = change / abs(base[1]) if base[1] != 0 and math.isfinite(base[1]) else None
        verdict = "same"
        if is_better(head[1], base[1], way):
            verdict = "better"
        elif is_better(base[1], head[1], way):
            verdict = "worse"
    return MetricChange(
        metric=metric,
        direction=way,
        base_run=base[0] if base else None,
        base_value=base[1] if base else None,
        head_run=head[0] if head else None,
        head_value=head[1] if head else None,
        change=change,
        relative=relative,
        verdict=verdict,
        params=params,
    )


def with_errors(store: Path, commit: str | None, found: list[ExperimentDiff]) -> list[ExperimentDiff]:
    """The experiments with the error of each added run that FAILED, read at ``commit``
    (None: the working tree) from those runs' ``meta.yaml`` only."""
    errors = failed_errors(store, commit, [f.run_id for exp in found for f in exp.failed])
    return [
        replace(exp, failed=tuple(replace(f, error=errors.get(f.run_id, "")) for f in exp.failed))
        if exp.failed
        else exp
        for exp in found
    ]
