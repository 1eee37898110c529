"""``mlflow ui --backend-store-uri gittrack:.`` serves a repository's runs and registry (issue 17).

A real git repository gets runs and registered models from MLflow's own client through the
``gittrack:`` store (``bench/.venv``), and runs from ``import gittrack`` beside them (one format:
both kinds must show).  ``mlflow ui`` (in MLflow 3.17 the same server as ``mlflow server``)
then runs on 127.0.0.1 on a free port against ``gittrack:.``, and the tests ask its REST API
(``/api/2.0/mlflow/...``, and ``/ajax-api/...``, the paths MLflow's UI calls) and, with
Debian's Chromium and Playwright, MLflow's UI itself.
The same tests on MLflow's own file store (``file:``, marked slow) check the harness.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow_venv import api, last_json, missing, mlflow_env, mlflow_server, run_mlflow

SEED = textwrap.dedent(
    """
    import json, mlflow, numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression

    mlflow.set_experiment("vision")
    ids = {}
    for name, depth in [("alpha", 1), ("beta", 2), ("gamma", 3)]:
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_params({"depth": depth, "model": "cnn"})
            for step in range(3):
                mlflow.log_metric("val_loss", 1.0 / (depth + step), step=step)
            mlflow.set_tag("team", "vision")
            if name == "alpha":
                mlflow.log_text("looks good\\n", "notes.txt")
            ids[name] = run.info.run_id
    X = np.arange(8.0).reshape(4, 2)
    with mlflow.start_run(run_name="fit") as run:
        mlflow.sklearn.log_model(LinearRegression().fit(X, X.sum(axis=1)), name="model",
                                 registered_model_name="forest")
        ids["fit"] = run.info.run_id
    mlflow.register_model(f"runs:/{ids['fit']}/model", "forest")
    client = MlflowClient()
    client.set_registered_model_alias("forest", "champion", "2")
    client.transition_model_version_stage("forest", "1", "Staging")
    print(json.dumps(ids))
    """
)
GITTRACK_SEED = textwrap.dedent(
    """
    import gittrack
    gittrack.set_experiment("tabular")
    for name, alpha in [("ridge", 0.1), ("lasso", 1.0)]:
        with gittrack.start_run(run_name=name):
            gittrack.log_param("alpha", alpha)
            gittrack.log_metric("rmse", alpha * 2)
    """
)
VISION = {"alpha", "beta", "gamma", "fit"}


@dataclass
class Served:
    store: str  # "gittrack" or "file"
    url: str
    repo: Path
    runs: dict[str, str]  # run name -> run id (MLflow's client's runs)

    def experiments(self) -> dict[str, str]:
        found = api(self.url, "/api/2.0/mlflow/experiments/search", {"max_results": 100})
        return {e["name"]: e["experiment_id"] for e in found["experiments"]}

    def runs_of(self, experiment: str, prefix: str = "/api") -> dict[str, dict[str, Any]]:
        body = {"experiment_ids": [self.experiments()[experiment]], "max_results": 100}
        found = api(self.url, f"{prefix}/2.0/mlflow/runs/search", body)
        return {r["info"]["run_name"]: r for r in found.get("runs", [])}


def make_repo(root: Path) -> None:
    root.mkdir(parents=True)
    env = mlflow_env(GIT_CONFIG_NOSYSTEM="1")
    for role in ("AUTHOR", "COMMITTER"):
        env |= {f"GIT_{role}_NAME": "Test User", f"GIT_{role}_EMAIL": "test@example.com"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    (root / "train.py").write_text("# the user's training code\n")
    subprocess.run(["git", "add", "train.py"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "initial"], cwd=root, check=True, env=env)


@pytest.fixture(scope="module", params=["gittrack", pytest.param("file", marks=pytest.mark.slow)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store: str = request.param
    reason = missing(plugin=store == "gittrack")
    if reason is not None:
        pytest.skip(reason)
    repo = tmp_path_factory.mktemp(f"server-{store}") / "repo"
    make_repo(repo)
    uri = "gittrack:." if store == "gittrack" else (repo / "mlruns").as_uri()
    runs = last_json(run_mlflow(SEED, repo, env=mlflow_env(MLFLOW_TRACKING_URI=uri)))
    if store == "gittrack":  # gittrack's own API writes beside MLflow's client: one format
        done = subprocess.run([sys.executable, "-c", GITTRACK_SEED], cwd=repo, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
    with mlflow_server(uri, repo, repo.parent / "server.log") as url:
        yield Served(store, url, repo, runs)


def test_experiments_search_lists_the_repositorys_experiments(served: Served) -> None:
    names = set(served.experiments())
    assert "vision" in names
    if served.store == "gittrack":
        assert "tabular" in names


@pytest.mark.parametrize("prefix", ["/api", "/ajax-api"])
def test_runs_search_shows_the_runs_with_their_data(served: Served, prefix: str) -> None:
    runs = served.runs_of("vision", prefix)
    assert set(runs) == VISION
    assert {name: runs[name]["info"]["run_id"] for name in VISION} == served.runs
    beta = runs["beta"]["data"]
    assert {p["key"]: p["value"] for p in beta["params"]} == {"depth": "2", "model": "cnn"}
    assert {m["key"]: m["value"] for m in beta["metrics"]} == {"val_loss": 0.25}
    assert {t["key"]: t["value"] for t in beta["tags"]}["team"] == "vision"
    assert all(r["info"]["status"] == "FINISHED" for r in runs.values())


def test_a_runs_latest_metric_has_its_step_and_time(served: Served) -> None:
    """MLflow's file store gives the latest value with the step and time it was logged at."""
    for found in (
        served.runs_of("vision")["beta"],
        api(served.url, f"/api/2.0/mlflow/runs/get?run_id={served.runs['beta']}")["run"],
    ):
        (latest,) = found["data"]["metrics"]
        assert (latest["value"], latest["step"]) == (0.25, 2)
        assert latest["timestamp"] >= found["info"]["start_time"]


