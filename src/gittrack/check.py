"""``gittrack check``: validate every file of a store and report each problem with file and line.

A problem is a :class:`CheckItem` (``path:line: message``), never an exception: a
damaged store is what this module exists to look at.  Paths are relative to the
store's parent (``.runs/<run_id>/meta.yaml``); line 0 means the file as a whole.

With ``fix=True`` the problems that can be repaired without guessing are repaired:
a torn last line (a write cut short by a kill) is dropped, an empty metric file (a
kill between creating it and writing its header) and orphan ``.tmp-*`` files (a kill
inside an atomic write) are removed, and a RUNNING run whose process is gone from
this host is ended as KILLED (``end_time`` now, metric summaries from its CSVs,
params/tags compacted).  A run whose owner is alive is never modified, and its
in-flight temporary files and last lines are not reported.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from gittrack import context
from gittrack.errors import CorruptRunError, GittrackError
from gittrack.store import layout, yamlio
from gittrack.store.atomic import TMP_PREFIX
from gittrack.store.layout import Meta, iso_utc
from gittrack.store.metric_csv import HEADER, metric_files, parse_history
from gittrack.store.reader import STALE_SECONDS, effective_status, parse_meta, pid_alive, run_dirs

# What a killed writer can leave behind; every other kind is damage from elsewhere.
KILL_DEBRIS = frozenset({"torn-line", "empty-file", "orphan-temp", "dead-run"})
_FREE_TEXT = (layout.GIT_DIFF, layout.ENVIRONMENT, layout.OUTPUT_LOG)
_MARKER = re.compile(r"(?:<{7}|\|{7}|>{7})(?:[ \t].*)?|={7}[ \t]*")
_SCALARS = (str, int, float, bool)
_NUMBER = (int, float)


@dataclass(frozen=True)
class CheckItem:
    """One problem: where it is, what it is, and whether ``--fix`` repaired it."""

    path: str  # relative to the store's parent, "/"-separated
    line: int  # 1-based; 0 when the problem is the file as a whole
    message: str
    fixed: bool = False
    kind: str = field(default="", compare=False)  # "yaml", "conflict", "torn-line", "dead-run", ...

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "fixed": self.fixed}


@dataclass(frozen=True)
class CheckReport:
    """Everything :func:`check` found (and fixed) in one store."""

    store: Path
    runs: int
    items: tuple[CheckItem, ...]

    @property
    def remaining(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if not i.fixed)

    @property
    def fixed(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.fixed)

    @property
    def ok(self) -> bool:
        """True when no problem remains (after fixes)."""
        return not self.remaining

    def summary(self) -> str:
        head = f"checked {_plural(self.runs, 'run')}: "
        if not self.items:
            return head + "no problems"
        fixed = f", {len(self.fixed)} fixed" if self.fixed else ""
        return f"{head}{_plural(len(self.remaining), 'problem')}{fixed}"

    def lines(self) -> list[str]:
        """The human report: one ``path:line: message`` per item, then the summary."""
        return [*(str(i) for i in self.items), self.summary()]


@dataclass(frozen=True)
class _Finding:
    path: Path
    line: int
    message: str
    kind: str
    repair: Callable[[], str] | None = None  # does the fix, returns what it did


def check(store: Path, *, fix: bool = False) -> CheckReport:
    """Validate every run directory of ``store``; repair what is safe when ``fix``."""
    dirs = run_dirs(store)
    items: list[CheckItem] = []
    for run_dir in dirs:
        items.extend(check_run(run_dir, base=store.parent, fix=fix))
    items.extend(_apply(f, store.parent, fix) for f in _staging_leftovers(store))
    return CheckReport(store, len(dirs), tuple(items))


def _staging_leftovers(store: Path) -> Iterator[_Finding]:
    """``<store>/.tmp-<run_id>.<pid>``: a run being created, left behind if its process died."""
    if not store.is_dir():
        return
    for path in sorted(store.glob(f"{TMP_PREFIX}*")):
        pid = path.name.rsplit(".", 1)[-1]
        if pid.isdigit() and pid_alive(int(pid)):
            continue  # a run starting right now
        message = "orphan temporary directory of a process killed while starting a run"
        repair = partial(_remove, path) if pid.isdigit() else None  # not ours without a pid
        yield _Finding(path, 0, message, "orphan-temp", repair=repair)


def check_run(run_dir: Path, *, base: Path, fix: bool = False) -> list[CheckItem]:
    """The problems of one run directory, sorted by file and line, fixed when ``fix``."""
    meta = _readable_meta(run_dir / layout.META)
    live = meta is not None and effective_status(meta, run_dir / layout.META) == "RUNNING"
    findings = list(_file_findings(run_dir, meta, live))
    if meta is not None and not live and meta.status == "RUNNING":
        findings.append(_dead_owner(run_dir, meta))
    items = [_apply(f, base, fix and not live) for f in findings]
    return sorted(items, key=lambda i: (i.path, i.line))


def _file_findings(run_dir: Path, meta: Meta | None, live: bool) -> Iterator[_Finding]:
    meta_path = run_dir / layout.META
    if meta_path.is_file():
        yield from check_meta(meta_path, meta_path.read_bytes(), readable=meta is not None)
    else:
        yield _Finding(meta_path, 0, "missing: every run directory needs a meta.yaml", "missing-file")
    appending = meta is not None and meta.status == "RUNNING"
    for name in (layout.PARAMS, layout.TAGS):
        path = run_dir / name
        if path.is_file():
            yield from _unless_live(check_mapping(path, path.read_bytes(), appending=appending), live)
    for path in metric_files(run_dir).values():
        if path.is_file():
            yield from _unless_live(check_csv(path, path.read_bytes()), live)
    for name in _FREE_TEXT:
        path = run_dir / name
        if path.is_file():
            yield from _conflicts(path, path.read_bytes().decode("utf-8", "replace"), strict=False)
    if not live:  # a live writer's temporary file is an atomic write in progress
        yield from _orphans(run_dir)


def _unless_live(findings: Iterable[_Finding], live: bool) -> Iterator[_Finding]:
    """A live writer may be mid-append: its last line and brand-new files are not damage."""
    return (f for f in findings if not (live and f.kind in ("torn-line", "empty-file")))


# -- the files ----------------------------------------------------------------------------


def check_meta(path: Path, raw: bytes, *, readable: bool = False) -> Iterator[_Finding]:
    """meta.yaml: UTF-8, no conflict markers, valid YAML, a known format_version, typed fields.

    ``readable``: the reader already parsed this file (saves parsing it again).
    """
    data, found = _yaml_mapping(path, raw)
    yield from found
    if found:
        return
    if data is None:
        yield _Finding(path, 0, "empty file: meta.yaml must hold run_id, status and start_time", "empty-meta")
        return
    version = data.get("format_version", layout.FORMAT_VERSION)
    if version != layout.FORMAT_VERSION:
        message = (
            f"format_version {version!r} is not supported by this gittrack "
            f"(it reads version {layout.FORMAT_VERSION}); upgrade gittrack"
        )
        yield _Finding(path, _key_lines(raw).get("format_version", 1), message, "format-version")
        return
    problems = list(meta_field_problems(data))
    if data.get("run_id") not in (None, path.parent.name):
        message = f"run_id {data['run_id']!r} does not match the directory name {path.parent.name!r}"
        problems.append(("run_id", message))
    lines = _key_lines(raw) if problems else {}
    yield from (_Finding(path, lines.get(k, 0), m, "bad-field") for k, m in problems)
    if not problems and not readable:  # whatever the reader still rejects, check reports too
        try:
            parse_meta(raw, str(path))
        except CorruptRunError as exc:
            yield _Finding(path, 0, str(exc).removeprefix(f"{path}: "), "bad-field")


def check_mapping(path: Path, raw: bytes, *, appending: bool) -> Iterator[_Finding]:
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


def check_csv(path: Path, raw: bytes) -> Iterator[_Finding]:
    """metrics/<name>.csv: the header, then ``step,timestamp,value`` rows with numbers."""
    if not raw:
        message = "empty file: no header (a writer was killed while creating it)"
        yield _Finding(path, 0, message, "empty-file", repair=partial(_remove, path))
        return
    text, found = _decode(path, raw)
    if text is None:
        yield from found
        return
    conflicts = list(_conflicts(path, text, strict=True))
    yield from conflicts
    skip = {c.line for c in conflicts}
    lines = text.split("\n")
    for number in sorted({p.line for p in parse_history(text, path)[1]} - skip):
        if number == len(lines):  # the text after the last newline
            yield _torn(path, raw)
        elif number == 1 and lines[0] != HEADER.rstrip("\n"):
            yield _Finding(path, 1, f"missing header 'step,timestamp,value' (found {lines[0][:60]!r})", "csv")
        else:
            yield _Finding(path, number, _row_problem(lines[number - 1]), "csv")


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


def _torn(path: Path, raw: bytes) -> _Finding:
    tail = raw[raw.rfind(b"\n") + 1 :].decode("utf-8", "replace")
    message = f"incomplete last line {tail[:60]!r} (a write cut short)"
    return _Finding(path, raw.count(b"\n") + 1, message, "torn-line", repair=partial(_drop_tail, path))


def _drop_tail(path: Path) -> str:
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as handle:
        handle.truncate(keep)
    if keep == 0 and path.suffix == ".csv":  # nothing left, not even the header
        path.unlink()
        return "dropped it and removed the empty file"
    return "dropped it"


# -- YAML -----------------------------------------------------------------------------------


def _yaml_mapping(path: Path, raw: bytes) -> tuple[dict[str, Any] | None, list[_Finding]]:
    """The mapping in ``raw`` (None when empty), or the findings that say why there is none."""
    text, found = _decode(path, raw)
    if text is None:
        return None, found
    found = list(_conflicts(path, text, strict=True))
    if found:  # the markers explain the YAML error; do not report it twice
        return None, found
    try:
        data = yamlio.load(text)
    except yamlio.YAMLError as exc:
        return None, [_yaml_finding(path, text, exc)]
    if data is not None and not isinstance(data, dict):
        message = f"expected a mapping of name: value, got a {type(data).__name__}"
        return None, [_Finding(path, 1, message, "not-mapping")]
    return data, []


def _yaml_finding(path: Path, text: str, exc: yaml.YAMLError) -> _Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
        problem = " ".join(filter(None, (getattr(exc, "problem", None), getattr(exc, "context", None))))
    else:  # a ReaderError: an unacceptable character at a position
        position = int(getattr(exc, "position", 0))
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        problem = str(exc).splitlines()[0]
    return _Finding(path, line, f"not valid YAML (column {column}): {problem}", "yaml")


def _key_lines(text: str | bytes) -> dict[str, int]:
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
    for key in ("source", "git", "metrics"):
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


# -- text, conflicts and leftovers -------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> tuple[str | None, list[_Finding]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}): binary garbage"
        return None, [_Finding(path, line, message, "not-utf8")]


def _conflicts(path: Path, text: str, *, strict: bool) -> Iterator[_Finding]:
    """Merge-conflict marker lines; outside ``strict`` files only inside a ``<<<<<<<`` block."""
    inside = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not _MARKER.fullmatch(line.rstrip("\r")):
            continue
        inside = inside or line.startswith("<")
        if strict or inside:
            message = f"merge conflict marker {line[:40]!r}: resolve the conflict and remove the markers"
            yield _Finding(path, number, message, "conflict")
        inside = inside and not line.startswith(">")


def _orphans(run_dir: Path) -> Iterator[_Finding]:
    for path in sorted(run_dir.rglob(f"{TMP_PREFIX}*")):
        message = "orphan temporary file of an interrupted write"
        yield _Finding(path, 0, message, "orphan-temp", repair=partial(_remove, path))


def _remove(path: Path) -> str:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    return "removed it"


# -- runs whose owner is gone -------------------------------------------------------------------


def _readable_meta(path: Path) -> Meta | None:
    try:
        return parse_meta(path.read_bytes(), str(path))
    except (CorruptRunError, OSError):
        return None


def _dead_owner(run_dir: Path, meta: Meta) -> _Finding:
    """A run left RUNNING by a process that is gone; readers already show it as KILLED."""
    meta_path = run_dir / layout.META
    line = _key_lines(meta_path.read_bytes()).get("status", 0)
    if meta.host == context.host():
        message = f"status RUNNING, but its process {meta.pid} is gone (readers show KILLED)"
        return _Finding(meta_path, line, message, "dead-run", repair=partial(_end_killed, run_dir))
    message = (
        f"status RUNNING, but its owner on host {meta.host} has not touched it for "
        f"{STALE_SECONDS // 60} minutes (readers show KILLED); end the run there"
    )
    return _Finding(meta_path, line, message, "dead-run")


def _end_killed(run_dir: Path) -> str:
    from gittrack.store.writer import RunWriter

    meta = RunWriter.attach(run_dir).finish("KILLED")
    end = iso_utc(meta.end_time) if meta.end_time is not None else "now"
    summaries = "1 metric summary" if len(meta.metrics) == 1 else f"{len(meta.metrics)} metric summaries"
    return f"marked KILLED, end_time {end}, {summaries} written"


# -- reporting -----------------------------------------------------------------------------------


def _apply(finding: _Finding, base: Path, fix: bool) -> CheckItem:
    item = CheckItem(_relative(finding.path, base), finding.line, finding.message, False, finding.kind)
    if not fix or finding.repair is None:
        return item
    try:
        done = finding.repair()
    except (GittrackError, OSError, UnicodeDecodeError) as exc:
        return replace(item, message=f"{item.message} (not fixed: {exc})")
    return replace(item, message=f"{item.message}: fixed, {done}", fixed=True)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
