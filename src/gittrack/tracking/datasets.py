"""Datasets for ``log_input``: ``from_pandas`` and ``from_numpy`` with MLflow's fields.

A dataset is described, never copied: its name, a digest of its content (MLflow's
algorithm, so the same data gets the same digest in both tools), where it came from
(``source``), its schema and a small profile.  ``log_input`` stores that description in
the run's ``inputs.yaml`` (:mod:`gittrack.store.inputs`).  Any object with MLflow's
``to_dict()`` (name, digest, source_type, source, schema, profile; JSON text) can be
logged, MLflow's own datasets included.  pandas and numpy are imported only here, when a
dataset is made.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from gittrack.store.inputs import DatasetRecord

MAX_ROWS = 10000


@dataclass(frozen=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True)
class Dataset:
    """MLflow's dataset entity: ``source``, ``schema`` and ``profile`` are JSON text."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class DatasetInput:
    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)


class _Tabular:
    """What pandas and numpy datasets share: MLflow's ``to_dict`` and entity."""

    name: str
    digest: str
    source: dict[str, Any]
    source_type: str

    @property
    def schema(self) -> dict[str, Any] | None:
        raise NotImplementedError

    @property
    def profile(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def to_dict(self) -> dict[str, str]:
        data = {
            "name": self.name,
            "digest": self.digest,
            "source": json.dumps(self.source),
            "source_type": self.source_type,
            "profile": json.dumps(self.profile),
        }
        if self.schema is not None:
            data["schema"] = json.dumps(self.schema)
        return data

    def _to_mlflow_entity(self) -> Dataset:
        data = self.to_dict()
        return Dataset(
            data["name"],
            data["digest"],
            data["source_type"],
            data["source"],
            data.get("schema"),
            data["profile"],
        )


class PandasDataset(_Tabular):
    def __init__(
        self,
        df: Any,
        source: Any = None,
        targets: str | None = None,
        name: str | None = None,
        digest: str | None = None,
    ) -> None:
        self.df = df
        self.targets = targets
        self.source_type, self.source = resolve_source(source)
        self.name = name or "dataset"
        self.digest = digest or pandas_digest(df)

    @property
    def schema(self) -> dict[str, Any] | None:
        from gittrack.tracking.schema_infer import infer_schema_json

        found = infer_schema_json(self.df)
        return None if found is None else {"mlflow_colspec": found}

    @property
    def profile(self) -> dict[str, Any]:
        return {"num_rows": len(self.df), "num_elements": int(self.df.size)}


class NumpyDataset(_Tabular):
    def __init__(
        self,
        features: Any,
        source: Any = None,
        targets: Any = None,
        name: str | None = None,
        digest: str | None = None,
    ) -> None:
        self.features = features
        self.targets = targets
        self.source_type, self.source = resolve_source(source)
        self.name = name or "dataset"
        self.digest = digest or numpy_digest(features, targets)

    @property
    def schema(self) -> dict[str, Any] | None:
        from gittrack.tracking.schema_infer import infer_schema_json

        spec = {"features": json.dumps(infer_schema_json(self.features))}
        if self.targets is not None:
            spec["targets"] = json.dumps(infer_schema_json(self.targets))
        return {"mlflow_tensorspec": spec}

    @property
    def profile(self) -> dict[str, Any]:
        profile = {
            "features_shape": list(self.features.shape),
            "features_size": int(self.features.size),
            "features_nbytes": int(self.features.nbytes),
        }
        if self.targets is not None:
            profile |= {
                "targets_shape": list(self.targets.shape),
                "targets_size": int(self.targets.size),
                "targets_nbytes": int(self.targets.nbytes),
            }
        return profile


def from_pandas(
    df: Any,
    source: Any = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
) -> PandasDataset:
    """A dataset of a DataFrame (``mlflow.data.from_pandas``)."""
    return PandasDataset(df, source, targets, name, digest)


def from_numpy(
    features: Any, source: Any = None, targets: Any = None, name: str | None = None, digest: str | None = None
) -> NumpyDataset:
    """A dataset of numpy arrays (``mlflow.data.from_numpy``)."""
    return NumpyDataset(features, source, targets, name, digest)


def resolve_source(source: Any) -> tuple[str, dict[str, Any]]:
    """(source type, source) as MLflow describes it: a URL, a local path, or the code."""
    if source is None:
        return "code", {"tags": {}}
    if hasattr(source, "to_dict") and hasattr(source, "_get_source_type"):
        return str(source._get_source_type()), dict(source.to_dict())
    text = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("http", "https"):
        return "http", {"url": text}
    if scheme in ("s3", "gs", "hf"):
        return scheme, {"uri": text}
    return "local", {"uri": text}


def record_of(dataset: Any, context: str | None, tags: dict[str, str], time: int) -> DatasetRecord:
    """What ``inputs.yaml`` keeps of a dataset object (ours or MLflow's: both have to_dict)."""
    data = dataset.to_dict() if hasattr(dataset, "to_dict") else vars(dataset)
    return DatasetRecord(
        name=str(data["name"]),
        digest=str(data["digest"]),
        source_type=str(data.get("source_type") or "unknown"),
        source=_json(data.get("source")) or {},
        schema=_json(data.get("schema")),
        profile=_json(data.get("profile")),
        context=context,
        tags=dict(tags),
        time=time,
    )


def _json(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value)
    except (TypeError, ValueError):
        return {"text": str(value)}
    return loaded if isinstance(loaded, dict) else {"value": loaded}


def dataset_input(record: DatasetRecord) -> DatasetInput:
    """MLflow's ``DatasetInput`` of a stored dataset (context as the ``mlflow.data.context`` tag)."""
    dataset = Dataset(
        record.name,
        record.digest,
        record.source_type,
        json.dumps(record.source),
        None if record.schema is None else json.dumps(record.schema),
        None if record.profile is None else json.dumps(record.profile),
    )
    tags = [InputTag(k, v) for k, v in record.tags.items()]
    if record.context is not None:
        tags.insert(0, InputTag("mlflow.data.context", record.context))
    return DatasetInput(dataset, tags)


# -- digests: MLflow's algorithm (first 10,000 rows, md5, 8 hex digits) -------------------------


def pandas_digest(df: Any) -> str:
    import numpy as np
    import pandas as pd

    trimmed = df.head(MAX_ROWS)
    strings = trimmed.columns[(df.map(type) == str).all(axis=0)]  # noqa: E721 - MLflow's digest
    numbers = trimmed.select_dtypes(include=[np.number]).columns
    trimmed = trimmed[strings.union(numbers)]
    parts = [pd.util.hash_pandas_object(trimmed).values, np.int64(len(df))]
    return _md5([*parts, *(str(c).encode() for c in df.columns)])


def numpy_digest(features: Any, targets: Any = None) -> str:
    import numpy as np
    import pandas as pd

    parts: list[Any] = []
    for array in (features, targets):
        if array is None:
            continue
        for item in [array[k] for k in sorted(array)] if isinstance(array, dict) else [array]:
            flat = item.flatten()[:MAX_ROWS]
            try:
                parts.append(pd.util.hash_array(flat))
            except TypeError:
                parts.append(np.int64(flat.size))
            parts.extend(np.int64(n) for n in item.shape)
    return _md5(parts)


def _md5(parts: list[Any]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:8]
