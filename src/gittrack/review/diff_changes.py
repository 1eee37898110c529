"""``gittrack diff BASE HEAD`` at the cost of what changed between two commits.

:func:`gittrack.review.diff.diff` compares two whole runs frames.  Between two commits the
same report needs much less: the run directories ``git diff-tree`` names between the two
store trees (read at both sides, a few for a pull request), and, for the base's best run
of each experiment and metric, the base tree's digest
(:mod:`gittrack.query.revision_digest`, cached by the tree's id).  A run whose directory
did not change is the same run on both sides, so it is neither added nor removed, and the
head's side of each metric is the best of the runs the head adds, all of them among the
changed directories.  No pandas frame is built.

:func:`changes_report` gives the very report the frames give, or None where following runs
by directory is not exact (a tree where a run's id is not its directory's name, an
experiment deleted or restored between the sides, a great many changed directories); the
caller then compares whole frames.  ``tests/test_diff_changes.py`` checks both paths agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from gittrack import git
from gittrack.query import keys, revision_cache, revision_digest
from gittrack.query.directions import direction
from gittrack.query.revision_digest import Digest, best, is_active, order_key, value
from gittrack.review.diff_report import (
    DiffReport,
    ExperimentDiff,
    FailedRun,
    MetricChange,
    RunRef,
    Side,
    metric_change,
    metric_names,
    param_changes,
    with_errors,
)
from gittrack.review.models_diff import registry_diff
from gittrack.store import layout
from gittrack.store.config import Config

Row = dict[str, Any]
MAX_CHANGED = 2000  # more changed directories than this: the whole frames are as cheap


class _Sides:
    """The changed run directories' rows on both sides, and what follows from them."""

    def __init__(self, digest: Digest, entries: set[str], old: dict[str, Row], new: dict[str, Row]) -> None:
        self.digest, self.old, self.new = digest, old, new
        self.changed = revision_cache.run_entries(entries)
        self.registry_changed = layout.MODELS_DIR in entries

    def active(self, rows: dict[str, Row], scope: Collection[str]) -> dict[str, Row]:
        gone = self.digest.deleted
        return {
            d: r for d, r in rows.items() if is_active(r, gone) and (not scope or r["experiment_id"] in scope)
        }


def changes_report(
    store: Path,
    *,
    base: Side,
    head: Side,
    config: Config,
    experiments: Sequence[str] = (),
    metrics: Sequence[str] = (),
    gates: Sequence[str] = (),
    all_experiments: bool = False,
    warn: Callable[[str], None],
) -> DiffReport | None:
    """The diff of two commits from the directories that changed; None when that would
    not be exact (then the whole frames decide)."""
    commit = head.commit
    assert base.commit is not None and commit is not None
    read = _read_sides(store, base.commit, commit)
    if read is None:
        return None
    sides, notes = read
    for _, message in notes:  # what reading each side's whole frame says, base then head
        warn(message)
    scope = set(experiments)
    old, new = sides.active(sides.old, scope), sides.active(sides.new, scope)
    counts = _head_counts(sides.digest, old, new, scope)
    if metrics or gates:
        known = {m for (_, m), n in counts.items() if n > 0} | {
            m for name, e in _scoped(sides.digest, scope) for m, f in e.metrics.items() if f.count > 0
        }
        where = keys.scope_text(experiments)
        keys.check_known(metrics, known, option="--metric", what="metric", where=where)
        keys.check_known(gates, known, option="--fail-if-worse", what="metric", where=where)
    names = {r["experiment_id"] for rows in (old, new) for r in rows.values()}
    if all_experiments:
        names |= {name for name, e in _scoped(sides.digest, scope) if e.runs > 0}
    found = [
        _experiment(name, sides.digest, old, new, config=config, metrics=metrics) for name in sorted(names)
    ]
    found = [e for e in found if all_experiments or e.added or e.removed]
    found = with_errors(store, commit, found)

    def rows_of(run_ids: Collection[str]) -> dict[str, Row]:
        for _, message in notes:  # the registry's whole frames would say them again
            warn(message)
        return _rows_of(store, commit, sides, run_ids)

    changes = (  # the same registry files on both sides change nothing
        registry_diff(store, base=base.commit, head=commit, config=config, warn=warn, rows=rows_of)
        if sides.registry_changed
        else []
    )
    return DiffReport(base, head, tuple(found), tuple(changes))


