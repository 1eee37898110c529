"""All of gittrack's access to git: the state a run starts from, and runs read from any revision.

Every function is a thin wrapper around one machine-readable git command
(``status --porcelain=v2 -z``, ``ls-tree -z``, ``cat-file --batch``...) run as a plain
subprocess.  That is simpler and faster than GitPython for these calls and cannot leak the
``git cat-file`` helpers a GitPython ``Repo`` keeps alive.  This is nevertheless the one
module allowed to import GitPython: should a function ever need it, import ``git`` inside
that function, so the CLI starts without loading it.

Every call is read-only except those of the last section, which stage, commit or add a
worktree: only ``gittrack commit`` and ``gittrack checkout`` use them, because making that
change is what the user asked for.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

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


# -- running git ---------------------------------------------------------------------------


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV_VARS}
    # All our calls are reads: without this `git status` takes index.lock to refresh the
    # index, which makes a user's concurrent `git commit` fail.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def _run(
    root: Path, args: Sequence[str], *, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git *args`` in ``root``; a non-zero exit is returned, not raised."""
    try:
        return subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, env=_git_env(), check=False
        )
    except FileNotFoundError as e:
        raise _not_found(root, e) from e


def _not_found(root: Path, error: OSError) -> GittrackError:
    return GittrackError(f"could not run git in {root} ({error}): is git installed and on PATH?")


def _fail(proc: subprocess.CompletedProcess[bytes], what: str) -> GittrackError:
    message = proc.stderr.decode(errors="replace").strip()
    return GittrackError(f"git {what} failed: {message or f'exit status {proc.returncode}'}")


def _output(root: Path, args: Sequence[str], *, stdin: bytes | None = None) -> bytes:
    proc = _run(root, args, stdin=stdin)
    if proc.returncode != 0:
        raise _fail(proc, args[0])
    return proc.stdout


def _run_limited(root: Path, args: Sequence[str], limit: int) -> tuple[bytes, bool]:
    """Stdout of ``git *args`` cut after ``limit`` bytes, and whether it was cut.

    Streams so that a huge diff (a tracked data file rewritten) is never held in memory:
    git is killed once ``limit`` bytes have been read.
    """
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                ["git", *args], cwd=root, env=_git_env(), stdout=subprocess.PIPE, stderr=err
            )
        except FileNotFoundError as e:
            raise _not_found(root, e) from e
        with proc:
            assert proc.stdout is not None
            data = proc.stdout.read(limit + 1)
            truncated = len(data) > limit
            if truncated:
                proc.kill()
        if not truncated and proc.returncode != 0:
            err.seek(0)
            failed = subprocess.CompletedProcess(args, proc.returncode, b"", err.read())
            raise _fail(failed, args[0])
    return data, truncated


def _check_rev(rev: str) -> None:
    # A revision starting with "-" would be read by git as an option.
    if not rev or rev.startswith("-") or any(c in rev for c in "\n\0"):
        raise GittrackError(f"unknown revision '{rev}': not a branch, tag or commit")


def _raise_for_revs(root: Path, proc: subprocess.CompletedProcess[bytes], *revs: str) -> NoReturn:
    """Raise the clearest error for a failed revision-reading command.

    Only called on failure, so the usual path costs no extra git process.
    """
    for rev in revs:
        resolve_revision(root, rev)
    raise _fail(proc, str(proc.args[1]))


# -- the work tree ------------------------------------------------------------------------


