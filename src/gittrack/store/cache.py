"""The store's cache folder: git-ignored by its own .gitignore, safe to delete at any time."""

from __future__ import annotations

from pathlib import Path

from gittrack.store.layout import CACHE_DIR


def ensure_cache_dir(store: Path) -> Path:
    """``<store>/.cache/`` with a ``.gitignore`` of ``*``, so git never sees it even without init."""
    folder = store / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by gittrack: everything here can be rebuilt\n*\n")
    return folder
