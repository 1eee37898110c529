"""Model signatures in MLflow's format: ``ModelSignature``, ``Schema``, ``infer_signature``.

In an ``MLmodel`` file a signature is ``{inputs: <JSON text>, outputs: <JSON text>,
params: <JSON text or null>}``, each JSON text a list of column specs
(``{"type": "double", "name": "x", "required": true}``) or tensor specs
(``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``).
gittrack keeps the specs as plain data; reading a signature never imports numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gittrack.errors import InvalidModelError
from gittrack.tracking.schema_infer import infer_schema_json


@dataclass(frozen=True)
class Schema:
    """A list of column or tensor specs (MLflow's ``mlflow.types.Schema``)."""

    specs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.specs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        data = json.loads(text)
        if not isinstance(data, list):
            raise InvalidModelError(f"a schema is a JSON list of specs, got {text[:60]!r}")
        return cls([dict(s) for s in data])

    def input_names(self) -> list[str]:
        return [str(s["name"]) for s in self.specs if "name" in s]

    def is_tensor_spec(self) -> bool:
        return bool(self.specs) and all(s.get("type") == "tensor" for s in self.specs)

    def has_input_names(self) -> bool:
        return bool(self.specs) and all("name" in s for s in self.specs)

    def __repr__(self) -> str:
        return f"Schema({self.to_json()})"


@dataclass(frozen=True)
class ModelSignature:
    """Inputs, outputs and inference params of a model (MLflow's ``ModelSignature``)."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": json.dumps(self.params) if self.params else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        def schema(key: str) -> Schema | None:
            text = data.get(key)
            return Schema.from_json(text) if text else None

        params = data.get("params")
        return cls(schema("inputs"), schema("outputs"), json.loads(params) if params else None)


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """The signature of a model from example input, its output and inference params
    (``mlflow.models.infer_signature``): DataFrames give columns, arrays give tensors."""
    inputs = _schema(model_input)
    outputs = _schema(model_output)
    param_specs = [_param_spec(k, v) for k, v in params.items()] if params else None
    if inputs is None and outputs is None and not param_specs:
        raise InvalidModelError("infer_signature needs an input, an output or params")
    return ModelSignature(inputs, outputs, param_specs)


def _schema(data: Any) -> Schema | None:
    if data is None:
        return None
    specs = infer_schema_json(data)
    if specs is None:
        raise InvalidModelError(f"cannot infer a schema from {type(data).__name__}")
    return Schema(specs)


def _param_spec(name: str, value: Any) -> dict[str, Any]:
    specs = infer_schema_json(value)
    kind = specs[0]["type"] if specs else "string"
    spec: dict[str, Any] = {"name": name, "type": kind, "default": value, "shape": None}
    if isinstance(value, list):
        inner = infer_schema_json(value)
        spec.update(type=inner[0]["type"] if inner else "string", shape=[-1])
    return spec
