"""Reading runs back from their files, tolerating damage.

A damaged file in one run raises :class:`CorruptRunError` naming the file for that
run only; :func:`scan` turns it into a warning and goes on with every other run.
A run left RUNNING by a process that no longer exists reads as KILLED, and so does
a run committed while RUNNING, read from a git revision.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from gittrack.errors import AmbiguousRunError, CorruptRunError, RunNotFoundError
from gittrack.store import context, layout, yamlio
from gittrack.store.layout import Meta, MetricSummary
from gittrack.store.metric_csv import MetricRow, metric_files, parse_history, summarize

T = TypeVar("T")
_VERBATIM = re.compile(r"[A-Za-z0-9_.-]+")
_MLFLOW_RUN_ID = re.compile(r"[0-9a-f]{32}")
# The tag an imported MLflow run keeps its MLflow run id in (gittrack.interop); find_run_dir
# and the Client's get_run find the run by it.
IMPORTED_RUN_ID_TAG = "mlflow.importedRunId"

HEARTBEAT_SECONDS = 60  # a live writer touches meta.yaml this often
STALE_SECONDS = 10 * 60  # a run on another host with an older meta.yaml is taken as dead


@dataclass(frozen=True)
class RunRecord:
    """Everything stored about one run, as read."""

    location: str  # run directory, or "REV:.runs/<id>" when read from git
    meta: Meta
    params: dict[str, Any]
    tags: dict[str, str]
    metrics: dict[str, MetricSummary]
    status: str  # effective status: KILLED when the owner process is gone
    histories: Callable[[], dict[str, list[MetricRow]]] = field(repr=False, compare=False)
    datasets: tuple[tuple[str, str, str], ...] = ()  # (name, digest, context or "") per input

    @property
    def run_id(self) -> str:
        return self.meta.run_id


def load_mapping(path: Path) -> dict[str, Any]:
    """A flat YAML mapping file (params.yaml, tags.yaml); a missing file is empty."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return {}
    return parse_mapping(text, str(path))


