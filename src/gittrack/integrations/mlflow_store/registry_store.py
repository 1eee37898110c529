"""MLflow's model-registry store over gittrack's registry files: :class:`GittrackRegistryStore`.

The registry is ``<store>/models/`` (docs/format.md): one file per version and per alias,
written atomically, merge-safe; versions point at a model folder inside a run's
``artifacts/`` and never copy it.  A version's ``source`` is ``runs:/<run id>/<path>``;
MLflow's sources (``gittrack:runs/...`` artifact URIs, ``runs:/``, a logged model's
``models:/m-...``) are turned into that before gittrack's registry code writes the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.model_registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)
from mlflow.store.model_registry.abstract_store import AbstractStore
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils, SearchUtils

from gittrack.integrations.mlflow_store import convert, logged_models, uris
from gittrack.integrations.mlflow_store.unsupported import Unsupported, finish
from gittrack.tracking.client import Client

T = TypeVar("T")


def _limit(max_results: int | None, default: int, most: int) -> int:
    """MLflow's registry file store's check of ``max_results``."""
    limit = default if max_results is None else max_results
    if not isinstance(limit, int) or limit < 1:
        raise MlflowException(
            f"Invalid value for max_results. It must be a positive integer, but got {limit}",
            INVALID_PARAMETER_VALUE,
        )
    if limit > most:
        raise MlflowException(
            "Invalid value for request parameter max_results. It must be at most "
            f"{most}, but got value {limit}",
            INVALID_PARAMETER_VALUE,
        )
    return limit


def _all_pages(fetch: Callable[[str | None], Any]) -> list[Any]:
    every: list[Any] = []
    token = None
    while True:
        chunk = fetch(token)
        every += list(chunk)
        if not (token := chunk.token):
            return every


def _paged(items: list[T], page_token: str | None, limit: int) -> PagedList[T]:
    """MLflow's offset page tokens, as its file store makes them."""
    start = SearchUtils.parse_start_offset_from_page_token(page_token)
    token = SearchUtils.create_page_token(start + limit) if start + limit < len(items) else None
    return PagedList(items[start : start + limit], token)


@finish
class GittrackRegistryStore(AbstractStore):  # type: ignore[misc]
    """MLflow's model-registry ``AbstractStore`` for ``gittrack:`` URIs."""

    def __init__(self, store_uri: str | None = None, tracking_uri: str | None = None) -> None:
        super().__init__(store_uri, tracking_uri)
        self._store = uris.store_of(store_uri or f"{uris.PREFIX}.")
        self._client = Client(tracking_uri=str(self._store))

    # -- registered models ----------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Any = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        return convert.registered_model(
            self._client.create_registered_model(name, convert.tag_map(tags), description)
        )

    def update_registered_model(
        self, name: str, description: str | None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        return convert.registered_model(self._client.update_registered_model(name, description))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return convert.registered_model(self._client.rename_registered_model(name, new_name))

    def delete_registered_model(self, name: str) -> None:
        self._client.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        limit = _limit(max_results, 100, SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD)
        every = _all_pages(lambda token: self._client.search_registered_models(None, 1000, None, token))
        found = SearchModelUtils.filter([convert.registered_model(m) for m in every], filter_string)
        return _paged(SearchModelUtils.sort(found, order_by), page_token, limit)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return convert.registered_model(self._client.get_registered_model(name))

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        return [convert.model_version(v) for v in self._client.get_latest_versions(name, stages)]

    def set_registered_model_tag(self, name: str, tag: Any) -> None:
        self._client.set_registered_model_tag(name, tag.key, tag.value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._client.delete_registered_model_tag(name, key)

    # -- versions -------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Any = None,
        run_link: str | None = None,
        description: str | None = None,
        local_model_path: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        runs_uri, found_model = self._runs_uri(source, model_id)
        created = self._client.create_model_version(
            name, runs_uri, run_id, convert.tag_map(tags), run_link, description
        )
        return convert.model_version(created, found_model)

    def _runs_uri(self, source: str, model_id: str | None) -> tuple[str, str | None]:
        """``runs:/<run>/<path>`` of an MLflow model source, and the logged model's id."""
        if source.startswith("models:/m-") or (model_id and not source.startswith(("runs:/", uris.PREFIX))):
            wanted = model_id or source[len("models:/") :].strip("/")
            model = logged_models.read(logged_models.find(self._store, wanted))
            return f"runs:/{model.run_id}/{model.artifact_path}", model.model_id
        if uris.is_gittrack(source):
            run, path = uris.parse_artifact_uri(source)
            return f"runs:/{run}/{path}", model_id
        if source.startswith(("runs:/", "models:/")):
            return source, model_id
        return str(Path(source.removeprefix("file://"))), model_id

    def update_model_version(self, name: str, version: str, description: str | None) -> ModelVersion:
        return convert.model_version(self._client.update_model_version(name, version, description))

    def transition_model_version_stage(
        self, name: str, version: str, stage: str, archive_existing_versions: bool
    ) -> ModelVersion:
        changed = self._client.transition_model_version_stage(name, version, stage, archive_existing_versions)
        return convert.model_version(changed)

    def delete_model_version(self, name: str, version: str) -> None:
        self._client.delete_model_version(name, version)

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        return convert.model_version(self._client.get_model_version(name, version))

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        """``gittrack:runs/<run id>/<path>``: resolved in the current checkout when read."""
        found = self._client.get_model_version(name, version)
        return uris.run_artifact_uri(str(found.run_id), found.artifact_path)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        limit = _limit(max_results, 10000, SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD)
        every = _all_pages(lambda token: self._client.search_model_versions(None, 10000, None, token))
        found = SearchModelVersionUtils.filter([convert.model_version(v) for v in every], filter_string)
        default = ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
        return _paged(SearchModelVersionUtils.sort(found, order_by or default), page_token, limit)

    def set_model_version_tag(self, name: str, version: str, tag: Any) -> None:
        self._client.set_model_version_tag(name, version, tag.key, tag.value)

    def delete_model_version_tag(self, name: str, version: str, key: str) -> None:
        self._client.delete_model_version_tag(name, version, key)

    # -- aliases --------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        self._client.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._client.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return convert.model_version(self._client.get_model_version_by_alias(name, alias))

    def copy_model_version(self, src_mv: ModelVersion, dst_name: str) -> ModelVersion:
        try:
            self._client.get_registered_model(dst_name)
        except Exception:
            self._client.create_registered_model(dst_name)
        return self.create_model_version(
            dst_name, f"runs:/{src_mv.run_id}/{self._path_of(src_mv)}", src_mv.run_id
        )

    def _path_of(self, version: ModelVersion) -> str:
        return self._client.get_model_version(version.name, version.version).artifact_path

    def link_prompt_version_to_model(self, name: str, version: str, model_id: str) -> None:
        raise Unsupported("link_prompt_version_to_model", "gittrack's registry holds no prompts")
