"""MLflow 3's logged models, kept as plain files in their run.

``mlflow.<flavor>.log_model`` creates a *logged model* (id ``m-<32 hex>``) before it
uploads the model's files.  gittrack keeps both in the run that logged it: the files go
to ``artifacts/<name>/`` (the logged model's artifact location is
``gittrack:runs/<run id>/<name>``, so ``runs:/<run id>/<name>`` finds the MLmodel as in
gittrack's own ``log_model``), and its metadata to ``logged_models/<model id>.yaml``,
written atomically; see docs/format.md.  A logged model outside any run has nowhere to
live in git and is refused with MLflow's exception.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlflow.entities import LoggedModel, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, Metric
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ErrorCode

from gittrack.integrations.mlflow_store import uris
from gittrack.store import layout, yamlio
from gittrack.store.atomic import write_atomic

DIR = "logged_models"
FORMAT_VERSION = 1
_found: dict[tuple[Path, str], Path] = {}  # (store, model id) -> its file: MLflow asks often


@dataclass(frozen=True)
class ModelFile:
    """One ``logged_models/<model id>.yaml``."""

    model_id: str
    run_id: str
    name: str
    artifact_path: str
    experiment: str
    created: int
    updated: int
    status: str = "PENDING"
    status_message: str | None = None
    model_type: str | None = None
    step: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "model_id": self.model_id,
            "name": self.name,
            "artifact_path": self.artifact_path,
            "experiment": self.experiment,
            "status": self.status,
            "status_message": self.status_message,
            "model_type": self.model_type,
            "step": self.step,
            "created": layout.iso_utc(self.created),
            "updated": layout.iso_utc(self.updated),
            "tags": dict(sorted(self.tags.items())),
            "params": dict(sorted(self.params.items())),
            "metrics": self.metrics,
        }
        if self.deleted:
            data["deleted"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], run_id: str) -> ModelFile:
        return cls(
            model_id=str(data["model_id"]),
            run_id=run_id,
            name=str(data["name"]),
            artifact_path=str(data["artifact_path"]),
            experiment=str(data["experiment"]),
            created=layout.epoch_ms(data["created"]) or 0,
            updated=layout.epoch_ms(data["updated"]) or 0,
            status=str(data.get("status") or "READY"),
            status_message=data.get("status_message"),
            model_type=data.get("model_type"),
            step=int(data.get("step") or 0),
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            params={str(k): str(v) for k, v in (data.get("params") or {}).items()},
            metrics=list(data.get("metrics") or []),
            deleted=bool(data.get("deleted", False)),
        )

    def entity(self) -> LoggedModel:
        return LoggedModel(
            experiment_id=self.experiment,
            model_id=self.model_id,
            name=self.name,
            artifact_location=uris.run_artifact_uri(self.run_id, self.artifact_path),
            creation_timestamp=self.created,
            last_updated_timestamp=self.updated,
            model_type=self.model_type,
            source_run_id=self.run_id,
            status=LoggedModelStatus(self.status),
            status_message=self.status_message,
            tags=dict(self.tags),
            params=dict(self.params),
            metrics=[Metric(run_id=self.run_id, model_id=self.model_id, **m) for m in self.metrics],
        )


def now() -> int:
    return int(time.time() * 1000)


def new_model_id() -> str:
    return f"m-{secrets.token_hex(16)}"


def path_of(run_dir: Path, model_id: str) -> Path:
    return run_dir / DIR / f"{model_id}.yaml"


def write(run_dir: Path, model: ModelFile) -> None:
    target = path_of(run_dir, model.model_id)
    target.parent.mkdir(exist_ok=True)
    write_atomic(target, yamlio.dump(model.to_dict()))


def read(path: Path) -> ModelFile:
    data = yamlio.load(path.read_bytes())
    return ModelFile.from_dict(data, path.parent.parent.name)


def in_run(run_dir: Path) -> list[ModelFile]:
    return sorted((read(p) for p in (run_dir / DIR).glob("m-*.yaml")), key=lambda m: (m.created, m.model_id))


def find(store: Path, model_id: str) -> Path:
    """The file of a logged model, in whichever run of the store holds it."""
    if not model_id.startswith("m-") or "/" in model_id or not model_id[2:].isalnum():
        raise _not_found(model_id)
    cached = _found.get((store, model_id))
    if cached is not None and cached.is_file():
        return cached
    found = next(iter(store.glob(f"*/{DIR}/{model_id}.yaml")), None)
    if found is None:
        raise _not_found(model_id)
    _found[(store, model_id)] = found
    return found


def every(store: Path) -> list[ModelFile]:
    return [read(p) for p in sorted(store.glob(f"*/{DIR}/m-*.yaml"))]


def free_artifact_path(run_dir: Path, name: str) -> str:
    """``name``, or ``name-<n>`` when an earlier model of the run took that folder."""
    taken = {m.artifact_path for m in in_run(run_dir)}
    candidate, n = name, 1
    while candidate in taken or (run_dir / layout.ARTIFACTS_DIR / candidate).exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def with_tags(model: ModelFile, tags: list[LoggedModelTag] | dict[str, str]) -> ModelFile:
    items = tags.items() if isinstance(tags, dict) else ((t.key, t.value) for t in tags)
    return replace(model, tags={**model.tags, **{str(k): str(v) for k, v in items}}, updated=now())


def params_of(params: list[LoggedModelParameter] | None) -> dict[str, str]:
    return {p.key: str(p.value) for p in params or []}


def metric_row(metric: Metric) -> dict[str, Any]:
    return {
        "key": metric.key,
        "value": metric.value,
        "timestamp": metric.timestamp,
        "step": metric.step,
        "dataset_name": metric.dataset_name,
        "dataset_digest": metric.dataset_digest,
    }


def _not_found(model_id: str) -> MlflowException:
    return MlflowException(
        f"Logged model with ID '{model_id}' not found.", error_code=ErrorCode.Value("RESOURCE_DOES_NOT_EXIST")
    )
