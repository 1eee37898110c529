"""What ``gittrack commit`` needs of each run (id, name, experiment, start, last values),
read from meta.yaml without building the whole YAML document.

Committing 10,000 runs must cost about what git costs, and PyYAML's constructor costs
about a millisecond per meta.yaml.  gittrack writes meta.yaml in one canonical block
style (:func:`gittrack.store.yamlio.dump`), so the fields needed here are plain lines:
``name: lr0.1``, ``start_time: '2026-...Z'``, and under ``metrics:`` a two-level block of
numbers.  :func:`read_summary` reads exactly that shape and answers None for anything
else (a hand-edited file, a quoted name with escapes, a value YAML would resolve to
another type), and the caller then parses the file whole: the answer never differs from
:func:`gittrack.store.reader.parse_meta`'s (a property test checks it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gittrack.store import layout
from gittrack.store.reader import RunRecord

_TOP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./]*")
_RUN_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9A-Za-z]+")  # YAML reads it as text: no date, no number
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:e[-+][0-9]+)?)?|\.nan|\.inf|-\.inf")
# Plain words YAML 1.1 reads as booleans or null, not as text.
_SPECIAL = frozenset({"yes", "no", "true", "false", "on", "off", "y", "n", "null"})
_FIELDS = ("last", "min", "max", "count", "step")
_WANTED = ("run_id", "name", "experiment", "status", "start_time")


@dataclass(frozen=True)
class Summary:
    run_id: str
    name: str
    experiment: str
    status: str
    start_time: int  # epoch ms
    last: dict[str, float]  # metric -> last value


def from_record(record: RunRecord) -> Summary:
    meta = record.meta
    last = {name: s.last for name, s in record.metrics.items()}
    return Summary(meta.run_id, meta.name, meta.experiment, record.status, meta.start_time, last)


def read_summary(text: bytes) -> Summary | None:
    """The summary of a canonical meta.yaml of an ended run; None when the file is anything
    else (the caller then parses it whole)."""
    try:
        lines = text.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    top: dict[str, str] = {}
    metrics: list[str] | None = None
    current = ""
    for line in lines:
        if not line:
            continue
        if line[0] == " " or line[0] == "-":
            if current == "metrics" and metrics is not None:
                metrics.append(line)
            elif current in _WANTED or current == "metrics" or not current:
                return None  # a wanted field spread over lines, or a list at the top
            continue
        match = _TOP.fullmatch(line)
        if match is None or match.group(1) in top or (match.group(1) == "metrics" and metrics is not None):
            return None
        current = match.group(1)
        if current == "metrics":
            value = match.group(2)
            if value not in (None, "{}"):
                return None
            metrics = []
        else:
            top[current] = match.group(2) or ""
    return _summary(top, metrics)


def _summary(top: dict[str, str], metrics: list[str] | None) -> Summary | None:
    if top.get("format_version", str(layout.FORMAT_VERSION)) != str(layout.FORMAT_VERSION):
        return None
    fields = {key: _text(top.get(key, "")) for key in _WANTED}
    if any(value is None or value == "" for value in fields.values()):
        return None
    status = str(fields["status"])
    if status not in layout.STATUSES or status == "RUNNING":
        return None
    last = _lasts(metrics or [])
    start = _start(str(fields["start_time"]))
    if last is None or start is None:
        return None
    return Summary(str(fields["run_id"]), str(fields["name"]), str(fields["experiment"]), status, start, last)


def _text(value: str) -> str | None:
    """A one-line YAML string scalar as text, or None for anything YAML might read otherwise."""
    if (_PLAIN.fullmatch(value) and value.lower() not in _SPECIAL) or _RUN_ID.fullmatch(value):
        return value
    quoted = _QUOTED.fullmatch(value)
    return quoted.group(1).replace("''", "'") if quoted else None


def _start(value: str) -> int | None:
    try:
        return layout.epoch_ms(value)
    except (ValueError, OverflowError):
        return None


def _lasts(lines: list[str]) -> dict[str, float] | None:
    """``{metric: last}`` from the ``metrics:`` block: each metric a ``  name:`` line followed
    by exactly its five ``    field: number`` lines."""
    if len(lines) % 6:
        return None
    out: dict[str, float] = {}
    for i in range(0, len(lines), 6):
        head = lines[i]
        if not (head.startswith("  ") and head.endswith(":")) or head[2] == " ":
            return None
        name = _text(head[2:-1])
        if name is None or name in out:
            return None
        values = {}
        for field, line in zip(_FIELDS, lines[i + 1 : i + 6], strict=True):
            prefix = f"    {field}: "
            if not line.startswith(prefix) or not _NUMBER.fullmatch(line[len(prefix) :]):
                return None
            values[field] = line[len(prefix) :]
        if any("." in values[f] or "e" in values[f] for f in ("count", "step")):
            return None
        out[name] = _number(values["last"])
    return out


def _number(text: str) -> float:
    if text == ".nan":
        return math.nan
    if text in (".inf", "-.inf"):
        return -math.inf if text[0] == "-" else math.inf
    return float(text)
