"""Environments stored once: content-addressed under .runs/environments/, merge-safe, and
followed by every reader; runs written before keep their own environment.txt."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from helpers import git, invoke, run_dirs
from hypothesis import given, settings
from hypothesis import strategies as st

import gittrack
from gittrack.maintenance.check import check
from gittrack.store import context, environments, layout, yamlio
from gittrack.store.reader import read_run


def log_run(name: str) -> str:
    with gittrack.start_run(run_name=name) as run:
        gittrack.log_metric("m", 1.0)
    return run.info.run_id


def test_runs_share_one_environment_file_named_by_its_sha256(repo: Path) -> None:
    first, second = log_run("a"), log_run("b")
    store = repo / ".runs"
    text = context.environment()
    sha = hashlib.sha256(text.encode()).hexdigest()
    assert [p.name for p in environments.stored(store)] == [f"{sha}.txt"]
    assert (store / "environments" / f"{sha}.txt").read_text() == text
    for run_id in (first, second):
        assert not (store / run_id / layout.ENVIRONMENT).exists()
        assert yamlio.load((store / run_id / "meta.yaml").read_bytes())["environment"] == sha
        assert read_run(store / run_id).meta.environment == sha
        assert environments.run_environment(store / run_id, sha) == text
    assert [d.name for d in run_dirs(store)] == sorted([first, second])  # a reserved name, not a run
    listed = invoke("ls", "--format", "json")
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == sorted([first, second])
    assert check(store).items == ()


def test_commit_stages_the_environment_with_its_runs_and_show_reads_it_at_a_revision(repo: Path) -> None:
    run_id = log_run("a")
    assert invoke("commit", "--all-finished").exit_code == 0
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    sha = read_run(repo / ".runs" / run_id).meta.environment
    shown = json.loads(invoke("show", run_id, "--format", "json").stdout)
    assert shown["environment"] == sha
    assert shown["environment_file"] == str(repo / ".runs" / "environments" / f"{sha}.txt")
    at_rev = json.loads(invoke("show", run_id, "--rev", "HEAD", "--format", "json").stdout)
    assert at_rev["environment_file"] == f"{git(repo, 'rev-parse', 'HEAD')}:.runs/environments/{sha}.txt"
    assert f"environment {shown['environment_file']}" in invoke("show", run_id).stdout


def test_a_run_written_before_keeps_its_own_environment_file(repo: Path) -> None:
    """A run of the earlier layout: environment.txt in the run, no ``environment`` key."""
    run_id = log_run("old")
    store = repo / ".runs"
    meta_path = store / run_id / "meta.yaml"
    meta = yamlio.load(meta_path.read_bytes())
    del meta["environment"]
    meta_path.write_text(yamlio.dump(meta))
    (store / run_id / layout.ENVIRONMENT).write_text("# python 3.11\nold==1.0\n")
    for shared in environments.stored(store):
        shared.unlink()
    assert environments.run_environment(store / run_id, read_run(store / run_id).meta.environment) == (
        "# python 3.11\nold==1.0\n"
    )
    shown = json.loads(invoke("show", run_id, "--format", "json").stdout)
    assert shown["environment_file"] == str(store / run_id / layout.ENVIRONMENT)
    assert check(store).items == ()


def test_check_reports_a_missing_or_altered_environment_file(repo: Path) -> None:
    run_id = log_run("a")
    store = repo / ".runs"
    [shared] = environments.stored(store)
    shared.write_text(shared.read_text() + "extra==1\n")
    [altered] = [str(i) for i in check(store).items]
    assert altered == f".runs/environments/{shared.name}:0: content does not match its name " + (
        "(the SHA-256 of the content): edited by hand?"
    )
    shared.unlink()
    [missing] = [str(i) for i in check(store).items]
    assert missing == (
        f".runs/{run_id}/meta.yaml:0: environment: environments/{shared.name} is missing from the store"
    )


def test_two_branches_adding_the_same_environment_merge_cleanly(repo: Path) -> None:
    assert invoke("init").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    for branch in ("a", "b"):
        git(repo, "checkout", "-q", "-b", branch, "main")
        log_run(branch)
        assert invoke("commit", "--all-finished").exit_code == 0
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "a", "b")
    store = repo / ".runs"
    assert len(run_dirs(store)) == 2 and len(environments.stored(store)) == 1
    assert check(store).items == ()


@settings(max_examples=50, deadline=None)
@given(st.text())
def test_any_environment_text_round_trips_under_its_digest(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        sha = environments.save(store, text)
        assert environments.save(store, text) == sha == environments.digest(text)
        assert (store / environments.relative_path(sha)).read_bytes() == text.encode("utf-8")


def test_the_ui_run_page_names_the_environment_file(repo: Path) -> None:
    from gittrack.store.reader import find_run_dir
    from gittrack.ui.source import RevisionSource, RunSource

    run_id = log_run("a")
    store = repo / ".runs"
    sha = read_run(store / run_id).meta.environment
    source = RunSource(read_run(store / run_id), find_run_dir(store, run_id))
    assert source.info()["environment_file"] == str(store / "environments" / f"{sha}.txt")
    assert invoke("commit", "--all-finished").exit_code == 0
    head = git(repo, "rev-parse", "HEAD")
    at_rev = RevisionSource(
        read_run(store / run_id), store / run_id, root=repo, sha=head, prefix=f".runs/{run_id}"
    )
    assert at_rev.info()["environment_file"] == f"{head}:.runs/environments/{sha}.txt"
