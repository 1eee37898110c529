"""All of gittrack's access to git: the state a run starts from, and runs read from any revision.

Every function is a thin wrapper around one machine-readable git command
(``status --porcelain=v2 -z``, ``ls-tree -z``, ``cat-file --batch``...) run as a plain
subprocess (:mod:`gittrack.git._run`).  GitPython is not used: every call gittrack needs is
one plumbing command whose output is made for programs, a ``Repo`` would keep a pair of
``git cat-file`` processes alive per repository, and importing it costs ~100 ms.  This
package imports only :mod:`gittrack.errors`.

Every call is read-only except those of :mod:`~gittrack.git.index` and
:mod:`~gittrack.git.worktree`, which stage, commit or add a worktree: only ``gittrack
commit``, ``gittrack checkout`` and ``gittrack reproduce`` use them, because making that
change is what the user asked for.
"""

from __future__ import annotations

from gittrack.git._paths import find_worktree_root, git_state_files
from gittrack.git.capture import GitState, capture, clear_capture_cache
from gittrack.git.history import default_branch, first_parent_history, merge_base
from gittrack.git.index import (
    changed_tracked_files,
    commit_paths,
    lfs_tracked,
    stage,
    stage_folder,
    staged_paths,
    uncommitted_paths,
)
from gittrack.git.remote import strip_credentials
from gittrack.git.revisions import (
    changed_entries,
    list_tree,
    list_tree_sizes,
    read_blob,
    read_tree_files,
    resolve_revision,
    tree_id,
)
from gittrack.git.worktree import add_worktree, apply_patch, remove_worktree

__all__ = [
    "GitState",
    "add_worktree",
    "apply_patch",
    "capture",
    "changed_entries",
    "changed_tracked_files",
    "clear_capture_cache",
    "commit_paths",
    "default_branch",
    "find_worktree_root",
    "first_parent_history",
    "git_state_files",
    "lfs_tracked",
    "list_tree",
    "list_tree_sizes",
    "merge_base",
    "read_blob",
    "read_tree_files",
    "remove_worktree",
    "resolve_revision",
    "stage",
    "stage_folder",
    "staged_paths",
    "strip_credentials",
    "tree_id",
    "uncommitted_paths",
]
