"""Figures, images, tables and datasets as MLflow logs them; listing and downloading artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gittrack.errors import InvalidValueError


def test_figures_images_and_tables(in_repo: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    import gittrack as mlflow

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    with mlflow.start_run() as run:
        mlflow.log_figure(figure, "plots/line.png")
        mlflow.log_figure(go.Figure(go.Scatter(y=[1, 3, 2])), "plots/scatter.html")
        mlflow.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "images/black.png")
        mlflow.log_image(np.ones((2, 2)), key="mask", step=3)
        mlflow.log_table({"a": [1, 2], "b": ["x", "y"]}, "tables/t.json")
        mlflow.log_table(pd.DataFrame({"a": [3], "b": ["z"]}), "tables/t.json")
    plt.close(figure)
    artifacts = in_repo / ".runs" / run.info.run_id / "artifacts"
    assert (artifacts / "plots" / "line.png").read_bytes().startswith(b"\x89PNG")
    assert "plotly" in (artifacts / "plots" / "scatter.html").read_text()
    from PIL import Image

    with Image.open(artifacts / "images" / "black.png") as image:
        assert image.size == (5, 4)
    assert (artifacts / "images" / "mask" / "step-3.png").is_file()
    assert json.loads((artifacts / "tables" / "t.json").read_text()) == {
        "columns": ["a", "b"],
        "data": [[1, "x"], [2, "y"], [3, "z"]],
    }
    table = mlflow.load_table("tables/t.json", extra_columns=["run_id"])
    assert list(table["b"]) == ["x", "y", "z"] and set(table["run_id"]) == {run.info.run_id}
    with pytest.raises(InvalidValueError, match=r"in \[0, 1\]"):
        mlflow.log_image(np.full((2, 2), 3.0), "bad.png", run_id=run.info.run_id)


def test_datasets_are_the_runs_data_lineage(in_repo: Path) -> None:
    import gittrack as mlflow
    from gittrack.review.models import run_datasets

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]})
    dataset = mlflow.data.from_pandas(frame, source="data/train.csv", name="train", targets="label")
    assert dataset.digest == mlflow.data.from_pandas(frame.copy()).digest
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training", tags={"split": "80%"})
        mlflow.log_input(dataset, context="training")  # again: listed once
        mlflow.log_input(
            mlflow.data.from_numpy(np.arange(6).reshape(3, 2), source="s3://b/k"), context="eval"
        )
    found = run_datasets(in_repo / ".runs", run.info.run_id)
    assert [(d.name, d.context, d.source_type) for d in found] == [
        ("train", "training", "local"),
        ("dataset", "eval", "s3"),
    ]
    assert found[0].schema == {
        "mlflow_colspec": [
            {"type": "double", "name": "x", "required": True},
            {"type": "string", "name": "label", "required": True},
        ]
    }
    assert found[0].profile == {"num_rows": 3, "num_elements": 6} and found[0].tags == {"split": "80%"}
    inputs = mlflow.MlflowClient().get_dataset_inputs(run.info.run_id)
    assert inputs[0].dataset.digest == dataset.digest
    assert json.loads(inputs[0].dataset.source) == {"uri": "data/train.csv"}


def test_mlflow_computes_the_same_digest() -> None:
    """MLflow's digest of this frame (mlflow.data.from_pandas, 3.17.2) is 'f2782fba'."""
    import gittrack as mlflow

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]})
    assert mlflow.data.from_pandas(frame).digest == "f2782fba"


def test_list_and_download_artifacts(in_repo: Path, tmp_path: Path) -> None:
    import gittrack as mlflow

    with mlflow.start_run() as run:
        mlflow.log_text("hello", "notes/a.txt")
        mlflow.log_dict({"k": 1}, "config.yaml")
    client = mlflow.MlflowClient()
    listed = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listed] == [("config.yaml", False), ("notes", True)]
    assert [f.path for f in client.list_artifacts(run.info.run_id, "notes")] == ["notes/a.txt"]
    assert mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/config.yaml") == {"k": 1}
    copied = client.download_artifacts(run.info.run_id, "notes", str(tmp_path))
    assert Path(copied, "a.txt").read_text() == "hello"
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes/a.txt")
    assert Path(local).read_text() == "hello"
    assert [f.path for f in mlflow.artifacts.list_artifacts(f"runs:/{run.info.run_id}/notes")] == [
        "notes/a.txt"
    ]


def test_show_lists_the_runs_datasets_and_models(in_repo: Path) -> None:
    from sklearn.linear_model import LinearRegression

    import gittrack as mlflow
    from tests.helpers import invoke

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with mlflow.start_run() as run:
        mlflow.log_input(
            mlflow.data.from_pandas(frame, source="data/train.csv", name="train"), context="training"
        )
        mlflow.sklearn.log_model(LinearRegression().fit(frame, [1.0, 2.0, 3.0]), name="model")
    result = invoke("show", run.info.run_id)
    assert result.exit_code == 0, result.stderr
    assert "train (training)  digest " in result.stdout and "local data/train.csv" in result.stdout
    assert "model  python_function sklearn" in result.stdout
    shown = json.loads(invoke("show", run.info.run_id, "--format", "json").stdout)
    assert shown["models"] == [
        {"path": "model", "flavors": ["python_function", "sklearn"], "serialization_format": "cloudpickle"}
    ]
    assert shown["datasets"][0]["source"] == {"uri": "data/train.csv"}


def test_compare_shows_which_data_each_run_used(in_repo: Path) -> None:
    import gittrack as mlflow
    from tests.helpers import invoke

    ids = []
    for rows in ([1.0, 2.0], [1.0, 2.0, 3.0]):
        with mlflow.start_run() as run:
            mlflow.log_input(
                mlflow.data.from_pandas(pd.DataFrame({"x": rows}), name="train"), context="training"
            )
        ids.append(run.info.run_id)
    result = invoke("compare", *ids, "--format", "json")
    assert result.exit_code == 0, result.stderr
    (row,) = [r for r in json.loads(result.stdout) if r["key"] == "datasets"]
    digests = [row[k] for k in row if k not in ("key", "best")]
    assert len(set(digests)) == 2 and all(
        d.startswith("train@") and d.endswith("(training)") for d in digests
    )
