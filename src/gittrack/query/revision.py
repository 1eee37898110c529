"""Runs as committed at a git revision, read from git's object database (no checkout).

All YAML files of all runs come from one ``git ls-tree`` and one ``git cat-file --batch``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from gittrack import git
from gittrack.config import find_root
from gittrack.errors import ConfigError, CorruptRunError
from gittrack.query.frame import record_row
from gittrack.store import layout
from gittrack.store.metric_csv import MetricRow, parse_history
from gittrack.store.reader import RunRecord, parse_record

_NAMES = (layout.META, layout.PARAMS, layout.TAGS)


def store_prefix(store: Path) -> tuple[Path, str]:
    """The work tree holding ``store`` and the store's path inside it."""
    root = find_root(store if store.exists() else store.parent)
    if root is None or not store.resolve().is_relative_to(root):
        raise ConfigError(f"the store {store} is not inside a git repository, so it has no revisions")
    return root, store.resolve().relative_to(root).as_posix()


def records_at(store: Path, rev: str, warn: Callable[[str], None]) -> list[RunRecord]:
    """Every readable run under the store's path at ``rev``."""
    root, prefix = store_prefix(store)
    sha = git.resolve_revision(root, rev)
    files: dict[str, dict[str, bytes]] = defaultdict(dict)
    for path, blob in git.read_tree_files(root, sha, prefix, names=_NAMES).items():
        parts = PurePosixPath(path).parts
        if len(parts) == 2 and not parts[0].startswith("."):
            files[parts[0]][parts[1]] = blob
    records = []
    for run_id in sorted(files):
        found = files[run_id]
        location = f"{rev}:{prefix}/{run_id}"
        if layout.META not in found:
            warn(f"skipping run {run_id}: {location}/{layout.META}: missing")
            continue
        try:
            records.append(
                parse_record(
                    location,
                    found[layout.META],
                    found.get(layout.PARAMS, b""),
                    found.get(layout.TAGS, b""),
                    _histories(root, sha, f"{prefix}/{run_id}"),
                )
            )
        except (CorruptRunError, UnicodeDecodeError) as exc:
            warn(f"skipping run {run_id}: {exc}")
    return records


def load_rows_at(store: Path, rev: str, warn: Callable[[str], None]) -> list[dict[str, Any]]:
    return [record_row(r) for r in records_at(store, rev, warn)]


def _histories(root: Path, sha: str, run_path: str) -> Callable[[], dict[str, list[MetricRow]]]:
    """Metric histories of one run at ``sha``, read only when asked for."""

    def read() -> dict[str, list[MetricRow]]:
        prefix = f"{run_path}/{layout.METRICS_DIR}"
        out = {}
        for path, blob in sorted(git.read_tree_files(root, sha, prefix).items()):
            if path.endswith(".csv"):
                out[path[: -len(".csv")]] = parse_history(blob.decode("utf-8"), Path(path))[0]
        return out

    return read
