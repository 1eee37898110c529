"""The run index: a git-ignored SQLite cache of run summaries, ``<store>/.cache/index.sqlite``.

It is never the source of truth.  Each query lists the store's run directories (one
``os.scandir``) and stats each directory, not its files: a run whose directory stamp
(inode and mtime) is the one the index saw is taken from the index.  When the stamp
changed, the run's file signature (inode, mtime and size of meta/params/tags/inputs.yaml)
decides: unchanged, the entry stands; changed, the run is read from its files and
written back.  A new or changed run costs one run's read, never a rescan.

The directory stamp changes whenever a file of the run is created, replaced or removed:
gittrack replaces whole files atomically (rename), ``git checkout``/``pull``/``merge``,
``sed -i`` and most editors write a new file.  Appending to a file does not change it, so:

- runs still RUNNING are always read again (their metrics live in the CSVs until they
  end, and their writer appends);
- gittrack's own appends to a run (a param or tag set on a finished run, a dataset
  input) touch the run directory, so they are seen at once;
- a directory changed within the last :data:`RECENT_NS` has its files' signatures checked
  on every query, so an in-place edit in the same clock tick is still seen;
- an in-place hand edit of an older finished run (an editor that rewrites the file in
  place, ``echo >>``) is seen once the run directory is touched (``touch .runs/<id>``)
  or the cache is removed; ``gittrack check`` reads the files themselves.

A missing, stale or corrupt index is rebuilt silently.  Beside each run's frame row the
index keeps its cells (:mod:`gittrack.query.cells`), which :mod:`gittrack.query.indexed`
filters and sorts in SQL.

Concurrent processes are safe: SQLite serialises writers, and a writer that cannot
get the lock within a moment skips the update (the answer is correct either way).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gittrack.errors import CorruptRunError
from gittrack.query import trust
from gittrack.query.cells import cells_of, encode_row, row_kinds
from gittrack.query.frame import record_row
from gittrack.store import cache, layout
from gittrack.store.reader import read_run

INDEX_FILE = "index.sqlite"
SCHEMA_VERSION = 6  # 2: tags.mlflow.*; 3: _nan_metrics; 4: _datasets; 5: directory stamps, cells; 6: memo
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, sig TEXT, fsig TEXT, status TEXT,"
    " row TEXT, keys TEXT, filled TEXT, exp TEXT, stage TEXT, start REAL)"
)
_CELLS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cells (col TEXT, run_id TEXT, txt TEXT, num REAL, nan INTEGER,"
    " PRIMARY KEY (col, run_id)) WITHOUT ROWID"
)
# one experiment's runs newest first, and their count, without reading the table (the UI's pages)
_BY_EXPERIMENT = "CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (exp, stage, start DESC, run_id)"
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS runs_by_start ON runs (start DESC, run_id)",
    "CREATE INDEX IF NOT EXISTS cells_by_run ON cells (run_id)",
    _BY_EXPERIMENT,
)
RECENT_NS = 2_000_000_000  # a directory changed this recently also has its files' signatures checked

_SNAPSHOT_SCHEMA = "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY, sigs TEXT, columns TEXT)"
# answers over all runs (the keys present, the columns: gittrack.query.indexed), emptied by every change
MEMO_SCHEMA = "CREATE TABLE IF NOT EXISTS memo (what TEXT PRIMARY KEY, value TEXT)"
Entry = tuple[str, str, str, dict[str, Any] | None]  # (stamp, file signature, status, row or None)
Stamp = tuple[int, int, int] | None  # (inode, mtime ns, size) of the index file; None: no file

# In-process memo: {store: (index file stamp, {run_id: entry})} so a warm query skips
# SQLite too.  It is dropped when the index file changes (deleted, replaced, rewritten).
_memory: dict[Path, tuple[Stamp, dict[str, Entry]]] = {}
_stamps: dict[Path, tuple[Stamp, dict[str, Entry]]] = {}  # the same, rows left out (refresh)
_clean: dict[Path, tuple[Stamp, dict[str, str]]] = {}  # stamps of the last complete refresh


def signature(run_dir: Path | str) -> str:
    """Inode, mtime and size of meta.yaml, params.yaml, tags.yaml and inputs.yaml (``-`` for a
    missing one)."""
    parts = []
    for name in _SIGNED:  # plain strings: this runs for every run on every query
        try:
            st = os.stat(f"{run_dir}/{name}")
            parts.append(f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}")
        except FileNotFoundError:
            parts.append("-")
    return "|".join(parts)


_SIGNED = (layout.META, layout.PARAMS, layout.TAGS, layout.INPUTS)


def signatures(store: Path, *, ordered: bool = True) -> dict[str, str]:
    """Run id -> stamp for every run directory of the store, sorted by run id: the
    directory's inode and mtime, and for a directory changed within :data:`RECENT_NS` its
    files' :func:`signature` too.  One ``scandir`` and one ``stat`` per run."""
    base = str(store)
    recent = time.time_ns() - RECENT_NS
    found: dict[str, str] = {}
    try:
        entries = os.scandir(store)
    except FileNotFoundError:
        return {}
    with entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name in layout.RESERVED or not entry.is_dir():
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue  # removed while listing
            if st.st_mtime_ns >= recent:
                found[name] = f"{st.st_ino}:{st.st_mtime_ns}/" + signature(f"{base}/{name}")
            else:
                found[name] = f"{st.st_ino}:{st.st_mtime_ns}"
    return dict(sorted(found.items())) if ordered else found


