"""Where a work tree, its git directories and its pathspecs are: no git process."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path


def find_worktree_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding a ``.git`` directory or file.

    Pure filesystem walk, no subprocess: this runs on every CLI start.  A ``.git`` file is
    what linked worktrees and submodules have.
    """
    here = start.absolute()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def git_dirs(root: Path) -> tuple[Path, Path]:
    """(git dir, common dir) of the work tree at ``root``.

    They differ for a linked worktree: HEAD and the index are per worktree, branches and
    config are shared in the common dir.
    """
    git_dir = root / ".git"
    if git_dir.is_file():
        text = git_dir.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            git_dir = root / text[len("gitdir:") :].strip()
    commondir = git_dir / "commondir"
    common_dir = git_dir / commondir.read_text().strip() if commondir.is_file() else git_dir
    return git_dir, common_dir


def git_state_files(root: Path) -> tuple[Path, Path]:
    """git's index file and ``HEAD`` of the work tree at ``root``: every git command that
    changes a tracked file of the work tree (checkout, merge, reset, stash) rewrites the
    index."""
    git_dir, _common = git_dirs(root)
    return git_dir / "index", git_dir / "HEAD"


def normalise_prefix(prefix: str) -> str:
    prefix = posixpath.normpath(prefix.replace(os.sep, "/")).strip("/")
    return "" if prefix == "." else prefix


def exclude_pathspecs(root: Path, exclude: Sequence[str]) -> list[str]:
    """Pathspecs that hide the run store from status and diff."""
    specs = []
    for item in exclude:
        path = Path(item)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(root)
            except ValueError:
                continue  # a store outside the work tree cannot make it dirty
        rel = posixpath.normpath(path.as_posix())
        if rel in (".", "..") or rel.startswith("../"):
            continue
        # literal: a store path is a path, not a glob.
        specs.append(f":(top,literal,exclude){rel}")
    return specs
