"""The registry API of MlflowClient over the registry's files, with MLflow's semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from gittrack.errors import (
    FilterError,
    InvalidArtifactPathError,
    InvalidNameError,
    InvalidValueError,
    ModelExistsError,
    ModelNotFoundError,
)
from gittrack.store import yamlio


def a_run(name: str = "r", metric: float = 1.0) -> str:
    import gittrack as mlflow

    with mlflow.start_run(run_name=name) as run:
        mlflow.log_metric("rmse", metric)
        mlflow.log_text("w", "model/weights.txt")
    return run.info.run_id


@pytest.fixture
def client(in_repo: Path):  # type: ignore[no-untyped-def]
    import gittrack as mlflow

    return mlflow.MlflowClient()


def test_versions_are_numbered_and_point_at_their_run(client, in_repo: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = a_run()
    client.create_registered_model("m", tags={"team": "x"}, description="first")
    v1 = client.create_model_version("m", f"runs:/{run_id}/model", tags={"k": "v"}, description="d1")
    v2 = client.create_model_version("m", str(in_repo / ".runs" / run_id / "artifacts" / "model"))
    assert (v1.version, v2.version) == (1, 2)
    assert v1.source == f"runs:/{run_id}/model" and v2.source == v1.source
    assert v1.run_id == run_id and v1.current_stage == "None" and v1.status == "READY"
    assert v1.tags == {"k": "v"} and v1.description == "d1"
    files = sorted(p.name for p in (in_repo / ".runs" / "models" / "m" / "versions").iterdir())
    assert [f.split("-")[0] for f in files] == ["1", "2"]
    stored = yamlio.load((in_repo / ".runs" / "models" / "m" / "versions" / files[0]).read_bytes())
    assert stored["run_id"] == run_id and stored["artifact_path"] == "model" and stored["stage"] == "None"
    model = client.get_registered_model("m")
    assert model.description == "first" and model.tags == {"team": "x"}
    assert client.get_model_version_download_uri("m", 1) == str(
        in_repo / ".runs" / run_id / "artifacts" / "model"
    )


def test_stages_latest_versions_and_archiving(client) -> None:  # type: ignore[no-untyped-def]
    run_id = a_run()
    client.create_registered_model("m")
    for _ in range(3):
        client.create_model_version("m", f"runs:/{run_id}/model")
    client.transition_model_version_stage("m", 1, "production")
    client.transition_model_version_stage("m", 2, "Staging")
    assert [(v.version, v.current_stage) for v in client.get_latest_versions("m")] == [
        (3, "None"),
        (2, "Staging"),
        (1, "Production"),
    ]
    client.transition_model_version_stage("m", 3, "Production", archive_existing_versions=True)
    assert client.get_model_version("m", 1).current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions("m", ["Production"])] == [3]
    with pytest.raises(InvalidValueError, match="not one of"):
        client.transition_model_version_stage("m", 1, "Live")


def test_aliases_tags_descriptions(client) -> None:  # type: ignore[no-untyped-def]
    run_id = a_run()
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    client.create_model_version("m", f"runs:/{run_id}/model")
    client.set_registered_model_alias("m", "champion", "2")
    assert client.get_model_version_by_alias("m", "champion").version == 2
    assert client.get_model_version("m", 2).aliases == ["champion"]
    client.set_registered_model_alias("m", "champion", 1)
    assert client.get_registered_model("m").aliases == {"champion": 1}
    client.delete_registered_model_alias("m", "champion")
    with pytest.raises(ModelNotFoundError, match="no alias 'champion'"):
        client.get_model_version_by_alias("m", "champion")
    with pytest.raises(InvalidNameError, match="reserved"):
        client.set_registered_model_alias("m", "v2", 1)
    client.set_model_version_tag("m", "1", "validated", "yes")
    client.set_registered_model_tag("m", "owner", "ann")
    client.update_model_version("m", 1, description="better")
    client.update_registered_model("m", description="the model")
    client.delete_registered_model_tag("m", "owner")
    assert client.get_model_version("m", 1).tags == {"validated": "yes"}
    assert client.get_model_version("m", 1).description == "better"
    model = client.get_registered_model("m")
    assert (model.description, model.tags) == ("the model", {})
    client.delete_model_version_tag("m", 1, "validated")
    assert client.get_model_version("m", 1).tags == {}


def test_deleted_versions_keep_their_number(client) -> None:  # type: ignore[no-untyped-def]
    run_id = a_run()
    client.create_registered_model("m")
    client.create_model_version("m", f"runs:/{run_id}/model")
    client.set_registered_model_alias("m", "a", 1)
    client.delete_model_version("m", 1)
    with pytest.raises(ModelNotFoundError):
        client.get_model_version("m", 1)
    assert client.get_registered_model("m").aliases == {}
    assert client.create_model_version("m", f"runs:/{run_id}/model").version == 2


def test_rename_and_delete(client, in_repo: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = a_run()
    client.create_registered_model("old name")
    client.create_model_version("old name", f"runs:/{run_id}/model")
    with pytest.raises(ModelExistsError):
        client.create_registered_model("old name")
    renamed = client.rename_registered_model("old name", "new/name".replace("/", "-"))
    assert renamed.name == "new-name" and client.get_model_version("new-name", 1).run_id == run_id
    assert (in_repo / ".runs" / "models" / "old%20name").exists() is False
    client.delete_registered_model("new-name")
    with pytest.raises(ModelNotFoundError):
        client.get_registered_model("new-name")


def test_sources_must_be_models_in_runs(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = a_run()
    client.create_registered_model("m")
    with pytest.raises(InvalidArtifactPathError, match="log it with log_model first"):
        client.create_model_version("m", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="has no artifact 'nothing'"):
        client.create_model_version("m", f"runs:/{run_id}/nothing")
    with pytest.raises(ModelNotFoundError, match="'missing' not found"):
        client.create_model_version("missing", f"runs:/{run_id}/model")


def test_search_with_mlflow_filters_and_pages(client) -> None:  # type: ignore[no-untyped-def]
    import gittrack as mlflow

    first, second = a_run("a"), a_run("b")
    for name in ("alpha", "beta", "gamma"):
        client.create_registered_model(name, tags={"team": "x" if name != "beta" else "y"})
        client.create_model_version(name, f"runs:/{first}/model")
    client.create_model_version("beta", f"runs:/{second}/model")
    assert [m.name for m in client.search_registered_models("name LIKE '%a'")] == ["alpha", "beta", "gamma"]
    assert [m.name for m in client.search_registered_models("tags.team = 'y'")] == ["beta"]
    assert [m.name for m in client.search_registered_models(order_by=["name DESC"])] == [
        "gamma",
        "beta",
        "alpha",
    ]
    page = client.search_registered_models(max_results=2)
    assert [m.name for m in page] == ["alpha", "beta"] and page.token
    rest = client.search_registered_models(max_results=2, page_token=page.token)
    assert [m.name for m in rest] == ["gamma"] and rest.token is None
    found = client.search_model_versions(f"run_id = '{second}'")
    assert [(v.name, v.version) for v in found] == [("beta", 2)]
    assert len(client.search_model_versions("name = 'beta' AND version_number >= 2")) == 1
    assert len(client.search_model_versions(f"run_id IN ('{first}', '{second}')")) == 4
    assert [m.name for m in mlflow.search_registered_models(filter_string="name ILIKE 'ALPHA'")] == ["alpha"]
    assert len(mlflow.search_model_versions(filter_string="source_path LIKE 'runs:/%'")) == 4
    with pytest.raises(FilterError, match="unknown field 'colour'"):
        client.search_model_versions("colour = 'red'")


def test_models_uris_name_versions_stages_aliases(client, in_repo: Path) -> None:  # type: ignore[no-untyped-def]
    import gittrack as mlflow

    run_id = a_run()
    mlflow.register_model(f"runs:/{run_id}/model", "m")
    mlflow.register_model(f"runs:/{run_id}/model", "m")
    client.transition_model_version_stage("m", 1, "Staging")
    client.set_registered_model_alias("m", "champion", 2)
    folder = in_repo / ".runs" / run_id / "artifacts" / "model"
    for uri in (
        "models:/m/1",
        "models:/m/Staging",
        "models:/m@champion",
        "models:/m/latest",
        f"runs:/{run_id}/model",
    ):
        assert client.resolve_uri(uri) == folder
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/model/weights.txt") == "w"
    copied = mlflow.artifacts.download_artifacts("models:/m@champion", dst_path=str(in_repo))
    assert Path(copied, "weights.txt").read_text() == "w"
    with pytest.raises(ModelNotFoundError, match="no version of 'm' is in stage Production"):
        client.resolve_uri("models:/m/Production")
    copy = client.copy_model_version("models:/m@champion", "m-copy")
    assert (copy.name, copy.version, copy.run_id) == ("m-copy", 1, run_id)


def test_errors_carry_mlflows_codes(client) -> None:  # type: ignore[no-untyped-def]
    from gittrack.errors import MlflowException

    client.create_registered_model("m")
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model("nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as taken:
        client.create_registered_model("m")
    assert taken.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as bad:
        client.transition_model_version_stage("m", 1, "Nowhere")
    assert bad.value.error_code in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
    with pytest.raises(MlflowException) as paging:
        client.search_registered_models(max_results=0)
    assert paging.value.error_code == "INVALID_PARAMETER_VALUE"
