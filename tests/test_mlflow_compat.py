"""docs/mlflow-compat.md cannot drift: every MLflow name is listed, and each status is true."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import gittrack
from gittrack import MlflowClient

ROOT = Path(__file__).resolve().parent.parent
API = json.loads((ROOT / "tests" / "data" / "mlflow_api.json").read_text(encoding="utf-8"))
DOC = (ROOT / "docs" / "mlflow-compat.md").read_text(encoding="utf-8")
PRESENT = ("same", "extended", "differs")
ABSENT = ("missing", "out of scope")
# The tracking methods of MLflow's client: each must be "same" or "extended" (issue #12).
TRACKING_CLIENT = (
    "create_experiment",
    "create_run",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "download_artifacts",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_parent_run",
    "get_run",
    "list_artifacts",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_image",
    "log_inputs",
    "log_param",
    "log_stream",
    "log_table",
    "log_text",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_runs",
    "set_experiment_tag",
    "set_tag",
    "set_terminated",
    "tracking_uri",
    "update_run",
)


def rows(section: str) -> dict[str, str]:
    """``{name: status}`` from the table under the ``## section`` heading."""
    body = DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return {m[1]: m[2].strip() for m in re.finditer(r"^\| `([A-Za-z_]+)` \| ([a-z ]+) \|", body, re.M)}


FLUENT = rows("Module functions")
CLIENT = rows("`MlflowClient` methods")
LOGGED = rows("MLflow 3 logged models")
OUT = rows("Out of scope")


def status(name: str, *tables: dict[str, str]) -> str | None:
    return next((t[name] for t in tables if name in t), None)


def test_every_mlflow_function_is_listed_once() -> None:
    for name in API["functions"]:
        found = [t for t in (FLUENT, LOGGED, OUT) if name in t]
        assert len(found) == 1, f"mlflow.{name} must be listed once in docs/mlflow-compat.md"


def test_every_client_method_is_listed_once() -> None:
    for name in API["client_methods"]:
        found = [t for t in (CLIENT, LOGGED, OUT) if name in t]
        assert len(found) == 1, f"MlflowClient.{name} must be listed once in docs/mlflow-compat.md"


@pytest.mark.parametrize("name", API["functions"])
def test_a_listed_function_exists_exactly_when_the_page_says(name: str) -> None:
    state = status(name, FLUENT, LOGGED, OUT)
    assert state in (*PRESENT, *ABSENT), state
    assert hasattr(gittrack, name) == (state in PRESENT), f"mlflow.{name} is listed as {state!r}"


@pytest.mark.parametrize("name", API["client_methods"])
def test_a_listed_method_exists_exactly_when_the_page_says(name: str) -> None:
    state = status(name, CLIENT, LOGGED, OUT)
    assert state in (*PRESENT, *ABSENT), state
    assert hasattr(MlflowClient, name) == (state in PRESENT), f"MlflowClient.{name} is listed as {state!r}"


def test_the_whole_tracking_client_is_there() -> None:
    assert set(TRACKING_CLIENT) <= set(API["client_methods"])
    weak = {n: CLIENT.get(n) for n in TRACKING_CLIENT if CLIENT.get(n) not in ("same", "extended")}
    assert not weak, f"tracking Client methods not the same as MLflow's: {weak}"


def test_every_public_gittrack_name_is_mlflows_or_documented() -> None:
    mlflow_names = set(API["functions"]) | set(API["classes"]) | set(API["modules"])
    extras = {n for n in gittrack.__all__ if n not in mlflow_names}
    undocumented = sorted(n for n in extras if f"`{n}" not in DOC and f"gittrack.{n}" not in DOC)
    assert not undocumented, f"public names missing from docs/mlflow-compat.md: {undocumented}"
