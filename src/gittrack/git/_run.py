"""Running git: one plain subprocess per call, pointed at the repository we were given."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gittrack.errors import GittrackError

# Variables git exports into hooks that point it at another repository or index; left in
# place they would make us inspect a different repo than the one found from `path`.
_REPO_ENV_VARS = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
    }
)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV_VARS}
    # All our calls are reads: without this `git status` takes index.lock to refresh the
    # index, which makes a user's concurrent `git commit` fail.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def run_git(
    root: Path, args: Sequence[str], *, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git *args`` in ``root``; a non-zero exit is returned, not raised."""
    try:
        return subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, env=git_env(), check=False
        )
    except FileNotFoundError as e:
        raise not_found(root, e) from e


def not_found(root: Path, error: OSError) -> GittrackError:
    return GittrackError(f"could not run git in {root} ({error}): is git installed and on PATH?")


def failure(proc: subprocess.CompletedProcess[bytes], what: str) -> GittrackError:
    message = proc.stderr.decode(errors="replace").strip()
    return GittrackError(f"git {what} failed: {message or f'exit status {proc.returncode}'}")


def git_output(root: Path, args: Sequence[str], *, stdin: bytes | None = None) -> bytes:
    proc = run_git(root, args, stdin=stdin)
    if proc.returncode != 0:
        raise failure(proc, args[0])
    return proc.stdout


def run_limited(root: Path, args: Sequence[str], limit: int) -> tuple[bytes, bool]:
    """Stdout of ``git *args`` cut after ``limit`` bytes, and whether it was cut.

    Streams so that a huge diff (a tracked data file rewritten) is never held in memory:
    git is killed once ``limit`` bytes have been read.
    """
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                ["git", *args], cwd=root, env=git_env(), stdout=subprocess.PIPE, stderr=err
            )
        except FileNotFoundError as e:
            raise not_found(root, e) from e
        with proc:
            assert proc.stdout is not None
            data = proc.stdout.read(limit + 1)
            truncated = len(data) > limit
            if truncated:
                proc.kill()
        if not truncated and proc.returncode != 0:
            err.seek(0)
            failed = subprocess.CompletedProcess(args, proc.returncode, b"", err.read())
            raise failure(failed, args[0])
    return data, truncated


def check_rev(rev: str) -> None:
    # A revision starting with "-" would be read by git as an option.
    if not rev or rev.startswith("-") or any(c in rev for c in "\n\0"):
        raise GittrackError(f"unknown revision '{rev}': not a branch, tag or commit")
