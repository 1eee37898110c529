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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from gittrack.errors import CorruptRunError, GittrackError
from gittrack.maintenance import check_cache
from gittrack.maintenance.check_claims import merged_runs
from gittrack.maintenance.check_files import (
    Finding,
    check_csv,
    check_mapping,
    check_meta,
    conflict_markers,
    key_lines,
    remove,
)
from gittrack.maintenance.check_registry import registry_findings
from gittrack.query import trust
from gittrack.store import context, environments, layout
from gittrack.store.atomic import TMP_PREFIX
from gittrack.store.layout import Meta, iso_utc
from gittrack.store.metric_csv import metric_files
from gittrack.store.reader import STALE_SECONDS, effective_status, parse_meta, pid_alive, run_dirs

# What a killed writer can leave behind; every other kind is damage from elsewhere.
KILL_DEBRIS = frozenset({"torn-line", "empty-file", "orphan-temp", "dead-run"})
_FREE_TEXT = (layout.GIT_DIFF, layout.ENVIRONMENT, layout.OUTPUT_LOG)


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


def check(store: Path, *, fix: bool = False, full: bool = False) -> CheckReport:
    """Validate every run directory of ``store``; repair what is safe when ``fix``.

    A run unchanged since a clean pass is not read again (:mod:`check_cache`) unless ``full``.
    The next query looks at every run directory again (a large store's index trusts its
    stamps otherwise: :mod:`gittrack.query.trust`), so a hand edit is seen after a check.
    """
    trust.forget(store)
    dirs = run_dirs(store)
    items: list[CheckItem] = []
    known = {} if full else check_cache.load(store)
    clean: dict[str, str] = {}
    claimed: dict[str, list[Path]] = {}  # run_id in meta.yaml -> directories saying it
    shared: dict[str, bool] = {}  # environment digest -> its file is in the store
    for run_dir in dirs:
        sig = check_cache.signature(run_dir)
        entry = known.get(run_dir.name, "")
        if entry.partition(" ")[0] == sig and _shared_environment_present(store, entry, shared):
            clean[run_dir.name] = entry
            continue
        found, meta = _check_run(run_dir, base=store.parent, fix=fix)
        if meta is not None and meta.run_id != run_dir.name:
            claimed.setdefault(meta.run_id, []).append(run_dir)
        if not found and meta is not None and meta.status != "RUNNING":
            # the shared environment file lies outside the run directory: remember its digest
            clean[run_dir.name] = f"{sig} {meta.environment}" if meta.environment else sig
        items.extend(found)
    items = [_with_claims(i, claimed, store) for i in items]
    if clean != known:
        check_cache.save(store, clean)
    items.extend(_apply(f, store.parent, fix) for f in _staging_leftovers(store))
    items.extend(_apply(f, store.parent, fix) for f in registry_findings(store))
    items.extend(_apply(f, store.parent, fix) for f in _environment_findings(store))
    return CheckReport(store, len(dirs), tuple(items))


def _shared_environment_present(store: Path, entry: str, seen: dict[str, bool]) -> bool:
    """A remembered-clean run stays clean only while the shared environment it names exists."""
    digest = entry.partition(" ")[2]
    if not digest:
        return True
    if digest not in seen:
        seen[digest] = (store / environments.relative_path(digest)).is_file()
    return seen[digest]


def _staging_leftovers(store: Path) -> Iterator[Finding]:
    """``<store>/.tmp-<run_id>.<pid>``: a run being created, left behind if its process died."""
    if not store.is_dir():
        return
    for path in sorted(store.glob(f"{TMP_PREFIX}*")):
        pid = path.name.rsplit(".", 1)[-1]
        if pid.isdigit() and pid_alive(int(pid)):
            continue  # a run starting right now
        message = "orphan temporary directory of a process killed while starting a run"
        repair = partial(remove, path) if pid.isdigit() else None  # not ours without a pid
        yield Finding(path, 0, message, "orphan-temp", repair=repair)


def check_run(run_dir: Path, *, base: Path, fix: bool = False) -> list[CheckItem]:
    """The problems of one run directory, sorted by file and line, fixed when ``fix``."""
    return _check_run(run_dir, base=base, fix=fix)[0]


def _with_claims(item: CheckItem, claimed: dict[str, list[Path]], store: Path) -> CheckItem:
    """A run_id mismatch with what to do about it: two runs claiming one id (an id collision
    merged or copied in) get a new id for one of them; a lone one gets its directory's name."""
    if item.kind != "bad-field" or "does not match the directory name" not in item.message:
        return item
    run_dir = store.parent / PurePosixPath(item.path).parent
    said = next((rid for rid, dirs in claimed.items() if run_dir in dirs), None)
    if said is None:
        return item
    owners = [d.name for d in claimed[said] if d != run_dir]
    if (store / said).is_dir():
        owners.insert(0, said)
    if owners:
        fix = (
            f"; two runs claim run id {said!r} (also in {', '.join(owners)}): an id collision. "
            f"Fix: give this run a new id: rename its directory to a fresh id "
            f"(same start time, new random part) and set run_id in meta.yaml to it"
        )
    else:
        fix = f"; fix: rename the directory to {said!r}, or set run_id to {run_dir.name!r}"
    return replace(item, message=item.message + fix)