def test_runs_logged_by_gittracks_api_are_served_too(served: Served) -> None:
    if served.store != "gittrack":
        pytest.skip("only a gittrack: repository holds runs of gittrack's API")
    runs = served.runs_of("tabular")
    assert set(runs) == {"ridge", "lasso"}
    lasso = runs["lasso"]["data"]
    assert {p["key"]: p["value"] for p in lasso["params"]} == {"alpha": "1.0"}
    assert {m["key"]: m["value"] for m in lasso["metrics"]} == {"rmse": 2.0}


def test_metric_history_and_one_run(served: Served) -> None:
    run_id = served.runs["gamma"]
    query = urllib.parse.urlencode({"run_id": run_id, "metric_key": "val_loss"})
    history = api(served.url, f"/ajax-api/2.0/mlflow/metrics/get-history?{query}")["metrics"]
    assert [(m["step"], m["value"]) for m in history] == [(0, 1 / 3), (1, 1 / 4), (2, 1 / 5)]
    got = api(served.url, f"/api/2.0/mlflow/runs/get?run_id={run_id}")["run"]
    assert got["info"]["run_name"] == "gamma"


def test_a_runs_artifacts_are_listed_and_served(served: Served) -> None:
    run_id = served.runs["alpha"]
    listed = api(served.url, f"/ajax-api/2.0/mlflow/artifacts/list?run_id={run_id}")
    assert [f["path"] for f in listed.get("files", [])] == ["notes.txt"]
    query = urllib.parse.urlencode({"path": "notes.txt", "run_uuid": run_id})
    with urllib.request.urlopen(f"{served.url}/get-artifact?{query}", timeout=60) as answer:
        assert answer.read() == b"looks good\n"


def test_the_registry_shows_the_model_its_versions_stage_and_alias(served: Served) -> None:
    models = api(served.url, "/api/2.0/mlflow/registered-models/search?max_results=100")["registered_models"]
    assert [m["name"] for m in models] == ["forest"]
    assert {a["alias"]: a["version"] for a in models[0].get("aliases", [])} == {"champion": "2"}
    query = urllib.parse.urlencode({"filter": "name='forest'"})
    versions = api(served.url, f"/ajax-api/2.0/mlflow/model-versions/search?{query}")["model_versions"]
    by_version = {v["version"]: v for v in versions}
    assert sorted(by_version) == ["1", "2"]
    assert by_version["1"]["current_stage"] == "Staging"
    assert {v["run_id"] for v in versions} == {served.runs["fit"]}
    query = urllib.parse.urlencode({"name": "forest", "alias": "champion"})
    champion = api(served.url, f"/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]
    assert champion["version"] == "2"


def test_the_logged_model_is_listed_with_its_run(served: Served) -> None:
    """MLflow 3's experiment page lists logged models (``logged-models/search``)."""
    body = {"experiment_ids": [served.experiments()["vision"]], "max_results": 50}
    models = api(served.url, "/ajax-api/2.0/mlflow/logged-models/search", body)["models"]
    found = [(m["info"]["name"], m["info"]["source_run_id"]) for m in models]
    assert found == [("model", served.runs["fit"])]


def test_runs_search_pages_through_the_runs(served: Served) -> None:
    body: dict[str, Any] = {"experiment_ids": [served.experiments()["vision"]], "max_results": 3}
    first = api(served.url, "/api/2.0/mlflow/runs/search", body)
    rest = api(served.url, "/api/2.0/mlflow/runs/search", body | {"page_token": first["next_page_token"]})
    names = [r["info"]["run_name"] for r in first["runs"] + rest["runs"]]
    assert names == ["fit", "gamma", "beta", "alpha"]  # newest first, as MLflow orders
    assert "next_page_token" not in rest


# -- MLflow's UI in Chromium -------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def page(served: Served) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install it with 'apt-get install chromium' (scripts/test.sh does)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        tab.set_default_timeout(120_000)  # MLflow's UI is a large bundle, on a busy machine
        yield tab
        browser.close()


def test_mlflows_ui_runs_table_lists_the_runs(served: Served, page: Any) -> None:
    vision = served.experiments()["vision"]
    page.goto(f"{served.url}/#/experiments/{vision}/runs?workflowType=machine_learning")
    page.wait_for_selector(f"text={len(VISION)} matching runs")
    for name in VISION:  # each row's name links to its run
        assert page.locator(f'.ag-row a[href$="/runs/{served.runs[name]}"]').inner_text() == name


def test_mlflows_ui_run_page_shows_params_and_metrics(served: Served, page: Any) -> None:
    vision = served.experiments()["vision"]
    page.goto(f"{served.url}/#/experiments/{vision}/runs/{served.runs['beta']}")
    page.get_by_text("val_loss", exact=True).first.wait_for()
    page.get_by_text("depth", exact=True).first.wait_for()
    assert page.get_by_text("beta", exact=True).count() >= 1


def test_mlflows_ui_lists_the_registered_model(served: Served, page: Any) -> None:
    page.goto(f"{served.url}/#/models")
    page.get_by_role("link", name="forest", exact=True).wait_for()