def parse_mapping(text: bytes, where: str) -> dict[str, Any]:
    try:
        data = yamlio.load(text)
    except yamlio.YAMLError as exc:
        raise CorruptRunError(f"{where}: {_yaml_problem(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CorruptRunError(f"{where}: expected a mapping, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def parse_meta(text: bytes, where: str) -> Meta:
    data = parse_mapping(text, where)
    version = data.get("format_version", layout.FORMAT_VERSION)
    if version != layout.FORMAT_VERSION:
        raise CorruptRunError(
            f"{where}: format_version {version!r} is not supported by this gittrack "
            f"(it reads version {layout.FORMAT_VERSION}); upgrade gittrack"
        )
    try:
        return Meta.from_dict(data)
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:  # pid: .inf
        raise CorruptRunError(f"{where}: {_field_problem(exc)}") from None


def read_run(run_dir: Path) -> RunRecord:
    """Read one run directory; CorruptRunError names the first file that cannot be read."""
    meta_path = run_dir / layout.META
    try:
        meta_text = meta_path.read_bytes()
    except FileNotFoundError:
        raise CorruptRunError(f"{meta_path}: missing") from None

    def histories() -> dict[str, list[MetricRow]]:
        return {k: parse_history(p.read_text("utf-8"), p)[0] for k, p in metric_files(run_dir).items()}

    return parse_record(
        str(run_dir),
        meta_text,
        _read_optional(run_dir / layout.PARAMS),
        _read_optional(run_dir / layout.TAGS),
        histories,
        meta_path,
        inputs_text=_read_optional(run_dir / layout.INPUTS),
    )


def parse_record(
    location: str,
    meta_text: bytes,
    params_text: bytes,
    tags_text: bytes,
    histories: Callable[[], dict[str, list[MetricRow]]],
    meta_path: Path | None = None,
    *,
    inputs_text: bytes = b"",
) -> RunRecord:
    """A run from the bytes of its files: the one parser for the work tree and git revisions."""
    from gittrack.store.inputs import parse_inputs

    meta = parse_meta(meta_text, f"{location}/{layout.META}")
    params = parse_mapping(params_text, f"{location}/{layout.PARAMS}")
    tags = {k: str(v) for k, v in parse_mapping(tags_text, f"{location}/{layout.TAGS}").items()}
    status = effective_status(meta, meta_path)
    metrics = meta.metrics if meta.status != "RUNNING" else _summaries(histories())
    inputs = parse_inputs(inputs_text, f"{location}/{layout.INPUTS}") if inputs_text else []
    datasets = tuple((d.name, d.digest, d.context or "") for d in inputs)
    return RunRecord(location, meta, params, tags, metrics, status, histories, datasets)


def _read_optional(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _summaries(histories: dict[str, list[MetricRow]]) -> dict[str, MetricSummary]:
    """Summaries from the CSVs, for a run that has not ended (its meta.yaml has none yet)."""
    return {k: s for k, rows in histories.items() if (s := summarize(rows)) is not None}


def effective_status(meta: Meta, meta_path: Path | None) -> str:
    """RUNNING only while the owner is alive: same host → its pid; other host → heartbeat.

    Without a file to look at (a run read from a git revision) a RUNNING run is KILLED: what
    was committed can never change again, whatever became of its process.
    """
    if meta.status != "RUNNING":
        return meta.status
    if meta_path is None:
        return "KILLED"
    if meta.host == context.host() and meta.pid is not None:
        return "RUNNING" if pid_alive(meta.pid) else "KILLED"
    try:
        age = time.time() - meta_path.stat().st_mtime
    except OSError:
        return "KILLED"
    return "RUNNING" if age < STALE_SECONDS else "KILLED"


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:  # 0 and negative pids name process groups, never the owner
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # OverflowError: beyond any real pid
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is dead for our purposes
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def run_dirs(store: Path) -> list[Path]:
    """Run directories of a store, sorted by id (so by start time)."""
    return [store / name for name in run_names(store)]


def run_names(store: Path) -> list[str]:
    """Names (run ids) of the run directories of a store, sorted."""
    try:
        entries = os.scandir(store)
    except FileNotFoundError:
        return []
    with entries:
        return sorted(
            e.name
            for e in entries
            if not e.name.startswith(".") and e.name not in layout.RESERVED and e.is_dir()
        )


def scan(store: Path, warn: Callable[[str], None]) -> Iterator[RunRecord]:
    """Every readable run of the store; each unreadable one is reported through ``warn``."""
    for run_dir in run_dirs(store):
        try:
            yield read_run(run_dir)
        except (CorruptRunError, OSError, UnicodeDecodeError) as exc:
            warn(f"skipping run {run_dir.name}: {exc}")


def find_run_dir(store: Path, ref: str, warn: Callable[[str], None] | None = None) -> Path:
    """A run directory by exact id, unique id prefix, MLflow run id (of an imported run), or run name."""
    exact = store / ref
    if ref and "/" not in ref and not ref.startswith(".") and (exact / layout.META).exists():
        return exact
    dirs = run_dirs(store)
    matches = [d for d in dirs if d.name.startswith(ref)] if ref else []
    if not matches and is_mlflow_run_id(ref):
        matches = [d for d in dirs if _imported_as(d, ref)]
    if not matches:
        matches = [d for d in dirs if _name_of(d, ref, warn or _ignore) == ref]
    return only_match(matches, [d.name for d in matches], ref, where=str(store))


def is_mlflow_run_id(ref: str) -> bool:
    """32 lower-case hex digits: the form of an MLflow run id (never a gittrack id or prefix)."""
    return _MLFLOW_RUN_ID.fullmatch(ref) is not None


def _imported_as(run_dir: Path, mlflow_run_id: str) -> bool:
    """Whether the run was imported from MLflow's run ``mlflow_run_id``.

    An imported run's id ends with the first 12 hex digits of MLflow's id
    (``gittrack.interop``), so only those directories are opened: the lookup costs one
    listing, not a read of every run.
    """
    if not run_dir.name.endswith("-" + mlflow_run_id[:12]):
        return False
    path = run_dir / layout.TAGS
    try:
        raw = path.read_bytes()
        if mlflow_run_id.encode() not in raw:
            return False
        return str(parse_mapping(raw, str(path)).get(IMPORTED_RUN_ID_TAG)) == mlflow_run_id
    except (CorruptRunError, OSError):
        return False


def _name_of(run_dir: Path, wanted: str, warn: Callable[[str], None]) -> str | None:
    """The run's name from its meta.yaml alone (a name lookup reads nothing else).

    A name made of characters YAML never quotes or escapes must appear verbatim in the
    file, so files without it are passed over unparsed (a lookup among 10,000 runs).
    """
    path = run_dir / layout.META
    try:
        raw = path.read_bytes()
        if _VERBATIM.fullmatch(wanted) and wanted.encode() not in raw:
            return None
        return parse_meta(raw, str(path)).name
    except (CorruptRunError, OSError) as exc:
        warn(f"skipping run {run_dir.name}: {exc}")
        return None


def only_match(matches: Sequence[T], ids: Sequence[str], ref: str, *, where: str) -> T:
    """The one match of ``ref``; a one-line error naming the candidates otherwise."""
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunNotFoundError(f"no run matches {ref!r} in {where}")
    listed = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
    raise AmbiguousRunError(f"{ref!r} matches {len(matches)} runs: {listed}; give more of the id")


def _ignore(message: str) -> None:
    pass


def _yaml_problem(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML ({problem})"
    return f"not valid YAML ({problem})"


def _field_problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return f"bad value ({exc})"
