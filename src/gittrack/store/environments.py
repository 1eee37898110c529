"""The package environments of runs, each distinct one stored once (docs/format.md).

Most runs of a project share one environment capture (a few KB of ``name==version``
lines). A run records the SHA-256 of its capture in ``meta.yaml`` (``environment``), and the
text lives once in ``<store>/environments/<sha256>.txt``: identical content, identical name,
so two branches that add the same environment add the same file with the same bytes and
merge without a conflict, and a new environment is a new file.

Runs written before keep their own ``environment.txt``; :func:`run_environment` reads
either.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gittrack.store import layout
from gittrack.store.atomic import write_atomic


def digest(text: str) -> str:
    """The name of ``text`` in the store: the SHA-256 of its UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def relative_path(sha: str) -> str:
    """The file of environment ``sha`` relative to the store: ``environments/<sha>.txt``."""
    return f"{layout.ENVIRONMENTS_DIR}/{sha}.txt"


def save(store: Path, text: str) -> str:
    """Store ``text`` once (atomically; a file already there is never rewritten) and return
    its digest, the value of ``meta.yaml``'s ``environment``."""
    sha = digest(text)
    path = store / relative_path(sha)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)  # two processes racing write the same bytes: either rename wins
    return sha


def environment_file(run_dir: Path, sha: str | None) -> Path | None:
    """Where a run's environment is in the work tree: its own ``environment.txt`` (runs
    written before environments were shared), else the shared file of ``sha``; None when
    the run has neither."""
    own = run_dir / layout.ENVIRONMENT
    if own.is_file():
        return own
    if sha is None:
        return None
    shared = run_dir.parent / relative_path(sha)
    return shared if shared.is_file() else None


def run_environment(run_dir: Path, sha: str | None) -> str | None:
    """The text of a run's environment capture (see :func:`environment_file`)."""
    path = environment_file(run_dir, sha)
    return None if path is None else path.read_text(encoding="utf-8")


def stored(store: Path) -> list[Path]:
    """The shared environment files of a store, sorted by name."""
    folder = store / layout.ENVIRONMENTS_DIR
    return sorted(folder.glob("*.txt")) if folder.is_dir() else []
