"""The run index: a git-ignored SQLite cache of run summaries, ``<store>/.cache/index.sqlite``.

It is never the source of truth.  Each query stats the four YAML files of every
run; a run whose signature (inode, mtime and size of meta/params/tags) is unchanged
is taken from the index, any other run is read from its files and written back.  A
missing, stale or corrupt index is rebuilt silently.  Runs still RUNNING are always
re-read, since their metrics live only in the CSVs until they end.

gittrack itself appends (the size changes) or replaces a file atomically (a new
inode), so every change it makes is seen even on filesystems with coarse timestamps.
The one change a signature can miss is an outside in-place edit that keeps the size
within the same timestamp tick as the query that last read the file.

Concurrent processes are safe: SQLite serialises writers, and a writer that cannot
get the lock within a moment skips the update (the answer is correct either way).
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
from gittrack.store.reader import read_run, run_names

INDEX_FILE = "index.sqlite"
SCHEMA_VERSION = 4  # 2: derived tags.mlflow.* columns; 3: _nan_metrics; 4: _datasets
_SCHEMA = "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, sig TEXT, status TEXT, row TEXT)"

Entry = tuple[str, str, dict[str, Any]]  # (signature, effective status, frame row)
Stamp = tuple[int, int, int] | None  # (inode, mtime ns, size) of the index file; None: no file

# In-process memo: {store: (index file stamp, {run_id: entry})} so a warm query skips
# SQLite too.  It is dropped when the index file changes (deleted, replaced, rewritten).
_memory: dict[Path, tuple[Stamp, dict[str, Entry]]] = {}


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


def signatures(store: Path) -> dict[str, str]:
    """Run id -> signature for every run directory of the store (one stat per YAML file)."""
    base = str(store)
    return {run_id: signature(f"{base}/{run_id}") for run_id in run_names(store)}


def load_rows(store: Path, warn: Callable[[str], None]) -> list[dict[str, Any]]:
    """One frame row per readable run, from the index where it is fresh."""
    return load(store, warn)[0]


def load(
    store: Path, warn: Callable[[str], None], sigs: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """Rows as :func:`load_rows` for the runs of ``sigs`` (default: all), and whether the
    result is *settled*: every run readable, none RUNNING, every row storable, so the same
    signatures will always mean the same rows (see :func:`save_snapshot`)."""
    known, indexed = _known(store)
    rows: list[dict[str, Any]] = []
    fresh: dict[str, Entry] = {}
    changed: list[tuple[str, str, str, dict[str, Any]]] = []
    settled = True
    for run_id, sig in (signatures(store) if sigs is None else sigs).items():
        hit = known.get(run_id)
        if hit is not None and hit[0] == sig and hit[1] != "RUNNING":
            entry = hit
        else:
            try:
                record = read_run(store / run_id)
            except (CorruptRunError, OSError, UnicodeDecodeError) as exc:
                warn(f"skipping run {run_id}: {exc}")
                settled = False
                continue
            entry = (sig, record.status, record_row(record))
            changed.append((run_id, *entry))
            settled = settled and record.status != "RUNNING" and _encode(entry[2]) is not None
        fresh[run_id] = entry
        rows.append(entry[2])
    if changed or fresh.keys() != indexed:
        # the file also gets the trusted entries it lacks (deleted, corrupt, another process's)
        renewed = {c[0] for c in changed}
        _write_index(store, fresh, [(k, *v) for k, v in fresh.items() if k in renewed or k not in indexed])
    _memory[store] = (_stamp(_path(store)), fresh)
    return rows, settled


# -- the snapshot: the whole frame's columns, for a cold query that finds nothing changed -----

_SNAPSHOT_SCHEMA = "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY, sigs TEXT, columns TEXT)"


def load_snapshot(store: Path, sigs: dict[str, str]) -> dict[str, list[Any]] | None:
    """The frame columns saved with exactly these run signatures, else None.

    A cold query whose runs all match it skips decoding one index row per run and
    building the frame row by row.  Only settled results are saved (see :func:`load`).
    """
    path = _path(store)
    if not path.exists():
        return None
    try:
        db = _connect(path)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return None
            found = db.execute("SELECT sigs, columns FROM snapshot WHERE id = 1").fetchone()
        finally:
            db.close()
        if found is None or json.loads(found[0]) != sigs:
            return None
        columns = json.loads(found[1])
    except (sqlite3.Error, ValueError):
        return None  # locked, or damaged: the row-by-row path decides what to do
    return columns if isinstance(columns, dict) else None


def save_snapshot(store: Path, sigs: dict[str, str], columns: dict[str, list[Any]]) -> None:
    """Remember the frame of a settled result; best effort (skipped when locked)."""
    if not sigs:
        return  # an empty store gets no cache folder
    path = _path(store)
    db = _open_for_writing(store, path)
    if db is None:
        return
    try:
        values = (json.dumps(sigs), json.dumps(columns))
        db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?)", values)
    except sqlite3.OperationalError:
        pass  # locked by another process: it is writing one as good
    except sqlite3.DatabaseError:
        _discard(path)
    finally:
        db.close()


def _known(store: Path) -> tuple[dict[str, Entry], set[str]]:
    """Candidate entries (each still checked against its signature) and the run ids in the file.

    The memo stands while the index file is the one it was built with.  Otherwise the
    file is read; memo entries fill in what it lacks, so a deleted index is rewritten
    without reading every run again.
    """
    stamp = _stamp(_path(store))
    memo = _memory.get(store)
    if memo is not None and memo[0] == stamp:
        return memo[1], set(memo[1])
    stored = _read_index(store)
    return {**(memo[1] if memo else {}), **stored}, set(stored)


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
        db.execute(_SCHEMA)
        db.execute(_SNAPSHOT_SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


def _read_index(store: Path) -> dict[str, Entry]:
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
        entries = {r[0]: (r[1], r[2], json.loads(r[3])) for r in rows}
        return {k: v for k, v in entries.items() if isinstance(v[2], dict)}
    except sqlite3.OperationalError:
        return {}  # locked by a writer for too long: read the files this time
    except (sqlite3.DatabaseError, ValueError, TypeError):
        _discard(path)  # corrupt: rebuilt from the files
        return {}


_JSON_EXACT = (str, int, float, bool, type(None))  # the types JSON gives back unchanged


def _encode(row: dict[str, Any]) -> str | None:
    """The row as JSON, or None when JSON would not give back the same values.

    Such a row (a hand-written YAML date in params.yaml, say) is left out of the index,
    so that run is read from its files every time rather than answered with other types.
    """
    if all(type(v) in _JSON_EXACT for v in row.values()):
        return json.dumps(row)  # NaN and inf are written as JSON's NaN/Infinity extension
    return None


def _write_index(
    store: Path,
    fresh: dict[str, Entry],
    changed: list[tuple[str, str, str, dict[str, Any]]],
) -> None:
    path = _path(store)
    db = _open_for_writing(store, path)
    if db is None:
        return
    try:
        db.execute("BEGIN IMMEDIATE")
        _store_rows(db, fresh, changed)
        db.execute("COMMIT")
    except sqlite3.OperationalError:  # locked by another process: its update is as good
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.DatabaseError:
        _discard(path)
    finally:
        db.close()


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


def _store_rows(
    db: sqlite3.Connection,
    fresh: dict[str, Entry],
    changed: list[tuple[str, str, str, dict[str, Any]]],
) -> None:
    """Write the ``changed`` rows (every row after a schema change) and delete the rows of
    runs gone from the store or no longer storable; inside the caller's transaction."""
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        db.execute("DELETE FROM runs")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        changed = [(k, *v) for k, v in fresh.items()]
    encoded = [(run_id, sig, status, _encode(row)) for run_id, sig, status, row in changed]
    db.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)", [e for e in encoded if e[3]])
    unstored = {e[0] for e in encoded if e[3] is None}
    stored = {r[0] for r in db.execute("SELECT run_id FROM runs")}
    gone = (stored - set(fresh)) | (stored & unstored)
    db.executemany("DELETE FROM runs WHERE run_id = ?", [(r,) for r in gone])


def _discard(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def clear_memory() -> None:
    """Forget the in-process memo of index entries."""
    _memory.clear()
