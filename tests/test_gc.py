"""``gittrack rm``, ``restore`` and ``gc``: mark runs deleted, bring them back, remove them for good."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import git, invoke, load_yaml, tree_snapshot

import gittrack as mlflow
from gittrack.maintenance.gc import gc
from gittrack.tracking.client import Client


@pytest.fixture
def runs(repo: Path) -> dict[str, str]:
    """Three finished runs: keep, drop and drop-too; returns {run name: run id}."""
    ids = {}
    for name in ("keep", "drop", "drop-too"):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_param("name", name)
            mlflow.log_metric("rmse", 1.0)
        ids[name] = run.info.run_id
    return ids


def listed(*args: str) -> list[str]:
    """Run names ``gittrack ls *args --format csv`` lists, sorted."""
    result = invoke("ls", *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return sorted(row["name"] for row in csv.DictReader(io.StringIO(result.stdout)))


def stage(repo: Path, run_id: str) -> str:
    return str(load_yaml(repo / ".runs" / run_id / "meta.yaml")["lifecycle_stage"])


# -- rm and restore ------------------------------------------------------------------------------


def test_rm_hides_a_run_and_restore_brings_it_back(runs: dict[str, str], repo: Path) -> None:
    before = tree_snapshot(repo / ".runs" / runs["drop"])
    result = invoke("rm", "drop")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    drop = runs["drop"]
    assert result.stderr == f"deleted {drop} (gittrack restore {drop} brings it back)\n"
    assert stage(repo, drop) == "deleted"
    assert listed() == ["drop-too", "keep"]
    assert listed("--deleted") == ["drop"]
    assert listed("--all") == ["drop", "drop-too", "keep"]

    result = invoke("restore", drop[:24])  # a prefix unique among runs of one second
    assert result.exit_code == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", f"restored {drop}\n")
    assert stage(repo, drop) == "active"
    assert listed() == ["drop", "drop-too", "keep"]
    assert listed("--deleted") == []
    assert tree_snapshot(repo / ".runs" / drop) == before  # the round trip changes no byte


def test_ls_all_shows_the_stage_of_each_run(runs: dict[str, str]) -> None:
    assert invoke("rm", "drop").exit_code == 0
    result = invoke("ls", "--all", "--format", "csv")
    rows = {row["name"]: row["stage"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert rows == {"keep": "active", "drop": "deleted", "drop-too": "active"}
    table = invoke("ls", "--all").stdout.splitlines()
    assert table[0].split()[:6] == ["id", "name", "experiment", "status", "stage", "start"]
    assert "stage" not in invoke("ls", "--deleted").stdout.splitlines()[0]


def test_ls_deleted_with_none_deleted(runs: dict[str, str]) -> None:
    result = invoke("ls", "--deleted")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no runs\n")


def test_ls_deleted_and_all_together_is_a_usage_error(runs: dict[str, str]) -> None:
    result = invoke("ls", "--deleted", "--all")
    assert result.exit_code == 2
    assert "--deleted and --all cannot be used together" in result.stderr


def test_rm_looks_up_every_run_before_changing_any(runs: dict[str, str], repo: Path) -> None:
    before = tree_snapshot(repo / ".runs")
    result = invoke("rm", "drop", "no-such-run")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no run matches 'no-such-run' in {repo / '.runs'}\n"
    assert tree_snapshot(repo / ".runs") == before


def test_rm_several_runs_at_once(runs: dict[str, str], repo: Path) -> None:
    result = invoke("rm", "drop", "drop-too", "drop")
    assert result.exit_code == 0, result.stderr
    assert len(result.stderr.splitlines()) == 2
    assert listed("--deleted") == ["drop", "drop-too"]


# -- gc ------------------------------------------------------------------------------------------


def test_gc_dry_run_lists_and_removes_nothing(runs: dict[str, str], repo: Path) -> None:
    assert invoke("rm", "drop", "drop-too").exit_code == 0
    before = tree_snapshot(repo / ".runs")
    result = invoke("gc", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"would remove {runs[n]}\n" for n in sorted(runs, key=runs.get)
                                    if n != "keep")  # fmt: skip
    assert result.stderr == ""
    assert tree_snapshot(repo / ".runs") == before


def test_gc_yes_removes_only_deleted_runs(runs: dict[str, str], repo: Path) -> None:
    keep = tree_snapshot(repo / ".runs" / runs["keep"])
    assert invoke("rm", "drop", "drop-too").exit_code == 0
    result = invoke("gc", "--yes")
    assert result.exit_code == 0, result.stderr
    doomed = sorted([runs["drop"], runs["drop-too"]])
    assert result.stdout == "".join(f"removed {run_id}\n" for run_id in doomed)
    assert result.stderr == ""
    remaining = sorted(p.name for p in (repo / ".runs").iterdir() if not p.name.startswith("."))
    assert remaining == [runs["keep"], "environments"]  # environments stay: other branches may name them
    assert tree_snapshot(repo / ".runs" / runs["keep"]) == keep
    assert listed("--all") == ["keep"]
    assert [p.name for p in (repo / ".runs" / ".cache").iterdir() if p.name.startswith("gc-")] == []


def test_gc_asks_first_and_no_keeps_everything(runs: dict[str, str], repo: Path) -> None:
    assert invoke("rm", "drop").exit_code == 0
    before = tree_snapshot(repo / ".runs")
    from helpers import cli_runner

    from gittrack.cli import cli

    answer_no = cli_runner().invoke(cli, ["gc"], input="n\n")
    assert answer_no.exit_code == 1
    assert answer_no.stdout == ""
    assert "Remove 1 deleted run(s) for good? [y/N]: " in answer_no.stderr
    assert answer_no.stderr.rstrip().endswith("Aborted!")
    assert tree_snapshot(repo / ".runs") == before

    answer_yes = cli_runner().invoke(cli, ["gc"], input="y\n")
    assert answer_yes.exit_code == 0, answer_yes.stderr
    assert answer_yes.stdout == f"removed {runs['drop']}\n"
    assert not (repo / ".runs" / runs["drop"]).exists()


def test_gc_with_nothing_deleted(runs: dict[str, str], repo: Path) -> None:
    before = tree_snapshot(repo / ".runs")
    result = invoke("gc")  # no prompt when there is nothing to remove
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no deleted runs; nothing to remove\n")
    assert tree_snapshot(repo / ".runs") == before


def test_gc_leaves_the_git_index_alone(runs: dict[str, str], repo: Path) -> None:
    git(repo, "add", ".runs")
    git(repo, "commit", "-q", "-m", "runs")
    assert invoke("rm", "drop").exit_code == 0
    assert invoke("gc", "--yes").exit_code == 0
    assert git(repo, "diff", "--cached", "--name-only") == ""  # nothing staged
    deleted = git(repo, "ls-files", "--deleted").splitlines()
    assert deleted and all(path.startswith(f".runs/{runs['drop']}/") for path in deleted)


def test_library_gc_after_client_delete_run(runs: dict[str, str], repo: Path) -> None:
    store = repo / ".runs"
    Client().delete_run(runs["drop-too"])
    assert gc(store, dry_run=True) == [runs["drop-too"]]
    assert (store / runs["drop-too"]).is_dir()
    assert gc(store, dry_run=False, only=[runs["keep"]]) == []  # only runs that are deleted
    assert gc(store, dry_run=False) == [runs["drop-too"]]
    assert not (store / runs["drop-too"]).exists()
    assert gc(store, dry_run=False) == []


def test_gc_keeps_a_deleted_run_that_is_still_running(repo: Path) -> None:
    warnings: list[str] = []
    with mlflow.start_run(run_name="live") as run:
        Client().delete_run(run.info.run_id)
        assert gc(repo / ".runs", dry_run=False, warn=warnings.append) == []
        assert (repo / ".runs" / run.info.run_id).is_dir()
    assert warnings == [f"keeping run {run.info.run_id}: it is deleted but still running"]


def test_gc_command_warns_once_about_a_live_deleted_run(repo: Path) -> None:
    with mlflow.start_run(run_name="gone"):
        pass
    Client().delete_run(mlflow.last_active_run().info.run_id)
    with mlflow.start_run(run_name="live") as run:
        Client().delete_run(run.info.run_id)
        result = invoke("gc", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(f"keeping run {run.info.run_id}") == 1
    assert result.stdout.startswith("removed ")
