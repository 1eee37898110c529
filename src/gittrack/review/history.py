"""``gittrack log``: the best value of a metric at each commit of the current branch.

Commits come from the first-parent history of HEAD (:func:`gittrack.git.first_parent_history`);
runs from the working-tree store, which holds the runs of every branch that was merged or
pulled, matched on the commit each run recorded (``git.commit``), dirty or not.  The
running best is the best value seen so far walking from the oldest shown commit forward.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.query import directions, keys
from gittrack.query.directions import Direction, direction, is_better
from gittrack.review.diff import RunRef
from gittrack.store.config import Config

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class LogEntry:
    """One commit: its runs and the best of them by the metric (None: no run has it)."""

    commit: str
    time: int  # commit time, epoch seconds
    subject: str
    runs: int
    best_value: float | None
    best_run: RunRef | None  # the oldest of the runs holding the best value
    running_best: float | None = None  # the best of this and every older commit shown
    tied: tuple[RunRef, ...] = ()  # the other runs with the same best value, oldest first

    @property
    def best_runs(self) -> tuple[RunRef, ...]:
        return () if self.best_run is None else (self.best_run, *self.tied)


@dataclass(frozen=True)
class LogReport:
    metric: str
    direction: Direction
    entries: tuple[LogEntry, ...]  # newest first, as git log


def log(
    store: Path,
    *,
    config: Config,
    metric: str | None = None,
    experiments: Sequence[str] = (),
    max_count: int | None = None,
    warn: Callable[[str], None] | None = None,
) -> LogReport:
    """The best ``metric`` (default: the primary metric of the runs, see
    :func:`gittrack.query.directions.primary_metric`) at each of the last ``max_count``
    commits of HEAD's first-parent history.  A ``metric`` no run of ``experiments`` has is
    an :class:`~gittrack.errors.UnknownKeyError` naming the nearest one."""
    from gittrack.query.revision import store_prefix
    from gittrack.query.search import search

    root, _prefix = store_prefix(store)
    frame = search(store, experiments=experiments, warn=warn)
    known = keys.names_of("metrics", keys.present_columns(frame))
    if metric is not None and not frame.empty:
        where = keys.scope_text(experiments)
        keys.check_known([metric], known, option="--metric", what="metric", where=where)
    metric = metric or directions.primary_metric(known, config)
    if metric is None:
        raise GittrackError("no run has a metric to follow; log one, or name it with -m METRIC")
    way = direction(metric, config)
    commits = git.first_parent_history(root, "HEAD", max_count=max_count)
    return LogReport(metric, way, _with_running_best(best_per_commit(frame, commits, metric, way), way))


def best_per_commit(
    frame: pd.DataFrame, commits: Sequence[tuple[str, int, str]], metric: str | None, way: Direction
) -> list[LogEntry]:
    """Each of ``commits`` (SHA, time, subject; newest first) with the number of runs of
    ``frame`` made on it and the best of them by ``metric`` (none without a metric).
    ``running_best`` is left unset."""
    column = f"metrics.{metric}"
    values = frame[column] if metric and column in frame.columns else [math.nan] * len(frame)
    by_commit: dict[str, list[tuple[tuple[int, str], RunRef, float]]] = {}
    for run_id, name, commit, start, value in zip(
        frame["run_id"], frame["run_name"], frame["git.commit"], frame["start_time"], values, strict=True
    ):
        ref = RunRef(str(run_id), str(name))
        by_commit.setdefault(str(commit), []).append(((int(start), str(run_id)), ref, float(value)))
    entries = []
    for sha, time, subject in commits:
        runs = sorted(by_commit.get(sha, []), key=lambda r: r[0])  # oldest first
        found = directions.best([(ref, value) for _, ref, value in runs], way)
        value, winners = found if found is not None else (None, [])
        best_run = winners[0] if winners else None
        entries.append(LogEntry(sha, time, subject, len(runs), value, best_run, tied=tuple(winners[1:])))
    return entries


def _with_running_best(entries: list[LogEntry], way: Direction) -> tuple[LogEntry, ...]:
    """``entries`` (newest first) with ``running_best``: the best of each and all older ones."""
    running: float | None = None
    out = []
    for entry in reversed(entries):
        if entry.best_value is not None and (running is None or is_better(entry.best_value, running, way)):
            running = entry.best_value
        out.append(replace(entry, running_best=running))
    return tuple(reversed(out))


def pick_metric(counts: dict[str, int], config: Config | None) -> str | None:
    """The primary metric (:func:`gittrack.query.directions.primary_metric`) among the metrics
    some run has; ``counts`` maps metric name to number of runs (the UI's history page)."""
    return directions.primary_metric([k for k, n in counts.items() if n], config)


def tied_names(names: list[str]) -> str:
    """Run names holding the same best value, as ``lr0.3-e40 = lr0.3-e80``: a tie shown as one."""
    return " = ".join(names)


def log_frame(report: LogReport, *, exact: bool = False) -> pd.DataFrame:
    """The report as a table; for people (not ``exact``) short SHAs, minutes, and a ``trend``
    column: one block per commit for its running best, read from the bottom up."""
    import pandas as pd

    from gittrack.review.metrics_view import sparkline

    entries = report.entries
    table = {
        "commit": [e.commit if exact else e.commit[:8] for e in entries],
        "date": [_date(e.time, exact) for e in entries],
        "subject": [e.subject for e in entries],
        "runs": [e.runs for e in entries],
        f"best {report.metric}": [e.best_value for e in entries],
        "best run": [
            tied_names([r.run_id if exact else r.name for r in e.best_runs]) if e.best_run else None
            for e in entries
        ],
        "running best": [e.running_best for e in entries],
    }
    frame = pd.DataFrame(table)
    if not exact:
        oldest_first = [math.nan if e.running_best is None else e.running_best for e in reversed(entries)]
        frame["trend"] = list(reversed(sparkline(oldest_first, width=max(len(entries), 1))))
    return frame


def _date(epoch_s: int, exact: bool) -> str:
    moment = dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if exact else "%Y-%m-%d %H:%M")
