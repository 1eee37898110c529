"""MLflow's model-registry methods of ``MlflowClient``, over the registry's files.

:class:`RegistryClient` is a mixin of :class:`gittrack.tracking.client.Client`: the
registry lives in the store (``<store>/models/``, see :mod:`gittrack.store.registry`), so
a registered version is a small YAML file pointing at a model inside a run's
``artifacts/``; nothing is copied.  Version numbers are ints.  Reading never
deserialises a model.  After a merge that gave two versions one number, looking that
number up raises :class:`RegistryConflictError` saying how to fix it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidValueError, ModelNotFoundError, RegistryConflictError
from gittrack.store import context, layout, registry_write
from gittrack.store.reader import find_run_dir, read_run
from gittrack.store.registry import (
    STAGES,
    ChangeRecord,
    ModelRecord,
    VersionRecord,
    canonical_stage,
    check_alias,
    check_model_name,
    read_model,
    read_registry,
)
from gittrack.tracking import artifact_uri, registry_search
from gittrack.tracking.paging import PagedList
from gittrack.tracking.registry_entities import (
    ModelVersion,
    RegisteredModel,
    latest_per_stage,
    model_version,
    registered_model,
)


def _now() -> int:
    return int(time.time() * 1000)


class RegistryClient:
    """The registry half of ``MlflowClient`` (a mixin: the Client supplies ``_store``)."""

    _store: Path

    # -- registered models --------------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        record = registry_write.create_model(
            self._store,
            check_model_name(name),
            time=_now(),
            user=context.user(),
            description=description,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
        )
        return registered_model(record)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return registered_model(self._model(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        registry_write.rename_model(self._store, name, check_model_name(new_name))
        return self.get_registered_model(new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        self._model(name)
        change = ChangeRecord("", _now(), context.user(), description=description, has_description=True)
        registry_write.add_change(self._store, name, change)
        return self.get_registered_model(name)

    def delete_registered_model(self, name: str) -> None:
        registry_write.delete_model(self._store, name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._model(name)
        change = ChangeRecord("", _now(), context.user(), tags={str(key): str(value)})
        registry_write.add_change(self._store, name, change)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._model(name)
        registry_write.delete_tags(self._store, name, [key], time=_now(), user=context.user())

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = 100,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Registered models matching ``name``/``tags.<key>`` conditions, by name by default."""
        matches = registry_search.parse_filter(filter_string, registry_search.MODEL_FIELDS)
        found = [registered_model(m) for m in read_registry(self._store)]
        found = [m for m in found if matches({"name": m.name, "tags": m.tags})]
        ordered = registry_search.sort_rows(found, order_by, lambda m: vars(m), ["name ASC"])
        return registry_search.page(ordered, max_results, page_token, threshold=1000)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The highest version in each stage (every stage when ``stages`` is empty)."""
        model = self._model(name)
        try:
            return [model_version(model, r) for r in latest_per_stage(model, stages)]
        except ValueError as exc:
            raise InvalidValueError(str(exc)) from None

    # -- versions -------------------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
    ) -> ModelVersion:
        """A new version pointing at a model in a run: ``runs:/<run>/<path>``, a path inside a
        run's artifacts, or a ``models:/`` URI (the version it names is registered again)."""
        model = self._model(name)
        if source.startswith("models:/"):
            _, origin = self._resolve_models_uri(source)
            found_run, path = origin.run_id, origin.artifact_path
        else:
            found_run, path = artifact_uri.source_in_store(self._store, source)
        if run_id is not None and find_run_dir(self._store, run_id).name != found_run:
            raise InvalidValueError(f"source {source!r} is in run {found_run}, not in run {run_id}")
        run_dir = find_run_dir(self._store, found_run)
        if not (run_dir / layout.ARTIFACTS_DIR / path).exists():
            raise ModelNotFoundError(f"{source!r}: run {found_run} has no artifact {path!r}")
        git = read_run(run_dir).meta.git or {}
        now = _now()
        record = VersionRecord(
            number=0,
            uid="",
            run_id=found_run,
            artifact_path=path,
            commit=git.get("commit"),
            user=context.user(),
            created=now,
            updated=now,
            description=description,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
        )
        written = registry_write.new_version(self._store, model.name, record)
        return model_version(self._model(name), written)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        model, record = self._version(name, version)
        return model_version(model, record)

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        return self._change_version(name, version, description=description)

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to None, Staging, Production or Archived (deprecated in MLflow, kept
        for the course); ``archive_existing_versions`` archives the others in that stage."""
        try:
            stage = canonical_stage(stage)
        except ValueError as exc:
            raise InvalidValueError(str(exc)) from None
        if archive_existing_versions and stage not in ("Staging", "Production"):
            raise InvalidValueError(
                f"archive_existing_versions needs stage Staging or Production, not {stage}"
            )
        model, record = self._version(name, version)
        if archive_existing_versions:
            for other in model.live_versions:
                if other.stage == stage and other != record:
                    registry_write.write_version(
                        self._store, model.name, replace(other, stage="Archived", updated=_now())
                    )
        return self._change_version(name, version, stage=stage)

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Mark the version deleted (its number is never given again) and drop its aliases."""
        model, record = self._version(name, version)
        for alias in model.aliases_of(record):
            registry_write.delete_alias(self._store, model.name, alias)
        registry_write.write_version(self._store, model.name, replace(record, deleted=True, updated=_now()))

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """The model's folder in its run, as a local path of this checkout."""
        _, record = self._version(name, version)
        return str(self._version_path(record))

    def get_model_version_stages(self, name: str, version: str | int) -> list[str]:
        return list(STAGES)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = 10000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Versions matching ``name``, ``run_id``, ``source_path``, ``version_number`` or
        ``tags.<key>`` conditions; newest change first by default, as MLflow."""
        matches = registry_search.parse_filter(filter_string, registry_search.VERSION_FIELDS)
        found = []
        for model in read_registry(self._store):
            for record in model.live_versions:
                version = model_version(model, record)
                row = {**vars(version), "version_number": record.number, "source_path": record.source}
                if matches(row):
                    found.append(version)
        default = ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
        ordered = registry_search.sort_rows(found, order_by, _version_row, default)
        return registry_search.page(ordered, max_results, page_token, threshold=200_000)

    def set_model_version_tag(
        self,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        record = self._version_or_stage(name, version, stage)
        self._change_version(name, record.number, tags={**record.tags, str(key): str(value)}, record=record)

    def delete_model_version_tag(
        self, name: str, version: str | int | None = None, key: str | None = None, stage: str | None = None
    ) -> None:
        record = self._version_or_stage(name, version, stage)
        tags = {k: v for k, v in record.tags.items() if k != key}
        self._change_version(name, record.number, tags=tags, record=record)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the version ``src_model_uri`` names under ``dst_name`` too (created if needed)."""
        if read_model(self._store, dst_name) is None:
            self.create_registered_model(dst_name)
        return self.create_model_version(dst_name, src_model_uri)

    # -- aliases --------------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        model, record = self._version(name, version)
        registry_write.set_alias(self._store, model.name, check_alias(alias), record)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        model = self._model(name)
        registry_write.delete_alias(self._store, model.name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        model, record = self._resolve_models_uri(f"models:/{name}@{alias}")
        return model_version(model, record)

    # -- lookups --------------------------------------------------------------------------------

    def _model(self, name: str) -> ModelRecord:
        found = read_model(self._store, check_model_name(name))
        if found is None:
            raise ModelNotFoundError(f"registered model '{name}' not found in {self._store}")
        return found

    def _version(self, name: str, version: str | int) -> tuple[ModelRecord, VersionRecord]:
        model = self._model(name)
        try:
            number = int(version)
        except (TypeError, ValueError):
            raise InvalidValueError(f"model version must be a number, got {version!r}") from None
        found = model.versions_numbered(number)
        if not found:
            raise ModelNotFoundError(f"model version {number} of '{model.name}' not found")
        if len(found) > 1:
            raise RegistryConflictError(
                f"version {number} of '{model.name}' exists {len(found)} times after a merge (runs "
                f"{', '.join(v.run_id for v in found)}); run `gittrack check --fix` to renumber the later one"
            )
        return model, found[0]

    def _version_or_stage(self, name: str, version: str | int | None, stage: str | None) -> VersionRecord:
        if version is not None:
            return self._version(name, version)[1]
        if stage is None:
            raise InvalidValueError("give a version or a stage")
        latest = latest_per_stage(self._model(name), [stage])
        if not latest:
            raise ModelNotFoundError(f"no version of '{name}' is in stage {stage}")
        return latest[0]

    def _change_version(
        self, name: str, version: str | int, *, record: VersionRecord | None = None, **changes: Any
    ) -> ModelVersion:
        model, found = self._version(name, version)
        updated = replace(record or found, updated=_now(), **changes)
        registry_write.write_version(self._store, model.name, updated)
        return model_version(self._model(name), updated)

    def _resolve_models_uri(self, uri: str) -> tuple[ModelRecord, VersionRecord]:
        """The version a ``models:/`` URI names (by number, stage, ``latest`` or alias)."""
        parsed = artifact_uri.parse_models_uri(uri)
        model = self._model(parsed.name)
        if parsed.version is not None:
            return self._version(parsed.name, parsed.version)
        if parsed.alias is not None:
            if parsed.alias.lower() == "latest":
                parsed = replace(parsed, alias=None, latest=True)
            elif parsed.alias not in model.aliases:
                raise ModelNotFoundError(f"registered model '{model.name}' has no alias '{parsed.alias}'")
            else:
                target = model.alias_target(parsed.alias)
                if target is None:
                    raise RegistryConflictError(
                        f"alias '{parsed.alias}' of '{model.name}' does not name one version; "
                        f"set it again: gittrack models promote '{model.name}' VERSION --alias {parsed.alias}"
                    )
                return model, target
        if parsed.latest:
            live = model.live_versions
            if not live:
                raise ModelNotFoundError(f"registered model '{model.name}' has no versions")
            return model, max(live, key=lambda v: (v.number, v.created))
        try:
            latest = latest_per_stage(model, [parsed.stage or ""])
        except ValueError as exc:
            raise ModelNotFoundError(f"{uri!r}: {exc}") from None
        if not latest:
            raise ModelNotFoundError(f"no version of '{model.name}' is in stage {parsed.stage}")
        return model, latest[0]

    def _version_path(self, record: VersionRecord) -> Path:
        return artifact_uri.run_artifact(self._store, record.run_id, record.artifact_path)[1]

    def resolve_uri(self, uri: str) -> Path:
        """The local file or folder a ``runs:/``, ``models:/``, ``file:`` URI or a path names
        (a gittrack extension: the store is local, so nothing is downloaded)."""
        if uri.startswith("models:/"):
            return self._version_path(self._resolve_models_uri(uri)[1])
        if uri.startswith("runs:/"):
            run, path = artifact_uri.parse_runs_uri(uri)
            return artifact_uri.run_artifact(self._store, run, path)[1]
        return artifact_uri.local_path(uri)

    def register_model(
        self, model_uri: str, name: str, tags: Mapping[str, Any] | None = None
    ) -> ModelVersion:
        """``mlflow.register_model``: create the model if needed, then a version of it."""
        if read_model(self._store, check_model_name(name)) is None:
            self.create_registered_model(name)
        return self.create_model_version(name, model_uri, tags=tags)


def _version_row(version: ModelVersion) -> dict[str, Any]:
    return {**vars(version), "version_number": version.version}
