"""MLflow's answers from gittrack: paging, exceptions, run_id=, the rest of the tracking Client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import gittrack
import gittrack as mlflow
from gittrack import MlflowClient
from gittrack.entities import Metric, Param, RunTag
from gittrack.store import context, layout
from gittrack.store.layout import Meta
from gittrack.store.writer import RunWriter

T0 = 1_780_000_000_000


def many_runs(store: Path, count: int, experiment: str = "many") -> list[str]:
    """``count`` finished runs written straight through the store's writer, oldest first."""
    ids = []
    for i in range(count):
        run_id = f"20260528-{i // 60:04d}{i % 60:02d}-{i:06x}"
        meta = Meta(run_id, f"r{i}", experiment, "RUNNING", T0 + i, host=context.host(), pid=os.getpid())
        writer = RunWriter.create(store, meta, new_id=lambda run_id=run_id: run_id)
        writer.log_metric("m", float(i), step=0, timestamp=T0)
        writer.finish("FINISHED", end_time=T0 + i + 1)
        ids.append(run_id)
    return ids


def test_the_while_token_loop_collects_every_run(repo: Path) -> None:
    ids = many_runs(repo / ".runs", 3000)
    client = MlflowClient()
    found, token, pages = [], None, 0
    while True:
        page = client.search_runs(["many"], max_results=1000, page_token=token)
        found += [r.info.run_id for r in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 3
    assert found == ids[::-1]  # newest first, each run once
    small = client.search_runs(["many"], max_results=10, order_by=["metrics.m ASC"])
    assert [r.data.metrics["m"] for r in small] == [float(i) for i in range(10)]
    assert small.token is not None
    following = client.search_runs(
        ["many"], max_results=10, order_by=["metrics.m ASC"], page_token=small.token
    )
    assert [r.data.metrics["m"] for r in following] == [float(i) for i in range(10, 20)]


def test_the_fluent_search_is_not_capped_at_a_client_page(repo: Path) -> None:
    many_runs(repo / ".runs", 1200)
    assert len(mlflow.search_runs(["many"])) == 1200
    assert len(mlflow.search_runs(["many"], output_format="list")) == 1200


@pytest.mark.parametrize("bad", [0, -1, 50_001, 2.5, "10", True])
def test_client_max_results_out_of_range_is_mlflows_error(repo: Path, bad: object) -> None:
    with pytest.raises(mlflow.MlflowException, match="max_results") as caught:
        MlflowClient().search_runs(["x"], max_results=bad)  # type: ignore[arg-type]
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_bad_page_token_is_mlflows_error(repo: Path) -> None:
    with pytest.raises(mlflow.MlflowException, match="Invalid page token"):
        MlflowClient().search_runs(["x"], page_token="not base64!")


def test_every_error_is_an_mlflow_exception_after_the_import_swap(repo: Path) -> None:
    import gittrack.exceptions

    mlflow.exceptions = gittrack.exceptions  # as `import mlflow` then `mlflow.exceptions.X`
    with pytest.raises(mlflow.exceptions.MlflowException) as caught:
        MlflowClient().get_run("no-such-run")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with mlflow.start_run():
        with pytest.raises(mlflow.exceptions.MlflowException) as bad:
            mlflow.log_metric("bad/../name", 1.0)
        assert bad.value.error_code == "INVALID_PARAMETER_VALUE"
        assert isinstance(bad.value, ValueError)  # and a ValueError, as Python code expects
        with pytest.raises(mlflow.exceptions.MlflowException):
            mlflow.search_runs(filter_string="metrics.m <")


def test_run_id_writes_into_that_run_not_the_active_one(repo: Path, tmp_path: Path) -> None:
    with mlflow.start_run() as first:
        pass
    folder = tmp_path / "outputs"
    folder.mkdir()
    local = folder / "file.txt"
    local.write_text("x")
    with mlflow.start_run() as active:
        target = first.info.run_id
        mlflow.log_metric("m", 1.0, run_id=target)
        mlflow.log_metrics({"a": 2.0}, run_id=target)
        mlflow.log_params({"p": 3}, run_id=target)
        mlflow.log_artifact(str(local), run_id=target)
        mlflow.log_artifacts(str(folder), artifact_path="dir", run_id=target)
        with pytest.raises(mlflow.MlflowException, match="holds the run's own artifacts"):
            mlflow.log_artifacts(str(repo), run_id=target)
        mlflow.log_text("t", "t.txt", run_id=target)
        mlflow.log_dict({"k": 1}, "d.json", run_id=target)
    assert mlflow.get_run(active.info.run_id).data.metrics == {}
    done = mlflow.get_run(target)
    assert done.data.metrics == {"m": 1.0, "a": 2.0} and done.data.params == {"p": "3"}
    artifacts = repo / ".runs" / target / "artifacts"
    assert sorted(p.name for p in artifacts.iterdir()) == ["d.json", "dir", "file.txt", "t.txt"]
    assert not (repo / ".runs" / active.info.run_id / "artifacts").exists()
    meta = (repo / ".runs" / target / layout.META).read_text()
    assert "a:" in meta and "m:" in meta  # the finished run's summaries were updated


def test_log_batch_update_run_and_tags(repo: Path) -> None:
    client = MlflowClient()
    run = client.create_run("0", tags={"mlflow.note.content": "a note", "team": "a"})
    run_id = run.info.run_id
    assert run.info.experiment_id == "Default" and run.data.tags["mlflow.note.content"] == "a note"
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 0.5, T0, 0), Metric("loss", 0.25, T0 + 1, 1)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("k", "v"), RunTag("mlflow.runName", "renamed")],
    )
    client.update_run(run_id, name="final-name")
    client.set_terminated(run_id, "FAILED")
    got = client.get_run(run_id)
    assert got.info.run_name == "final-name" and got.data.tags["mlflow.runName"] == "final-name"
    assert got.info.status == "FAILED"
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.5, 0.25]
    client.delete_tag(run_id, "k")
    client.delete_tag(run_id, "mlflow.note.content")
    tags = client.get_run(run_id).data.tags
    assert "k" not in tags and "mlflow.note.content" not in tags and tags["team"] == "a"
    with pytest.raises(mlflow.MlflowException, match="No tag with name: k"):
        client.delete_tag(run_id, "k")
    client.update_run(run_id, status="FINISHED")
    assert client.get_run(run_id).info.status == "FINISHED"


