"""Crash-safe file writes: a temporary file in the same directory, then os.replace."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

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
    best effort."""
    with contextlib.suppress(OSError):
        os.utime(run_dir)
