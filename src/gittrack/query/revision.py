"""Runs as committed at a git revision, read from git's object database (no checkout).

The YAML files of all runs come from one ``git ls-tree`` and one ``git cat-file --batch``.
A run committed while still RUNNING has its metrics only in its CSVs; those of all such
runs are read together (one more listing and one more ``ls-tree``/``cat-file`` pair), so
the number of git processes never grows with the number of runs.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from gittrack import git
from gittrack.errors import ConfigError, CorruptRunError
from gittrack.query.frame import record_row
from gittrack.store import experiments, layout
from gittrack.store.atomic import TMP_PREFIX
from gittrack.store.config import find_root
from gittrack.store.experiments import ExperimentRecord
from gittrack.store.metric_csv import MetricRow, parse_history
from gittrack.store.reader import RunRecord, parse_record

_NAMES = (layout.META, layout.PARAMS, layout.TAGS, layout.INPUTS)
Histories = dict[str, list[MetricRow]]


def store_prefix(store: Path) -> tuple[Path, str]:
    """The work tree holding ``store`` and the store's path inside it."""
    root = find_root(store if store.exists() else store.parent)
    if root is None or not store.resolve().is_relative_to(root):
        raise ConfigError(
            f"the store {store} is not inside a git repository; --rev, diff, log, commit "
            "and checkout need one (run `git init`, or point --store into a repository)"
        )
    return root, store.resolve().relative_to(root).as_posix()


def records_at(
    store: Path, rev: str, warn: Callable[[str], None], *, resolved: bool = False
) -> list[RunRecord]:
    """Every readable run under the store's path at ``rev`` (a full SHA when ``resolved``)."""
    return snapshot_at(store, rev, warn, resolved=resolved)[0]


def snapshot_at(
    store: Path,
    rev: str,
    warn: Callable[[str], None],
    *,
    resolved: bool = False,
    only: Collection[str] | None = None,
) -> tuple[list[RunRecord], dict[str, ExperimentRecord]]:
    """The runs and the experiments' state at ``rev``, from one tree listing and one blob read;
    with ``only``, just the runs of those directories (and every experiment)."""
    root, prefix = store_prefix(store)
    sha = rev if resolved else git.resolve_revision(root, rev)
    within = () if only is None else (layout.EXPERIMENTS_DIR, *sorted(only))
    files, events = _summary_files(root, sha, prefix, rev, within)
    # A cheap superset of the runs whose meta.yaml says RUNNING (the parser decides).
    running = [r for r, found in files.items() if b"running" in found.get(layout.META, b"").lower()]
    committed = _running_histories(root, sha, prefix, running, rev) if running else {}
    records = []
    for run_id in sorted(files):
        found = files[run_id]
        location = f"{rev}:{prefix}/{run_id}"
        histories = committed.get(run_id) or _histories(root, sha, f"{prefix}/{run_id}", location)
        record, problem = _parse_record(run_id, location, found, histories)
        if record is None:
            warn(problem)
        else:
            records.append(record)
    return records, experiments.replay_all(events, warn)


Parsed = tuple[str, "dict[str, Any] | None", str]  # (run directory, frame row or None, warning)
POOL_FROM = 2000  # a read of at least this many runs parses them on every core


def rows_snapshot(
    store: Path, sha: str, warn: Callable[[str], None], *, only: Collection[str] | None = None
) -> tuple[dict[str, dict[str, Any]], dict[str, ExperimentRecord]]:
    """:func:`snapshot_at` at commit ``sha`` as frame rows by run directory (the same rows,
    warnings and order), the runs parsed on every core when there are many."""
    from gittrack.query.pool import map_chunks

    root, prefix = store_prefix(store)
    within = () if only is None else (layout.EXPERIMENTS_DIR, *sorted(only))
    files, events = _summary_files(root, sha, prefix, sha, within)
    running = {r for r, found in files.items() if b"running" in found.get(layout.META, b"").lower()}
    committed = _running_histories(root, sha, prefix, running, sha) if running else {}
    items = [(r, f"{sha}:{prefix}/{r}", files[r]) for r in sorted(files) if r not in running]
    parsed = {r: (row, problem) for r, row, problem in map_chunks(items, _parse_chunk, POOL_FROM)}
    for run_id in running:
        parsed[run_id] = _parse_one(run_id, f"{sha}:{prefix}/{run_id}", files[run_id], committed[run_id])
    rows = {}
    for run_id in sorted(parsed):
        row, problem = parsed[run_id]
        if row is None:
            warn(problem)
        else:
            rows[run_id] = row
    return rows, experiments.replay_all(events, warn)


def _parse_chunk(items: list[tuple[str, str, dict[str, bytes]]]) -> list[Parsed]:
    """Rows of runs that are not RUNNING (their metrics are in meta.yaml): a pool's task."""
    return [(r, *_parse_one(r, location, found, _no_histories)) for r, location, found in items]


def _parse_one(
    run_id: str, location: str, found: dict[str, bytes], histories: Callable[[], Histories]
) -> tuple[dict[str, Any] | None, str]:
    record, problem = _parse_record(run_id, location, found, histories)
    return (None, problem) if record is None else (record_row(record), "")


