"""``inputs.yaml``: the datasets a run used (``log_input``), its data lineage (docs/format.md).

A YAML list.  Each ``log_input`` call appends one entry with a single ``write()``, so
the file is valid YAML after every call, like ``params.yaml``:

.. code-block:: yaml

    - name: train
      digest: 1a2b3c4d
      source_type: local
      source: {uri: data/train.csv}
      schema: {mlflow_colspec: [{type: double, name: x, required: true}]}
      profile: {num_rows: 100, num_elements: 400}
      context: training
      tags: {}
      time: '2026-11-26T12:22:16.123Z'

Readers list each (name, digest, context) once: logging a dataset again is a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gittrack.errors import CorruptRunError
from gittrack.store import layout, yamlio
from gittrack.store.atomic import append_line, mark_changed


@dataclass(frozen=True)
class DatasetRecord:
    """One dataset a run used, in one context (``training``, ``eval``...)."""

    name: str
    digest: str
    source_type: str
    source: dict[str, Any] = field(default_factory=dict)
    schema: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    context: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    time: int | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.name, self.digest, self.context)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "digest": self.digest,
            "source_type": self.source_type,
            "source": self.source,
            "schema": self.schema,
            "profile": self.profile,
            "context": self.context,
            "tags": dict(sorted(self.tags.items())),
            "time": None if self.time is None else layout.iso_utc(self.time),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetRecord:
        return cls(
            name=str(data["name"]),
            digest=str(data.get("digest") or ""),
            source_type=str(data.get("source_type") or "unknown"),
            source=dict(data.get("source") or {}),
            schema=None if data.get("schema") is None else dict(data["schema"]),
            profile=None if data.get("profile") is None else dict(data["profile"]),
            context=None if data.get("context") is None else str(data["context"]),
            tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            time=layout.epoch_ms(data.get("time")),
        )


def append_inputs(run_dir: Path, records: list[DatasetRecord]) -> None:
    """Append the datasets not already listed for the run, with one write."""
    known = {r.key for r in read_inputs(run_dir)}
    new = [r for r in records if r.key not in known]
    if new:
        append_line(run_dir / layout.INPUTS, yamlio.dump([r.to_dict() for r in new]))
        mark_changed(run_dir)


def read_inputs(run_dir: Path) -> list[DatasetRecord]:
    """The datasets of a run (none when it has no ``inputs.yaml``)."""
    try:
        raw = (run_dir / layout.INPUTS).read_bytes()
    except FileNotFoundError:
        return []
    return parse_inputs(raw, str(run_dir / layout.INPUTS))


def parse_inputs(raw: bytes, where: str) -> list[DatasetRecord]:
    """The datasets listed in the bytes of an ``inputs.yaml`` (from a work tree or a revision)."""
    try:
        data = yamlio.load(raw)
    except yamlio.YAMLError as exc:
        raise CorruptRunError(f"{where}: not valid YAML ({exc})") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise CorruptRunError(f"{where}: expected a list of datasets, got {type(data).__name__}")
    found: dict[tuple[str, str, str | None], DatasetRecord] = {}
    for entry in data:
        try:
            record = DatasetRecord.from_dict(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorruptRunError(f"{where}: bad dataset entry ({exc})") from None
        found.setdefault(record.key, record)
    return list(found.values())
