"""A revision's runs as a small SQLite file, for ``gittrack ls --rev`` without a frame.

``.runs/.cache/revisions/<tree>.sqlite``, keyed by the object id of the store's tree at
that revision, so it can never go stale.  It holds each run's frame row (as the revision
cache, :mod:`gittrack.query.revision_cache`, reads it: RUNNING already KILLED, runs of a
deleted experiment already ``deleted``), its experiment, stage and start, and a number for
the set of keys it has values for; plus the store's columns and the warnings about damaged
runs, said again on every read.  A listing in the default order (newest first) with no
filter is one indexed query that decodes only the rows shown, so the second ``ls --rev``
of 100,000 runs costs what a warm ``ls`` of the work tree costs.  Other queries (a filter,
another order) go through the frame.  Only the :data:`KEEP` most recently used files are
kept (each is about 1.5 KB a run).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gittrack.query.cells import encode_row
from gittrack.query.frame import ATTRIBUTE_COLUMNS, by_kind
from gittrack.store import layout

KEEP = 4
SUFFIX = ".sqlite"
VERSION = 1
_DATA_KINDS = ("params", "metrics", "tags")

Answer = tuple[list[dict[str, Any]], list[str], bool, set[str]]  # rows, columns, any in scope, keys


def listing(
    store: Path,
    tree: str,
    *,
    experiments: Sequence[str] | None,
    view: str,
    limit: int | None,
    warn: Callable[[str], None],
) -> Answer | None:
    """The newest ``limit`` runs of ``experiments`` in ``view`` at the revision whose store
    tree is ``tree``, every column of its frame, whether any run is in scope and the data
    keys the runs in scope have; None when the tree has no file yet (see :func:`build`)."""
    path = _folder(store) / f"{tree}{SUFFIX}"
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
            return None
        where, args = ["1"], []
        if view != "all":
            where.append("stage = ?")
            args.append(view)
        if experiments:
            where.append(f"exp IN ({', '.join('?' * len(experiments))})")
            args += list(experiments)
        scope = " AND ".join(where)
        sets = [r[0] for r in db.execute(f"SELECT DISTINCT keyset FROM runs WHERE {scope}", args)]  # noqa: S608
        keys: set[str] = set()
        for keyset in sets:
            found = db.execute("SELECT keys FROM keysets WHERE id = ?", (keyset,)).fetchone()
            keys.update(json.loads(found[0]))
        query = f"SELECT r.row FROM runs JOIN rows r USING (run_id) WHERE {scope} ORDER BY start DESC, run_id"  # noqa: S608
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        rows = [json.loads(r[0]) for r in db.execute(query, args)]
        facts = dict(db.execute("SELECT what, value FROM facts").fetchall())
    except (sqlite3.Error, ValueError, TypeError):
        return None  # damaged: the frame answers (and the next build replaces the file)
    finally:
        db.close()
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept longest
    for message in json.loads(facts["notes"]):
        warn(message)
    return rows, json.loads(facts["columns"]), bool(sets), keys


def build(store: Path, tree: str, rows: list[dict[str, Any]], deleted: set[str], notes: list[str]) -> None:
    """Write the file of ``tree`` from its frame rows (as :func:`revision_cache.rows_at`
    gives them), the experiments deleted there and the warnings of its read; best effort."""
    folder = _folder(store)
    target = folder / f"{tree}{SUFFIX}"
    tmp = folder / f".{tree}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp, isolation_level=None)
        try:
            _write(db, rows, deleted, notes)
        finally:
            db.close()
        os.replace(tmp, target)
    except (OSError, sqlite3.Error):
        tmp.unlink(missing_ok=True)
        return
    _forget_old(folder)


def _write(db: sqlite3.Connection, rows: list[dict[str, Any]], deleted: set[str], notes: list[str]) -> None:
    db.execute("BEGIN")
    db.execute(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, exp TEXT, stage TEXT, start REAL, keyset INTEGER)"
    )
    db.execute("CREATE TABLE rows (run_id TEXT PRIMARY KEY, row TEXT)")
    db.execute("CREATE TABLE keysets (id INTEGER PRIMARY KEY, keys TEXT)")
    db.execute("CREATE TABLE facts (what TEXT PRIMARY KEY, value TEXT)")
    keysets: dict[str, int] = {}
    columns: dict[str, None] = dict.fromkeys(ATTRIBUTE_COLUMNS)
    runs, texts = [], []
    for row in rows:
        if row.get("experiment_id") in deleted:
            row = {**row, "lifecycle_stage": layout.DELETED}
        text = encode_row(row)
        if text is None:  # a value JSON would not give back as it is: the frame answers
            raise sqlite3.DataError(f"run {row.get('run_id')}: a value JSON cannot hold")
        columns.update(dict.fromkeys(row))
        filled = json.dumps(
            sorted(k for k, v in row.items() if k.partition(".")[0] in _DATA_KINDS and _present(v))
        )
        keyset = keysets.setdefault(filled, len(keysets))
        start = row.get("start_time")
        start = float(start) if isinstance(start, (int, float)) and not isinstance(start, bool) else None
        runs.append((row["run_id"], row.get("experiment_id"), row.get("lifecycle_stage"), start, keyset))
        texts.append((row["run_id"], text))
    db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?)", runs)
    db.executemany("INSERT INTO rows VALUES (?, ?)", texts)
    db.executemany("INSERT INTO keysets VALUES (?, ?)", [(i, k) for k, i in keysets.items()])
    extra = by_kind(sorted(k for k in columns if k not in ATTRIBUTE_COLUMNS))
    facts = {"columns": [*ATTRIBUTE_COLUMNS, *extra], "notes": notes}
    db.executemany("INSERT INTO facts VALUES (?, ?)", [(k, json.dumps(v)) for k, v in facts.items()])
    db.execute("CREATE INDEX runs_by_start ON runs (start DESC, run_id)")
    db.execute(f"PRAGMA user_version = {VERSION}")
    db.execute("COMMIT")


def _present(value: Any) -> bool:
    return value is not None and value == value  # NaN is missing, as pandas' notna says


def _folder(store: Path) -> Path:
    return store / layout.CACHE_DIR / "revisions" / "listings"


def _forget_old(folder: Path) -> None:
    """Keep the :data:`KEEP` most recently used files."""
    with contextlib.suppress(OSError):
        files = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for path in files[KEEP:]:
            path.unlink(missing_ok=True)