def _check_run(run_dir: Path, *, base: Path, fix: bool) -> tuple[list[CheckItem], Meta | None]:
    meta = _readable_meta(run_dir / layout.META)
    live = meta is not None and effective_status(meta, run_dir / layout.META) == "RUNNING"
    findings = list(_file_findings(run_dir, meta, live))
    if meta is not None and not live and meta.status == "RUNNING":
        findings.append(_dead_owner(run_dir, meta))
    items = [_apply(f, base, fix and not live) for f in findings]
    return sorted(items, key=lambda i: (i.path, i.line)), meta


def _file_findings(run_dir: Path, meta: Meta | None, live: bool) -> Iterator[Finding]:
    meta_path = run_dir / layout.META
    if meta_path.is_file():
        raw = meta_path.read_bytes()
        yield from check_meta(meta_path, raw, readable=meta is not None)
        merged = merged_runs(meta_path, raw) if meta is None else None
        if merged is not None:
            yield merged
    else:
        yield Finding(meta_path, 0, "missing: every run directory needs a meta.yaml", "missing-file")
    appending = meta is not None and meta.status == "RUNNING"
    for name in (layout.PARAMS, layout.TAGS):
        path = run_dir / name
        if path.is_file():
            yield from _unless_live(check_mapping(path, path.read_bytes(), appending=appending), live)
    for path in metric_files(run_dir).values():
        if path.is_file():
            yield from _unless_live(check_csv(path, path.read_bytes()), live)
    shared = None if meta is None else meta.environment
    if shared is not None and environments.environment_file(run_dir, shared) is None:
        missing = environments.relative_path(shared)
        yield Finding(meta_path, 0, f"environment: {missing} is missing from the store", "missing-file")
    for name in _FREE_TEXT:
        path = run_dir / name
        if path.is_file():
            yield from conflict_markers(path, path.read_bytes().decode("utf-8", "replace"), strict=False)
    if not live:  # a live writer's temporary file is an atomic write in progress
        yield from _orphans(run_dir)


def _environment_findings(store: Path) -> Iterator[Finding]:
    """A shared environment file must hold what its name (its SHA-256) says."""
    for path in environments.stored(store):
        text = path.read_bytes().decode("utf-8", "replace")
        yield from conflict_markers(path, text, strict=False)
        if environments.digest(text) != path.stem:
            message = "content does not match its name (the SHA-256 of the content): edited by hand?"
            yield Finding(path, 0, message, "environment")


def _unless_live(findings: Iterable[Finding], live: bool) -> Iterator[Finding]:
    """A live writer may be mid-append: its last line and brand-new files are not damage."""
    return (f for f in findings if not (live and f.kind in ("torn-line", "empty-file")))


# -- leftovers of interrupted writes ------------------------------------------------------------


def _orphans(run_dir: Path) -> Iterator[Finding]:
    for path in sorted(run_dir.rglob(f"{TMP_PREFIX}*")):
        message = "orphan temporary file of an interrupted write"
        yield Finding(path, 0, message, "orphan-temp", repair=partial(remove, path))


# -- runs whose owner is gone -------------------------------------------------------------------


def _readable_meta(path: Path) -> Meta | None:
    try:
        return parse_meta(path.read_bytes(), str(path))
    except (CorruptRunError, OSError):
        return None


def _dead_owner(run_dir: Path, meta: Meta) -> Finding:
    """A run left RUNNING by a process that is gone; readers already show it as KILLED."""
    meta_path = run_dir / layout.META
    line = key_lines(meta_path.read_bytes()).get("status", 0)
    if meta.host == context.host():
        message = f"status RUNNING, but its process {meta.pid} is gone (readers show KILLED)"
        return Finding(meta_path, line, message, "dead-run", repair=partial(_end_killed, run_dir))
    message = (
        f"status RUNNING, but its owner on host {meta.host} has not touched it for "
        f"{STALE_SECONDS // 60} minutes (readers show KILLED); end the run there"
    )
    return Finding(meta_path, line, message, "dead-run")


def end_dead_run(run_dir: Path) -> Meta:
    """End KILLED a run left RUNNING by a process that is gone: ``end_time`` now, metric
    summaries from its CSVs (torn last lines dropped), params/tags compacted.  The one way
    ``check --fix``, ``commit`` and a stopped sweep end a dead run."""
    from gittrack.store.writer import RunWriter

    return RunWriter.attach(run_dir).finish("KILLED", summaries_from_files=True)


def _end_killed(run_dir: Path) -> str:
    meta = end_dead_run(run_dir)
    end = iso_utc(meta.end_time) if meta.end_time is not None else "now"
    summaries = "1 metric summary" if len(meta.metrics) == 1 else f"{len(meta.metrics)} metric summaries"
    return f"marked KILLED, end_time {end}, {summaries} written"


# -- reporting -----------------------------------------------------------------------------------


def _apply(finding: Finding, base: Path, fix: bool) -> CheckItem:
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
