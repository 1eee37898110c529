"""What ``gittrack diff`` needs to know about a whole revision, cached by the store tree's id.

``diff BASE HEAD`` compares the runs HEAD adds with the best run of each experiment at
BASE.  The runs that differ come from ``git diff-tree`` between the two trees (a few, for a
pull request); the best runs of BASE are a fact of BASE's whole tree.  The digest keeps
those facts in a small file, ``<store>/.cache/revisions/digests/<tree id>.json.z``: per
experiment, the number of active runs and, per metric, the number of active runs with a
value and the run directory of the lowest and of the highest (ties broken as the runs
frame orders runs: newest first, then by run id), with the rows of those runs; the
experiments deleted there; and the warnings a read of the tree says.  A tree's id names
its content, so a digest never goes stale; it is built once from the tree's rows
(:func:`gittrack.query.revision_cache.tree_rows`) and then loads in milliseconds whatever
the number of runs.

The digest also says whether the tree is *regular*: every run's id is its directory's
name.  Only then can a run be followed by its directory across two trees; ``diff`` reads
the whole frames otherwise.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittrack import git
from gittrack.query import revision_cache
from gittrack.query.revision import store_prefix
from gittrack.store import cache, layout

FOLDER = "digests"  # inside the revision cache's folder
SUFFIX = ".json.z"
VERSION = 1
KEEP = 64  # digests kept (each a few KB); the least recently used go first

Row = dict[str, Any]


@dataclass(frozen=True)
class MetricFacts:
    """One metric of one experiment's active runs: how many have a value, and the
    directories of the run with the lowest and of the run with the highest."""

    count: int
    lowest: str
    highest: str


@dataclass(frozen=True)
class ExperimentFacts:
    runs: int  # active runs
    metrics: dict[str, MetricFacts]


@dataclass(frozen=True)
class Digest:
    tree: str
    regular: bool  # every run's id is its directory's name
    deleted: frozenset[str]  # deleted experiments
    notes: list[tuple[str, str]]  # (run directory or '', warning), in the order said
    experiments: dict[str, ExperimentFacts]
    rows: dict[str, Row]  # the rows of the runs named in ``experiments``, by directory


def digest_at(store: Path, sha: str) -> Digest | None:
    """The digest of the store's tree at commit ``sha``; None when there is no store there."""
    root, prefix = store_prefix(store)
    tree = git.tree_id(root, sha, prefix)
    if tree is None:
        return None
    found = _load(store, tree)
    if found is None:
        rows, deleted, notes = revision_cache.tree_rows(store, root, sha, tree)
        found = build(tree, rows, deleted, notes)
        _save(store, found)
    return found


def build(tree: str, rows: dict[str, Row], deleted: Iterable[str], notes: list[tuple[str, str]]) -> Digest:
    """The digest of a tree from its rows by run directory."""
    gone = frozenset(deleted)
    if not all(row.get("run_id") == d for d, row in rows.items()):
        return Digest(tree, False, gone, list(notes), {}, {})
    by_experiment: dict[str, list[Row]] = {}
    for row in rows.values():
        if is_active(row, gone):
            by_experiment.setdefault(row["experiment_id"], []).append(row)
    experiments = {}
    named: dict[str, Row] = {}
    for name, members in by_experiment.items():
        facts = {}
        for metric in sorted(
            {k[len("metrics.") :] for row in members for k in row if k.startswith("metrics.")}
        ):
            valued = [row for row in members if value(row, metric) is not None]
            if valued:
                low, high = best(valued, metric, "min"), best(valued, metric, "max")
                assert low is not None and high is not None
                named[low["run_id"]], named[high["run_id"]] = low, high
                facts[metric] = MetricFacts(len(valued), low["run_id"], high["run_id"])
        experiments[name] = ExperimentFacts(len(members), facts)
    return Digest(tree, True, gone, list(notes), experiments, named)


def is_active(row: Row, deleted: frozenset[str] | set[str]) -> bool:
    """Whether the runs frame counts the run active (its experiment's deletion included)."""
    return row.get("lifecycle_stage") == layout.ACTIVE and row.get("experiment_id") not in deleted


def value(row: Row, metric: str) -> float | None:
    """The run's last value of ``metric`` as the frame holds it; None when missing or NaN."""
    found = row.get(f"metrics.{metric}")
    if found is None or math.isnan(float(found)):
        return None
    return float(found)


def order_key(row: Row) -> tuple[bool, float, str]:
    """Where the runs frame puts the run by default: newest first (no start time last),
    then by run id (:func:`gittrack.query.filter.sort_frame`)."""
    start = row.get("start_time")
    return (start is None, 0.0 if start is None else -float(start), str(row.get("run_id")))


def best(rows: Iterable[Row], metric: str, way: str) -> Row | None:
    """The row with the best value of ``metric`` (``min`` or ``max``); a tie goes to the
    run first in the frame's order, as ``idxmin``/``idxmax`` on the frame do."""
    sign = 1.0 if way == "min" else -1.0
    found = None
    for row in rows:
        number = value(row, metric)
        if number is not None:
            key = (sign * number, order_key(row))
            if found is None or key < found[0]:
                found = (key, row)
    return None if found is None else found[1]


# -- the cache file -----------------------------------------------------------------------


def _path(store: Path, tree: str) -> Path:
    return store / layout.CACHE_DIR / revision_cache.FOLDER / FOLDER / f"{tree}{SUFFIX}"


def _load(store: Path, tree: str) -> Digest | None:
    path = _path(store, tree)
    try:
        data = json.loads(zlib.decompress(path.read_bytes()))
        if data.get("version") != VERSION or data.get("tree") != tree:
            return None
        experiments = {
            name: ExperimentFacts(int(e["runs"]), {m: MetricFacts(*f) for m, f in e["metrics"].items()})
            for name, e in data["experiments"].items()
        }
        found = Digest(
            tree,
            bool(data["regular"]),
            frozenset(data["deleted"]),
            [(str(d), str(m)) for d, m in data["notes"]],
            experiments,
            dict(data["rows"]),
        )
        os.utime(path)  # recently used: kept longest
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zlib.error):
        return None
    return found


def _save(store: Path, digest: Digest) -> None:
    """Write the digest; skipped when the store cannot be written, or a row would not come
    back from JSON unchanged (the revision cache skips those trees too)."""
    exact = (str, int, float, bool, type(None))
    if not all(type(v) in exact for row in digest.rows.values() for v in row.values()):
        return
    data = {
        "version": VERSION,
        "tree": digest.tree,
        "regular": digest.regular,
        "deleted": sorted(digest.deleted),
        "notes": digest.notes,
        "experiments": {
            name: {
                "runs": e.runs,
                "metrics": {m: [f.count, f.lowest, f.highest] for m, f in e.metrics.items()},
            }
            for name, e in digest.experiments.items()
        },
        "rows": digest.rows,
    }
    try:
        folder = cache.ensure_cache_dir(store) / revision_cache.FOLDER / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
        with os.fdopen(fd, "wb") as out:
            out.write(zlib.compress(json.dumps(data).encode(), 1))
        os.replace(tmp, folder / f"{digest.tree}{SUFFIX}")
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    stamped = []
    for path in folder.iterdir():
        if path.name.endswith(SUFFIX) and not path.name.startswith("."):
            try:
                stamped.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue
    for _, old in sorted(stamped, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
