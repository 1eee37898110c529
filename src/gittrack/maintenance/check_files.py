"""The checks of each file of a run: meta.yaml, params.yaml and tags.yaml, metric CSVs.

Each check yields :class:`Finding` objects, never raises: damage is what it looks for.
:mod:`gittrack.maintenance.check` walks the store and turns findings into the report.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from gittrack.errors import CorruptRunError
from gittrack.store import layout, yamlio
from gittrack.store.metric_csv import HEADER, parse_history
from gittrack.store.reader import parse_meta

_MARKER = re.compile(r"(?:<{7}|\|{7}|>{7})(?:[ \t].*)?|={7}[ \t]*")
_SCALARS = (str, int, float, bool)
_NUMBER = (int, float)


@dataclass(frozen=True)
class Finding:
    """A problem at ``path:line``, and how to repair it when that needs no guessing."""

    path: Path
    line: int
    message: str
    kind: str
    repair: Callable[[], str] | None = None  # does the fix, returns what it did


def check_meta(path: Path, raw: bytes, *, readable: bool = False) -> Iterator[Finding]:
    """meta.yaml: UTF-8, no conflict markers, valid YAML, a known format_version, typed fields.

    ``readable``: the reader already parsed this file (saves parsing it again).
    """
    data, found = _yaml_mapping(path, raw)
    yield from found
    if found:
        return
    if data is None:
        yield Finding(path, 0, "empty file: meta.yaml must hold run_id, status and start_time", "empty-meta")
        return
    version = data.get("format_version", layout.FORMAT_VERSION)
    if version != layout.FORMAT_VERSION:
        message = (
            f"format_version {version!r} is not supported by this gittrack "
            f"(it reads version {layout.FORMAT_VERSION}); upgrade gittrack"
        )
        yield Finding(path, key_lines(raw).get("format_version", 1), message, "format-version")
        return
    problems = list(meta_field_problems(data))
    if data.get("run_id") not in (None, path.parent.name):
        message = f"run_id {data['run_id']!r} does not match the directory name {path.parent.name!r}"
        problems.append(("run_id", message))
    lines = key_lines(raw) if problems else {}
    yield from (Finding(path, lines.get(k, 0), m, "bad-field") for k, m in problems)
    if not problems and not readable:  # whatever the reader still rejects, check reports too
        try:
            parse_meta(raw, str(path))
        except CorruptRunError as exc:
            yield Finding(path, 0, str(exc).removeprefix(f"{path}: "), "bad-field")


def check_mapping(path: Path, raw: bytes, *, appending: bool) -> Iterator[Finding]:
    """params.yaml / tags.yaml: an empty file is valid.

    While a run is RUNNING its writer appends whole lines, so a last line without its
    newline is a torn append (dropped by ``--fix``, as resuming does).  In an ended
    run the file was rewritten whole: a missing final newline is a hand edit, not damage.
    """
    if not raw:
        return
    if appending and not raw.endswith(b"\n"):
        yield _torn(path, raw)
        raw = raw[: raw.rfind(b"\n") + 1]
    yield from _yaml_mapping(path, raw)[1]


def check_csv(path: Path, raw: bytes) -> Iterator[Finding]:
    """metrics/<name>.csv: the header, then ``step,timestamp,value`` rows with numbers."""
    if not raw:
        message = "empty file: no header (a writer was killed while creating it)"
        yield Finding(path, 0, message, "empty-file", repair=partial(remove, path))
        return
    text, found = _decode(path, raw)
    if text is None:
        yield from found
        return
    conflicts = list(conflict_markers(path, text, strict=True))
    yield from conflicts
    skip = {c.line for c in conflicts}
    lines = text.split("\n")
    for number in sorted({p.line for p in parse_history(text, path)[1]} - skip):
        if number == len(lines):  # the text after the last newline
            yield _torn(path, raw)
        elif number == 1 and lines[0] != HEADER.rstrip("\n"):
            yield Finding(path, 1, f"missing header 'step,timestamp,value' (found {lines[0][:60]!r})", "csv")
        else:
            yield Finding(path, number, _row_problem(lines[number - 1]), "csv")


def _row_problem(line: str) -> str:
    parts = line.split(",")
    if len(parts) != 3:
        return f"malformed row {line[:60]!r}: expected step,timestamp,value"
    for column, text, kind in zip(("step", "timestamp", "value"), parts, (int, int, float), strict=True):
        try:
            kind(text)
        except ValueError:
            return f"non-numeric {column} {text[:40]!r} in row {line[:60]!r}"
    return f"malformed row {line[:60]!r}"  # pragma: no cover - parse_history accepted it


def _torn(path: Path, raw: bytes) -> Finding:
    tail = raw[raw.rfind(b"\n") + 1 :].decode("utf-8", "replace")
    message = f"incomplete last line {tail[:60]!r} (a write cut short)"
    return Finding(path, raw.count(b"\n") + 1, message, "torn-line", repair=partial(_drop_tail, path))


def _drop_tail(path: Path) -> str:
    from gittrack.store.writer import drop_torn_tail

    keep = drop_torn_tail(path)
    if keep == 0 and path.suffix == ".csv":  # nothing left, not even the header
        path.unlink()
        return "dropped it and removed the empty file"
    return "dropped it"


# -- YAML -----------------------------------------------------------------------------------


def _yaml_mapping(path: Path, raw: bytes) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The mapping in ``raw`` (None when empty), or the findings that say why there is none."""
    text, found = _decode(path, raw)
    if text is None:
        return None, found
    found = list(conflict_markers(path, text, strict=True))
    if found:  # the markers explain the YAML error; do not report it twice
        return None, found
    try:
        data = yamlio.load(text)
    except yamlio.YAMLError as exc:
        return None, [_yaml_finding(path, text, exc)]
    if data is not None and not isinstance(data, dict):
        message = f"expected a mapping of name: value, got a {type(data).__name__}"
        return None, [Finding(path, 1, message, "not-mapping")]
    return data, []