def find_worktree_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding a ``.git`` directory or file.

    Pure filesystem walk, no subprocess: this runs on every CLI start.  A ``.git`` file is
    what linked worktrees and submodules have.
    """
    here = start.absolute()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git_dirs(root: Path) -> tuple[Path, Path]:
    """(git dir, common dir) of the work tree at ``root``.

    They differ for a linked worktree: HEAD and the index are per worktree, branches and
    config are shared in the common dir.
    """
    git_dir = root / ".git"
    if git_dir.is_file():
        text = git_dir.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            git_dir = root / text[len("gitdir:") :].strip()
    commondir = git_dir / "commondir"
    common_dir = git_dir / commondir.read_text().strip() if commondir.is_file() else git_dir
    return git_dir, common_dir


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _repo_stamp(root: Path) -> tuple[object, ...] | None:
    """Changes when HEAD or the branch tip moves or something is staged; None if unreadable."""
    try:
        git_dir, common_dir = _git_dirs(root)
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


# -- capturing the state a run starts from ------------------------------------------------


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


def _exclude_pathspecs(root: Path, exclude: Sequence[str]) -> list[str]:
    """Pathspecs that hide the run store from status and diff."""
    specs = []
    for item in exclude:
        path = Path(item)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(root)
            except ValueError:
                continue  # a store outside the work tree cannot make it dirty
        rel = posixpath.normpath(path.as_posix())
        if rel in (".", "..") or rel.startswith("../"):
            continue
        # literal: a store path is a path, not a glob.
        specs.append(f":(top,literal,exclude){rel}")
    return specs


def _read_status(root: Path, specs: Sequence[str]) -> _Status:
    # One process gives commit, branch, staged/unstaged changes and untracked files.
    # --no-ahead-behind: counting against the upstream can take seconds on a big divergence.
    args = ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal"]
    args += ["--no-renames", "--no-ahead-behind", "--", *specs]
    return _parse_status(_output(root, args))


def _read_diff(root: Path, specs: Sequence[str], *, initial: bool, limit: int) -> tuple[str, bool]:
    # Overrides of user config that would make the patch unappliable by `git apply`.
    args = ["-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "diff"]
    # With no commit yet, --cached diffs the index against the empty tree.
    args.append("--cached" if initial else "HEAD")
    args += ["--binary", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative"]
    args += ["--submodule=short", "--", *specs]
    data, truncated = _run_limited(root, args, limit)
    if truncated:
        data = data[: data.rfind(b"\n", 0, limit) + 1]  # whole lines only
    return data.decode("utf-8", "surrogateescape"), truncated


_SECTION = re.compile(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]')
_ESCAPES = {"n": "\n", "t": "\t", "b": "\b"}


def _config_value(raw: str) -> str:
    out: list[str] = []
    quoted = False
    chars = iter(raw.strip())
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        elif ch == '"':
            quoted = not quoted
        elif ch in "#;" and not quoted:
            break
        else:
            out.append(ch)
    return "".join(out).strip()


def _remote_section(section: str, subsection: str | None) -> str | None:
    if subsection is not None:
        return re.sub(r"\\(.)", r"\1", subsection) if section.lower() == "remote" else None
    # Old `[remote.origin]` syntax; git lower-cases that form of subsection.
    name, dot, sub = section.partition(".")
    return sub.lower() if dot and name.lower() == "remote" else None


def _remote_urls(config: str) -> dict[str, str]:
    """First ``url`` of each ``[remote "name"]`` of a git config file, in file order.

    Parsed here rather than with `git config` to save a process on every run start;
    `include` directives are not followed (remotes are practically never included).
    """
    urls: dict[str, str] = {}
    remote: str | None = None
    for line in config.splitlines():
        line = line.strip()
        header = _SECTION.match(line)
        if header:
            remote = _remote_section(header.group(1), header.group(2))
            continue
        key, sep, value = line.partition("=")
        if remote is not None and sep and key.strip().lower() == "url":
            urls.setdefault(remote, _config_value(value))
    return urls


def _read_remote(root: Path) -> str | None:
    try:
        config = (_git_dirs(root)[1] / "config").read_text("utf-8", errors="replace")
    except OSError:
        return None
    urls = _remote_urls(config)
    url = urls.get("origin") or next(iter(urls.values()), None)
    return strip_credentials(url) if url else None


# Secure shell logs in with the user name, which is not a secret; only a password is.
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})


def strip_credentials(url: str) -> str:
    """``url`` without credentials: ``https://user:token@host/x.git`` -> ``https://host/x.git``.

    For ``ssh://`` URLs only a password is dropped; scp-like ``git@host:x.git`` and local
    paths are returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host; nothing we can safely rewrite
        return url
    if not parts.scheme or "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    if parts.scheme.lower() in _SSH_SCHEMES:
        host = f"{userinfo.partition(':')[0]}@{host}"
    return urlunsplit(parts._replace(netloc=host))


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
    state = _capture_uncached(root, _exclude_pathspecs(root, exclude), max_diff_bytes, max_untracked)
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
        remote=_read_remote(root),
        untracked=tuple(status.untracked[:max_untracked]),
        diff=diff,
        diff_truncated=truncated,
    )


# -- reading revisions ----------------------------------------------------------------------


