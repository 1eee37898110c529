"""``gittrack checkout``: the code a run ran, in a new git worktree, the user's tree untouched.

A linked worktree (``git worktree add --detach``) at the run's commit, with the run's saved
``git.diff`` applied by ``git apply --binary``: the file holds git's exact bytes, so the
tracked files come back byte for byte, binary changes included.  Untracked files are not
recorded by a run and so cannot come back; they are listed in the result.

The pieces are shared with ``gittrack reproduce``: :func:`code_state` checks that a run's
code can come back (a commit the repository has, a diff that was not cut) before anything
is created, :func:`add_code_worktree` makes the worktree (and leaves nothing when the diff
does not apply), :func:`remove_code_worktree` takes it away again.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.store import layout
from gittrack.store.reader import RunRecord, find_run_dir, read_run


@dataclass(frozen=True)
class CodeState:
    """The code a run ran: a commit of the repository, and the diff applied on top of it."""

    commit: str  # full SHA
    patch: bytes  # the run's git.diff (b"" for a clean tree)
    diff_path: Path  # where the diff is, for messages
    untracked: tuple[str, ...]  # untracked when the run started: not recorded, not restored


@dataclass(frozen=True)
class CheckoutResult:
    path: Path
    commit: str
    applied_diff: bool
    untracked: tuple[str, ...]  # untracked when the run started: not recorded, not restored


def checkout(
    store: Path, ref: str, *, worktree: Path | None = None, warn: Callable[[str], None] | None = None
) -> CheckoutResult:
    """A new worktree at ``worktree`` (default ``../<repo>-<short run id>``) holding the code
    run ``ref`` ran.  Nothing is created when the run cannot be reproduced."""
    from gittrack.query.revision import store_prefix
    from gittrack.review.ls import short_ids

    root, _prefix = store_prefix(store)
    record = read_run(find_run_dir(store, ref, warn))
    state = code_state(root, record)
    target = (worktree or root.parent / f"{root.name}-{short_ids([record.run_id])[0]}").absolute()
    add_code_worktree(root, target, state)
    return CheckoutResult(target, state.commit, bool(state.patch), state.untracked)


def code_state(root: Path, record: RunRecord) -> CodeState:
    """The commit and diff of ``record`` (a run read from its directory), checked against the
    repository at ``root``: a GittrackError saying what to do when they cannot come back."""
    info = record.meta.git or {}
    sha = _run_commit(root, record.run_id, info.get("commit"))
    if info.get("diff_truncated"):
        raise GittrackError(
            f"run {record.run_id}'s git.diff was cut at git.max_diff_kb, so its code cannot be "
            f"reproduced exactly; `git worktree add --detach DIR {sha}` gives the commit alone"
        )
    diff_path = Path(record.location) / layout.GIT_DIFF
    patch = diff_path.read_bytes() if diff_path.is_file() else b""
    return CodeState(sha, patch, diff_path, tuple(info.get("untracked") or ()))


def add_code_worktree(root: Path, target: Path, state: CodeState) -> None:
    """A detached worktree of ``root`` at ``target`` holding ``state``; when the diff does not
    apply the worktree is removed again and a GittrackError says so.  ``target`` must not
    exist, or be an empty directory."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise GittrackError(f"{target} already exists; choose another directory with --worktree DIR")
    git.add_worktree(root, target, state.commit)
    if state.patch:
        try:
            git.apply_patch(target, state.patch)
        except GittrackError as exc:
            remove_code_worktree(root, target)
            raise GittrackError(f"{state.diff_path} does not apply to {state.commit[:8]}: {exc}") from None


def remove_code_worktree(root: Path, target: Path) -> None:
    """Remove the worktree at ``target`` and whatever is in it; never raises."""
    with contextlib.suppress(GittrackError):  # not (or no longer) a worktree: rmtree does it
        git.remove_worktree(root, target)
    shutil.rmtree(target, ignore_errors=True)


def _run_commit(root: Path, run_id: str, commit: object) -> str:
    if not commit:
        raise GittrackError(
            f"run {run_id} recorded no git commit (it ran outside git or before the first commit)"
        )
    try:
        return git.resolve_revision(root, str(commit))
    except GittrackError:
        raise GittrackError(
            f"run {run_id} ran on commit {commit}, which this repository does not have; "
            "fetch it first (git fetch)"
        ) from None
