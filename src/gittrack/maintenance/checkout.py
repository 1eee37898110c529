"""``gittrack checkout``: the code a run ran, in a new git worktree, the user's tree untouched.

A linked worktree (``git worktree add --detach``) at the run's commit, with the run's saved
``git.diff`` applied by ``git apply --binary``: the file holds git's exact bytes, so the
tracked files come back byte for byte, binary changes included.  Untracked files are not
recorded by a run and so cannot come back; they are listed in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.store import layout
from gittrack.store.reader import find_run_dir, read_run


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
    run_dir = find_run_dir(store, ref, warn)
    record = read_run(run_dir)
    info = record.meta.git or {}
    sha = _run_commit(root, record.run_id, info.get("commit"))
    if info.get("diff_truncated"):
        raise GittrackError(
            f"run {record.run_id}'s git.diff was cut at git.max_diff_kb, so its code cannot be "
            f"reproduced exactly; `git worktree add --detach DIR {sha}` gives the commit alone"
        )
    diff_path = run_dir / layout.GIT_DIFF
    patch = diff_path.read_bytes() if diff_path.is_file() else b""
    target = (worktree or root.parent / f"{root.name}-{short_ids([record.run_id])[0]}").absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise GittrackError(f"{target} already exists; choose another directory with --worktree DIR")
    git.add_worktree(root, target, sha)
    if patch:
        try:
            git.apply_patch(target, patch)
        except GittrackError as exc:
            git.remove_worktree(root, target)
            raise GittrackError(f"{diff_path} does not apply to {sha[:8]}: {exc}") from None
    return CheckoutResult(target, sha, bool(patch), tuple(info.get("untracked") or ()))


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
