"""gittrack.git on real repositories built in tmp_path (fixtures in conftest.py)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gittrack import git as g
from gittrack.errors import GittrackError
from gittrack.git.remote import remote_urls


def run_git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", message)
    return run_git(repo, "rev-parse", "HEAD")


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def apply_onto_checkout(repo: Path, state: g.GitState, dest: Path) -> Path:
    """A clean clone of ``repo`` at the captured commit with the captured diff applied."""
    run_git(repo.parent, "clone", "-q", str(repo), str(dest))
    run_git(dest, "checkout", "-q", "--detach", str(state.commit))
    patch = write(dest.parent / f"{dest.name}.diff", state.diff.encode("utf-8", "surrogateescape"))
    run_git(dest, "apply", "--index", str(patch))
    return dest


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    g.clear_capture_cache()
    yield
    g.clear_capture_cache()


@pytest.fixture
def git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a `git` on PATH that logs each invocation (one line) before running the real git."""
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "logging-bin"
    log = tmp_path / "git-calls.log"
    script = write(bin_dir / "git", f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    log.write_text("")
    return log


def calls(log: Path) -> list[str]:
    return log.read_text().split()


# -- find_worktree_root -------------------------------------------------------------------


def test_find_worktree_root_walks_up(git_repo: Path) -> None:
    nested = git_repo / "a" / "b"
    nested.mkdir(parents=True)
    assert g.find_worktree_root(nested) == git_repo
    assert g.find_worktree_root(git_repo / "train.py") == git_repo


def test_find_worktree_root_outside_any_repo(tmp_path: Path) -> None:
    assert g.find_worktree_root(tmp_path) is None


# -- capture ------------------------------------------------------------------------------


def test_capture_clean_repo(git_repo: Path) -> None:
    state = g.capture(git_repo)
    assert state == g.GitState(
        commit=run_git(git_repo, "rev-parse", "HEAD"),
        branch="main",
        detached=False,
        dirty=False,
        remote=None,
        untracked=(),
        diff="",
        diff_truncated=False,
    )


def test_capture_from_a_subdirectory(git_repo: Path) -> None:
    sub = git_repo / "src"
    sub.mkdir()
    write(git_repo / "notes.txt", "x\n")
    state = g.capture(sub)
    assert state is not None
    assert state.untracked == ("notes.txt",)


def test_modified_file_diff_reproduces_the_file(git_repo: Path, tmp_path: Path) -> None:
    changed = "print('train')\nprint('more epochs')\n"
    write(git_repo / "train.py", changed)
    state = g.capture(git_repo)
    assert state is not None
    assert state.dirty
    assert "+print('more epochs')" in state.diff
    assert not state.diff_truncated
    clone = apply_onto_checkout(git_repo, state, tmp_path / "clone")
    assert (clone / "train.py").read_bytes() == changed.encode()


def test_staged_only_change(git_repo: Path) -> None:
    write(git_repo / "model.py", "LAYERS = 3\n")
    run_git(git_repo, "add", "model.py")
    state = g.capture(git_repo)
    assert state is not None
    assert state.dirty
    assert state.untracked == ()
    assert "+LAYERS = 3" in state.diff


def test_untracked_files_listed_not_diffed(git_repo: Path) -> None:
    write(git_repo / "notes.txt", "x\n")
    write(git_repo / "data" / "a.csv", "1\n")
    write(git_repo / "ignored.log", "x\n")
    write(git_repo / ".gitignore", "*.log\n")
    state = g.capture(git_repo)
    assert state is not None
    assert state.dirty
    assert state.untracked == (".gitignore", "data/", "notes.txt")
    assert state.diff == ""


def test_untracked_is_capped(git_repo: Path) -> None:
    for i in range(5):
        write(git_repo / f"f{i}.txt", "x\n")
    state = g.capture(git_repo, max_untracked=3)
    assert state is not None
    assert state.untracked == ("f0.txt", "f1.txt", "f2.txt")


def test_run_store_never_dirty(git_repo: Path) -> None:
    write(git_repo / ".runs" / "r1" / "meta.yaml", "status: RUNNING\n")
    state = g.capture(git_repo)
    assert state is not None
    assert (state.dirty, state.untracked, state.diff) == (False, (), "")

    # Committed runs whose files change again (a run resumed) are still not "dirty code".
    commit_all(git_repo, "runs")
    write(git_repo / ".runs" / "r1" / "meta.yaml", "status: FINISHED\n")
    write(git_repo / "train.py", "print('changed')\n")
    state = g.capture(git_repo)
    assert state is not None
    assert state.dirty
    assert "train.py" in state.diff
    assert ".runs" not in state.diff


def test_custom_store_path_excluded_and_default_no_longer(git_repo: Path) -> None:
    write(git_repo / "exp" / "runs" / "r1" / "meta.yaml", "x: 1\n")
    write(git_repo / ".runs" / "r1" / "meta.yaml", "x: 1\n")
    state = g.capture(git_repo, exclude=["exp/runs", str(git_repo / "elsewhere")])
    assert state is not None
    assert state.untracked == (".runs/",)


def test_detached_head(git_repo: Path) -> None:
    run_git(git_repo, "checkout", "-q", "--detach", "HEAD")
    state = g.capture(git_repo)
    assert state is not None
    assert state.branch is None
    assert state.detached
    assert state.commit == run_git(git_repo, "rev-parse", "HEAD")


def test_repo_without_commits(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    run_git(tmp_path, "init", "-q", str(repo))
    state = g.capture(repo)
    assert state == g.GitState(None, "main", False, False, None, (), "", False)

    write(repo / "train.py", "print('first')\n")
    run_git(repo, "add", "train.py")
    state = g.capture(repo)
    assert state is not None
    assert (state.commit, state.branch, state.dirty) == (None, "main", True)
    assert "+print('first')" in state.diff
    other = tmp_path / "other"
    run_git(tmp_path, "init", "-q", str(other))
    write(tmp_path / "p.diff", state.diff)
    run_git(other, "apply", str(tmp_path / "p.diff"))
    assert (other / "train.py").read_text() == "print('first')\n"


def test_outside_any_repo(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert g.capture(plain) is None


def test_linked_worktree(git_repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    run_git(git_repo, "worktree", "add", "-q", "-b", "side", str(wt))
    write(wt / "new.txt", "x\n")
    state = g.capture(wt)
    assert state is not None
    assert (state.branch, state.untracked) == ("side", ("new.txt",))
    assert g.capture(wt) is state
    write(wt / "train.py", "print('side')\n")
    sha = commit_all(wt, "side work")
    after = g.capture(wt)
    assert after is not None
    assert after.commit == sha


def test_git_dir_in_environment_is_ignored(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    run_git(tmp_path, "init", "-q", str(other))
    # git exports GIT_DIR into hooks; capture must still look at the repo holding `path`.
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    state = g.capture(git_repo)
    assert state is not None
    assert state.commit is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@github.com/o/x.git", "https://github.com/o/x.git"),
        ("https://ghp_secret@github.com/o/x.git", "https://github.com/o/x.git"),
        ("http://u:p@host:8080/x.git", "http://host:8080/x.git"),
        ("https://github.com/o/x.git", "https://github.com/o/x.git"),
        ("git@github.com:o/x.git", "git@github.com:o/x.git"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("ssh://git:pw@host:22/x.git", "ssh://git@host:22/x.git"),
        ("/srv/git/x.git", "/srv/git/x.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert g.strip_credentials(url) == expected


def test_remote_recorded_without_credentials(git_repo: Path) -> None:
    run_git(git_repo, "remote", "add", "backup", "https://backup.example/x.git")
    state = g.capture(git_repo)
    assert state is not None
    assert state.remote == "https://backup.example/x.git"  # no origin: the first remote

    run_git(git_repo, "remote", "add", "origin", "https://user:tok@github.com/o/x.git")
    state = g.capture(git_repo)
    assert state is not None
    assert state.remote == "https://github.com/o/x.git"


def test_remote_config_parsing() -> None:
    config = (
        '[core]\n\turl = nope\n[remote "up"]\n\tURL = "https://a.example/x.git" ; comment\n'
        '[remote "origin"]\n\tfetch = +refs/*\n\turl = git@b.example:x.git\n\turl = second\n'
    )
    assert remote_urls(config) == {
        "up": "https://a.example/x.git",
        "origin": "git@b.example:x.git",
    }


def test_diff_truncated_at_a_line_boundary(git_repo: Path) -> None:
    write(git_repo / "train.py", "".join(f"line {i}\n" for i in range(1000)))
    full = g.capture(git_repo)
    assert full is not None
    assert not full.diff_truncated
    g.clear_capture_cache()
    cut = g.capture(git_repo, max_diff_bytes=500)
    assert cut is not None
    assert cut.diff_truncated
    assert 0 < len(cut.diff.encode()) <= 500
    assert cut.diff.endswith("\n")
    assert full.diff.startswith(cut.diff)
    exact = g.capture(git_repo, max_diff_bytes=len(full.diff.encode()))
    assert exact is not None
    assert (exact.diff, exact.diff_truncated) == (full.diff, False)


def test_binary_and_non_utf8_changes_round_trip(git_repo: Path, tmp_path: Path) -> None:
    write(git_repo / "weights.bin", bytes(range(256)) * 4)
    write(git_repo / "latin1.txt", b"caf\xe9\n")
    commit_all(git_repo, "data")
    new_weights = bytes(reversed(range(256))) * 5 + b"\0tail"
    write(git_repo / "weights.bin", new_weights)
    write(git_repo / "latin1.txt", b"caf\xe9\nna\xefve\n")
    state = g.capture(git_repo)
    assert state is not None
    assert "GIT binary patch" in state.diff
    clone = apply_onto_checkout(git_repo, state, tmp_path / "clone")
    assert (clone / "weights.bin").read_bytes() == new_weights
    assert (clone / "latin1.txt").read_bytes() == b"caf\xe9\nna\xefve\n"


def test_to_dict_leaves_out_the_diff(git_repo: Path) -> None:
    write(git_repo / "train.py", "changed\n")
    state = g.capture(git_repo)
    assert state is not None
    assert state.to_dict() == {
        "commit": state.commit,
        "branch": "main",
        "detached": False,
        "dirty": True,
        "remote": None,
        "untracked": [],
        "diff_truncated": False,
    }


# -- capture: cost and cache --------------------------------------------------------------


def test_capture_process_count(git_repo: Path, git_log: Path) -> None:
    g.capture(git_repo)
    assert calls(git_log) == ["status"]

    write(git_repo / "notes.txt", "untracked only: nothing to diff\n")
    g.clear_capture_cache()
    git_log.write_text("")
    g.capture(git_repo)
    assert calls(git_log) == ["status"]

    write(git_repo / "train.py", "changed\n")
    run_git(git_repo, "add", "train.py")  # the index changes, so the cache is stale
    git_log.write_text("")
    g.capture(git_repo)
    assert calls(git_log) == ["status", "-c"]  # "-c diff.noprefix=false diff ..."

    git_log.write_text("")
    g.capture(git_repo)
    assert calls(git_log) == []


def test_capture_cache_hit_spawns_no_git(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = os.environ["PATH"]
    first = g.capture(git_repo)
    # With no git on PATH any git process would fail: a hit must not need one.
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert g.capture(git_repo) is first
    g.clear_capture_cache()
    with pytest.raises(GittrackError, match="is git installed"):
        g.capture(git_repo)
    monkeypatch.setenv("PATH", path)


def test_capture_cache_sees_commit_and_stage(git_repo: Path) -> None:
    first = g.capture(git_repo)
    assert first is not None
    write(git_repo / "train.py", "print('v2')\n")
    # The documented caveat: an unstaged edit after the first capture is not seen...
    assert g.capture(git_repo) is first
    # ...but staging it is,
    run_git(git_repo, "add", "train.py")
    staged = g.capture(git_repo)
    assert staged is not None
    assert staged.dirty
    # and so is a commit.
    sha = commit_all(git_repo, "v2")
    committed = g.capture(git_repo)
    assert committed is not None
    assert (committed.commit, committed.dirty) == (sha, False)
    assert sha != first.commit
    # A different store path is a different question.
    assert g.capture(git_repo, exclude=("other",)) is not committed


def test_capture_cache_sees_a_moved_branch_tip(git_repo: Path) -> None:
    first = run_git(git_repo, "rev-parse", "HEAD")
    write(git_repo / "train.py", "print('v2')\n")
    second = commit_all(git_repo, "v2")
    state = g.capture(git_repo)
    assert state is not None
    assert state.commit == second
    # Moves only the branch ref: HEAD still says "ref: refs/heads/main", the index is untouched.
    run_git(git_repo, "reset", "-q", "--soft", first)
    state = g.capture(git_repo)
    assert state is not None
    assert (state.commit, state.dirty) == (first, True)


def test_capture_does_not_write_the_index(git_repo: Path) -> None:
    # A file whose stat data changed makes a plain `git status` rewrite the index (taking
    # index.lock); with optional locks off it must not, so a user's git never sees a lock.
    index = git_repo / ".git" / "index"
    before = index.stat().st_mtime_ns
    os.utime(git_repo / "train.py", ns=(before + 5_000_000_000, before + 5_000_000_000))
    state = g.capture(git_repo)
    assert state is not None
    assert not state.dirty
    assert index.stat().st_mtime_ns == before


# -- reading revisions ----------------------------------------------------------------------


@pytest.fixture
def repo_with_runs(git_repo: Path) -> tuple[Path, str]:
    """Run r1 committed at the returned SHA; r2 committed after it; r3 only in the work tree."""
    runs = git_repo / ".runs"
    write(runs / "r1" / "meta.yaml", "run_id: r1\n")
    write(runs / "r1" / "params.yaml", "lr: 0.1\n")
    write(runs / "r1" / "metrics" / "loss.csv", "step,timestamp,value\n0,1,0.5\n")
    write(runs / "r1" / "artifacts" / "model.bin", b"\x00\x01binary")
    write(runs / "r1" / "artifacts" / "copy.bin", b"\x00\x01binary")  # same blob twice
    # A submodule (gitlink) entry has no blob to read and must be skipped.
    sha = run_git(git_repo, "rev-parse", "HEAD")
    run_git(git_repo, "add", "-A")
    run_git(git_repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},.runs/r1/vendored")
    run_git(git_repo, "commit", "-q", "-m", "r1")
    first = run_git(git_repo, "rev-parse", "HEAD")
    assert "160000 commit" in run_git(git_repo, "ls-tree", "-r", "HEAD")
    write(runs / "r2" / "meta.yaml", "run_id: r2\n")
    commit_all(git_repo, "r2")
    write(runs / "r3" / "meta.yaml", "run_id: r3\n")
    return git_repo, first


def test_read_tree_files_at_an_old_commit(repo_with_runs: tuple[Path, str], git_log: Path) -> None:
    repo, first = repo_with_runs
    git_log.write_text("")
    assert g.read_tree_files(repo, first, ".runs") == {
        "r1/meta.yaml": b"run_id: r1\n",
        "r1/params.yaml": b"lr: 0.1\n",
        "r1/metrics/loss.csv": b"step,timestamp,value\n0,1,0.5\n",
        "r1/artifacts/model.bin": b"\x00\x01binary",
        "r1/artifacts/copy.bin": b"\x00\x01binary",
    }
    assert calls(git_log) == ["ls-tree", "cat-file"]


def test_read_tree_files_names_filter(repo_with_runs: tuple[Path, str]) -> None:
    repo, first = repo_with_runs
    assert g.read_tree_files(repo, first, ".runs/", names=["meta.yaml", "params.yaml"]) == {
        "r1/meta.yaml": b"run_id: r1\n",
        "r1/params.yaml": b"lr: 0.1\n",
    }
    assert g.read_tree_files(repo, "main", ".runs", names=["meta.yaml"]) == {
        "r1/meta.yaml": b"run_id: r1\n",
        "r2/meta.yaml": b"run_id: r2\n",
    }


def test_read_tree_files_missing_prefix(repo_with_runs: tuple[Path, str]) -> None:
    repo, first = repo_with_runs
    assert g.read_tree_files(repo, first, ".run") == {}
    assert g.read_tree_files(repo, first, "nowhere") == {}
    assert g.list_tree(repo, "main", "nowhere") == []


def test_list_tree(repo_with_runs: tuple[Path, str]) -> None:
    repo, first = repo_with_runs
    assert sorted(g.list_tree(repo, first, ".runs/r1")) == [
        "artifacts/copy.bin",
        "artifacts/model.bin",
        "meta.yaml",
        "metrics/loss.csv",
        "params.yaml",
    ]
    assert "r2/meta.yaml" in g.list_tree(repo, "HEAD", ".runs")
    assert "r3/meta.yaml" not in g.list_tree(repo, "HEAD", ".runs")


def test_read_blob(repo_with_runs: tuple[Path, str]) -> None:
    repo, first = repo_with_runs
    assert g.read_blob(repo, first, ".runs/r1/meta.yaml") == b"run_id: r1\n"
    assert g.read_blob(repo, first, ".runs/r2/meta.yaml") is None
    assert g.read_blob(repo, first, ".runs/r1") is None  # a directory is not a file


@pytest.mark.parametrize("rev", ["nope", "-x", "--output=/tmp/x"])
def test_unknown_revision(git_repo: Path, rev: str) -> None:
    message = f"unknown revision '{rev}'"
    with pytest.raises(GittrackError, match=message):
        g.resolve_revision(git_repo, rev)
    with pytest.raises(GittrackError, match=message):
        g.read_tree_files(git_repo, rev, ".runs")
    with pytest.raises(GittrackError, match=message):
        g.read_blob(git_repo, rev, "train.py")
    with pytest.raises(GittrackError, match=message):
        g.first_parent_history(git_repo, rev)
    with pytest.raises(GittrackError, match=message):
        g.merge_base(git_repo, "HEAD", rev)


def test_resolve_revision(git_repo: Path) -> None:
    sha = run_git(git_repo, "rev-parse", "HEAD")
    run_git(git_repo, "tag", "-a", "-m", "v1", "v1")
    assert g.resolve_revision(git_repo, "main") == sha
    assert g.resolve_revision(git_repo, sha[:7]) == sha
    assert g.resolve_revision(git_repo, "v1") == sha  # annotated tag peeled to its commit


# -- history ------------------------------------------------------------------------------


def commit_at(repo: Path, monkeypatch: pytest.MonkeyPatch, when: int, message: str) -> str:
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{when} +0000")
    write(repo / f"{message}.txt", message)
    return commit_all(repo, message)


def test_merge_base(git_repo: Path) -> None:
    base = run_git(git_repo, "rev-parse", "HEAD")
    run_git(git_repo, "checkout", "-q", "-b", "feature")
    write(git_repo / "f.txt", "f")
    commit_all(git_repo, "feature")
    run_git(git_repo, "checkout", "-q", "main")
    write(git_repo / "m.txt", "m")
    commit_all(git_repo, "main work")
    assert g.merge_base(git_repo, "main", "feature") == base

    run_git(git_repo, "checkout", "-q", "--orphan", "unrelated")
    commit_all(git_repo, "unrelated root")
    assert g.merge_base(git_repo, "main", "unrelated") is None


def test_first_parent_history(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = run_git(git_repo, "rev-parse", "HEAD")
    second = commit_at(git_repo, monkeypatch, 1_800_000_000, "second")
    run_git(git_repo, "checkout", "-q", "-b", "feature")
    side = commit_at(git_repo, monkeypatch, 1_800_000_100, "side")
    run_git(git_repo, "checkout", "-q", "main")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1800000200 +0000")
    run_git(git_repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    merge = run_git(git_repo, "rev-parse", "HEAD")

    history = g.first_parent_history(git_repo)
    assert [sha for sha, _, _ in history] == [merge, second, root]
    assert side not in {sha for sha, _, _ in history}
    assert history[0] == (merge, 1_800_000_200, "merge feature")
    assert history[1] == (second, 1_800_000_000, "second")
    run_git(git_repo, "commit", "-q", "--allow-empty", "--allow-empty-message", "-m", "")
    assert g.first_parent_history(git_repo, max_count=1)[0][2] == ""
    assert g.first_parent_history(git_repo, "feature", max_count=1) == [(side, 1_800_000_100, "side")]


def test_default_branch(git_repo: Path, tmp_path: Path) -> None:
    assert g.default_branch(git_repo) == "main"
    run_git(git_repo, "branch", "master")
    assert g.default_branch(git_repo) == "main"
    run_git(git_repo, "branch", "-m", "main", "trunk")
    assert g.default_branch(git_repo) == "master"
    run_git(git_repo, "branch", "-m", "master", "dev")
    run_git(git_repo, "branch", "main/sub")  # a ref below "main" is not the branch main
    assert g.default_branch(git_repo) is None


def test_module_does_not_import_gitpython_at_import_time() -> None:
    code = "import sys, gittrack.git; print('git' in sys.modules)"
    src = Path(g.__file__).parents[2]  # src/gittrack/git/__init__.py -> src
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
    )
    assert out.stdout.strip() == "False"
