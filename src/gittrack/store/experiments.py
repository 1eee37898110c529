"""Experiment metadata as files that merge: one small YAML file per change.

An experiment's id is its name.  What MLflow keeps per experiment (tags, deleted state,
creation time, renames) is a log of events under ``<store>/experiments/<name>/``, one file
per event, named ``<epoch ms>-<random hex>.yaml`` so that names sort by time and two
branches never write the same file: a merge of two branches that each changed an
experiment is the union of their event files, never a textual conflict.  Replaying the
events in file-name order gives the experiment's state (the later of two concurrent tag
values wins).  An experiment that has runs but no events exists too, with no tags.

Event files hold one mapping: ``event`` (``create``, ``set_tag``, ``delete_tag``,
``delete``, ``restore``, ``renamed_from``, ``renamed_to``), ``time`` (ISO 8601 UTC) and the
event's data (``tags``, ``key``, ``other``: the other name of a rename, ``created``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from gittrack.errors import CorruptRunError
from gittrack.store import layout, yamlio
from gittrack.store.atomic import TMP_PREFIX, write_atomic

EVENTS = ("create", "set_tag", "delete_tag", "delete", "restore", "renamed_from", "renamed_to")
_SAFE = " -_.,+=@()[]{}~!$&;'"  # kept as they are in a directory name; anything else is %XX


@dataclass(frozen=True)
class ExperimentRecord:
    """An experiment's state after replaying its events."""

    name: str
    lifecycle_stage: str = layout.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None
    renamed_to: str | None = None  # set when renamed away: the name is no longer listed


def dir_name(name: str) -> str:
    """The directory of an experiment: its name, percent-encoded where a path could not hold it."""
    encoded = quote(name, safe=_SAFE)
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


def name_of(directory: str) -> str:
    return unquote(directory)


def experiments_dir(store: Path) -> Path:
    return store / layout.EXPERIMENTS_DIR


def append_event(store: Path, name: str, event: str, **data: Any) -> Path:
    """Record one change of experiment ``name``: a new file, written atomically."""
    return append_event_at(store, name, event, None, data)


def append_event_at(store: Path, name: str, event: str, at: int | None, data: Mapping[str, Any]) -> Path:
    """:func:`append_event` dated ``at`` (epoch ms; None: now): an importer keeps the time a
    change was made in the store it reads (an MLflow experiment's creation time)."""
    if event not in EVENTS:
        raise ValueError(f"unknown experiment event {event!r}")
    now = _now_ms() if at is None else at
    folder = experiments_dir(store) / dir_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{now:013d}-{secrets.token_hex(4)}.yaml"
    body = {"event": event, "time": layout.iso_utc(now), **data}
    write_atomic(path, yamlio.dump(body))
    return path


def read_record(store: Path, name: str, warn: Callable[[str], None] | None = None) -> ExperimentRecord:
    """One experiment's state from its own event files only (cheap: no other file is read)."""
    folder = experiments_dir(store) / dir_name(name)
    try:
        files = sorted(f for f in os.listdir(folder) if _is_event(f))
    except (FileNotFoundError, NotADirectoryError):
        return ExperimentRecord(name)
    events = [(str(folder / f), (folder / f).read_bytes()) for f in files]
    return replay(name, events, warn or _ignore)


def _ignore(message: str) -> None:
    pass


def read_records(store: Path, warn: Callable[[str], None]) -> dict[str, ExperimentRecord]:
    """Every experiment with events in the work tree, by name (unreadable files are warned about)."""
    found: dict[str, list[tuple[str, bytes]]] = {}
    root = experiments_dir(store)
    try:
        folders = sorted(os.scandir(root), key=lambda e: e.name)
    except FileNotFoundError:
        return {}
    for folder in folders:
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        files = sorted(f.name for f in os.scandir(folder.path) if _is_event(f.name))
        found[name_of(folder.name)] = [
            (f"{folder.path}/{f}", Path(folder.path, f).read_bytes()) for f in files
        ]
    return replay_all(found, warn)


def _read(folder: str, file_name: str) -> bytes:
    return Path(folder, file_name).read_bytes()


def replay_all(
    events: Mapping[str, Iterable[tuple[str, bytes]]], warn: Callable[[str], None]
) -> dict[str, ExperimentRecord]:
    """Records from each experiment's (file name, bytes) events; the reader of work tree and revisions."""
    return {name: replay(name, files, warn) for name, files in events.items()}


def replay(name: str, files: Iterable[tuple[str, bytes]], warn: Callable[[str], None]) -> ExperimentRecord:
    record = ExperimentRecord(name)
    for where, raw in sorted(files, key=lambda item: Path(item[0]).name):
        try:
            record = _apply(record, _parse(raw, where))
        except CorruptRunError as exc:
            warn(f"skipping experiment event: {exc}")
    return record


def _is_event(file_name: str) -> bool:
    return file_name.endswith(".yaml") and not file_name.startswith((".", TMP_PREFIX))


def _parse(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = yamlio.load(raw)
    except yamlio.YAMLError as exc:
        raise CorruptRunError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or data.get("event") not in EVENTS:
        raise CorruptRunError(f"{where}: expected a mapping with an 'event' of {', '.join(EVENTS)}")
    try:
        data["time"] = layout.epoch_ms(data.get("time"))
    except (TypeError, ValueError):
        raise CorruptRunError(f"{where}: time {data.get('time')!r} is not an ISO 8601 time") from None
    return data


def _apply(record: ExperimentRecord, event: dict[str, Any]) -> ExperimentRecord:
    kind, time = event["event"], event["time"]
    changes: dict[str, Any] = {"last_update_time": time}
    if record.creation_time is None:
        changes["creation_time"] = time
    tags = dict(record.tags)
    if kind in ("create", "set_tag"):
        tags.update({str(k): str(v) for k, v in (event.get("tags") or {}).items()})
    elif kind == "delete_tag":
        tags.pop(str(event.get("key")), None)
    elif kind in ("delete", "restore"):
        changes["lifecycle_stage"] = layout.DELETED if kind == "delete" else layout.ACTIVE
    elif kind == "renamed_to":
        changes["renamed_to"] = str(event.get("other"))
    elif kind == "renamed_from":
        changes["creation_time"] = layout.epoch_ms(event.get("created")) or record.creation_time or time
        changes["lifecycle_stage"] = layout.ACTIVE
        tags.update({str(k): str(v) for k, v in (event.get("tags") or {}).items()})
        changes["renamed_to"] = None
    return replace(record, tags=tags, **changes)


def _now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000
