"""``gittrack models ls/show/promote/diff`` and the registry in ``gittrack diff``'s report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import git, invoke, table


def logged(name: str, rmse: float) -> str:
    import gittrack as mlflow

    with mlflow.start_run(run_name=name) as run:
        mlflow.log_metric("rmse", rmse)
        mlflow.log_text("w", "model/weights.txt")
    return run.info.run_id


@pytest.fixture
def registry(in_repo: Path) -> dict[str, str]:
    """main: 'm' v1 (run 'first', rmse 0.5) as champion, committed; then v2 (run 'second',
    rmse 0.25) registered and not committed."""
    import gittrack as mlflow

    first = logged("first", 0.5)
    mlflow.register_model(f"runs:/{first}/model", "m")
    mlflow.MlflowClient().set_registered_model_alias("m", "champion", 1)
    assert invoke("commit", "--all-finished").exit_code == 0
    second = logged("second", 0.25)
    mlflow.register_model(f"runs:/{second}/model", "m")
    return {"first": first, "second": second}


def test_ls_lists_models_latest_versions_aliases_and_stages(registry: dict[str, str]) -> None:
    result = invoke("models", "ls")
    assert result.exit_code == 0, result.stderr
    names, rows = table(result.stdout)
    assert names[:5] == ["name", "versions", "latest", "aliases", "stages"]
    assert rows[0][:5] == ["m", "2", "2", "champion: 1", ""]
    at_head = json.loads(invoke("models", "ls", "--rev", "HEAD", "--format", "json").stdout)
    assert [(m["name"], m["versions"], m["latest"]) for m in at_head] == [("m", 1, 1)]
    assert invoke("models", "ls", "--format", "csv").stdout.splitlines()[0].startswith("name,versions,latest")


def test_show_lists_versions_with_run_metrics_commit_and_user(registry: dict[str, str]) -> None:
    result = invoke("models", "show", "m", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["version"], r["run_name"], r["metrics.rmse"], r["aliases"]) for r in rows] == [
        (1, "first", 0.5, "champion"),
        (2, "second", 0.25, ""),
    ]
    assert rows[0]["user"] and len(rows[0]["commit"]) == 8
    assert invoke("models", "show", "m", "--format", "markdown").stdout.startswith("| version ")
    missing = invoke("models", "show", "nope")
    assert missing.exit_code == 1 and "no registered model 'nope' (registered: m)" in missing.stderr


def test_promote_and_diff_report_the_alias_move_with_the_metric(
    registry: dict[str, str], in_repo: Path
) -> None:
    result = invoke("models", "promote", "m", "2", "--alias", "champion", "--stage", "Production")
    assert result.exit_code == 0, result.stderr
    assert "m: alias champion → version 2 (was version 1)" in result.stderr
    assert "m: version 2 → stage Production" in result.stderr
    diff = invoke("models", "diff", "HEAD")
    assert diff.exit_code == 0, diff.stderr
    assert diff.stdout.splitlines() == [
        f"m: version 2 registered (run {registry['second']})",
        "m: alias champion moved from version 1 to version 2; rmse 0.5 → 0.25",
    ]
    rows = json.loads(invoke("models", "diff", "HEAD", "--format", "json").stdout)
    assert [r["change"] for r in rows] == ["registered", "alias-moved"]
    assert invoke("models", "promote", "m", "2").exit_code == 1


def test_the_pull_request_report_includes_registry_changes(registry: dict[str, str], in_repo: Path) -> None:
    git(in_repo, "checkout", "-q", "-b", "promote")
    assert invoke("models", "promote", "m", "2", "--alias", "champion").exit_code == 0
    assert invoke("commit", "--all-finished").exit_code == 0
    report = invoke("diff", "main", "HEAD", "--format", "markdown")
    assert report.exit_code == 0, report.stderr
    assert "#### Model registry" in report.stdout
    assert "- m: alias champion moved from version 1 to version 2; rmse 0.5 → 0.25" in report.stdout
    data = json.loads(invoke("diff", "main", "HEAD", "--format", "json").stdout)
    assert [c["kind"] for c in data["registry"]] == ["registered", "alias-moved"]
    assert "registry: m: alias champion moved" in invoke("diff", "main", "HEAD").stdout
