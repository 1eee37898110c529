"""Git state of the code a run starts from, with the user's git settings applied."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from gittrack.errors import GittrackWarning
from gittrack.store.config import Config

if TYPE_CHECKING:
    from gittrack.git import GitState

_warned_no_git = False


def git_state(config: Config, store: Path) -> GitState | None:
    """Capture commit, branch, dirty state and diff; None (and one warning) outside git."""
    global _warned_no_git
    if config.root is None:
        if not _warned_no_git:
            _warned_no_git = True
            warnings.warn(
                f"{config.base} is not inside a git repository: runs will have no git commit",
                GittrackWarning,
                stacklevel=4,
            )
        return None
    from gittrack import git
    from gittrack.errors import GittrackError

    exclude = []
    if store.is_relative_to(config.root):
        exclude.append(store.relative_to(config.root).as_posix())
    try:
        return git.capture(
            config.root,
            exclude=exclude,
            max_diff_bytes=int(config.get("git", "max_diff_kb")) * 1024,
            max_untracked=int(config.get("git", "max_untracked")),
        )
    except GittrackError as exc:  # e.g. git missing, or "dubious ownership": log the run anyway
        warnings.warn(f"git state not recorded: {exc}", GittrackWarning, stacklevel=4)
        return None