def test_a_bad_entry_in_log_batch_writes_nothing(repo: Path) -> None:
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(mlflow.MlflowException):
        client.log_batch(run_id, metrics=[Metric("ok", 1.0, T0, 0), Metric("bad", "x", T0, 0)])  # type: ignore[arg-type]
    client.set_terminated(run_id)
    assert client.get_run(run_id).data.metrics == {}


def test_parent_runs_and_their_system_tags_are_queryable(repo: Path) -> None:
    mlflow.set_experiment("tree")
    with (
        mlflow.start_run(run_name="parent") as parent,
        mlflow.start_run(run_name="child", nested=True) as child,
    ):
        pass
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert mlflow.get_parent_run(parent.info.run_id) is None
    pid = parent.info.run_id
    df = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{pid}'")
    assert list(df["tags.mlflow.runName"]) == ["child"]
    assert list(mlflow.search_runs(filter_string=f"attributes.parent_run_id = '{pid}'")["run_id"]) == [
        child.info.run_id
    ]
    assert set(df.columns) >= {"tags.mlflow.user", "tags.mlflow.source.name", "tags.mlflow.source.type"}


def test_search_runs_defaults_to_the_active_experiment(repo: Path) -> None:
    mlflow.set_experiment("one")
    with mlflow.start_run():
        pass
    mlflow.set_experiment("two")
    with mlflow.start_run() as two:
        pass
    assert list(mlflow.search_runs()["run_id"]) == [two.info.run_id]
    assert len(mlflow.search_runs(search_all_experiments=True)) == 2
    assert len(mlflow.search_runs(experiment_names=["one", "missing"])) == 1


def test_an_empty_result_has_mlflows_columns(repo: Path) -> None:
    df = mlflow.search_runs(experiment_ids=["nothing"])
    assert list(df.columns)[:6] == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert df.empty


def test_is_tracking_uri_set(repo: Path, tmp_path: Path) -> None:
    assert not gittrack.is_tracking_uri_set()
    gittrack.set_tracking_uri(tmp_path / "store")
    assert gittrack.is_tracking_uri_set()
    assert gittrack.get_tracking_uri() == str(tmp_path / "store")


def test_datasets_are_queryable_as_in_mlflow(repo: Path) -> None:
    import pandas as pd

    data = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    mlflow.set_experiment("lineage")
    with mlflow.start_run(run_name="a"):
        mlflow.log_input(mlflow.data.from_pandas(data, name="train"), context="training")
    with mlflow.start_run(run_name="b"):
        mlflow.log_input(mlflow.data.from_pandas(data, name="test"), context="eval")
    with mlflow.start_run(run_name="c"):
        pass

    def names(text: str) -> list[str]:
        return list(mlflow.search_runs(filter_string=text)["tags.mlflow.runName"])

    assert names("datasets.name = 'train'") == ["a"]
    assert names("datasets.context IN ('eval')") == ["b"]
    assert names("datasets.name LIKE 't%'") == ["b", "a"]
    assert names("datasets.digest != 'nothing'") == ["b", "a"]  # c has no dataset: never matches
    with pytest.raises(mlflow.MlflowException, match="unknown dataset key 'size'"):
        names("datasets.size = '1'")
