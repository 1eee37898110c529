"""``gittrack reproduce``: run a run again on the exact code it ran.

The code state comes back as ``gittrack checkout`` brings it back
(:mod:`gittrack.maintenance.checkout`: the run's commit, checked to be in the repository,
in a new detached worktree, with its ``git.diff`` applied), so the user's own work tree is
never touched.  The command runs there as ``gittrack run`` runs it, in the same
sub-directory, and is recorded in the *original* store as a new run tagged
``reproduced_from=<run id>``:

- a run of ``gittrack run``: its ``source.command``, with the same ``-p`` params and
  ``--parse-metrics`` setting;
- a run logged from Python (``import gittrack``): its interpreter (``source.executable``,
  else this one) with its ``source.argv``, the script path moved into the worktree; a run
  of ``python -c`` has no script to run again and is refused.

Untracked files are not part of the recorded state: they are named in a note.  A worktree
in a temporary directory (no ``worktree`` given) is always removed at the end, after a
failure, Ctrl-C or SIGTERM too; one the user placed with ``worktree`` stays.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from gittrack.errors import GittrackError
from gittrack.maintenance.checkout import CodeState, add_code_worktree, code_state, remove_code_worktree
from gittrack.runner.command import RunResult, run_command
from gittrack.runner.signals import on_signals
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
    kept: bool  # the worktree is still there (the user chose where it goes)
    comparison: pd.DataFrame  # gittrack.review.compare's frame of the two runs


@dataclass(frozen=True)
class Command:
    """How to run a run again: the arguments, and the sub-directory of the repository."""

    argv: list[str]
    workdir: str  # relative to the top of the work tree, "/"-separated
    params: dict[str, object]
    parse_metrics: bool


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
    """Recreate run ``ref``'s code in ``worktree`` (default: a temporary directory, removed
    at the end), run its command there as a new run, and compare the two runs."""
    say = note or _ignore
    config = load_config()
    root = resolve_store(store, config)
    original = read_run(find_run_dir(root, ref))
    if config.root is None:
        raise GittrackError(
            "gittrack reproduce needs the run's git repository: run it inside that repository"
        )
    repo = config.root
    command = command_of(original, repo)
    state = code_state(repo, original)  # nothing is created for a run whose code cannot come back
    with _worktree(repo, state, worktree, say) as target:
        if state.untracked:
            listed = ", ".join(state.untracked)
            say(f"not reproduced: files that were untracked when the run started: {listed}")
        say(f"code of run {original.run_id} checked out in {target}")
        result = run_command(
            [*(_into(a, repo, target) for a in command.argv)], store=root,
            experiment=original.meta.experiment, params=command.params,
            tags={REPRODUCED_FROM: original.run_id}, parse_metrics=command.parse_metrics, grace=grace,
            cwd=target / command.workdir, stdout=stdout, stderr=stderr, note=note,
        )  # fmt: skip
    kept = worktree is not None
    return Reproduction(original, result, target, kept, comparison(root, original.run_id, result.run_id))


@contextmanager
def _worktree(
    repo: Path, state: CodeState, chosen: Path | None, say: Callable[[str], None]
) -> Iterator[Path]:
    """The code in ``chosen``, or in a temporary worktree that is removed whatever happens:
    SIGTERM and SIGHUP end this process through ``finally`` as Ctrl-C does."""
    if chosen is not None:
        add_code_worktree(repo, chosen, state)
        yield chosen
        return

    def stop(signum: int) -> None:
        raise SystemExit(128 + signum)

    with on_signals(stop):  # `gittrack run` forwards them to the command while it runs
        target = Path(tempfile.mkdtemp(prefix="gittrack-reproduce-"))
        try:
            add_code_worktree(repo, target, state)
            yield target
        finally:
            remove_code_worktree(repo, target)
            say(f"removed the temporary worktree {target}")


def command_of(record: RunRecord, repo: Path) -> Command:
    """How ``record`` is run again; a GittrackError when it cannot be."""
    source = record.meta.source
    if source.get("sweep"):
        raise GittrackError(f"run {record.run_id} is a sweep; reproduce one of its trials instead")
    params = {k: record.params[k] for k in source.get("run_params") or [] if k in record.params}
    if source.get("command"):
        workdir = str(source.get("workdir") or ".")
        return Command(
            [str(a) for a in source["command"]], workdir, params, bool(source.get("parse_metrics"))
        )
    argv = [str(a) for a in source.get("argv") or []]
    if not argv or not source.get("entry_point"):
        raise GittrackError(
            f"run {record.run_id} recorded no script to run again (it was logged from "
            f"{'python -c or an interactive session' if argv else 'an unknown command'}); "
            "runs of a script or of `gittrack run -- COMMAND` can be reproduced"
        )
    executable = str(source.get("executable") or "")
    python = executable if executable and Path(executable).is_file() else sys.executable
    return Command([python, *argv], _workdir(source.get("cwd"), repo), {}, False)


def _workdir(cwd: object, repo: Path) -> str:
    """The run's working directory relative to the repository ('.' when it was elsewhere)."""
    try:
        return Path(str(cwd)).resolve().relative_to(repo.resolve()).as_posix()
    except (ValueError, OSError):
        return "."


def _into(arg: str, repo: Path, target: Path) -> str:
    """An absolute path inside the repository, moved into the worktree (the script itself)."""
    path = Path(arg)
    if path.is_absolute() and path.is_relative_to(repo):
        return str(target / path.relative_to(repo))
    return arg


def comparison(store: Path, original: str, reproduction: str) -> pd.DataFrame:
    """The two runs side by side (``gittrack compare``'s table)."""
    from gittrack.review.compare import compare

    return compare(store, [original, reproduction], config=load_config())


def _ignore(message: str) -> None:
    pass