def _parse_record(
    run_id: str, location: str, found: dict[str, bytes], histories: Callable[[], Histories]
) -> tuple[RunRecord | None, str]:
    """The run of one directory's files at a revision, or None and the warning to give."""
    if layout.META not in found:
        return None, f"skipping run {run_id}: {location}/{layout.META}: missing"
    try:
        record = parse_record(
            location,
            found[layout.META],
            found.get(layout.PARAMS, b""),
            found.get(layout.TAGS, b""),
            histories,
            inputs_text=found.get(layout.INPUTS, b""),
        )
    except (CorruptRunError, UnicodeDecodeError) as exc:
        return None, f"skipping run {run_id}: {exc}"
    return record, ""


def _summary_files(
    root: Path, sha: str, prefix: str, rev: str, within: Sequence[str] = ()
) -> tuple[dict[str, dict[str, bytes]], dict[str, list[tuple[str, bytes]]]]:
    """The summary files (meta, params, tags) of each run directory under ``prefix`` at ``sha``
    (only those ``within`` when given), and the experiments' event files by experiment name."""
    files: dict[str, dict[str, bytes]] = defaultdict(dict)
    events: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    for path, blob in git.read_tree_files(root, sha, prefix, select=_is_summary, within=within).items():
        parts = PurePosixPath(path).parts
        if parts[0] == layout.EXPERIMENTS_DIR:
            events[experiments.name_of(parts[1])].append((f"{rev}:{prefix}/{path}", blob))
        else:
            files[parts[0]][parts[1]] = blob
    return files, events


def _is_summary(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if len(parts) == 3 and parts[0] == layout.EXPERIMENTS_DIR:
        return parts[2].endswith(".yaml") and not parts[2].startswith(".")
    return (
        len(parts) == 2
        and parts[1] in _NAMES
        and not parts[0].startswith(".")
        and parts[0] not in layout.RESERVED
    )


def load_rows_at(
    store: Path, rev: str, warn: Callable[[str], None], *, resolved: bool = False
) -> tuple[list[dict[str, Any]], set[str]]:
    """Frame rows of the runs at ``rev``, and the experiments deleted there."""
    records, found = snapshot_at(store, rev, warn, resolved=resolved)
    deleted = {name for name, e in found.items() if e.lifecycle_stage == layout.DELETED}
    return [record_row(r) for r in records], deleted


def _running_histories(
    root: Path, sha: str, prefix: str, run_ids: Collection[str], rev: str
) -> dict[str, Callable[[], Histories]]:
    """Metric histories of ``run_ids`` at ``sha``, read with a fixed number of git processes."""
    wanted = {f"{r}/{layout.METRICS_DIR}/" for r in run_ids}
    # a listing of just their folders, unless so many that one listing of all is cheaper
    dirs = [f"{r}/{layout.METRICS_DIR}" for r in sorted(run_ids)] if len(run_ids) <= _FEW else []
    found = git.read_tree_files(root, sha, prefix, within=dirs, select=lambda p: _run_part(p) in wanted)
    csvs = [p for p in found if _is_metric_file(p) and _run_part(p) in wanted]
    if not csvs:
        return {r: _no_histories for r in run_ids}
    blobs = {p: found[p] for p in csvs}
    texts: dict[str, dict[str, bytes]] = {r: {} for r in run_ids}
    for path in csvs:
        run_id, _, rest = path.partition(f"/{layout.METRICS_DIR}/")
        texts[run_id][rest[: -len(".csv")]] = blobs[path]
    return {r: _parsed(texts[r], f"{rev}:{prefix}/{r}/{layout.METRICS_DIR}") for r in run_ids}


_FEW = 200  # directories worth naming to git one by one


def _is_metric_file(path: str) -> bool:
    name = posixpath.basename(path)
    return name.endswith(".csv") and not name.startswith(TMP_PREFIX)


def _run_part(path: str) -> str:
    """``<run>/metrics/`` for a path inside a run's metrics folder, else ''."""
    parts = path.split("/", 2)
    return f"{parts[0]}/{parts[1]}/" if len(parts) == 3 else ""


def _no_histories() -> Histories:
    return {}


def _parsed(blobs: dict[str, bytes], where: str) -> Callable[[], Histories]:
    def read() -> Histories:
        out = {}
        for key in sorted(blobs):
            path = Path(f"{where}/{key}.csv")
            try:
                text = blobs[key].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorruptRunError(f"{path}: not UTF-8 text ({exc.reason})") from None
            out[key] = parse_history(text, path)[0]
        return out

    return read


def _histories(root: Path, sha: str, run_path: str, location: str) -> Callable[[], Histories]:
    """Metric histories of one run at ``sha``, read only when asked for (``show --rev``...)."""

    def read() -> Histories:
        prefix = f"{run_path}/{layout.METRICS_DIR}"
        found = git.read_tree_files(root, sha, prefix)
        blobs = {p[: -len(".csv")]: b for p, b in found.items() if _is_metric_file(p)}
        return _parsed(blobs, f"{location}/{layout.METRICS_DIR}")()

    return read
