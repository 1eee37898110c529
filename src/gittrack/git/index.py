"""Staging and committing run files, only when the user asked for it (``gittrack commit``).

Paths go through stdin, so any number of them fits, and match literally: a run
directory is a path, not a glob.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gittrack.git._paths import exclude_pathspecs, normalise_prefix
from gittrack.git._run import git_output, run_git
from gittrack.git.revisions import resolve_revision


def _literal_paths(paths: Sequence[str]) -> bytes:
    """NUL-separated pathspecs for ``--pathspec-from-file``, each matching one path exactly."""
    return b"".join(b":(top,literal)" + os.fsencode(p) + b"\0" for p in paths)


def uncommitted_paths(root: Path, prefix: str) -> list[str]:
    """Files under ``prefix`` (relative to ``root``) that are untracked, changed or deleted.

    Ignored files are not listed.  Paths are relative to ``root``.
    """
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
    out = git_output(root, [*args, "--", f":(top,literal){normalise_prefix(prefix)}"])
    # Each record is "XY path"; --no-renames means there is never a second path.
    return [os.fsdecode(rec[3:]) for rec in out.split(b"\0") if len(rec) > 3]


def changed_tracked_files(root: Path, exclude: Sequence[str] = ()) -> list[str]:
    """Tracked files whose work-tree content differs from HEAD (what ``git add -u`` stages).

    ``exclude`` are paths relative to ``root`` (the run store) left out.
    """
    args = ["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "HEAD", "--", ":/"]
    out = git_output(root, [*args, *exclude_pathspecs(root, exclude)])
    return [os.fsdecode(p) for p in out.split(b"\0") if p]


def stage(root: Path, paths: Sequence[str]) -> None:
    """Stage exactly ``paths`` (relative to ``root``), as ``git add`` would; a deleted path
    stages its removal.

    ``git update-index --add --remove --stdin`` takes the paths as paths, so its cost grows
    with their number; ``git add`` matches every file against every pathspec, which at
    10,000 runs (80,000 paths) costs minutes.  Content goes through the same clean filters
    (``.gitattributes``, Git LFS) as with ``git add``.
    """
    if paths:
        stdin = b"".join(os.fsencode(p) + b"\0" for p in paths)
        git_output(root, ["update-index", "--add", "--remove", "-z", "--stdin"], stdin=stdin)


def stage_folder(root: Path, folder: str, exclude: Sequence[str] = ()) -> None:
    """``git add -A`` of everything under ``folder`` but the paths ``exclude`` (all relative
    to ``root``): one pathspec per path left out, so its cost is git's own ``git add``."""
    specs = [f":(top,literal){normalise_prefix(folder)}", *(f":(top,literal,exclude){p}" for p in exclude)]
    stdin = b"".join(os.fsencode(spec) + b"\0" for spec in specs)
    git_output(root, ["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"], stdin=stdin)


def staged_paths(root: Path) -> set[str]:
    """Paths whose staged content differs from HEAD (every indexed path before a first commit)."""
    if run_git(root, ["rev-parse", "--verify", "--quiet", "HEAD"]).returncode != 0:
        out = git_output(root, ["ls-files", "-z"])
    else:
        out = git_output(root, ["diff-index", "--cached", "--name-only", "-z", "--no-renames", "HEAD"])
    return {os.fsdecode(p) for p in out.split(b"\0") if p}


def commit_paths(root: Path, message: str, paths: Sequence[str], *, staged_only: bool = False) -> str:
    """Commit the work-tree content of ``paths`` only; return the new commit's SHA.

    ``--only``: anything else the user had staged stays staged and out of this commit.
    With ``staged_only`` the caller has staged ``paths`` and knows nothing else is staged,
    so a plain commit of the index is the same commit without matching every index entry
    against every path (minutes at 80,000 paths).  Hooks run as for any commit.  The paths
    must be known to git (staged first).
    """
    if staged_only:
        git_output(root, ["commit", "--quiet", "--untracked-files=no", "-m", message])
    else:
        args = ["commit", "--only", "--quiet", "-m", message, "--pathspec-from-file=-", "--pathspec-file-nul"]
        git_output(root, args, stdin=_literal_paths(paths))
    return resolve_revision(root, "HEAD")


def lfs_tracked(root: Path, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` whose ``filter`` attribute is ``lfs`` (``.gitattributes`` rules)."""
    if not paths:
        return set()
    stdin = b"".join(os.fsencode(p) + b"\0" for p in paths)  # paths, not pathspecs
    out = git_output(root, ["check-attr", "-z", "--stdin", "filter"], stdin=stdin)
    fields = out.split(b"\0")  # path, attribute, value; repeated
    return {os.fsdecode(fields[i]) for i in range(0, len(fields) - 2, 3) if fields[i + 2] == b"lfs"}
