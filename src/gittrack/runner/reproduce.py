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
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gittrack import git
from gittrack.errors import GittrackError
from gittrack.runner.command import RunResult, run_command
from gittrack.store import layout
from gittrack.store.config import load_config, resolve_store
from gittrack.store.reader import RunRecord, find_run_dir, read_run

if TYPE_CHECKING:
    import pandas as pd

REPRODUCED_FROM = "reproduced_from"


@dataclass(frozen=True)
class Reproduction:
    original: RunRecord
    run: RunResult
    worktree: Path
    comparison: pd.DataFrame  # gittrack.review.compare's frame of the two runs


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
    result = _run_again(original, command, store=root, target=target, grace=grace, stdout=stdout,
                        stderr=stderr, note=note)  # fmt: skip
    return Reproduction(original, result, target, comparison(root, original.run_id, result.run_id))


def _run_again(
    original: RunRecord,
    command: list[str],
    *,
    store: Path,
    target: Path,
    grace: float,
    stdout: IO[bytes] | None,
    stderr: IO[bytes] | None,
    note: Callable[[str], None] | None,
) -> RunResult:
    """``command`` run as a new run tagged ``reproduced_from``, with the original's
    experiment, ``-p`` params and settings, in the original's sub-directory of ``target``."""
    source = original.meta.source
    return run_command(
        command,
        store=store,
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


def comparison(store: Path, original: str, reproduction: str) -> pd.DataFrame:
    """The two runs side by side (``gittrack compare``'s table)."""
    from gittrack.review.compare import compare

    return compare(store, [original, reproduction], config=load_config())


def checkout(repo: Path, target: Path, commit: str, diff: Path) -> None:
    """A detached worktree of ``repo`` at ``commit`` in ``target``, with ``diff`` applied if it exists.

    Unlike :func:`gittrack.maintenance.checkout.checkout`, the repository is the one the command runs
    in (the store may live elsewhere) and a worktree whose diff fails to apply is kept.
    """
    git.add_worktree(repo, target, commit)
    if diff.is_file() and diff.stat().st_size:
        git.apply_patch(target, diff.read_bytes())


def _check_reproducible(record: RunRecord) -> tuple[list[str], str]:
    command = record.meta.source.get("command")
    if not command:
        raise GittrackError(
            f"run {record.run_id} was not made by `gittrack run`, so its command is unknown; "
            "only runs of `gittrack run -- COMMAND` can be reproduced"
        )
    if record.meta.source.get("sweep"):
        raise GittrackError(f"run {record.run_id} is a sweep; reproduce one of its trials instead")
    info: dict[str, Any] = record.meta.git or {}
    if not info.get("commit"):
        raise GittrackError(f"run {record.run_id} recorded no git commit, so its code cannot be checked out")
    if info.get("diff_truncated"):
        raise GittrackError(
            f"run {record.run_id} has a truncated git.diff (over git.max_diff_kb), so its code "
            "cannot be recreated exactly"
        )
    return [str(a) for a in command], str(info["commit"])
