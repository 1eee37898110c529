"""The snapshot: the whole runs frame's columns in the index file, keyed on the store's
stamps (:func:`gittrack.query.index.signatures`), for a cold DataFrame query that finds
nothing changed: it skips decoding one index row per run and building the frame row by row.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from gittrack.query import index


def load_snapshot(store: Path, sigs: dict[str, str]) -> dict[str, list[Any]] | None:
    """The frame columns saved with exactly these run signatures, else None.

    A cold query whose runs all match it skips decoding one index row per run and
    building the frame row by row.  Only settled results are saved (see :func:`load`).
    """
    path = index.path(store)
    if not path.exists():
        return None
    try:
        db = index._connect(path)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != index.SCHEMA_VERSION:
                return None
            found = db.execute("SELECT sigs, columns FROM snapshot WHERE id = 1").fetchone()
        finally:
            db.close()
        if found is None or found[0] != index.digest(sigs):
            return None
        columns = json.loads(found[1])
    except (sqlite3.Error, ValueError):
        return None  # locked, or damaged: the row-by-row path decides what to do
    return columns if isinstance(columns, dict) else None


def save_snapshot(store: Path, sigs: dict[str, str], columns: dict[str, list[Any]]) -> None:
    """Remember the frame of a settled result; best effort (skipped when locked)."""
    if not sigs:
        return  # an empty store gets no cache folder
    path = index.path(store)
    db = index._open_for_writing(store, path)
    if db is None:
        return
    try:
        values = (index.digest(sigs), json.dumps(columns))
        db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?)", values)
    except sqlite3.OperationalError:
        pass  # locked by another process: it is writing one as good
    except sqlite3.DatabaseError:
        index._discard(path)
    finally:
        db.close()
