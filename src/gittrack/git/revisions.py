"""Reading files as committed at any revision, without checking anything out."""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import NoReturn

from gittrack.errors import GittrackError
from gittrack.git._paths import normalise_prefix
from gittrack.git._run import check_rev, failure, git_output, run_git


def resolve_revision(root: Path, rev: str) -> str:
    """The full SHA of the commit ``rev`` (branch, tag, SHA or prefix, ``HEAD~2``...) names."""
    check_rev(rev)
    proc = run_git(root, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
    if proc.returncode != 0:
        raise GittrackError(
            f"unknown revision '{rev}': not a branch, tag or commit of the repository at {root}"
        )
    return proc.stdout.decode().strip()


def raise_for_revs(root: Path, proc: subprocess.CompletedProcess[bytes], *revs: str) -> NoReturn:
    """Raise the clearest error for a failed revision-reading command.

    Only called on failure, so the usual path costs no extra git process.
    """
    for rev in revs:
        resolve_revision(root, rev)
    raise failure(proc, str(proc.args[1]))


def _ls_tree(root: Path, rev: str, prefix: str, within: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(path relative to ``prefix``, blob id) of every file under ``prefix`` at ``rev``;
    with ``within``, only under those directories of ``prefix``."""
    check_rev(rev)
    prefix = normalise_prefix(prefix)
    args = ["ls-tree", "-r", "-z", "--full-tree", rev, "--"]
    if within:
        args += [posixpath.join(prefix, d) + "/" for d in within]
    elif prefix:
        args.append(prefix + "/")
    proc = run_git(root, args)
    if proc.returncode != 0:
        raise_for_revs(root, proc, rev)
    start = prefix + "/" if prefix else ""
    entries = []
    for record in proc.stdout.split(b"\0"):
        meta, tab, raw_path = record.partition(b"\t")
        fields = meta.split(b" ")
        path = os.fsdecode(raw_path)
        # Submodules are "commit" entries: no content of ours to read.
        if tab and fields[1] == b"blob" and path.startswith(start):
            entries.append((path[len(start) :], fields[2].decode()))
    return entries


def _cat_blobs(root: Path, oids: Collection[str]) -> dict[str, bytes]:
    """Contents of many blobs from one ``git cat-file --batch`` process."""
    if not oids:
        return {}
    order = sorted(oids)
    out = git_output(root, ["cat-file", "--batch"], stdin="".join(f"{o}\n" for o in order).encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in order:
        eol = out.index(b"\n", pos)
        header = out[pos:eol].split(b" ")  # "<oid> <type> <size>", or "<oid> missing"
        if len(header) != 3:
            raise GittrackError(f"object {oid} is missing from the repository at {root}")
        size = int(header[2])
        blobs[oid] = out[eol + 1 : eol + 1 + size]
        pos = eol + 1 + size + 1  # content is followed by a newline
    return blobs


def read_tree_files(
    root: Path,
    rev: str,
    prefix: str,
    *,
    names: Sequence[str] | None = None,
    select: Callable[[str], bool] | None = None,
    within: Sequence[str] = (),
) -> dict[str, bytes]:
    """Every file under directory ``prefix`` at ``rev``, keyed by path relative to ``prefix``.

    With ``names``, only files whose basename is one of them (``meta.yaml``...), so reading
    run summaries never loads artifacts; with ``select``, only the paths it accepts.  Two
    git processes whatever the number of files, and nothing is checked out.  Contents are
    raw blobs: no line-ending conversion, and Git LFS files come back as their pointer text.
    ``{}`` when ``prefix`` does not exist there.  With ``within`` (directory names inside
    ``prefix``), only the files under those directories are listed.
    """
    entries = _ls_tree(root, rev, prefix, within)
    if names is not None:
        wanted = set(names)
        entries = [(p, oid) for p, oid in entries if posixpath.basename(p) in wanted]
    if select is not None:
        entries = [(p, oid) for p, oid in entries if select(p)]
    blobs = _cat_blobs(root, {oid for _, oid in entries})
    return {path: blobs[oid] for path, oid in entries}


def list_tree(root: Path, rev: str, prefix: str) -> list[str]:
    """Paths, relative to ``prefix``, of every file under ``prefix`` at ``rev``."""
    return [path for path, _ in _ls_tree(root, rev, prefix)]


def list_tree_sizes(root: Path, rev: str, prefix: str) -> list[tuple[str, int]]:
    """(path relative to ``prefix``, size in bytes) of every file under ``prefix`` at ``rev``."""
    check_rev(rev)
    prefix = normalise_prefix(prefix)
    proc = run_git(root, ["ls-tree", "-r", "-l", "-z", "--full-tree", rev, "--", prefix + "/"])
    if proc.returncode != 0:
        raise_for_revs(root, proc, rev)
    entries = []
    for record in proc.stdout.split(b"\0"):
        meta, tab, raw_path = record.partition(b"\t")
        fields = meta.split()  # mode, type, oid, size (right-aligned, so split on any space)
        path = os.fsdecode(raw_path)
        if tab and fields[1] == b"blob" and path.startswith(prefix + "/"):
            entries.append((path[len(prefix) + 1 :], int(fields[3])))
    return entries


def read_blob(root: Path, rev: str, path: str) -> bytes | None:
    """The content of file ``path`` (relative to the work-tree root) at ``rev``; None if absent."""
    check_rev(rev)
    proc = run_git(root, ["cat-file", "blob", f"{rev}:{normalise_prefix(path)}"])
    if proc.returncode == 0:
        return proc.stdout
    resolve_revision(root, rev)  # an unknown revision is an error, a missing file is not
    return None


def tree_id(root: Path, rev: str, path: str) -> str | None:
    """The object id of directory ``path`` (relative to the work-tree root) at ``rev``;
    None when there is no such directory there (the id names its whole content)."""
    check_rev(rev)
    proc = run_git(
        root,
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        stdin=f"{rev}:{normalise_prefix(path)}\n".encode(),
    )
    oid, _, kind = proc.stdout.decode().strip().partition(" ")
    if proc.returncode == 0 and kind == "tree":
        return oid
    resolve_revision(root, rev)  # an unknown revision is an error, a missing directory is not
    return None


def changed_entries(root: Path, old_tree: str, new_tree: str) -> set[str]:
    """Names of the top-level entries that differ between two trees (added, removed or
    changed), from ``git diff-tree``: git compares only the subtrees whose ids differ."""
    out = git_output(root, ["diff-tree", "-z", "--name-only", "--no-renames", old_tree, new_tree])
    return {os.fsdecode(p) for p in out.split(b"\0") if p}
