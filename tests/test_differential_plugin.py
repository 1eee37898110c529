"""The differential suite's second pass: MLflow's own client over gittrack's ``gittrack:`` store.

The scenario is logged and every case answered by MLflow 3.17 (``bench/.venv``, ``bash
bench/setup.sh``) with ``MLFLOW_TRACKING_URI=gittrack:<repo>``, in one worker subprocess per
module; each case is then judged here against MLflow's file store as recorded in
``tests/differential/expected.json`` (issue 17: agreement on every case).  Cases that do not
agree yet are in ``pending-plugin.yaml`` (``xfail(strict=True)``).  Without MLflow's virtualenv,
or without the plugin's entry point in it, the tests are skipped with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from differential import corpus, plugin
from differential.cases import CASES, Case
from mlflow_venv import MLFLOW_PYTHON, missing


class Disagreement(AssertionError):
    """MLflow's client over the gittrack: store answers otherwise than MLflow's file store."""


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    return plugin.answers(MLFLOW_PYTHON, plugin.PLUGIN, tmp_path_factory.mktemp("differential-plugin"))


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        marks: list[pytest.MarkDecorator] = []
        entry = corpus.pending_plugin().get(case.id)
        if entry is not None:
            reason = f"{entry['category']}: {entry['reason']}"
            marks.append(pytest.mark.xfail(strict=True, raises=Disagreement, reason=reason))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_case(case: Case, answered: dict[str, Any]) -> None:
    verdict = corpus.judge(case, answered["answers"][case.id], own_columns=False)
    if verdict.agrees:
        return
    listed = corpus.pending_plugin().get(case.id)
    if listed is not None and listed["category"] != verdict.category:
        pytest.fail(
            f"pending-plugin.yaml lists {case.id} as {listed['category']}, but it is now "
            f"{verdict.category}: {verdict.detail}\n  {case.describe()}"
        )
    raise Disagreement(
        f"{verdict.category}: {verdict.detail}\n  {case.describe()}\n  {plugin.cause(case.id)}"
    )


def test_the_plugin_pass_ran_mlflow(answered: dict[str, Any]) -> None:
    """The answers are MLflow's client's (its version as recorded), not gittrack's API."""
    assert answered["versions"]["mlflow"] == corpus.expected()["versions"]["mlflow"]


def test_plugin_pending_names_only_known_cases() -> None:
    assert sorted(set(corpus.pending_plugin()) - {c.id for c in CASES}) == []


@pytest.mark.slow
def test_the_harness_agrees_with_itself_on_mlflows_file_store(tmp_path: Path) -> None:
    """The same pass on MLflow's own file store agrees on every case: the worker, the scenario
    and the judging reproduce the recording, so a disagreement above is the store's."""
    reason = missing(plugin=False)
    if reason is not None:
        pytest.skip(reason)
    found = plugin.judge_all(plugin.answers(MLFLOW_PYTHON, "mlflow-file", tmp_path))
    assert {c: f"{v.category}: {v.detail}" for c, v in found.items() if not v.agrees} == {}
