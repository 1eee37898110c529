"""MLflow's values as gittrack stores them, and what does not fit (reported, never dropped silently).

- **Params** are strings in MLflow.  A string that is exactly how MLflow writes an int,
  float, bool or None (``"0.1"``, ``"True"``, ``"None"``) becomes that value, as
  ``gittrack.log_param`` would have stored the original; anything else stays a string.
  The MLflow-shaped readers (``get_run``, ``search_runs``) give the same strings back,
  because a value is converted only when its string form is exactly the text MLflow had.
- **Tags** stay strings; ``mlflow.runName``, ``mlflow.parentRunId``, ``mlflow.note.content``
  and ``mlflow.user`` become the run's name, parent, description and user in meta.yaml
  (from which every reader derives those tags again).
- **Metric points** keep MLflow's step and timestamp (a step logged twice, steps out of
  order and MLflow's step 0 for values logged without a step are all kept as they are).
  gittrack's format has no negative step and no negative timestamp: such a point is listed
  in the report and not written.
- **Names** gittrack refuses (MLflow allows ``:``, for one) are listed in the report with
  their value and not written.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

from gittrack.errors import InvalidNameError
from gittrack.interop.report import ImportReport
from gittrack.interop.source import Dataset, Histories, Point
from gittrack.store import names
from gittrack.store.inputs import DatasetRecord
from gittrack.store.system_tags import FIELDS

CONTEXT_TAG = "mlflow.data.context"
_CLAMPED = sys.float_info.max


def param_value(text: str) -> object:
    """The typed value whose MLflow string form is exactly ``text``, else ``text`` itself."""
    candidates: list[object] = []
    if text in ("True", "False"):
        candidates.append(text == "True")
    elif text == "None":
        candidates.append(None)
    elif text[:1].isdigit() or text[:1] in "-.in":
        with contextlib.suppress(ValueError):
            candidates.append(int(text))
        with contextlib.suppress(ValueError):
            candidates.append(float(text))
    for value in candidates:
        if names.param_str(value) == text:
            return value
    return text


def params(raw: dict[str, str], report: ImportReport, where: str) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, text in raw.items():
        if _valid(key, "param name", report, where, f"{text[:80]!r}"):
            found[key] = param_value(text)
    return found


def tags(raw: dict[str, str], report: ImportReport, where: str) -> tuple[dict[str, str], dict[str, str]]:
    """(tags for tags.yaml, meta.yaml fields from MLflow's system tags)."""
    fields = {FIELDS[k]: v for k, v in raw.items() if k in FIELDS}
    kept = {}
    for key, value in raw.items():
        if key not in FIELDS and _valid(key, "tag name", report, where, f"{value[:80]!r}"):
            kept[key] = value
    return kept, fields


def histories(
    raw: Histories, report: ImportReport, where: str, *, clamps: bool
) -> tuple[dict[str, list[Point]], int]:
    """The points gittrack can store, per metric, and how many values sit at +-max float."""
    found: dict[str, list[Point]] = {}
    clamped = 0
    for key, points in raw.items():
        try:
            names.check_metric_name(key)
        except InvalidNameError as exc:
            report.lost("metric name", where, f"{key!r} ({len(points)} values): {exc}")
            continue
        if min(p[0] for p in points) >= 0 and min(p[1] for p in points) >= 0:  # the common case
            if clamps:
                values = [p[2] for p in points]
                clamped += values.count(_CLAMPED) + values.count(-_CLAMPED)
            found[key] = points
            continue
        kept = []
        for step, timestamp, value in points:
            if step < 0 or timestamp < 0:
                what = "negative step" if step < 0 else "negative timestamp"
                report.lost(what, where, f"metric {key!r} step {step} timestamp {timestamp} value {value!r}")
                continue
            if clamps and abs(value) == _CLAMPED:
                clamped += 1
            kept.append((step, timestamp, value))
        if kept:
            found[key] = kept
    return found, clamped


def dataset(record: Dataset, report: ImportReport, where: str) -> DatasetRecord:
    """An MLflow dataset input as an ``inputs.yaml`` entry (JSON texts become mappings)."""
    context = record.tags.get(CONTEXT_TAG)
    return DatasetRecord(
        name=record.name,
        digest=record.digest,
        source_type=record.source_type,
        source=_mapping(record.source, "source", report, where) or {},
        schema=_mapping(record.schema, "schema", report, where),
        profile=_mapping(record.profile, "profile", report, where),
        context=context,
        tags={k: v for k, v in record.tags.items() if k != CONTEXT_TAG},
    )


def _mapping(text: str | None, what: str, report: ImportReport, where: str) -> dict[str, Any] | None:
    """MLflow's JSON text as a mapping; text that is not a JSON object is kept under ``text``."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    report.lost(
        "dataset field", where, f"{what} is not a JSON object; kept as {{'text': ...}}: {text[:80]!r}"
    )
    return {"text": text}


def _valid(key: str, what: str, report: ImportReport, where: str, value: str) -> bool:
    try:
        names.check_name(key, what)
    except InvalidNameError as exc:
        report.lost(what, where, f"{key!r} = {value}: {exc}")
        return False
    return True
