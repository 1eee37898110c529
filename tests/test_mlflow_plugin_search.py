"""Searches through the ``gittrack:`` store speak MLflow's grammar exactly, and a run's latest
metrics carry the step and time MLflow's file store gives them (issue 17).

Each check runs real MLflow (``bench/.venv``) in a subprocess over a real git repository, once
through the plugin and once over MLflow's own file store, and the two must answer alike:
MLflow's errors for gittrack's filter extensions, MLflow's literal reading of ``''`` in a
value, and the latest metric picked by ``(step, timestamp, value)`` for a finished run and for
a run still RUNNING (whose ``meta.yaml`` has no metric summary yet); experiment and registry
searches too.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from mlflow_venv import last_json, missing, mlflow_env, run_mlflow
from test_mlflow_plugin_server import make_repo

REJECTED_FILTERS = [
    "metrics.a > 1 OR metrics.a < 0",
    "(metrics.a > 1)",
    "params.p IN ('1')",
    "metrics.a IS NULL",
    "params.p > '1'",
    "params.p = 1",
    "metrics.a-b > 1",
    "attributes.duration > 1",
    "attributes.lifecycle_stage = 'active'",
]
REJECTED_ORDERS = [["attributes.duration"], ["metrics.a, metrics.b"], ["`Run name`"]]
SCRIPT = textwrap.dedent(
    """
    import json, mlflow
    from mlflow.entities import Metric
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    exp = mlflow.set_experiment("search").experiment_id

    def error(**kwargs):
        try:
            client.search_runs([exp], **kwargs)
        except MlflowException as e:
            return e.error_code
        return None

    with mlflow.start_run(run_name="quoted") as quoted:
        mlflow.set_tag("note", "it''s")
        mlflow.log_param("p", "1")
        mlflow.log_metric("a", 2.0)
    with mlflow.start_run(run_name="plain") as plain:
        mlflow.set_tag("note", "it's")
    rows = [Metric("m", 1.0, 5, 2), Metric("m", 0.5, 9, 2), Metric("m", 3.0, 20, 1), Metric("m", 7.0, 9, 2)]
    done = client.create_run(exp, run_name="ties")
    client.log_batch(done.info.run_id, metrics=rows)
    client.set_terminated(done.info.run_id)
    live = client.create_run(exp, run_name="live")
    client.log_batch(live.info.run_id, metrics=rows)

    def latest(run):
        return [(m.key, m.value, m.step, m.timestamp) for m in run.data._metric_objs]

    by_name = {r.info.run_name: r for r in client.search_runs([exp])}
    print(json.dumps({
        "filters": {f: error(filter_string=f) for f in json.loads(FILTERS)},
        "orders": [error(order_by=o) for o in json.loads(ORDERS)],
        "experiments": client.search_experiments(filter_string="name = 'search'")[0].name,
        "quote": sorted(r.info.run_name for r in client.search_runs([exp], "tags.note = 'it''s'")),
        "quote_double": sorted(r.info.run_name for r in client.search_runs([exp], 'tags.note = "it\\'s"')),
        "latest": {n: latest(client.get_run(by_name[n].info.run_id)) for n in ("ties", "live")},
        "searched": {n: latest(by_name[n]) for n in ("ties", "live")},
    }))
    client.set_terminated(live.info.run_id)
    """
)
OTHERS = textwrap.dedent(
    """
    import json, mlflow
    from mlflow.exceptions import MlflowException
    client = mlflow.MlflowClient()
    mlflow.set_experiment("a")
    for name in ("alpha", "beta", "gamma"):
        client.create_registered_model(name, tags={"team": "vision" if name != "beta" else "nlp"})

    def error(search, text):
        try:
            search(filter_string=text)
        except MlflowException as e:
            return e.error_code
        return None

    print(json.dumps({
        "experiment_or": error(client.search_experiments, "name = 'a' OR name = 'b'"),
        "model_or": error(client.search_registered_models, "name = 'alpha' OR name = 'beta'"),
        "version_or": error(client.search_model_versions, "name = 'alpha' OR name = 'beta'"),
        "models": [m.name for m in client.search_registered_models("tags.team = 'vision'")],
        "like": [m.name for m in client.search_registered_models("name LIKE '%a'", order_by=["name DESC"])],
        "paged": [m.name for m in client.search_registered_models(max_results=2)],
    }))
    """
)


def _answers(repo: Path, uri: str, code: str) -> Any:
    return last_json(run_mlflow(code, repo, env=mlflow_env(MLFLOW_TRACKING_URI=uri)))


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The answers through the plugin and through MLflow's file store."""
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    code = SCRIPT.replace("json.loads(FILTERS)", f"json.loads({json.dumps(REJECTED_FILTERS)!r})")
    code = code.replace("json.loads(ORDERS)", f"json.loads({json.dumps(REJECTED_ORDERS)!r})")
    found = {}
    for backend in ("gittrack", "file"):
        repo = tmp_path_factory.mktemp(backend) / "repo"
        make_repo(repo)
        uri = "gittrack:." if backend == "gittrack" else (repo / "mlruns").as_uri()
        found[backend] = _answers(repo, uri, code) | _answers(repo, uri, OTHERS)
    return found


def test_gittracks_extensions_raise_mlflows_error_through_the_plugin(answered: dict[str, Any]) -> None:
    for backend in ("gittrack", "file"):
        assert answered[backend]["filters"] == dict.fromkeys(REJECTED_FILTERS, "INVALID_PARAMETER_VALUE")
        assert answered[backend]["orders"] == ["INVALID_PARAMETER_VALUE"] * len(REJECTED_ORDERS)
        assert answered[backend]["experiment_or"] == "INVALID_PARAMETER_VALUE"
        assert answered[backend]["model_or"] == answered[backend]["version_or"] == "INVALID_PARAMETER_VALUE"
        assert answered[backend]["experiments"] == "search"


def test_registry_searches_answer_as_mlflows_file_store(answered: dict[str, Any]) -> None:
    for key in ("models", "like", "paged"):
        assert answered["gittrack"][key] == answered["file"][key], key
    assert answered["gittrack"]["models"] == ["alpha", "gamma"]
    assert answered["gittrack"]["like"] == ["gamma", "beta", "alpha"]


def test_a_doubled_quote_is_two_quotes_as_in_mlflow(answered: dict[str, Any]) -> None:
    assert answered["gittrack"]["quote"] == answered["file"]["quote"] == ["quoted"]
    assert answered["gittrack"]["quote_double"] == answered["file"]["quote_double"] == ["plain"]


def test_the_latest_metric_is_mlflows_with_its_step_and_time(answered: dict[str, Any]) -> None:
    want = [["m", 7.0, 2, 9]]  # the highest (step, timestamp, value): not the last logged
    for backend in ("gittrack", "file"):
        assert answered[backend]["latest"] == {"ties": want, "live": want}, backend
        assert answered[backend]["searched"] == {"ties": want, "live": want}, backend
