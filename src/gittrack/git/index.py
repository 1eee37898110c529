"""Staging and committing run files, only when the user asked for it (``gittrack commit``).

Paths go through stdin, so any number of them fits, and match literally: a run
directory is a path, not a glob.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gittrack.git._paths import exclude_pathspecs, normalise_prefix
from gittrack.git._run import git_output
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
    """``git add`` exactly ``paths`` (relative to ``root``); a deleted path stages its removal."""
    if paths:
        args = ["add", "--pathspec-from-file=-", "--pathspec-file-nul"]
        git_output(root, args, stdin=_literal_paths(paths))


def commit_paths(root: Path, message: str, paths: Sequence[str]) -> str:
    """Commit the work-tree content of ``paths`` only; return the new commit's SHA.

    ``--only``: anything else the user had staged stays staged and out of this commit.
    Hooks run as for any commit.  The paths must be known to git (staged first).
    """
    args = ["commit", "--only", "--quiet", "-m", message]
    git_output(root, [*args, "--pathspec-from-file=-", "--pathspec-file-nul"], stdin=_literal_paths(paths))
    return resolve_revision(root, "HEAD")


def lfs_tracked(root: Path, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` whose ``filter`` attribute is ``lfs`` (``.gitattributes`` rules)."""
    if not paths:
        return set()
    stdin = b"".join(os.fsencode(p) + b"\0" for p in paths)  # paths, not pathspecs
    out = git_output(root, ["check-attr", "-z", "--stdin", "filter"], stdin=stdin)
    fields = out.split(b"\0")  # path, attribute, value; repeated
    return {os.fsdecode(fields[i]) for i in range(0, len(fields) - 2, 3) if fields[i + 2] == b"lfs"}