def digest(sigs: dict[str, str]) -> str:
    """A short fingerprint of a store's stamps (what the snapshot is keyed on)."""
    h = hashlib.sha1(usedforsecurity=False)
    for run_id, sig in sigs.items():
        h.update(f"{run_id}={sig}\n".encode())
    return h.hexdigest()


def load(
    store: Path, warn: Callable[[str], None], sigs: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """Rows as :func:`load_rows` for the runs of ``sigs`` (default: all), and whether the
    result is *settled*: every run readable, none RUNNING, every row storable, so the same
    signatures will always mean the same rows (see :func:`save_snapshot`)."""
    fresh, settled = _refresh(store, warn, sigs, rows=True)
    return [e[3] for e in fresh.values() if e[3] is not None], settled


def refresh(store: Path, warn: Callable[[str], None]) -> bool:
    """Bring the index up to date with the run directories without decoding its rows; True
    when it then holds every readable run (none left out as unstorable), so that
    :mod:`gittrack.query.indexed` can answer from it."""
    if trust.trusted(store, _stamp(_path(store))):
        return True  # a large store whose stamps say nothing changed (see query/trust.py)
    before = trust.stamps(store, create=True)
    sigs = signatures(store, ordered=False)
    clean = _clean.get(store)
    settled = clean is not None and clean[0] == _stamp(_path(store)) and clean[1] == sigs
    complete = settled  # the same directories as the last complete refresh, none RUNNING
    if not settled:
        fresh, written = _refresh(store, warn, sigs, rows=False)
        complete = written and all(e[0] != _UNSTORED for e in fresh.values())
        settled = complete and len(fresh) == len(sigs) and all(e[2] != "RUNNING" for e in fresh.values())
        if settled:
            _clean[store] = (_stamp(_path(store)), sigs)
    if settled and len(sigs) >= trust.trust_from():
        trust.save(store, before, _stamp(_path(store)), list(sigs))
    return complete


_UNSTORED = "\x00"  # the stamp of a run read this time whose row the index cannot hold


def _refresh(
    store: Path, warn: Callable[[str], None], sigs: dict[str, str] | None, *, rows: bool
) -> tuple[dict[str, Entry], bool]:
    known, indexed = _known(store, rows)
    fresh: dict[str, Entry | None] = {}
    changed: list[tuple[str, Entry]] = []
    misses: list[tuple[str, str, str]] = []  # (run id, stamp, file signature) to read
    base = str(store)
    for run_id, sig in (signatures(store, ordered=rows) if sigs is None else sigs).items():
        hit = known.get(run_id)
        usable = hit is not None and hit[0] != _UNSTORED and hit[2] != "RUNNING"
        if hit is not None and usable and (rows is False or hit[3] is not None):
            if hit[0] == sig:
                fresh[run_id] = hit
                continue
            fsig = signature(f"{base}/{run_id}")
            if fsig == hit[1]:  # the directory changed, not the files the row comes from
                fresh[run_id] = (sig, fsig, hit[2], hit[3])
                changed.append((run_id, (sig, fsig, hit[2], hit[3])))
                continue
        else:
            fsig = signature(f"{base}/{run_id}")
        fresh[run_id] = None  # keeps the run's place; filled below
        misses.append((run_id, sig, fsig))
    settled = True
    for (run_id, sig, fsig), (row, status, problem) in zip(misses, _read_all(store, misses), strict=True):
        if row is None:
            warn(f"skipping run {run_id}: {problem}")
            settled = False
            del fresh[run_id]
            continue
        storable = encode_row(row) is not None and cells_of(row) is not None
        entry = (sig if storable else _UNSTORED, fsig, status, row)
        changed.append((run_id, entry))
        settled = settled and status != "RUNNING" and storable
        fresh[run_id] = entry
    done = {k: v for k, v in fresh.items() if v is not None}
    written = True
    if changed or done.keys() != indexed:
        written = _write_index(store, done, changed)
    (_memory if rows else _stamps)[store] = (_stamp(_path(store)), done)
    return done, settled if rows else written


Read = tuple[dict[str, Any] | None, str, str]  # (frame row or None, status, problem)
POOL_FROM = 2000  # a refresh reading at least this many runs reads them on every core


def _read_all(store: Path, misses: list[tuple[str, str, str]]) -> list[Read]:
    """The rows of the runs to read: here, or for many (a cold index) on every core."""
    from gittrack.query.pool import read_all

    return read_all(store, [m[0] for m in misses], _read_one, _read_chunk, POOL_FROM)


def _read_chunk(store: str, ids: list[str]) -> list[Read]:
    return [_read_one(Path(store), run_id) for run_id in ids]


def _read_one(store: Path, run_id: str) -> Read:
    try:
        record = read_run(store / run_id)
    except (CorruptRunError, OSError, UnicodeDecodeError) as exc:
        return None, "", str(exc)
    return record_row(record), record.status, ""


def _known(store: Path, rows: bool = True) -> tuple[dict[str, Entry], set[str]]:
    """Candidate entries (each still checked against its signature) and the run ids in the file.

    The memo stands while the index file is the one it was built with.  Otherwise the
    file is read (without the rows unless ``rows``); memo entries fill in what it lacks,
    so a deleted index is rewritten without reading every run again.
    """
    stamp = _stamp(_path(store))
    memo = _memory.get(store)
    if memo is not None and memo[0] == stamp:
        return memo[1], set(memo[1])
    stamps = _stamps.get(store)
    if not rows and stamps is not None and stamps[0] == stamp:
        return stamps[1], set(stamps[1])
    stored = _read_index(store, rows)
    return {**(memo[1] if memo else {}), **stored}, set(stored)


def path(store: Path) -> Path:
    """The index file of ``store``."""
    return _path(store)


def _path(store: Path) -> Path:
    return store / layout.CACHE_DIR / INDEX_FILE


def stamp(store: Path) -> Stamp:
    """Inode, mtime and size of the store's index file (None when there is none)."""
    return _stamp(_path(store))


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return db
        db.execute(_SNAPSHOT_SCHEMA)  # a file of another version is emptied by its next writer
    except BaseException:
        db.close()
        raise
    return db


def _read_index(store: Path, rows: bool = True) -> dict[str, Entry]:
    path = _path(store)
    if not path.exists():
        return {}
    try:
        db = _connect(path)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return {}
            column = "row" if rows else "NULL"
            found = db.execute(f"SELECT run_id, sig, fsig, status, {column} FROM runs")  # noqa: S608
            if not rows:
                return {r[0]: (r[1], r[2], r[3], None) for r in found}
            entries = {r[0]: (r[1], r[2], r[3], json.loads(r[4])) for r in found}
        finally:
            db.close()
        return {k: v for k, v in entries.items() if isinstance(v[3], dict)}
    except sqlite3.OperationalError:
        return {}  # locked by a writer for too long: read the files this time
    except (sqlite3.DatabaseError, ValueError, TypeError):
        _discard(path)  # corrupt: rebuilt from the files
        return {}


def _write_index(store: Path, fresh: dict[str, Entry], changed: list[tuple[str, Entry]]) -> bool:
    """Write the changes; False when they could not be written (locked, read-only, damaged)."""
    path = _path(store)
    db = _open_for_writing(store, path)
    if db is None:
        return False
    try:
        db.execute("BEGIN IMMEDIATE")
        _store_rows(db, fresh, changed)
        db.execute("COMMIT")
        return True
    except sqlite3.OperationalError:  # locked by another process: its update is as good
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.DatabaseError:
        _discard(path)
    finally:
        db.close()
    return False


def open_for_writing(store: Path) -> sqlite3.Connection | None:
    """The store's index, to write (None when it cannot be written now)."""
    return _open_for_writing(store, _path(store))


def _open_for_writing(store: Path, path: Path) -> sqlite3.Connection | None:
    """The index database at ``path``; None when it cannot be written now."""
    try:
        cache.ensure_cache_dir(store)
        return _connect(path)
    except sqlite3.OperationalError:
        return None  # read-only store, no space or locked: queries still work, just slower
    except sqlite3.DatabaseError:
        _discard(path)  # not a database (replaced since we read it): the next query rebuilds
        return None
    except OSError:
        return None


def _store_rows(db: sqlite3.Connection, fresh: dict[str, Entry], changed: list[tuple[str, Entry]]) -> None:
    """Write the ``changed`` entries (every entry after a schema change) and delete those of
    runs gone from the store or no longer storable; inside the caller's transaction.  An
    entry without its row (a run whose directory changed but not its files) gets its new
    stamp only."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        for table in ("runs", "cells", "snapshot", "memo"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in (_SCHEMA, _CELLS_SCHEMA, *_INDEXES, _SNAPSHOT_SCHEMA, MEMO_SCHEMA):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        changed = [(k, v) for k, v in fresh.items() if v[3] is not None]
    restamped = [(e[0], run_id) for run_id, e in changed if e[3] is None and e[0] != _UNSTORED]
    db.executemany("UPDATE runs SET sig = ? WHERE run_id = ?", restamped)
    written, unstored, cells = [], set(), []
    for run_id, (sig, fsig, status, row) in changed:
        if row is None:
            continue
        text, its_cells = encode_row(row), cells_of(row)
        if sig == _UNSTORED or text is None or its_cells is None:
            unstored.add(run_id)
            continue
        start = row.get("start_time")
        start = float(start) if isinstance(start, (int, float)) and not isinstance(start, bool) else None
        filled = json.dumps(sorted({c[0] for c in its_cells if c[2] is not None or c[3] is not None}))
        where = (row.get("experiment_id"), row.get("lifecycle_stage"), start)
        written.append((run_id, sig, fsig, status, text, row_kinds(row), filled, *where))
        cells.extend(its_cells)
    renewed = [(r[0],) for r in written]
    db.executemany("DELETE FROM cells WHERE run_id = ?", renewed)
    db.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", written)
    db.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?)", cells)
    stored = {r[0] for r in db.execute("SELECT run_id FROM runs")}
    gone = [(r,) for r in (stored - set(fresh)) | (stored & unstored)]
    db.executemany("DELETE FROM runs WHERE run_id = ?", gone)
    db.executemany("DELETE FROM cells WHERE run_id = ?", gone)
    if written or gone:
        db.execute("DELETE FROM memo")


def _discard(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def clear_memory() -> None:
    """Forget the in-process memo of index entries."""
    _memory.clear()
    _stamps.clear()
    _clean.clear()
