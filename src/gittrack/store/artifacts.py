"""A run's artifacts: copies of files under ``artifacts/``, never outside it.

Artifacts need no run writer: each is a file written atomically (or a tree copied) into
the run directory, so a Client can add one to any run, live or finished.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from gittrack.errors import ArtifactNotFoundError, InvalidArtifactPathError
from gittrack.store import layout, names
from gittrack.store.atomic import TMP_PREFIX, write_atomic


def artifact_dir(run_dir: Path, artifact_path: str | None) -> Path:
    """``artifacts/<artifact_path>`` of a run; the path is checked to stay inside."""
    return run_dir / layout.ARTIFACTS_DIR / names.check_artifact_path(artifact_path)


def copy_file(run_dir: Path, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> Path:
    """Copy one file into ``artifacts/<artifact_path>/``; returns the copy's path."""
    source = Path(local_path)
    target_dir = artifact_dir(run_dir, artifact_path)
    if not source.is_file():
        kind = "is a directory (use log_artifacts)" if source.is_dir() else "does not exist"
        raise ArtifactNotFoundError(f"artifact {str(source)!r} {kind}")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    tmp = target_dir / f"{TMP_PREFIX}{source.name}"
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


def copy_tree(run_dir: Path, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> Path:
    """Copy a directory's contents (recursively) into ``artifacts/<artifact_path>/``."""
    source = Path(local_dir)
    target_dir = artifact_dir(run_dir, artifact_path)
    if not source.is_dir():
        raise ArtifactNotFoundError(f"artifact directory {str(source)!r} does not exist")
    if target_dir.resolve().is_relative_to(source.resolve()):
        raise InvalidArtifactPathError(
            f"artifact directory {str(source)!r} holds the run's own artifacts; log a folder outside it"
        )
    shutil.copytree(source, target_dir, dirs_exist_ok=True)
    return target_dir


def write_bytes(run_dir: Path, artifact_file: str, data: bytes) -> Path:
    """Write ``data`` as the artifact ``artifact_file`` (a relative path with a file name)."""
    relative = names.check_artifact_path(artifact_file)
    if not relative:
        raise InvalidArtifactPathError(f"artifact file {artifact_file!r} names no file")
    target = run_dir / layout.ARTIFACTS_DIR / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data)
    return target
