"""Names of the files in a run directory and the ``meta.yaml`` schema (docs/format.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1

META = "meta.yaml"
PARAMS = "params.yaml"
TAGS = "tags.yaml"
METRICS_DIR = "metrics"
ARTIFACTS_DIR = "artifacts"
GIT_DIFF = "git.diff"
ENVIRONMENT = "environment.txt"
OUTPUT_LOG = "output.log"
CACHE_DIR = ".cache"
CHANGED_MARK = "changed"  # in CACHE_DIR: touched by every write into an existing run (query/trust.py)
EXPERIMENTS_DIR = "experiments"  # experiment metadata (store/experiments.py)
MODELS_DIR = "models"  # the model registry
ENVIRONMENTS_DIR = "environments"  # package environments, each stored once (store/environments.py)
# Directories of a store that are not runs: never listed, read or collected as runs.
RESERVED = frozenset({EXPERIMENTS_DIR, MODELS_DIR, ENVIRONMENTS_DIR})
INPUTS = "inputs.yaml"  # datasets a run used (log_input): appended, one entry per call

STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")
MAX_ERROR_MESSAGE = 2000  # characters of an error's message kept in meta.yaml (the start)
MAX_TRACEBACK = 4000  # characters of an error's traceback kept in meta.yaml (the end)
ACTIVE, DELETED = "active", "deleted"


def metric_path(run_dir: Path, key: str) -> Path:
    """``metrics/<key>.csv``; a ``/`` in the key is a sub-folder."""
    return run_dir / METRICS_DIR / f"{key}.csv"


def iso_utc(epoch_ms: int) -> str:
    """Milliseconds since the epoch as ``2026-11-26T12:22:16.123Z``."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def epoch_ms(value: object) -> int | None:
    """Parse an ISO-8601 time (string, or datetime from a hand-edited file) to epoch ms."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round(moment.timestamp() * 1000)


@dataclass(frozen=True)
class MetricSummary:
    """Summary of one metric's history: written to meta.yaml when the run ends."""

    last: float
    min: float
    max: float
    count: int
    step: int  # step of the last value

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricSummary:
        return cls(
            last=float(data["last"]),
            min=float(data["min"]),
            max=float(data["max"]),
            count=int(data["count"]),
            step=int(data["step"]),
        )


@dataclass(frozen=True)
class Meta:
    """Contents of ``meta.yaml``. Field order is the order written to disk."""

    run_id: str
    name: str
    experiment: str
    status: str
    start_time: int  # epoch ms; ISO 8601 UTC on disk
    end_time: int | None = None
    lifecycle_stage: str = ACTIVE
    user: str | None = None
    host: str | None = None
    pid: int | None = None
    parent_run_id: str | None = None
    description: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    git: dict[str, Any] | None = None
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    # The SHA-256 of the run's environment capture, stored once as environments/<sha>.txt
    environment: str | None = None
    error: dict[str, str | None] | None = None  # why a FAILED run failed: see error_record

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, None while running."""
        if self.end_time is None:
            return None
        return round((self.end_time - self.start_time) / 1000, 3)

    def with_changes(self, **changes: Any) -> Meta:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        # `error` only when there is one: runs without it keep the bytes older versions wrote
        error = {} if self.error is None else {"error": dict(self.error)}
        environment = {} if self.environment is None else {"environment": self.environment}
        return {
            "format_version": FORMAT_VERSION,
            "run_id": self.run_id,
            "name": self.name,
            "experiment": self.experiment,
            "status": self.status,
            "lifecycle_stage": self.lifecycle_stage,
            "start_time": iso_utc(self.start_time),
            "end_time": None if self.end_time is None else iso_utc(self.end_time),
            "duration": self.duration,
            **error,
            "user": self.user,
            "host": self.host,
            "pid": self.pid,
            "parent_run_id": self.parent_run_id,
            "description": self.description,
            "source": self.source,
            "git": self.git,
            **environment,
            "metrics": {k: self.metrics[k].to_dict() for k in sorted(self.metrics)},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Meta:
        start = epoch_ms(data["start_time"])
        if start is None:
            raise ValueError("start_time is empty")
        status = str(data.get("status", "RUNNING")).upper()
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        metrics = data.get("metrics") or {}
        return cls(
            run_id=str(data["run_id"]),
            name=str(data.get("name") or data["run_id"]),
            experiment=str(data.get("experiment") or "Default"),
            status=status,
            start_time=start,
            end_time=epoch_ms(data.get("end_time")),
            lifecycle_stage=str(data.get("lifecycle_stage") or ACTIVE),
            user=_opt_str(data.get("user")),
            host=_opt_str(data.get("host")),
            pid=None if data.get("pid") is None else int(data["pid"]),
            parent_run_id=_opt_str(data.get("parent_run_id")),
            description=_opt_str(data.get("description")),
            source=dict(data.get("source") or {}),
            git=None if data.get("git") is None else dict(data["git"]),
            metrics={str(k): MetricSummary.from_dict(v) for k, v in metrics.items()},
            environment=_digest(data.get("environment")),
            error=_error(data.get("error")),
        )


def error_record(kind: str | None, message: str, traceback: str | None = None) -> dict[str, str | None]:
    """The ``error`` of ``meta.yaml``: the exception's type (None when unknown, e.g. a command's
    output), its message (the first :data:`MAX_ERROR_MESSAGE` characters) and the last frames
    of its traceback as text (the last :data:`MAX_TRACEBACK` characters), or None."""
    message = message if len(message) <= MAX_ERROR_MESSAGE else message[: MAX_ERROR_MESSAGE - 1] + "…"
    if traceback is not None and len(traceback) > MAX_TRACEBACK:
        cut = traceback[-MAX_TRACEBACK:]
        traceback = "…\n" + cut[cut.find("\n") + 1 :] if "\n" in cut else cut  # from a line start
    return {"type": kind, "message": message, "traceback": traceback}


def _error(value: object) -> dict[str, str | None] | None:
    """An ``error`` as read: a mapping of type, message, traceback; a plain text is a message."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {key: _opt_str(value.get(key)) for key in ("type", "message", "traceback")}
    if isinstance(value, (str, int, float)):
        return {"type": None, "message": str(value), "traceback": None}
    raise ValueError(f"error must be a mapping of type, message, traceback, not a {type(value).__name__}")


def _digest(value: object) -> str | None:
    """``environment`` as read: None, or a SHA-256 in lowercase hex."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError(f"environment must be a SHA-256 in hex (64 digits), not {value!r}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
