"""Frames of revisions, cached by the object id of the store's tree: ``<store>/.cache/revisions/``.

A tree's id names its whole content, so the rows read from it can never go stale: the
second read of a revision (``--rev``, ``diff``, ``log``, the PR report) loads one file
instead of reading every run from git.  A revision never read before is built from the
nearest cached tree (the one ``git diff-tree`` finds fewest top-level entries changed
against) by reading only the run directories that changed, so a branch that adds 20 runs
to 100,000 costs 20 runs' reads.  The experiments' event files are always read again
(they are few).  Warnings about damaged runs are kept with their run and said again on
every read, so a cached answer is the answer, warnings included.

Like the index, the cache is never the source of truth: a missing, damaged or
unwritable file only makes the read slower.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.query.revision import rows_snapshot, store_prefix
from gittrack.store import cache, layout

FOLDER = "revisions"
SUFFIX = ".json.z"  # zlib-compressed JSON: about a tenth of the bytes, read back in a moment
VERSION = 1
KEEP = 16  # cached trees kept; the least recently used go first
_CANDIDATES = 4  # cached trees compared with a new one to find the nearest

Rows = dict[str, dict[str, Any]]  # run directory -> frame row
_SKIPPING = re.compile(r"skipping run ([^:]+): ")
_JSON_EXACT = (str, int, float, bool, type(None))


def rows_at(store: Path, sha: str, warn: Callable[[str], None]) -> tuple[list[dict[str, Any]], set[str]]:
    """Frame rows of the runs at commit ``sha`` (sorted by run directory) and the
    experiments deleted there: the same answer as :func:`gittrack.query.revision.load_rows_at`."""
    root, prefix = store_prefix(store)
    tree = git.tree_id(root, sha, prefix)
    if tree is None:
        return _read(store, sha, warn, None)[:2]
    rows, deleted, notes = tree_rows(store, root, sha, tree)
    for _, message in notes:
        warn(message)
    return [rows[d] for d in sorted(rows)], deleted


def tree_rows(store: Path, root: Path, sha: str, tree: str) -> tuple[Rows, set[str], list[tuple[str, str]]]:
    """The rows of the store's tree ``tree`` (at commit ``sha``) by run directory, the
    experiments deleted there, and the warnings with the directory each is about ('' for
    the store's own), in the order :func:`rows_at` says them; through the cache."""
    found = _load(store, tree)
    if found is None:
        found = _build(store, root, sha, tree)
        _save(store, tree, found)
    return found


def rows_in(store: Path, sha: str, dirs: Collection[str]) -> tuple[Rows, set[str], list[tuple[str, str]]]:
    """Like :func:`tree_rows` for just the run directories ``dirs`` at ``sha`` (read from git,
    not cached), with the experiments deleted there and the warnings about them."""
    notes: list[str] = []
    rows, deleted = _read(store, sha, notes.append, dirs)[2:]
    return rows, deleted, _attributed(notes)


def patched_notes(
    notes: list[tuple[str, str]], changed: Collection[str], fresh: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The warnings of a tree made from one with ``notes`` by changing the run directories
    ``changed``, whose own warnings are ``fresh`` (the store's own are always fresh)."""
    kept = [(d, m) for d, m in notes if d and d not in changed]
    return sorted(kept + fresh, key=lambda n: (n[0] == "", n[0]))


def _build(store: Path, root: Path, sha: str, tree: str) -> tuple[Rows, set[str], list[tuple[str, str]]]:
    notes: list[str] = []
    nearest = _nearest(store, root, tree)
    if nearest is None:
        rows, deleted = _read(store, sha, notes.append, None)[2:]
        return rows, deleted, _attributed(notes)
    old_rows, _, old_notes, changed = nearest
    fresh, deleted = _read(store, sha, notes.append, changed)[2:]
    rows = {d: r for d, r in old_rows.items() if d not in changed}
    rows.update(fresh)
    return rows, deleted, patched_notes(old_notes, changed, _attributed(notes))


def _read(
    store: Path, sha: str, warn: Callable[[str], None], only: Collection[str] | None
) -> tuple[list[dict[str, Any]], set[str], Rows, set[str]]:
    by_dir, found = rows_snapshot(store, sha, warn, only=only)
    deleted = {name for name, e in found.items() if e.lifecycle_stage == layout.DELETED}
    return [by_dir[d] for d in sorted(by_dir)], deleted, by_dir, deleted


def _attributed(notes: list[str]) -> list[tuple[str, str]]:
    """Each warning with the run directory it is about ('' for the store's own)."""
    out = []
    for message in notes:
        match = _SKIPPING.match(message)
        out.append((match.group(1) if match else "", message))
    return sorted(out, key=lambda n: (n[0] == "", n[0]))


def _nearest(
    store: Path, root: Path, tree: str
) -> tuple[Rows, set[str], list[tuple[str, str]], set[str]] | None:
    """The cached tree with the fewest changed entries against ``tree``, with those entries;
    None when none is near enough to be worth patching (less than half the runs changed)."""
    best = None
    for path in _recent(store)[:_CANDIDATES]:
        try:
            changed = git.changed_entries(root, _tree_of(path), tree)
        except GittrackError:
            continue
        if best is None or len(changed) < len(best[1]):
            best = (_tree_of(path), changed)
    if best is None:
        return None
    found = _load(store, best[0])
    if found is None or len(best[1]) * 2 > max(len(found[0]), 1):
        return None
    return found[0], found[1], found[2], run_entries(best[1])


def run_entries(entries: Collection[str]) -> set[str]:
    """The entries of the store's tree that may be run directories (not its own folders)."""
    return {c for c in entries if c not in layout.RESERVED and not c.startswith(".")}


def _folder(store: Path) -> Path:
    return store / layout.CACHE_DIR / FOLDER


def _recent(store: Path) -> list[Path]:
    """Cached trees, most recently used first."""
    try:
        files = [p for p in _folder(store).iterdir() if p.name.endswith(SUFFIX) and _is_oid(_tree_of(p))]
    except OSError:
        return []
    stamped = []
    for path in files:
        try:
            stamped.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    return [p for _, p in sorted(stamped, reverse=True)]


def _tree_of(path: Path) -> str:
    return path.name.removesuffix(SUFFIX)


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _load(store: Path, tree: str) -> tuple[Rows, set[str], list[tuple[str, str]]] | None:
    path = _folder(store) / f"{tree}{SUFFIX}"
    try:
        data = json.loads(zlib.decompress(path.read_bytes()))
        if data.get("version") != VERSION:
            return None
        rows = data["rows"]
        found = (rows, set(data["deleted"]), [(str(d), str(m)) for d, m in data["notes"]])
        os.utime(path)  # recently used: kept longest
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zlib.error):
        return None
    return found if isinstance(rows, dict) else None


def _save(store: Path, tree: str, found: tuple[Rows, set[str], list[tuple[str, str]]]) -> None:
    """Write the cache file; skipped when a row would not come back from JSON unchanged
    (a hand-written date in params.yaml), or the store cannot be written."""
    rows, deleted, notes = found
    if not rows and not deleted:
        return
    if not all(type(v) in _JSON_EXACT for row in rows.values() for v in row.values()):
        return
    data = {"version": VERSION, "rows": rows, "deleted": sorted(deleted), "notes": notes}
    try:
        folder = cache.ensure_cache_dir(store) / FOLDER
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
        with os.fdopen(fd, "wb") as out:
            out.write(zlib.compress(json.dumps(data).encode(), 1))
        os.replace(tmp, folder / f"{tree}{SUFFIX}")
        for old in _recent(store)[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
