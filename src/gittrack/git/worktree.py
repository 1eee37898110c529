"""Linked worktrees holding a run's code (``gittrack checkout``, ``gittrack reproduce``):
the user's own work tree is never touched."""

from __future__ import annotations

from pathlib import Path

from gittrack.git._run import check_rev, git_output


def add_worktree(root: Path, path: Path, commit: str) -> None:
    """A new linked worktree at ``path``, detached at ``commit``; the current one is untouched."""
    check_rev(commit)
    git_output(root, ["worktree", "add", "--detach", "--quiet", str(path.absolute()), commit])


def remove_worktree(root: Path, path: Path) -> None:
    """Remove the linked worktree at ``path`` (made by :func:`add_worktree`), changes and all."""
    git_output(root, ["worktree", "remove", "--force", str(path.absolute())])


def apply_patch(worktree: Path, patch: bytes) -> None:
    """``git apply`` ``patch`` (git's exact diff bytes) to the files of ``worktree``.

    ``--binary`` for binary hunks; ``--whitespace=nowarn`` so a user's
    ``apply.whitespace=fix`` cannot change a byte of what the run ran.
    """
    git_output(worktree, ["apply", "--binary", "--whitespace=nowarn", "-"], stdin=patch)
