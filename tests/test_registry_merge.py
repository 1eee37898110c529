"""Two branches that each register a version of the same model merge without a git
conflict; readers list both versions and `gittrack check` says what to do (`--fix`
renumbers the later one).  An alias moved on both branches is a conflict check explains."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import git, invoke


def logged_run(name: str) -> str:
    import gittrack as mlflow

    with mlflow.start_run(run_name=name) as run:
        mlflow.log_metric("rmse", 1.0 if name == "left" else 0.5)
        mlflow.log_text("weights", "model/weights.txt")
    return run.info.run_id


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def registered(in_repo: Path) -> Path:
    """main: model 'm' with version 1 (run 'base'); branches 'left' and 'right' start here."""
    import gittrack as mlflow

    base = logged_run("base")
    mlflow.register_model(f"runs:/{base}/model", "m")
    commit_all(in_repo, "v1")
    return in_repo


def register_on(repo: Path, branch: str) -> str:
    import gittrack as mlflow

    git(repo, "checkout", "-q", "-b", branch, "main")
    run_id = logged_run(branch)
    version = mlflow.register_model(f"runs:/{run_id}/model", "m")
    assert version.version == 2
    commit_all(repo, f"register on {branch}")
    return run_id


def test_two_branches_registering_merge_cleanly_and_check_fixes_the_numbers(registered: Path) -> None:
    import gittrack as mlflow
    from gittrack.errors import RegistryConflictError

    repo = registered
    left = register_on(repo, "left")
    right = register_on(repo, "right")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "left")
    merged = subprocess.run(["git", "merge", "--no-edit", "right"], cwd=repo, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr  # no textual conflict
    client = mlflow.MlflowClient()
    versions = client.search_model_versions("name = 'm'")
    assert sorted(v.version for v in versions) == [1, 2, 2]  # readers list both
    with pytest.raises(RegistryConflictError, match="check --fix"):
        client.get_model_version("m", 2)

    result = invoke("check")
    assert result.exit_code == 1
    assert "version 2 of 'm' exists 2 times after a merge" in result.stdout
    assert "`gittrack check --fix` renumbers the later one" in result.stdout

    fixed = invoke("check", "--fix")
    assert fixed.exit_code == 0, fixed.stdout
    assert (
        f"renumbered the later version 2 of 'm' (run {right}) to 3; version 2 stays run {left}"
        in fixed.stdout
    )
    assert client.get_model_version("m", 2).run_id == left
    assert client.get_model_version("m", 3).run_id == right
    assert invoke("check").exit_code == 0


def test_an_alias_moved_on_both_branches_is_reported_with_the_fix(registered: Path) -> None:
    import gittrack as mlflow

    repo = registered
    client = mlflow.MlflowClient()
    base = client.get_model_version("m", 1).run_id
    client.create_model_version("m", f"runs:/{base}/model")  # version 2
    client.create_model_version("m", f"runs:/{base}/model")  # version 3
    client.set_registered_model_alias("m", "champion", 1)
    commit_all(repo, "three versions")
    git(repo, "checkout", "-q", "-b", "a")
    client.set_registered_model_alias("m", "champion", 2)
    commit_all(repo, "champion 2")
    git(repo, "checkout", "-q", "-b", "b", "main")
    client.set_registered_model_alias("m", "champion", 3)
    commit_all(repo, "champion 3")
    merged = subprocess.run(["git", "merge", "--no-edit", "a"], cwd=repo, capture_output=True, text=True)
    assert merged.returncode != 0  # the same file changed on both sides: git says so
    result = invoke("check")
    assert result.exit_code == 1
    assert (
        "alias 'champion' was moved on both sides of a merge (to version 3 and to version 2); "
        "choose one: gittrack models promote MODEL VERSION --alias champion"
    ) in result.stdout
    assert invoke("models", "promote", "m", "3", "--alias", "champion").exit_code == 0
    assert invoke("check").exit_code == 0
    assert client.get_model_version_by_alias("m", "champion").version == 3


def test_a_version_whose_run_is_not_committed_is_flagged(in_repo: Path) -> None:
    import gittrack as mlflow

    run_id = logged_run("fresh")
    mlflow.register_model(f"runs:/{run_id}/model", "m")
    result = invoke("check")
    assert result.exit_code == 1
    assert f"points at run {run_id}, which is not committed" in result.stdout
    committed = invoke("commit", "--all-finished")
    assert committed.exit_code == 0, committed.stderr
    assert invoke("check").exit_code == 0


def test_commit_of_one_run_warns_about_a_version_of_another(in_repo: Path) -> None:
    import gittrack as mlflow

    registered_run = logged_run("registered")
    other = logged_run("other")
    mlflow.register_model(f"runs:/{registered_run}/model", "m")
    result = invoke("commit", other)
    assert result.exit_code == 0, result.stderr
    assert f"version 1 of 'm' points at run {registered_run}, which is not committed" in result.stderr
