"""``gittrack diff``: what one side of history changed in the runs, per experiment.

The two sides are git revisions, or the working tree for the head.  Runs are read straight
from git's object database (:func:`gittrack.query.search.load_frame`), never checked out.
Per experiment the report lists the runs added and removed (by run id), and for every
metric the best run of each side by its last value (direction as in ``compare``, see
:mod:`gittrack.query.directions`), the change, the verdict, and the params that differ between
the two best runs.  :mod:`gittrack.review.diff_render` makes a terminal table, a pull-request
comment or a JSON document of it, and :func:`worse_changes` is the CI gate.

The base's best is the best of all its runs; the head's best is the best of the runs the
head *adds*.  Runs accumulate: a branch keeps every run of its base, so the best of all the
head's runs could never be worse than the base's, and a gate on it could never fail.  What
a pull request is judged on is whether its new runs beat the best the base already had.
A metric that no added run has is ``unchanged``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.query import keys
from gittrack.query.directions import Direction, direction
from gittrack.review.diff_report import (
    WORKING_TREE,
    DiffReport,
    ExperimentDiff,
    FailedRun,
    MetricChange,
    ParamChange,
    RunRef,
    Side,
    Verdict,
    metric_change,
    metric_names,
    param_changes,
    with_errors,
)
from gittrack.review.models_diff import registry_diff
from gittrack.store.config import Config

if TYPE_CHECKING:
    import pandas as pd

__all__ = [  # the report's types live in diff_report; importing them from here keeps working
    "WORKING_TREE",
    "DiffReport",
    "ExperimentDiff",
    "FailedRun",
    "MetricChange",
    "ParamChange",
    "RunRef",
    "Side",
    "Tolerance",
    "Verdict",
    "base_revision",
    "change_text",
    "diff",
    "experiment_diff",
    "metric_change",
    "number",
    "parse_gate",
    "worse_changes",
]

# -- building the report --------------------------------------------------------------------


def diff(
    store: Path,
    *,
    base: str | None,
    head: str | None,
    config: Config,
    experiments: Sequence[str] = (),
    metrics: Sequence[str] = (),
    gates: Sequence[str] = (),
    all_experiments: bool = False,
    warn: Callable[[str], None] | None = None,
    incremental: bool = True,
) -> DiffReport:
    """Compare the runs of ``base`` with those of ``head`` (None: the working tree).

    ``base`` None is ``diff.base`` of the config, else the merge-base of the head (or HEAD)
    with the default branch.  Only experiments where something changed are reported unless
    ``all_experiments``; ``experiments`` and ``metrics`` narrow the report.  Each of
    ``metrics`` and ``gates`` (the metrics of ``--fail-if-worse``) must be one that some run
    of either side has, else :class:`~gittrack.errors.UnknownKeyError` names the nearest.

    Between two commits the report is made from the run directories that changed
    (:mod:`gittrack.review.diff_changes`); ``incremental=False`` compares the whole frames,
    which give the same report (the tests compare the two).
    """
    from gittrack.query.revision import store_prefix

    root, _prefix = store_prefix(store)
    base_side = _base_side(root, base, head, config)
    head_side = Side(head, git.resolve_revision(root, head)) if head else Side(WORKING_TREE, None)
    if incremental and head_side.commit is not None:
        from gittrack.review.diff_changes import changes_report

        found = changes_report(
            store, base=base_side, head=head_side, config=config, experiments=experiments,
            metrics=metrics, gates=gates, all_experiments=all_experiments, warn=warn or _warn,
        )  # fmt: skip
        if found is not None:
            return found
    return _frame_diff(
        store, base_side, head_side, config=config, experiments=experiments, metrics=metrics,
        gates=gates, all_experiments=all_experiments, warn=warn,
    )  # fmt: skip


def _frame_diff(
    store: Path,
    base_side: Side,
    head_side: Side,
    *,
    config: Config,
    experiments: Sequence[str],
    metrics: Sequence[str],
    gates: Sequence[str],
    all_experiments: bool,
    warn: Callable[[str], None] | None,
) -> DiffReport:
    """The diff from the whole runs frame of each side."""
    from gittrack.query.search import search

    sides = [
        search(store, experiments=list(experiments) or None, rev=s.commit, warn=warn)
        for s in (base_side, head_side)
    ]
    known = keys.names_of("metrics", keys.present_columns(sides[0]) | keys.present_columns(sides[1]))
    where = keys.scope_text(experiments)
    keys.check_known(metrics, known, option="--metric", what="metric", where=where)
    keys.check_known(gates, known, option="--fail-if-worse", what="metric", where=where)
    names = sorted(set(sides[0]["experiment_id"]) | set(sides[1]["experiment_id"]))
    found = []
    for name in names:
        parts = [frame[frame["experiment_id"] == name] for frame in sides]
        exp = experiment_diff(name, parts[0], parts[1], config=config, metrics=metrics)
        if all_experiments or exp.added or exp.removed:
            found.append(exp)
    found = with_errors(store, head_side.commit, found)
    changes = registry_diff(
        store, base=str(base_side.commit), head=head_side.commit, config=config, warn=warn
    )
    return DiffReport(base_side, head_side, tuple(found), tuple(changes))


def base_revision(store: Path, base: str | None, head: str | None, config: Config) -> str:
    """The commit ``diff`` compares with: ``base``, ``diff.base``, else the merge-base."""
    from gittrack.query.revision import store_prefix

    commit = _base_side(store_prefix(store)[0], base, head, config).commit
    assert commit is not None
    return commit


def _base_side(root: Path, base: str | None, head: str | None, config: Config) -> Side:
    if base:
        return Side(base, git.resolve_revision(root, base))
    configured = config.get("diff", "base")
    if configured:
        return Side(str(configured), git.resolve_revision(root, str(configured)))
    branch = git.default_branch(root)
    if branch is None:
        raise GittrackError(
            "no main or master branch to diff against: give BASE (gittrack diff origin/main) "
            "or set diff.base in .gittrack.yml"
        )
    tip = head or "HEAD"
    sha = git.merge_base(root, tip, branch)
    if sha is None:
        raise GittrackError(f"{tip} and {branch} share no history: give BASE explicitly")
    return Side(f"merge-base of {tip} and {branch}", sha)


def experiment_diff(
    name: str,
    base: pd.DataFrame,
    head: pd.DataFrame,
    *,
    config: Config,
    metrics: Sequence[str] = (),
    errors: Mapping[str, str] | None = None,
) -> ExperimentDiff:
    """The diff of one experiment's runs (frames of that experiment's runs on each side):
    the best of all base runs against the best of the runs the head adds, and the added
    runs that FAILED with their ``errors`` (by run id)."""
    added = head[~head["run_id"].isin(set(base["run_id"]))]
    failed = added[added["status"] == "FAILED"]
    return ExperimentDiff(
        experiment=name,
        added=_refs(added),
        removed=_refs(base[~base["run_id"].isin(set(head["run_id"]))]),
        metrics=tuple(
            _metric_change(metric, base, added, direction(metric, config))
            for metric in _metric_names(base, added, config, metrics)
        ),
        failed=tuple(
            FailedRun(str(i), str(n), (errors or {}).get(str(i), ""))
            for i, n in zip(failed["run_id"], failed["run_name"], strict=True)
        ),
    )


def _refs(frame: pd.DataFrame) -> tuple[RunRef, ...]:
    return tuple(RunRef(str(i), str(n)) for i, n in zip(frame["run_id"], frame["run_name"], strict=True))


def _metric_names(base: pd.DataFrame, head: pd.DataFrame, config: Config, wanted: Sequence[str]) -> list[str]:
    """Metrics some run of either side has: configured ones first, then by name."""
    present = {
        c[len("metrics.") :]
        for frame in (base, head)
        for c in frame.columns
        if c.startswith("metrics.") and frame[c].notna().any()
    }
    return metric_names(present, config, wanted)


def _best(frame: pd.DataFrame, metric: str, way: Direction) -> pd.Series[Any] | None:
    """The row of the run with the best last value of ``metric``; ties go to the older run."""
    column = f"metrics.{metric}"
    values = frame[column].dropna() if column in frame.columns else None
    if values is None or values.empty:
        return None
    return frame.loc[values.idxmin() if way == "min" else values.idxmax()]


def _metric_change(metric: str, base: pd.DataFrame, head: pd.DataFrame, way: Direction) -> MetricChange:
    old, new = _best(base, metric, way), _best(head, metric, way)
    column = f"metrics.{metric}"
    return metric_change(
        metric,
        way,
        base=None if old is None else (_ref(old), float(old[column])),
        head=None if new is None else (_ref(new), float(new[column])),
        params=() if old is None or new is None else param_changes(old, new),
    )


def _ref(row: pd.Series[Any]) -> RunRef:
    return RunRef(str(row["run_id"]), str(row["run_name"]))


# -- the CI gate ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """How much worse is still fine: absolute, or ``relative`` in percent of the base value."""

    amount: float = 0.0
    relative: bool = False

    def allowed(self, base: float) -> float:
        return abs(base) * self.amount / 100 if self.relative else self.amount


def parse_gate(text: str) -> tuple[str, Tolerance]:
    """``rmse``, ``rmse:0.01`` or ``rmse:5%`` as (metric, tolerance); metric names hold no ``:``."""
    metric, colon, amount = text.partition(":")
    if not metric.strip():
        raise GittrackError(f"--fail-if-worse {text!r}: give a metric, e.g. rmse or rmse:5%")
    if not colon:
        return metric, Tolerance()
    relative = amount.strip().endswith("%")
    try:
        value = float(amount.strip().removesuffix("%"))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise GittrackError(
            f"--fail-if-worse {text!r}: tolerance {amount!r} is not a number >= 0 or a percentage like 5%"
        )
    return metric, Tolerance(value, relative)


def worse_changes(
    report: DiffReport,
    metric: str,
    tolerance: Tolerance | float = 0.0,
    *,
    note: Callable[[str], None] | None = None,
) -> list[str]:
    """A line per experiment whose head is worse by more than ``tolerance``; ``note`` hears
    when no run the head adds has ``metric`` where the base has it: nothing to check."""
    if not isinstance(tolerance, Tolerance):
        tolerance = Tolerance(float(tolerance))
    both = [
        (exp.experiment, m)
        for exp in report.experiments
        for m in exp.metrics
        if m.metric == metric and m.base_value is not None and m.head_value is not None
    ]
    if not both and note is not None:
        note(f"--fail-if-worse {metric}: no added run has {metric} where the base has it; nothing to check")
    failures = []
    for experiment, m in both:
        assert m.base_value is not None and m.head_value is not None
        loss = m.head_value - m.base_value if m.direction == "min" else m.base_value - m.head_value
        allowed = tolerance.allowed(m.base_value)
        # isclose: a drop of exactly the tolerance passes despite float noise (0.9 - 0.91).
        if loss > allowed and not math.isclose(loss, allowed, rel_tol=1e-9, abs_tol=1e-12):
            limit = f"{tolerance.amount:g}%" if tolerance.relative else f"{tolerance.amount:g}"
            failures.append(
                f"{metric} is worse in {experiment}: best {number(m.base_value)} -> {number(m.head_value)} "
                f"({change_text(m)}), more than the tolerance {limit}"
            )
    return failures


def _warn(message: str) -> None:
    import warnings

    from gittrack.errors import GittrackWarning

    warnings.warn(message, GittrackWarning, stacklevel=3)


def number(value: float | None) -> str:
    from gittrack.review.render import cell

    return "" if value is None else cell(value)


def change_text(change: MetricChange) -> str:
    if change.change is None:
        return ""
    if change.change == 0:
        return "0"
    text = f"{change.change:+.4g}"
    return text + (f" ({change.relative:+.1%})" if change.relative is not None else "")
