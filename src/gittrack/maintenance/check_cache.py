"""``gittrack check``'s memory of clean runs: ``<store>/.cache/check.json``.

A run that passed every check is remembered with its signature: the path, inode,
modification time and size of every file and folder in its directory.  The next
``check`` skips a run whose signature is unchanged, so it costs a walk of the store plus
the reads of the runs that changed since the last clean pass; ``check --full`` checks
everything.  Only ended runs are remembered (a RUNNING run's owner can die without any
file changing), and only clean ones (a problem is reported, and repaired with ``--fix``,
every time).  The file is keyed by the checking code's own bytes, so a gittrack with new
checks looks at every run again.  Like the index it is never the source of truth: a
missing or damaged file means a full check.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from gittrack.store import cache, layout

FILE = "check.json"
VERSION = 1


def signature(run_dir: Path) -> str:
    """A digest of (relative path, inode, mtime, size) of everything under ``run_dir``."""
    parts: list[str] = []
    pending = [str(run_dir)]
    base = len(str(run_dir))
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            parts.append(f"{folder[base:]}!")
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            parts.append(f"{entry.path[base:]}\0{st.st_ino}:{st.st_mtime_ns}:{st.st_size}")
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
    return hashlib.blake2b("\n".join(parts).encode(errors="surrogateescape"), digest_size=16).hexdigest()


def _key() -> str:
    """Changes with the checking code itself (its modules' bytes)."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for name in ("check.py", "check_files.py", "check_cache.py"):
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return f"{VERSION}:{digest.hexdigest()}"


def load(store: Path) -> dict[str, str]:
    """Run directory name -> signature of its last clean pass ({} when unknown)."""
    try:
        data = json.loads((store / layout.CACHE_DIR / FILE).read_bytes())
        clean = data["clean"] if data.get("key") == _key() else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in clean.items()} if isinstance(clean, dict) else {}


def save(store: Path, clean: dict[str, str]) -> None:
    """Remember ``clean``; best effort (a read-only store just checks everything next time)."""
    if not store.is_dir():
        return
    try:
        folder = cache.ensure_cache_dir(store)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump({"key": _key(), "clean": clean}, out)
        os.replace(tmp, folder / FILE)
    except OSError:
        return
