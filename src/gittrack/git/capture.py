"""The git state a run starts from: commit, branch, dirtiness, untracked files and diff."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gittrack.git._paths import exclude_pathspecs, find_worktree_root, git_dirs
from gittrack.git._run import git_output, run_limited
from gittrack.git.remote import read_remote


@dataclass(frozen=True)
class GitState:
    """What a run records about the code it ran: enough to check out and re-apply it.

    ``diff`` is ``git diff HEAD --binary`` decoded as UTF-8 with ``surrogateescape``, so
    ``diff.encode("utf-8", "surrogateescape")`` gives git's exact bytes back, ready for
    ``git apply`` even when a file is not UTF-8.  ``untracked`` lists a wholly untracked
    directory once, as ``"dir/"``, as ``git status`` does.
    """

    commit: str | None
    branch: str | None
    detached: bool
    dirty: bool
    remote: str | None
    untracked: tuple[str, ...]
    diff: str
    diff_truncated: bool

    def to_dict(self) -> dict[str, object]:
        """The fields meta.yaml stores; the diff goes to its own file."""
        return {
            "commit": self.commit,
            "branch": self.branch,
            "detached": self.detached,
            "dirty": self.dirty,
            "remote": self.remote,
            "untracked": list(self.untracked),
            "diff_truncated": self.diff_truncated,
        }


@dataclass(frozen=True)
class _Status:
    commit: str | None
    branch: str | None
    detached: bool
    tracked_changes: bool
    untracked: list[str]


def _parse_status(out: bytes) -> _Status:
    commit: str | None = None
    branch: str | None = None
    detached = False
    changed = False
    untracked: list[str] = []
    for rec in out.split(b"\0"):
        if rec.startswith(b"# branch.oid "):
            oid = rec[len(b"# branch.oid ") :]
            commit = None if oid == b"(initial)" else oid.decode()
        elif rec.startswith(b"# branch.head "):
            head = rec[len(b"# branch.head ") :]
            detached = head == b"(detached)"
            branch = None if detached else os.fsdecode(head)
        elif rec.startswith(b"? "):
            untracked.append(os.fsdecode(rec[2:]))
        elif rec[:2] in (b"1 ", b"2 ", b"u "):  # changed, renamed (not with --no-renames), unmerged
            changed = True
    return _Status(commit, branch, detached, changed, untracked)


def _read_status(root: Path, specs: Sequence[str]) -> _Status:
    # One process gives commit, branch, staged/unstaged changes and untracked files.
    # --no-ahead-behind: counting against the upstream can take seconds on a big divergence.
    args = ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal"]
    args += ["--no-renames", "--no-ahead-behind", "--", *specs]
    return _parse_status(git_output(root, args))


def _read_diff(root: Path, specs: Sequence[str], *, initial: bool, limit: int) -> tuple[str, bool]:
    # Overrides of user config that would make the patch unappliable by `git apply`.
    args = ["-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "diff"]
    # With no commit yet, --cached diffs the index against the empty tree.
    args.append("--cached" if initial else "HEAD")
    args += ["--binary", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative"]
    args += ["--submodule=short", "--", *specs]
    data, truncated = run_limited(root, args, limit)
    if truncated:
        data = data[: data.rfind(b"\n", 0, limit) + 1]  # whole lines only
    return data.decode("utf-8", "surrogateescape"), truncated


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _repo_stamp(root: Path) -> tuple[object, ...] | None:
    """Changes when HEAD or the branch tip moves or something is staged; None if unreadable."""
    try:
        git_dir, common_dir = git_dirs(root)
        head = (git_dir / "HEAD").read_bytes()
    except OSError:
        return None
    watched = [
        git_dir / "HEAD",
        git_dir / "index",
        common_dir / "packed-refs",
        common_dir / "reftable" / "tables.list",
        common_dir / "config",  # the remote URL
    ]
    if head.startswith(b"ref: "):
        watched.append(common_dir / os.fsdecode(head[5:].strip()))
    return (head, *(_stat_key(p) for p in watched))


_CaptureKey = tuple[Path, tuple[str, ...], int, int]


_capture_cache: dict[_CaptureKey, tuple[tuple[object, ...], GitState]] = {}


def clear_capture_cache() -> None:
    """Forget every cached :func:`capture` result."""
    _capture_cache.clear()


def capture(
    path: Path,
    *,
    exclude: Sequence[str] = (".runs",),
    max_diff_bytes: int = 1_000_000,
    max_untracked: int = 200,
) -> GitState | None:
    """The git state of the work tree holding ``path``; None when it is in no work tree.

    ``exclude`` are paths relative to the work-tree root (the run store) that never count
    as dirty, untracked or part of the diff.  Costs one ``git status`` process, plus one
    ``git diff`` when tracked files changed; the remote is read from the config file.

    The result is cached per process, keyed on HEAD, the branch tip and the index, so
    runs started again and again in one process cost no git process.  Caveat: working-tree
    edits made after the first capture are not seen until HEAD or the index changes (commit,
    checkout, ``git add``).  That is deliberate: the code a process runs was loaded when it
    started.  Call :func:`clear_capture_cache` to force a fresh look.
    """
    root = find_worktree_root(path.resolve())
    if root is None:
        return None
    key: _CaptureKey = (root, tuple(exclude), max_diff_bytes, max_untracked)
    stamp = _repo_stamp(root)  # taken before git runs, so a change during the run invalidates
    cached = _capture_cache.get(key)
    if stamp is not None and cached is not None and cached[0] == stamp:
        return cached[1]
    state = _capture_uncached(root, exclude_pathspecs(root, exclude), max_diff_bytes, max_untracked)
    if stamp is not None:
        _capture_cache[key] = (stamp, state)
    return state


def _capture_uncached(root: Path, specs: Sequence[str], max_diff_bytes: int, max_untracked: int) -> GitState:
    status = _read_status(root, specs)
    diff, truncated = "", False
    if status.tracked_changes:
        initial = status.commit is None
        diff, truncated = _read_diff(root, specs, initial=initial, limit=max_diff_bytes)
    return GitState(
        commit=status.commit,
        branch=status.branch,
        detached=status.detached,
        dirty=status.tracked_changes or bool(status.untracked),
        remote=read_remote(root),
        untracked=tuple(status.untracked[:max_untracked]),
        diff=diff,
        diff_truncated=truncated,
    )