def _yaml_finding(path: Path, text: str, exc: yaml.YAMLError) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
        problem = " ".join(filter(None, (getattr(exc, "problem", None), getattr(exc, "context", None))))
    else:  # a ReaderError: an unacceptable character at a position
        position = int(getattr(exc, "position", 0))
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        problem = str(exc).splitlines()[0]
    return Finding(path, line, f"not valid YAML (column {column}): {problem}", "yaml")


def key_lines(text: str | bytes) -> dict[str, int]:
    """Line of each top-level key of a YAML mapping."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def meta_field_problems(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(key, message) for each meta.yaml field of the wrong type or value."""
    for key in ("run_id", "start_time"):
        if data.get(key) in (None, ""):
            yield key, f"missing field {key!r}"
    status = data.get("status", "RUNNING")
    if not (isinstance(status, str) and status.upper() in layout.STATUSES):
        yield "status", f"status {status!r} is not one of {', '.join(layout.STATUSES)}"
    if data.get("lifecycle_stage") not in (None, layout.ACTIVE, layout.DELETED):
        yield "lifecycle_stage", f"lifecycle_stage {data['lifecycle_stage']!r} is not active or deleted"
    for key in ("start_time", "end_time"):
        if data.get(key) not in (None, "") and not _is_time(data[key]):
            yield key, f"{key} {data[key]!r} is not an ISO 8601 time like 2026-01-01T00:00:00.000Z"
    pid = data.get("pid")
    if pid is not None and not (type(pid) is int and 0 < pid < 2**31):
        yield "pid", f"pid {pid!r} is not a process id (a positive integer)"
    if data.get("duration") is not None and not _is_number(data["duration"]):
        yield "duration", f"duration {data['duration']!r} is not a number of seconds"
    for key in ("name", "experiment", "user", "host", "parent_run_id", "description"):
        if data.get(key) is not None and not isinstance(data[key], _SCALARS):
            yield key, f"{key} must be text, got a {type(data[key]).__name__}"
    for key in ("source", "git", "metrics", "error"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            yield key, f"{key} must be a mapping, got a {type(data[key]).__name__}"
    if isinstance(data.get("metrics"), dict):
        yield from (("metrics", m) for m in _summary_problems(data["metrics"]))


def _summary_problems(metrics: dict[Any, Any]) -> Iterator[str]:
    for name, summary in metrics.items():
        if not isinstance(summary, dict):
            yield f"metrics.{name} must be a mapping of last, min, max, count, step"
            continue
        for key in ("last", "min", "max", "count", "step"):
            value = summary.get(key)
            whole = key in ("count", "step")
            if not (type(value) is int if whole else _is_number(value)):
                kind = "an integer" if whole else "a number"
                yield f"metrics.{name}.{key} {value!r} is not {kind}"


def _is_time(value: object) -> bool:
    try:
        return layout.epoch_ms(value) is not None
    except (ValueError, TypeError, OverflowError):
        return False


def _is_number(value: object) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


# -- text, conflict markers, and removing what a kill left -------------------------------------


def _decode(path: Path, raw: bytes) -> tuple[str | None, list[Finding]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}): binary garbage"
        return None, [Finding(path, line, message, "not-utf8")]


def conflict_markers(path: Path, text: str, *, strict: bool) -> Iterator[Finding]:
    """Merge-conflict marker lines; outside ``strict`` files only inside a ``<<<<<<<`` block."""
    inside = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not _MARKER.fullmatch(line.rstrip("\r")):
            continue
        inside = inside or line.startswith("<")
        if strict or inside:
            message = f"merge conflict marker {line[:40]!r}: resolve the conflict and remove the markers"
            yield Finding(path, number, message, "conflict")
        inside = inside and not line.startswith(">")


def remove(path: Path) -> str:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    return "removed it"
