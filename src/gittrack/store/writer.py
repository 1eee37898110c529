"""Writing one run: the single writer of a run directory.

Logging appends: one ``key: value`` entry per param or tag (one ``write()``, so the
file stays a valid YAML mapping after every call) and one CSV row per metric value,
to a file handle kept open for the run.  Whole-file rewrites (``meta.yaml`` at start
and end, compaction of params/tags) are atomic.  Everything is validated before the
first byte is written.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gittrack.errors import (
    CorruptRunError,
    ParamConflictError,
    RunStateError,
)
from gittrack.store import environments, layout, names, yamlio
from gittrack.store.atomic import TMP_PREFIX, mark_changed, write_run_file
from gittrack.store.layout import Meta, MetricSummary
from gittrack.store.metric_csv import (
    HEADER,
    SummaryAccumulator,
    accumulate,
    metric_files,
    read_history,
    summarize,
)
from gittrack.store.reader import load_mapping, parse_meta, read_run

_MAX_OPEN_METRICS = 128  # beyond this, handles are recycled rather than exhausting descriptors


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class RunWriter:
    """Appends to one run directory. Exactly one live writer exists per run."""

    def __init__(
        self,
        run_dir: Path,
        meta: Meta,
        params: dict[str, Any],
        tags: dict[str, str],
        metrics: dict[str, SummaryAccumulator],
    ) -> None:
        self.run_dir = run_dir
        self.meta = meta
        self.params = params
        self.tags = tags
        self.metrics = metrics
        self.pid = os.getpid()
        self._handles: dict[str, io.RawIOBase] = {}
        # Sizes params.yaml/tags.yaml should have if only this writer appended to them: when
        # they match at the end, compaction needs no re-read (see _compact).
        self._sizes = {name: _size(run_dir / name) for name in (layout.PARAMS, layout.TAGS)}

    # -- creating and resuming ------------------------------------------------------------

    @classmethod
    def create(
        cls,
        store: Path,
        meta: Meta,
        *,
        new_id: Callable[[], str],
        git_diff: str | None = None,
        environment: str | None = None,
    ) -> RunWriter:
        """Make a new run directory, its meta.yaml included, with one rename.

        The run is written into the hidden ``<store>/.tmp-<run_id>.<pid>`` and renamed into
        place, so a process killed while starting a run never leaves a run directory without
        its meta.yaml.  A clashing id (same second, same random part) is redrawn.
        """
        store.mkdir(parents=True, exist_ok=True)
        staging = store / f"{TMP_PREFIX}{meta.run_id}.{os.getpid()}"
        staging.mkdir()
        try:
            # New files in a private directory: nobody can read them half-written, so plain writes
            if git_diff:
                # the diff holds the repo's exact bytes, decoded with surrogateescape
                (staging / layout.GIT_DIFF).write_bytes(git_diff.encode("utf-8", "surrogateescape"))
            if environment:  # stored once per distinct capture; the run keeps its digest
                meta = meta.with_changes(environment=environments.save(store, environment))
            while True:
                (staging / layout.META).write_text(yamlio.dump(meta.to_dict()), encoding="utf-8")
                run_dir = store / meta.run_id
                try:
                    os.rename(staging, run_dir)  # refused when the id is taken (a non-empty directory)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                    meta = meta.with_changes(run_id=new_id())
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls(run_dir, meta, {}, {}, {})

    @classmethod
    def resume(cls, run_dir: Path, **changes: Any) -> RunWriter:
        """Take over an existing run: status back to RUNNING, logging continues where it stopped."""
        writer = cls.attach(run_dir)
        writer.write_meta(status="RUNNING", end_time=None, **changes)
        return writer

    @classmethod
    def attach(cls, run_dir: Path) -> RunWriter:
        """Append to a run whose meta.yaml belongs to another process (``gittrack run``)."""
        for path in (run_dir / layout.PARAMS, run_dir / layout.TAGS, *metric_files(run_dir).values()):
            drop_torn_tail(path)
        record = read_run(run_dir)
        accumulators = {key: accumulate(rows) for key, rows in record.histories().items()}
        return cls(run_dir, record.meta, dict(record.params), dict(record.tags), accumulators)

    # -- params and tags --------------------------------------------------------------------

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log several params with one write; a conflict anywhere writes nothing."""
        fresh: dict[str, Any] = {}
        for key, raw in params.items():
            key = names.check_name(key, "param name")
            value = names.param_value(raw)
            old = self.params.get(key, fresh.get(key, _MISSING))
            if old is _MISSING:
                fresh[key] = value
            elif not _same_param(old, value):
                raise ParamConflictError(
                    f"param {key!r} was already logged as {old!r} in run {self.meta.run_id};"
                    f" it cannot change to {value!r} (start a new run for new values)"
                )
        if fresh:
            self._append(layout.PARAMS, "".join(yamlio.dump_entry(k, v) for k, v in fresh.items()))
            self.params.update(fresh)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags (values stored as strings); setting a tag again appends, last wins."""
        checked = {names.check_name(k, "tag name"): str(v) for k, v in tags.items()}
        if checked:
            self._append(layout.TAGS, "".join(yamlio.dump_entry(k, v) for k, v in checked.items()))
            self.tags.update(checked)

    def delete_tag(self, key: str) -> None:
        """Remove a tag: tags.yaml is rewritten (atomically) without it, in canonical form."""
        if key not in self.tags:
            return
        del self.tags[key]
        text = yamlio.dump(self.tags, sort_keys=True)
        write_run_file(self.run_dir, layout.TAGS, text)
        self._sizes[layout.TAGS] = len(text.encode("utf-8"))

    def _append(self, filename: str, text: str) -> None:
        data = text.encode("utf-8")
        with open(self.run_dir / filename, "ab", buffering=0) as handle:
            handle.write(data)
        self._sizes[filename] += len(data)
        if self.meta.status != "RUNNING":  # the index reads RUNNING runs again anyway
            mark_changed(self.run_dir)

    # -- metrics ----------------------------------------------------------------------------

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        key = names.check_metric_name(key)
        value = names.check_metric_value(key, value)
        if step is not None:
            step = names.check_step(key, step)
        ts = now_ms() if timestamp is None else names.check_timestamp(key, timestamp)
        self._log_checked(key, value, step, ts)

    def log_metrics(
        self, metrics: Mapping[str, Any], step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Validate every entry first, so a bad one logs none of them."""
        checked = {}
        for key, value in metrics.items():
            key = names.check_metric_name(key)
            checked[key] = names.check_metric_value(key, value)
        first = next(iter(checked), "metrics")
        if step is not None:
            step = names.check_step(first, step)
        ts = now_ms() if timestamp is None else names.check_timestamp(first, timestamp)
        for key, value in checked.items():
            self._log_checked(key, value, step, ts)

    def log_history(self, key: str, rows: Sequence[tuple[int, int, float]]) -> None:
        """Append many ``(step, timestamp, value)`` rows of one metric with one write: an
        importer's whole history.  Every row is checked first, so a bad one writes none."""
        key = names.check_metric_name(key)
        checked = [
            (
                names.check_step(key, step),
                names.check_timestamp(key, ts),
                names.check_metric_value(key, value),
            )
            for step, ts, value in rows
        ]
        if not checked:
            return
        acc = self.metrics.get(key)
        if acc is None:
            acc = self.metrics[key] = SummaryAccumulator()
        handle = self._handles.get(key) or self._open_metric(key)
        handle.write("".join(f"{step},{ts},{value!r}\n" for step, ts, value in checked).encode("ascii"))
        for step, _ts, value in checked:
            acc.add(step, value)

    def _log_checked(self, key: str, value: float, step: int | None, ts: int) -> None:
        acc = self.metrics.get(key)
        if acc is None:
            acc = self.metrics[key] = SummaryAccumulator()
        if step is None:
            step = acc.step + 1  # -1 + 1 = 0 for a new metric
        handle = self._handles.get(key) or self._open_metric(key)
        handle.write(f"{step},{ts},{value!r}\n".encode("ascii"))  # unbuffered: one write() per row
        acc.add(step, value)

    def _open_metric(self, key: str) -> io.RawIOBase:
        if len(self._handles) >= _MAX_OPEN_METRICS:
            self.close()
        path = layout.metric_path(self.run_dir, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open for the run
        if handle.tell() == 0:
            handle.write(HEADER.encode("ascii"))
        self._handles[key] = handle
        return handle

    # -- ending -----------------------------------------------------------------------------

    def finish(
        self, status: str = "FINISHED", end_time: int | None = None, *, summaries_from_files: bool = False
    ) -> Meta:
        """End the run: summaries into meta.yaml, params/tags compacted to canonical form.

        ``summaries_from_files``: summarise the metric CSVs rather than what this writer
        logged, because another process appended to them too (``gittrack run``'s command).
        """
        status = status.upper()
        if status not in layout.STATUSES or status == "RUNNING":
            raise RunStateError(f"cannot end a run with status {status!r}; use FINISHED, FAILED or KILLED")
        self.close()
        self._compact()
        self.meta = self.meta.with_changes(
            status=status,
            end_time=end_time or now_ms(),
            metrics=self._summaries(summaries_from_files),
            # delete_run, a rename or a note may have changed meta.yaml while the run was live
            **self._edits_on_disk(),
        )
        write_run_file(self.run_dir, layout.META, yamlio.dump(self.meta.to_dict()))
        return self.meta

    def _compact(self) -> None:
        """Canonical params/tags from memory, or from the files if another process appended."""
        for name, data in ((layout.PARAMS, self.params), (layout.TAGS, self.tags)):
            path = self.run_dir / name
            if _size(path) != self._sizes[name]:
                compact(self.run_dir)
                return
            text = yamlio.dump(data, sort_keys=True)
            if data and path.read_text(encoding="utf-8") != text:
                write_run_file(self.run_dir, name, text)

    def _summaries(self, from_files: bool = False) -> dict[str, MetricSummary]:
        """Metric summaries kept while logging; from the CSVs when another process (the command
        under ``gittrack run``) logged metrics this writer did not see."""
        files = metric_files(self.run_dir)
        if from_files or set(files) != set(self.metrics):
            found = {k: summarize(read_history(p)[0]) for k, p in files.items()}
            return {k: s for k, s in found.items() if s is not None}
        return {k: s for k, acc in self.metrics.items() if (s := acc.summary()) is not None}

    def _edits_on_disk(self) -> dict[str, Any]:
        """The editable fields as meta.yaml has them now (see :func:`set_meta_fields`)."""
        try:
            on_disk = parse_meta((self.run_dir / layout.META).read_bytes(), str(self.run_dir))
        except (CorruptRunError, OSError):
            return {}
        return {name: getattr(on_disk, name) for name in EDITABLE}

    def write_meta(self, **changes: Any) -> None:
        self.meta = self.meta.with_changes(**changes)
        write_run_file(self.run_dir, layout.META, yamlio.dump(self.meta.to_dict()))

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def set_lifecycle_stage(run_dir: Path, stage: str) -> None:
    """Mark a run deleted or active again: one atomic rewrite of its meta.yaml."""
    set_meta_fields(run_dir, lifecycle_stage=stage)


def set_meta_fields(run_dir: Path, **changes: Any) -> Meta:
    """Change fields of a run's meta.yaml from outside its writer: one atomic rewrite.

    Only the fields a run's owner merges back when it ends (:data:`EDITABLE`) may change
    this way, so an edit of a live run is not lost when its writer finishes.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"meta.yaml fields {sorted(unknown)} belong to the run's writer")
    path = run_dir / layout.META
    meta = parse_meta(path.read_bytes(), str(path)).with_changes(**changes)
    write_run_file(run_dir, layout.META, yamlio.dump(meta.to_dict()))
    return meta


# Fields of meta.yaml that another process may change while the run is live (delete/restore,
# rename, the note, a renamed experiment); the writer re-reads them when it ends.
EDITABLE = frozenset({"lifecycle_stage", "name", "description", "experiment"})


def compact(run_dir: Path) -> None:
    """Rewrite params.yaml and tags.yaml in canonical form: sorted, one entry per key."""
    for filename in (layout.PARAMS, layout.TAGS):
        path = run_dir / filename
        if path.exists():
            data = load_mapping(path)
            canonical = yamlio.dump(data, sort_keys=True)
            if path.read_text(encoding="utf-8") != canonical:
                write_run_file(run_dir, filename, canonical)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _same_param(old: object, new: object) -> bool:
    """Re-logging a param is a no-op when its string form is equal, as MLflow compares
    (so True and 1, or 1 and 1.0, are different values)."""
    return names.param_str(old) == names.param_str(new)


def drop_torn_tail(path: Path) -> int | None:
    """Cut a last line left without its newline by a killed writer (before appending after
    it, or as ``check --fix``); the bytes kept, None when there was nothing to cut."""
    if not path.exists():
        return None
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return None
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as handle:
        handle.truncate(keep)
    return keep


_MISSING = object()
