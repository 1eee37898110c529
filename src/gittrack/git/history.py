"""How commits relate: merge bases, ancestry, the default branch, first-parent history."""

from __future__ import annotations

from pathlib import Path

from gittrack.git._run import check_rev, git_output, run_git
from gittrack.git.revisions import raise_for_revs


def merge_base(root: Path, a: str, b: str) -> str | None:
    """The best common ancestor of ``a`` and ``b``; None when their histories are unrelated."""
    check_rev(a)
    check_rev(b)
    proc = run_git(root, ["merge-base", a, b])
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if proc.returncode == 1:  # git's "no common ancestor"
        return None
    raise_for_revs(root, proc, a, b)


def default_branch(root: Path) -> str | None:
    """``main`` or ``master`` if such a local branch exists (``main`` first), else None."""
    out = git_output(root, ["for-each-ref", "--format=%(refname)", "refs/heads/main", "refs/heads/master"])
    # for-each-ref patterns also match below them (refs/heads/main/x): compare exactly.
    refs = set(out.decode(errors="replace").split("\n"))
    return next((b for b in ("main", "master") if f"refs/heads/{b}" in refs), None)


def first_parent_history(
    root: Path, rev: str = "HEAD", *, max_count: int | None = None
) -> list[tuple[str, int, str]]:
    """(SHA, commit time in epoch seconds, subject) along first parents of ``rev``, newest first.

    First parents only, so the history of a branch is its own commits and its merges,
    not the commits of every branch merged into it.
    """
    check_rev(rev)
    args = ["log", "--first-parent", "--no-show-signature", "-z", "--format=%H%x00%ct%x00%s"]
    if max_count is not None:
        args.append(f"--max-count={max(max_count, 0)}")
    proc = run_git(root, [*args, rev, "--"])
    if proc.returncode != 0:
        raise_for_revs(root, proc, rev)
    # Each commit is "sha\0time\0subject" plus a NUL terminator; a subject may be empty.
    fields = proc.stdout.split(b"\0")
    fields = fields[: len(fields) - len(fields) % 3]
    return [
        (fields[i].decode(), int(fields[i + 1]), fields[i + 2].decode(errors="replace"))
        for i in range(0, len(fields), 3)
    ]
