"""Answers over all runs kept with the run index: in memory, and in the index's ``memo`` table.

The keys some run in scope has, the store's columns, each experiment's first start: each
needs every run's row, and depends only on the index's content.  So each is kept in this
process while the index file is the one it was computed from, and in the index's ``memo``
table (emptied by every change of its rows, :func:`gittrack.query.index._store_rows`) for
the next process: a warm ``gittrack ls`` of 100,000 runs reads one row instead of all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gittrack.query import index, trust

T = TypeVar("T")


_memo: dict[tuple[Path, str], tuple[index.Stamp, Any]] = {}


def memoised(store: Path, db: sqlite3.Connection, what: str, compute: Callable[[sqlite3.Connection], T]) -> T:
    """``compute(db)``'s answer for ``what``, from memory or the memo table when the index is
    the one it was computed from; computed (and kept) otherwise."""
    stamp = index.stamp(store)
    kept = _memo.get((store, what))
    if kept is not None and stamp is not None and kept[0] == stamp:
        return kept[1]  # type: ignore[no-any-return]
    found = db.execute("SELECT value FROM memo WHERE what = ?", (what,)).fetchone()
    value: T = json.loads(found[0]) if found is not None else _compute_and_keep(store, what, compute, db)
    _memo[(store, what)] = (index.stamp(store), value)
    return value


def _compute_and_keep(
    store: Path, what: str, compute: Callable[[sqlite3.Connection], T], reader: sqlite3.Connection
) -> T:
    """``compute`` in one write transaction of the index, so that no change of its rows can
    come between the answer and its memo; on the reader when the index is busy."""
    db = index.open_for_writing(store)
    if db is None:
        return compute(reader)
    try:
        db.execute("BEGIN IMMEDIATE")
        before = index.stamp(store)  # every other writer's change is in: this one holds the lock
        value = compute(db)
        db.execute("INSERT OR REPLACE INTO memo VALUES (?, ?)", (what, json.dumps(value)))
        db.execute("COMMIT")
        trust.restamp(store, before, index.stamp(store))
        return value
    except sqlite3.OperationalError:  # locked by a writer: answer without keeping it
        if db.in_transaction:
            db.execute("ROLLBACK")
        return compute(reader)
    finally:
        db.close()


def clear_memory() -> None:
    """Forget the answers kept in this process."""
    _memo.clear()
