"""The ``MLmodel`` file: MLflow's description of a model directory, read and written here.

A model directory holds ``MLmodel`` (YAML: ``flavors``, ``signature``, ``run_id``,
``artifact_path``, ``utc_time_created``, ``model_uuid``, ``saved_input_example_info``...),
the serialised model, ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml``.
gittrack writes MLflow's keys (so MLflow loads its models) and reads MLflow's (so it
loads theirs); unknown keys are kept.  Reading an MLmodel never loads the model: it is
YAML read with the safe loader.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittrack.errors import InvalidModelError, ModelNotFoundError
from gittrack.models.signature import ModelSignature
from gittrack.store import yamlio
from gittrack.store.atomic import write_atomic

MLMODEL = "MLmodel"
PYFUNC = "python_function"


class Model:
    """An MLflow model's metadata (``mlflow.models.Model``): flavors, signature, and the rest."""

    def __init__(
        self,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: dict[str, Any] | None = None,
        signature: ModelSignature | None = None,
        saved_input_example_info: dict[str, Any] | None = None,
        model_uuid: str | None = None,
        **extra: Any,
    ) -> None:
        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or str(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        self.flavors: dict[str, Any] = flavors if flavors is not None else {}
        self.signature = signature
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid or uuid.uuid4().hex
        self.extra = extra

    def add_flavor(self, name: str, **params: Any) -> Model:
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Any:
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Any:
        return self.signature.outputs if self.signature is not None else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.artifact_path is not None:
            data["artifact_path"] = self.artifact_path
        data["flavors"] = self.flavors
        data.update(self.extra)
        data["model_uuid"] = self.model_uuid
        if self.run_id is not None:
            data["run_id"] = self.run_id
        if self.saved_input_example_info is not None:
            data["saved_input_example_info"] = self.saved_input_example_info
        if self.signature is not None:
            data["signature"] = self.signature.to_dict()
        data["utc_time_created"] = self.utc_time_created
        return data

    def to_yaml(self) -> str:
        return yamlio.dump(self.to_dict(), sort_keys=True)

    def save(self, path: str | Path) -> None:
        """Write ``MLmodel`` (``path`` is the file, or the model directory)."""
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL
        write_atomic(target, self.to_yaml())

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read an ``MLmodel`` file (``path`` is the file or its directory); nothing is unpickled."""
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL
        try:
            raw = target.read_bytes()
        except FileNotFoundError:
            raise ModelNotFoundError(f"no MLmodel file at {target}: not an MLflow model directory") from None
        return cls.from_yaml(raw, str(target))

    @classmethod
    def from_yaml(cls, raw: bytes | str, where: str = MLMODEL) -> Model:
        try:
            data = yamlio.load(raw)
        except yamlio.YAMLError as exc:
            raise InvalidModelError(f"{where}: not valid YAML ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("flavors"), dict):
            raise InvalidModelError(f"{where}: an MLmodel file needs a 'flavors' mapping")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        data = dict(data)
        signature = data.pop("signature", None)
        for key in ("is_signature_from_type_hint", "type_hint_from_example"):
            data.pop(key, None)
        return cls(
            signature=ModelSignature.from_dict(signature) if isinstance(signature, dict) else None, **data
        )

    def get_model_info(self) -> ModelInfo:
        uri = f"runs:/{self.run_id}/{self.artifact_path}" if self.run_id else str(self.artifact_path or "")
        return ModelInfo(
            artifact_path=self.artifact_path or "",
            flavors=self.flavors,
            model_uri=uri,
            model_uuid=self.model_uuid,
            run_id=self.run_id,
            saved_input_example_info=self.saved_input_example_info,
            signature=self.signature,
            utc_time_created=self.utc_time_created,
            metadata=self.extra.get("metadata"),
        )


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` returns (MLflow's ``ModelInfo``): ``model_uri`` loads the model."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    model_uuid: str
    run_id: str | None
    saved_input_example_info: dict[str, Any] | None
    signature: ModelSignature | None
    utc_time_created: str
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None

    @property
    def model_id(self) -> str:
        return self.model_uuid

    @property
    def name(self) -> str:
        return self.artifact_path


def flavor_conf(model: Model, flavor: str, where: Path) -> dict[str, Any]:
    """The configuration of ``flavor`` in a model's MLmodel; a clear error when it lacks it."""
    conf = model.flavors.get(flavor)
    if not isinstance(conf, dict):
        have = ", ".join(sorted(model.flavors)) or "none"
        raise InvalidModelError(f"the model at {where} has no '{flavor}' flavor (it has: {have})")
    return conf
