"""Writing the model registry's files (the layout is in :mod:`gittrack.store.registry`).

Every file is written atomically (a temporary file, then a rename).  Picking the next
version number and writing its file happen under a lock in the git-ignored cache folder,
so two processes on one machine never take the same number; two branches still can,
which readers and ``gittrack check`` report (:func:`renumber` is the fix).
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from gittrack.errors import ModelExistsError, ModelNotFoundError
from gittrack.store import layout, yamlio
from gittrack.store.atomic import write_atomic
from gittrack.store.cache import ensure_cache_dir
from gittrack.store.registry import (
    ALIASES,
    CHANGES,
    FORMAT_VERSION,
    MODEL_FILE,
    VERSIONS,
    AliasRecord,
    ChangeRecord,
    ModelRecord,
    VersionRecord,
    check_alias,
    model_dir,
    read_model,
)


@contextlib.contextmanager
def registry_lock(store: Path) -> Iterator[None]:
    """Hold the store's registry lock (a file under ``.cache/``) for a read-modify-write."""
    with open(ensure_cache_dir(store) / "registry.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_yaml(path: Path, data: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, yamlio.dump(dict(data)))


def _uid() -> str:
    return secrets.token_hex(3)


def _stamp(time_ms: int) -> str:
    return layout.iso_utc(time_ms).replace("-", "").replace(":", "").replace(".", "")


def create_model(
    store: Path,
    name: str,
    *,
    time: int,
    user: str | None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> ModelRecord:
    """Create a registered model; ModelExistsError when it exists."""
    folder = model_dir(store, name)
    with registry_lock(store):
        if read_model(store, name) is not None:
            raise ModelExistsError(f"registered model '{name}' already exists")
        # model.yaml holds only the name: two branches that create the same model write
        # the same bytes, which git merges without a conflict.
        _write_yaml(folder / MODEL_FILE, {"format_version": FORMAT_VERSION, "name": name})
        change = ChangeRecord(
            key="",
            time=time,
            user=user,
            created=True,
            description=description,
            has_description=description is not None,
            tags=dict(tags or {}),
        )
        add_change(store, name, change)
    found = read_model(store, name)
    assert found is not None
    return found


def add_change(store: Path, name: str, change: ChangeRecord) -> None:
    """One more ``changes/`` file: a description or tag change of the model."""
    path = model_dir(store, name) / CHANGES / f"{_stamp(change.time)}-{_uid()}.yaml"
    _write_yaml(path, change.to_dict())


def require_model(store: Path, name: str) -> ModelRecord:
    found = read_model(store, name)
    if found is None:
        raise ModelNotFoundError(f"registered model '{name}' not found in {store}")
    return found


def new_version(store: Path, name: str, record: VersionRecord) -> VersionRecord:
    """Write ``record`` as the next version of ``name`` (its number and uid are chosen here)."""
    with registry_lock(store):
        model = require_model(store, name)
        numbered = replace(record, number=model.next_number, uid=_uid())
        write_version(store, name, numbered)
    return numbered


def write_version(store: Path, name: str, record: VersionRecord) -> None:
    _write_yaml(model_dir(store, name) / VERSIONS / record.filename, record.to_dict())


def set_alias(store: Path, name: str, alias: str, version: VersionRecord) -> None:
    record = AliasRecord(check_alias(alias), version.number, version.uid)
    _write_yaml(model_dir(store, name) / ALIASES / f"{alias}.yaml", record.to_dict())


def delete_alias(store: Path, name: str, alias: str) -> bool:
    """Remove an alias file; False when there was none."""
    path = model_dir(store, name) / ALIASES / f"{check_alias(alias)}.yaml"
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def rename_model(store: Path, name: str, new_name: str) -> None:
    """Move the model's folder and write its new name; aliases and versions move with it."""
    old, new = model_dir(store, name), model_dir(store, new_name)
    with registry_lock(store):
        require_model(store, name)
        if new.exists():
            raise ModelExistsError(f"registered model '{new_name}' already exists")
        old.rename(new)
        _write_yaml(new / MODEL_FILE, {"format_version": FORMAT_VERSION, "name": new_name})


def delete_model(store: Path, name: str) -> None:
    require_model(store, name)
    shutil.rmtree(model_dir(store, name))


def renumber(store: Path, name: str, version: VersionRecord, number: int) -> VersionRecord:
    """Give ``version`` the number ``number``: rename its file and move the aliases that
    point at it (by uid) along.  Used by ``gittrack check --fix`` after a merge."""
    folder = model_dir(store, name)
    moved = replace(version, number=number)
    model = require_model(store, name)
    pointing = [a for a, r in model.aliases.items() if r.uid == version.uid]
    write_version(store, name, moved)
    (folder / VERSIONS / version.filename).unlink()
    for alias in pointing:
        set_alias(store, name, alias, moved)
    return moved


def delete_tags(store: Path, name: str, keys: Sequence[str], *, time: int, user: str | None) -> None:
    add_change(store, name, ChangeRecord(key="", time=time, user=user, deleted_tags=tuple(keys)))
