"""The store's cache folder: git-ignored by its own .gitignore, safe to delete at any time."""

from __future__ import annotations

import os
from pathlib import Path

from gittrack.store.layout import CACHE_DIR, CHANGED_MARK


def ensure_cache_dir(store: Path) -> Path:
    """``<store>/.cache/`` with a ``.gitignore`` of ``*``, so git never sees it even without init."""
    folder = store / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by gittrack: everything here can be rebuilt\n*\n")
        make_change_mark(folder)
    return folder


def make_change_mark(folder: Path) -> None:
    """The store's change mark (``CHANGED_MARK``), dated 1970 so that it is settled at once:
    a writer's touch (:func:`gittrack.store.atomic.note_changed`) dates it now, a change
    whatever the clock's tick (see :mod:`gittrack.query.trust`)."""
    mark = folder / CHANGED_MARK
    mark.touch()
    os.utime(mark, ns=(0, 0))
