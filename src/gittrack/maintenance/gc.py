"""``gittrack gc``: remove for good the directories of runs marked deleted.

``Client().delete_run`` (``gittrack rm``) only sets ``lifecycle_stage: deleted`` in a run's
``meta.yaml``, which ``restore_run`` undoes; ``gc`` is the one step that loses data.  Each
doomed directory is first renamed into the git-ignored cache and only then deleted, so a
``gc`` killed half-way never leaves a half-removed run in the store.  A deleted run that is
still RUNNING (its writer alive) is left alone, with a warning.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from gittrack.store import cache, layout
from gittrack.store.reader import find_run_dir, scan


def set_stage(
    store: Path, refs: Sequence[str], *, deleted: bool, warn: Callable[[str], None] | None = None
) -> list[str]:
    """Mark the runs named by ``refs`` deleted (or active again); every ref is resolved
    before any run changes. Returns their ids."""
    from gittrack.store.writer import set_lifecycle_stage

    dirs = list(dict.fromkeys(find_run_dir(store, ref, warn) for ref in refs))
    for run_dir in dirs:
        set_lifecycle_stage(run_dir, layout.DELETED if deleted else layout.ACTIVE)
    return [d.name for d in dirs]


def gc(
    store: Path,
    *,
    dry_run: bool,
    only: Collection[str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[str]:
    """Ids of the deleted runs removed (with ``dry_run``: that would be removed), by id.

    ``only`` limits the removal to these run ids, e.g. the ones a user confirmed.
    """
    doomed = [d for d in deleted_run_dirs(store, warn=warn) if only is None or d.name in only]
    if not dry_run:
        for run_dir in doomed:
            remove_run_dir(store, run_dir)
    return [run_dir.name for run_dir in doomed]


def deleted_run_dirs(store: Path, *, warn: Callable[[str], None] | None = None) -> list[Path]:
    """Directories of the runs whose lifecycle stage is deleted, sorted by id."""
    say = warn or _ignore
    found = []
    for record in scan(store, say):
        if record.meta.lifecycle_stage != layout.DELETED:
            continue
        if record.status == "RUNNING":
            say(f"keeping run {record.run_id}: it is deleted but still running")
            continue
        found.append(Path(record.location))
    return found


def remove_run_dir(store: Path, run_dir: Path) -> None:
    """Move the run out of the store in one rename, then delete it."""
    trash = cache.ensure_cache_dir(store) / f"gc-{run_dir.name}-{secrets.token_hex(4)}"
    os.replace(run_dir, trash)
    shutil.rmtree(trash)


def _ignore(message: str) -> None:
    pass
