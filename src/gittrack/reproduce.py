"""``gittrack reproduce``: run a ``gittrack run`` run again on the exact code it ran.

The code state comes back in a new, detached git worktree (``git worktree add --detach
DIR <commit>``, then ``git apply`` of the run's ``git.diff`` when its tree was dirty), so
the user's own work tree is never touched.  The command runs there, in the same
sub-directory, with the same ``-p`` params and ``--parse-metrics`` setting, and is
recorded in the *original* store as a new run tagged ``reproduced_from=<run id>``.
Untracked files are not part of the recorded state: they are named in a note.  The
worktree stays for inspection; ``git worktree remove DIR`` deletes it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gittrack.config import load_config, resolve_store
from gittrack.errors import GittrackError
from gittrack.run_command import RunResult, run_command
from gittrack.store import layout
from gittrack.store.reader import RunRecord, find_run_dir, read_run

if TYPE_CHECKING:
    import pandas as pd

REPRODUCED_FROM = "reproduced_from"


@dataclass(frozen=True)
class Reproduction:
    original: RunRecord
    run: RunResult
    worktree: Path
    comparison: pd.DataFrame  # gittrack.compare's frame of the two runs


def reproduce(
    ref: str,
    *,
    store: str | os.PathLike[str] | None = None,
    worktree: Path | None = None,
    grace: float = 10.0,
    stdout: IO[bytes] | None = None,
    stderr: IO[bytes] | None = None,
    note: Callable[[str], None] | None = None,
) -> Reproduction:
    """Recreate run ``ref``'s code in ``worktree`` (default: a new temporary directory),
    run its command there as a new run, and compare the two runs."""
    config = load_config()
    root = resolve_store(store, config)
    original = read_run(find_run_dir(root, ref))
    command, commit = _check_reproducible(original)
    if config.root is None:
        raise GittrackError(
            "gittrack reproduce needs the run's git repository: run it inside that repository"
        )
    target = worktree if worktree is not None else Path(tempfile.mkdtemp(prefix="gittrack-reproduce-"))
    checkout(config.root, target, commit, Path(original.location) / layout.GIT_DIFF)
    untracked = (original.meta.git or {}).get("untracked") or []
    if untracked and note is not None:
        note(f"not reproduced: files that were untracked when the run started: {', '.join(untracked)}")
    if note is not None:
        note(f"code of run {original.run_id} checked out in {target}")
    source = original.meta.source
    result = run_command(
        command,
        store=root,
        experiment=original.meta.experiment,
        params={k: original.params[k] for k in source.get("run_params") or [] if k in original.params},
        tags={REPRODUCED_FROM: original.run_id},
        parse_metrics=bool(source.get("parse_metrics")),
        grace=grace,
        cwd=target / str(source.get("workdir") or "."),
        stdout=stdout,
        stderr=stderr,
        note=note,
    )
    return Reproduction(original, result, target, comparison(root, original.run_id, result.run_id))


def comparison(store: Path, original: str, reproduction: str) -> pd.DataFrame:
    """The two runs side by side (``gittrack compare``'s table)."""
    from gittrack.compare import compare

    return compare(store, [original, reproduction], config=load_config())


def checkout(repo: Path, target: Path, commit: str, diff: Path) -> None:
    """A detached worktree of ``repo`` at ``commit`` in ``target``, with ``diff`` applied if it exists."""
    worktree_add(repo, target, commit)
    if diff.is_file() and diff.stat().st_size:
        apply_patch(target, diff)


def _check_reproducible(record: RunRecord) -> tuple[list[str], str]:
    command = record.meta.source.get("command")
    if not command:
        raise GittrackError(
            f"run {record.run_id} was not made by `gittrack run`, so its command is unknown; "
            "only runs of `gittrack run -- COMMAND` can be reproduced"
        )
    if record.meta.source.get("sweep"):
        raise GittrackError(f"run {record.run_id} is a sweep; reproduce one of its trials instead")
    git: dict[str, Any] = record.meta.git or {}
    if not git.get("commit"):
        raise GittrackError(f"run {record.run_id} recorded no git commit, so its code cannot be checked out")
    if git.get("diff_truncated"):
        raise GittrackError(
            f"run {record.run_id} has a truncated git.diff (over git.max_diff_kb), so its code "
            "cannot be recreated exactly"
        )
    return [str(a) for a in command], str(git["commit"])


# -- git calls (to move into gittrack/git.py, which owns all git access) -----------------------


def worktree_add(repo: Path, target: Path, commit: str) -> None:
    """``git worktree add --detach TARGET COMMIT`` in ``repo``."""
    _git(repo, "worktree", "add", "--detach", str(target), commit)


def apply_patch(worktree: Path, patch: Path) -> None:
    """``git apply PATCH`` in ``worktree`` (binary patches included)."""
    _git(worktree, "apply", "--whitespace=nowarn", str(patch.resolve()))


def _git(cwd: Path, *args: str) -> None:
    # Variables a git hook may export would point git at another repository.
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise GittrackError(f"could not run git ({exc}): is git installed and on PATH?") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise GittrackError(f"git {' '.join(args[:2])} failed: {message}")
