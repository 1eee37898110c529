"""``gittrack lfs``: Git LFS rules in ``.gitattributes`` for the patterns of ``artifacts.lfs``.

Writes the same line ``git lfs track`` would (``<pattern> filter=lfs diff=lfs merge=lfs
-text``), so it works before git-lfs is installed; git-lfs itself is still needed to push
and fetch the files (``git lfs install`` once per machine).  Idempotent: a pattern that
already has an ``filter=lfs`` rule is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gittrack.store.atomic import write_atomic

ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"
GITATTRIBUTES = ".gitattributes"


def lfs_track(root: Path, patterns: Sequence[str]) -> list[str]:
    """Append a rule for each of ``patterns`` that ``root/.gitattributes`` lacks; return the
    lines added (empty when there was nothing to do)."""
    path = root / GITATTRIBUTES
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = _lfs_patterns(text)
    added = []
    for pattern in dict.fromkeys(_escape(p) for p in patterns if p.strip()):
        if pattern not in present:
            added.append(f"{pattern} {ATTRIBUTES}")
    if added:
        separator = "" if not text or text.endswith("\n") else "\n"
        write_atomic(path, text + separator + "".join(f"{line}\n" for line in added))
    return added


def _lfs_patterns(text: str) -> set[str]:
    """Patterns that already have a ``filter=lfs`` rule."""
    found = set()
    for line in text.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and "filter=lfs" in fields[1:]:
            found.add(fields[0])
    return found


def _escape(pattern: str) -> str:
    """A pattern as one ``.gitattributes`` field: spaces become ``[[:space:]]``, as git-lfs writes."""
    return pattern.strip().replace(" ", "[[:space:]]")