def resolve_revision(root: Path, rev: str) -> str:
    """The full SHA of the commit ``rev`` (branch, tag, SHA or prefix, ``HEAD~2``...) names."""
    _check_rev(rev)
    proc = _run(root, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"])
    if proc.returncode != 0:
        raise GittrackError(
            f"unknown revision '{rev}': not a branch, tag or commit of the repository at {root}"
        )
    return proc.stdout.decode().strip()


def _normalise_prefix(prefix: str) -> str:
    prefix = posixpath.normpath(prefix.replace(os.sep, "/")).strip("/")
    return "" if prefix == "." else prefix


def _ls_tree(root: Path, rev: str, prefix: str) -> list[tuple[str, str]]:
    """(path relative to ``prefix``, blob id) of every file under ``prefix`` at ``rev``."""
    _check_rev(rev)
    prefix = _normalise_prefix(prefix)
    args = ["ls-tree", "-r", "-z", "--full-tree", rev, "--"]
    if prefix:
        args.append(prefix + "/")
    proc = _run(root, args)
    if proc.returncode != 0:
        _raise_for_revs(root, proc, rev)
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
    out = _output(root, ["cat-file", "--batch"], stdin="".join(f"{o}\n" for o in order).encode())
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
    root: Path, rev: str, prefix: str, *, names: Sequence[str] | None = None
) -> dict[str, bytes]:
    """Every file under directory ``prefix`` at ``rev``, keyed by path relative to ``prefix``.

    With ``names``, only files whose basename is one of them (``meta.yaml``...), so reading
    run summaries never loads artifacts.  Two git processes whatever the number of files,
    and nothing is checked out.  Contents are raw blobs: no line-ending conversion, and Git
    LFS files come back as their pointer text.  ``{}`` when ``prefix`` does not exist there.
    """
    entries = _ls_tree(root, rev, prefix)
    if names is not None:
        wanted = set(names)
        entries = [(p, oid) for p, oid in entries if posixpath.basename(p) in wanted]
    blobs = _cat_blobs(root, {oid for _, oid in entries})
    return {path: blobs[oid] for path, oid in entries}


def list_tree(root: Path, rev: str, prefix: str) -> list[str]:
    """Paths, relative to ``prefix``, of every file under ``prefix`` at ``rev``."""
    return [path for path, _ in _ls_tree(root, rev, prefix)]


def list_tree_sizes(root: Path, rev: str, prefix: str) -> list[tuple[str, int]]:
    """(path relative to ``prefix``, size in bytes) of every file under ``prefix`` at ``rev``."""
    _check_rev(rev)
    prefix = _normalise_prefix(prefix)
    proc = _run(root, ["ls-tree", "-r", "-l", "-z", "--full-tree", rev, "--", prefix + "/"])
    if proc.returncode != 0:
        _raise_for_revs(root, proc, rev)
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
    _check_rev(rev)
    proc = _run(root, ["cat-file", "blob", f"{rev}:{_normalise_prefix(path)}"])
    if proc.returncode == 0:
        return proc.stdout
    resolve_revision(root, rev)  # an unknown revision is an error, a missing file is not
    return None


# -- history ------------------------------------------------------------------------------


def merge_base(root: Path, a: str, b: str) -> str | None:
    """The best common ancestor of ``a`` and ``b``; None when their histories are unrelated."""
    _check_rev(a)
    _check_rev(b)
    proc = _run(root, ["merge-base", a, b])
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if proc.returncode == 1:  # git's "no common ancestor"
        return None
    _raise_for_revs(root, proc, a, b)


def is_ancestor(root: Path, a: str, b: str) -> bool:
    """Whether commit ``a`` is ``b`` or one of its ancestors."""
    _check_rev(a)
    _check_rev(b)
    proc = _run(root, ["merge-base", "--is-ancestor", a, b])
    if proc.returncode in (0, 1):
        return proc.returncode == 0
    _raise_for_revs(root, proc, a, b)