def _read_sides(store: Path, base: str, head: str) -> tuple[_Sides, list[tuple[str, str]]] | None:
    """Both sides' rows of the changed run directories, and the warnings of each side's
    whole read; None when following runs by directory would not be exact."""
    from gittrack.query.revision import store_prefix

    digest = revision_digest.digest_at(store, base)
    root, prefix = store_prefix(store)
    tree = git.tree_id(root, head, prefix)
    if digest is None or tree is None or not digest.regular:
        return None
    entries = git.changed_entries(root, digest.tree, tree)
    changed = revision_cache.run_entries(entries)
    if len(changed) > MAX_CHANGED:
        return None
    old, old_deleted, _ = revision_cache.rows_in(store, base, changed)
    new, new_deleted, fresh = revision_cache.rows_in(store, head, changed)
    if old_deleted != digest.deleted or new_deleted != digest.deleted:
        return None  # an experiment deleted or restored: its unchanged runs change sides
    if any(r.get("run_id") != d for rows in (old, new) for d, r in rows.items()):
        return None
    notes = digest.notes + revision_cache.patched_notes(digest.notes, changed, fresh)
    return _Sides(digest, entries, old, new), notes


def _scoped(digest: Digest, scope: Collection[str]) -> list[tuple[str, revision_digest.ExperimentFacts]]:
    return [(n, e) for n, e in digest.experiments.items() if not scope or n in scope]


def _head_counts(
    digest: Digest, old: dict[str, Row], new: dict[str, Row], scope: Collection[str]
) -> Counter[tuple[str, str]]:
    """Active runs with a value, per (experiment, metric), at the head: the base's counts
    less the changed runs' old rows plus their new ones."""
    counts: Counter[tuple[str, str]] = Counter()
    for name, facts in _scoped(digest, scope):
        for metric, f in facts.metrics.items():
            counts[(name, metric)] += f.count
    for rows, sign in ((old, -1), (new, 1)):
        for row in rows.values():
            for key in row:
                if key.startswith("metrics.") and value(row, key[len("metrics.") :]) is not None:
                    counts[(row["experiment_id"], key[len("metrics.") :])] += sign
    return counts


def _experiment(
    name: str,
    digest: Digest,
    old: dict[str, Row],
    new: dict[str, Row],
    *,
    config: Config,
    metrics: Sequence[str],
) -> ExperimentDiff:
    """:func:`gittrack.review.diff.experiment_diff` from the changed rows and the digest."""
    before = {d for d, r in old.items() if r["experiment_id"] == name}
    after = {d for d, r in new.items() if r["experiment_id"] == name}
    added = sorted((new[d] for d in after - before), key=order_key)
    removed = sorted((old[d] for d in before - after), key=order_key)
    facts = digest.experiments.get(name)
    in_base = {m for m, f in facts.metrics.items() if f.count > 0} if facts else set()
    in_added = {k[len("metrics.") :] for r in added for k in r if k.startswith("metrics.")}
    present = in_base | {m for m in in_added if any(value(r, m) is not None for r in added)}
    changes = []
    for metric in metric_names(present, config, metrics):
        way = direction(metric, config)
        facts_of = facts.metrics.get(metric) if facts else None
        base_row = (
            None if facts_of is None else digest.rows[facts_of.lowest if way == "min" else facts_of.highest]
        )
        changes.append(_change(metric, way, base_row, best(added, metric, way)))
    failed = tuple(
        FailedRun(str(r["run_id"]), str(r["run_name"]), "") for r in added if r["status"] == "FAILED"
    )
    return ExperimentDiff(name, _refs(added), _refs(removed), tuple(changes), failed)


def _change(metric: str, way: Any, old: Row | None, new: Row | None) -> MetricChange:
    column = f"metrics.{metric}"
    return metric_change(
        metric,
        way,
        base=None if old is None else (_ref(old), float(old[column])),
        head=None if new is None else (_ref(new), float(new[column])),
        params=() if old is None or new is None else param_changes(old, new),
    )


def _ref(row: Row) -> RunRef:
    return RunRef(str(row["run_id"]), str(row["run_name"]))


def _refs(rows: list[Row]) -> tuple[RunRef, ...]:
    return tuple(_ref(r) for r in rows)


def _rows_of(store: Path, head: str, sides: _Sides, run_ids: Collection[str]) -> dict[str, Row]:
    """The rows of ``run_ids`` at the head, else at the base (any lifecycle), with metric
    values as the frame gives them; a run id is its directory's name on both sides."""
    wanted = set(run_ids)
    unchanged = sorted(wanted - sides.changed)
    found = dict(revision_cache.rows_in(store, head, unchanged)[0]) if unchanged else {}
    for d in wanted & sides.changed:
        row = sides.new.get(d, sides.old.get(d))
        if row is not None:
            found[d] = row
    return {
        d: {k: float(v) if k.startswith("metrics.") else v for k, v in r.items()} for d, r in found.items()
    }
