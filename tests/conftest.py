"""Hermetic fixtures: every test gets its own HOME, git identity and store."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout (tests only)."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
        monkeypatch.setenv(f"GIT_{role}_DATE", "2026-01-01T00:00:00Z")
    for name in ("GITTRACK_DIR", "GITTRACK_RUN_ID", "GITTRACK_EXPERIMENT", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A new repository with one commit holding ``train.py``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "train.py").write_text("print('train')\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def reset_tracking() -> None:
    """Module state of the tracking API as a new process has it; runs left active are closed.

    The exit hooks (excepthook, atexit, heartbeat thread) are kept installed across
    resets, so they are installed once per test process rather than once per test.
    """
    from gittrack import git
    from gittrack.query import search
    from gittrack.tracking import capture, fluent, uri, writers

    for active in reversed(list(fluent._state.stack)):
        fluent._state.stack.remove(active)
    for writer in writers.held():
        writer.close()
        writers.release(writer)
    fluent._state = fluent._State(hooks_installed=fluent._state.hooks_installed)
    uri.reset()
    capture._warned_no_git = False
    git.clear_capture_cache()
    search.clear_memory()


@pytest.fixture(autouse=True)
def fresh_api() -> Iterator[None]:
    """Each test starts with no active run, no tracking URI and no experiment set."""
    yield
    reset_tracking()


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``git_repo`` as the current directory, so the API and CLI use its ``.runs``."""
    monkeypatch.chdir(git_repo)
    monkeypatch.setenv("COLUMNS", "200")
    return git_repo


@pytest.fixture
def clean_api() -> Iterator[None]:
    """Fresh module state of the tracking API around a test; active runs are ended first."""
    import gittrack

    def reset() -> None:
        while gittrack.active_run() is not None:
            try:
                gittrack.end_run()
            except Exception:  # a test that broke a run must not break the next test
                break
        reset_tracking()

    reset()
    yield
    reset()


@pytest.fixture
def in_repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch, clean_api: None) -> Path:
    """``git_repo`` as the current directory, with a clean API state."""
    monkeypatch.chdir(git_repo)
    return git_repo
