"""The registry's part of ``gittrack commit``: its files are committed with the runs, and a
registered version whose run stays uncommitted is flagged (a clone could not load it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from gittrack.maintenance.check_registry import uncommitted_runs
from gittrack.store import layout
from gittrack.store.registry import read_registry


def unshared_versions(
    store: Path, committing: Collection[str], uncommitted: Collection[str] | None = None
) -> list[str]:
    """A warning per registered version whose run is neither committed nor being committed;
    ``uncommitted``: the runs whose meta.yaml is uncommitted, when the caller knows them."""
    if not (store / layout.MODELS_DIR).is_dir():
        return []
    left_out = set(uncommitted_runs(store) if uncommitted is None else uncommitted) - set(committing)
    return [
        f"version {v.number} of '{model.name}' points at run {v.run_id}, which is not committed: "
        f"a clone would not have the model; commit it too: gittrack commit {v.run_id}"
        for model in read_registry(store)
        for v in model.live_versions
        if v.run_id in left_out
    ]


def registry_message(paths: Sequence[str]) -> str:
    """``gittrack: registry changes to course-model`` for a commit of registry files only."""
    names = sorted({_model_dir(p) for p in paths if _model_dir(p)})
    return "gittrack: registry changes to " + (", ".join(unquote(n) for n in names) or "models")


def _model_dir(path: str) -> str:
    parts = PurePosixPath(path).parts
    return parts[parts.index(layout.MODELS_DIR) + 1] if layout.MODELS_DIR in parts[:-1] else ""
