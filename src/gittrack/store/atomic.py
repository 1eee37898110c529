"""Crash-safe file writes: a temporary file in the same directory, then os.replace."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from gittrack.store.layout import CACHE_DIR, CHANGED_MARK

TMP_PREFIX = ".tmp-"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never half."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{secrets.token_hex(4)}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def append_line(path: Path, text: str) -> None:
    """Append ``text`` with a single write() so concurrent readers never see a partial entry."""
    with open(path, "ab", buffering=0) as handle:
        handle.write(text.encode("utf-8"))


def mark_changed(run_dir: Path) -> None:
    """Set a run directory's mtime after an append to one of its files (an append leaves the
    directory alone), so the run index (:mod:`gittrack.query.index`) reads the run again;
    best effort.  Also :func:`note_changed`."""
    with contextlib.suppress(OSError):
        os.utime(run_dir)
    note_changed(run_dir)


def write_run_file(run_dir: Path, name: str, data: str | bytes) -> None:
    """:func:`write_atomic` of a file of a run directory, then :func:`note_changed`."""
    write_atomic(run_dir / name, data)
    note_changed(run_dir)


def note_changed(run_dir: Path) -> None:
    """Touch the store's change mark (``<store>/.cache/changed``, when it exists) after a write
    into an existing run: a query of a large store that trusts its stamps
    (:mod:`gittrack.query.trust`) then looks at every run directory again.  One ``utime``."""
    with contextlib.suppress(OSError):
        os.utime(f"{run_dir}/../{CACHE_DIR}/{CHANGED_MARK}")
