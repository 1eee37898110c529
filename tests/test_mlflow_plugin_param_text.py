"""Params MLflow's client logs through the ``gittrack:`` store read back as the same text, everywhere.

MLflow sends every param as text; the store keeps the type ``import gittrack`` would have
written where the text is a value's exact form (``"10"`` → 10).  Whatever it stores, MLflow's
client must get the text back from ``get_run``, from ``search_runs`` (list and DataFrame), and
find the run with ``params.k = 'text'``, as MLflow's file store does.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from mlflow_venv import last_json, missing, mlflow_env, run_mlflow
from test_mlflow_plugin_server import make_repo

TEXTS = ["nan", "NaN", "inf", "-inf", "1e3", "007", "None", "True", "1.0", "10", "-0.0", " padded ", ""]
SCRIPT = textwrap.dedent(
    """
    import json, mlflow
    texts = json.loads(TEXTS)
    mlflow.set_experiment("params")
    with mlflow.start_run() as run:
        mlflow.log_params({f"p{i}": text for i, text in enumerate(texts)})
    client = mlflow.MlflowClient()
    exp = [run.info.experiment_id]
    frame = mlflow.search_runs(exp)
    found = {
        "get_run": client.get_run(run.info.run_id).data.params,
        "search_runs": client.search_runs(exp)[0].data.params,
        "frame": {c[7:]: frame[c][0] for c in frame.columns if c.startswith("params.")},
        "filter": {
            f"p{i}": len(client.search_runs(exp, f"params.p{i} = '{t}'")) for i, t in enumerate(texts)
        },
    }
    print(json.dumps(found))
    """
)


@pytest.fixture(scope="module", params=["gittrack", pytest.param("file", marks=pytest.mark.slow)])
def answered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, object]]:
    """The answers through the plugin; through MLflow's file store (slow), the test's own check."""
    reason = missing(plugin=request.param == "gittrack")
    if reason is not None:
        pytest.skip(reason)
    repo: Path = tmp_path_factory.mktemp("params") / "repo"
    make_repo(repo)
    uri = "gittrack:." if request.param == "gittrack" else (repo / "mlruns").as_uri()
    env = mlflow_env(MLFLOW_TRACKING_URI=uri)
    code = SCRIPT.replace("json.loads(TEXTS)", f"json.loads({json.dumps(TEXTS)!r})")
    found: dict[str, dict[str, object]] = last_json(run_mlflow(code, repo, env=env))
    return found


@pytest.mark.parametrize("where", ["get_run", "search_runs", "frame"])
def test_each_param_reads_back_as_its_text(answered: dict[str, dict[str, object]], where: str) -> None:
    assert answered[where] == {f"p{i}": text for i, text in enumerate(TEXTS)}


def test_a_filter_on_each_params_text_finds_the_run(answered: dict[str, dict[str, object]]) -> None:
    assert answered["filter"] == {f"p{i}": 1 for i in range(len(TEXTS))}
