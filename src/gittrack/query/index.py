"""The run index: a git-ignored SQLite cache of run summaries, ``<store>/.cache/index.sqlite``.

It is never the source of truth.  Each query stats the three YAML files of every
run; a run whose signature (mtime and size of meta/params/tags) is unchanged is
taken from the index, any other run is read from its files and written back.  A
missing, stale or corrupt index is rebuilt silently.  Runs still RUNNING are always
re-read, since their metrics live only in the CSVs until they end.  Concurrent
processes are safe: SQLite serialises writers, and a writer that cannot get the
lock within a moment skips the update (the answer is correct either way).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gittrack.errors import CorruptRunError
from gittrack.query.frame import record_row
from gittrack.store import cache, layout
from gittrack.store.reader import read_run, run_dirs

INDEX_FILE = "index.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, sig TEXT, status TEXT, row TEXT)"

# In-process memo: {store: {run_id: (sig, status, row)}} so a warm query skips SQLite too.
_memory: dict[Path, dict[str, tuple[str, str, dict[str, Any]]]] = {}


def signature(run_dir: Path) -> str:
    parts = []
    for name in (layout.META, layout.PARAMS, layout.TAGS):
        try:
            st = os.stat(run_dir / name)
            parts.append(f"{st.st_mtime_ns}:{st.st_size}")
        except FileNotFoundError:
            parts.append("-")
    return "|".join(parts)


def load_rows(store: Path, warn: Callable[[str], None]) -> list[dict[str, Any]]:
    """One frame row per readable run, from the index where it is fresh."""
    dirs = run_dirs(store)
    known = _memory.get(store) or _read_index(store)
    rows, fresh, changed = [], {}, []
    for run_dir in dirs:
        run_id, sig = run_dir.name, signature(run_dir)
        hit = known.get(run_id)
        if hit is not None and hit[0] == sig and hit[1] != "RUNNING":
            entry = hit
        else:
            try:
                record = read_run(run_dir)
            except (CorruptRunError, OSError, UnicodeDecodeError) as exc:
                warn(f"skipping run {run_id}: {exc}")
                continue
            entry = (sig, record.status, record_row(record))
            changed.append((run_id, *entry))
        fresh[run_id] = entry
        rows.append(entry[2])
    _memory[store] = fresh
    if changed or len(fresh) != len(known):
        _write_index(store, fresh, changed)
    return rows


def _path(store: Path) -> Path:
    return store / layout.CACHE_DIR / INDEX_FILE


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    db.execute(_SCHEMA)
    return db


def _read_index(store: Path) -> dict[str, tuple[str, str, dict[str, Any]]]:
    path = _path(store)
    if not path.exists():
        return {}
    try:
        db = _connect(path)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return {}
            rows = db.execute("SELECT run_id, sig, status, row FROM runs").fetchall()
        finally:
            db.close()
        return {r[0]: (r[1], r[2], json.loads(r[3])) for r in rows}
    except (sqlite3.Error, ValueError):
        _discard(path)  # corrupt: rebuilt from the files below
        return {}


def _write_index(
    store: Path,
    fresh: dict[str, tuple[str, str, dict[str, Any]]],
    changed: list[tuple[str, str, str, dict[str, Any]]],
) -> None:
    path = _path(store)
    try:
        cache.ensure_cache_dir(store)
        db = _connect(path)
    except (sqlite3.Error, OSError):
        return  # read-only store or no space: queries still work, just slower
    try:
        db.execute("BEGIN IMMEDIATE")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            db.execute("DELETE FROM runs")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            changed = [(k, *v) for k, v in fresh.items()]
        db.executemany(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)",
            [(run_id, sig, status, json.dumps(row)) for run_id, sig, status, row in changed],
        )
        stored = {r[0] for r in db.execute("SELECT run_id FROM runs")}
        db.executemany("DELETE FROM runs WHERE run_id = ?", [(r,) for r in stored - set(fresh)])
        db.execute("COMMIT")
    except sqlite3.OperationalError:  # locked by another process: its update is as good
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.DatabaseError:
        _discard(path)
    finally:
        db.close()


def _discard(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def clear_memory() -> None:
    """Forget the in-process memo (tests; a long-lived process that wants a cold read)."""
    _memory.clear()