def default_branch(root: Path) -> str | None:
    """``main`` or ``master`` if such a local branch exists (``main`` first), else None."""
    out = _output(root, ["for-each-ref", "--format=%(refname)", "refs/heads/main", "refs/heads/master"])
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
    _check_rev(rev)
    args = ["log", "--first-parent", "--no-show-signature", "-z", "--format=%H%x00%ct%x00%s"]
    if max_count is not None:
        args.append(f"--max-count={max(max_count, 0)}")
    proc = _run(root, [*args, rev, "--"])
    if proc.returncode != 0:
        _raise_for_revs(root, proc, rev)
    # Each commit is "sha\0time\0subject" plus a NUL terminator; a subject may be empty.
    fields = proc.stdout.split(b"\0")
    fields = fields[: len(fields) - len(fields) % 3]
    return [
        (fields[i].decode(), int(fields[i + 1]), fields[i + 2].decode(errors="replace"))
        for i in range(0, len(fields), 3)
    ]


# -- changing the repository, only when the user asked for it --------------------------------
#
# Used by `gittrack commit` and `gittrack checkout`, whose whole point is the change.  Paths
# go through stdin, so any number of them fits, and match literally: a run directory is a
# path, not a glob.


def _literal_paths(paths: Sequence[str]) -> bytes:
    """NUL-separated pathspecs for ``--pathspec-from-file``, each matching one path exactly."""
    return b"".join(b":(top,literal)" + os.fsencode(p) + b"\0" for p in paths)


def uncommitted_paths(root: Path, prefix: str) -> list[str]:
    """Files under ``prefix`` (relative to ``root``) that are untracked, changed or deleted.

    Ignored files are not listed.  Paths are relative to ``root``.
    """
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
    out = _output(root, [*args, "--", f":(top,literal){_normalise_prefix(prefix)}"])
    # Each record is "XY path"; --no-renames means there is never a second path.
    return [os.fsdecode(rec[3:]) for rec in out.split(b"\0") if len(rec) > 3]


def changed_tracked_files(root: Path, exclude: Sequence[str] = ()) -> list[str]:
    """Tracked files whose work-tree content differs from HEAD (what ``git add -u`` stages).

    ``exclude`` are paths relative to ``root`` (the run store) left out.
    """
    args = ["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "HEAD", "--", ":/"]
    out = _output(root, [*args, *_exclude_pathspecs(root, exclude)])
    return [os.fsdecode(p) for p in out.split(b"\0") if p]


def stage(root: Path, paths: Sequence[str]) -> None:
    """``git add`` exactly ``paths`` (relative to ``root``); a deleted path stages its removal."""
    if paths:
        args = ["add", "--pathspec-from-file=-", "--pathspec-file-nul"]
        _output(root, args, stdin=_literal_paths(paths))


def commit_paths(root: Path, message: str, paths: Sequence[str]) -> str:
    """Commit the work-tree content of ``paths`` only; return the new commit's SHA.

    ``--only``: anything else the user had staged stays staged and out of this commit.
    Hooks run as for any commit.  The paths must be known to git (staged first).
    """
    args = ["commit", "--only", "--quiet", "-m", message]
    _output(root, [*args, "--pathspec-from-file=-", "--pathspec-file-nul"], stdin=_literal_paths(paths))
    return resolve_revision(root, "HEAD")


def lfs_tracked(root: Path, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` whose ``filter`` attribute is ``lfs`` (``.gitattributes`` rules)."""
    if not paths:
        return set()
    stdin = b"".join(os.fsencode(p) + b"\0" for p in paths)  # paths, not pathspecs
    out = _output(root, ["check-attr", "-z", "--stdin", "filter"], stdin=stdin)
    fields = out.split(b"\0")  # path, attribute, value; repeated
    return {os.fsdecode(fields[i]) for i in range(0, len(fields) - 2, 3) if fields[i + 2] == b"lfs"}


def add_worktree(root: Path, path: Path, commit: str) -> None:
    """A new linked worktree at ``path``, detached at ``commit``; the current one is untouched."""
    _check_rev(commit)
    _output(root, ["worktree", "add", "--detach", "--quiet", str(path.absolute()), commit])


def remove_worktree(root: Path, path: Path) -> None:
    """Remove the linked worktree at ``path`` (made by :func:`add_worktree`), changes and all."""
    _output(root, ["worktree", "remove", "--force", str(path.absolute())])


def apply_patch(worktree: Path, patch: bytes) -> None:
    """``git apply`` ``patch`` (git's exact diff bytes) to the files of ``worktree``.

    ``--binary`` for binary hunks; ``--whitespace=nowarn`` so a user's
    ``apply.whitespace=fix`` cannot change a byte of what the run ran.
    """
    _output(worktree, ["apply", "--binary", "--whitespace=nowarn", "-"], stdin=patch)
