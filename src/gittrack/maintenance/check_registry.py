"""The registry's part of ``gittrack check``: what merges and hand edits can leave behind.

Reported, each with the fix: files with merge conflict markers (an alias moved on two
branches...), unreadable files, a version number held by two files (two branches that
each registered a version), an alias naming no single version, a version whose run is
not in the store (a clone of a commit without it), and a version whose run is not
committed yet (``git push`` would share a version whose model a clone cannot load).
``--fix`` only renumbers duplicated versions: the later registration gets the next free
number, its aliases follow it, and the report says so.  Nothing here loads a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from gittrack.errors import ConfigError, GittrackError
from gittrack.maintenance.check_files import Finding
from gittrack.store import layout
from gittrack.store.reader import run_names
from gittrack.store.registry import ModelRecord, VersionRecord, read_registry
from gittrack.store.registry_write import registry_lock, renumber


def registry_findings(store: Path) -> Iterator[Finding]:
    """Every problem of the store's registry (none when it has no ``models/``)."""
    if not (store / layout.MODELS_DIR).is_dir():
        return
    models = read_registry(store)
    runs = set(run_names(store))
    uncommitted = uncommitted_runs(store)
    for model in models:
        for problem in model.problems:
            repair = None
            if problem.kind == "duplicate-version":
                repair = partial(_renumber_later, store, model.name)
            yield Finding(store.parent / problem.path, problem.line, problem.message, problem.kind, repair)
        yield from _run_findings(store, model, runs, uncommitted)


def _run_findings(
    store: Path, model: ModelRecord, runs: set[str], uncommitted: set[str]
) -> Iterator[Finding]:
    for version in model.live_versions:
        path = store / layout.MODELS_DIR / model.dirname / "versions" / version.filename
        if version.run_id not in runs:
            message = (
                f"version {version.number} of '{model.name}' points at run {version.run_id}, which is not "
                "in this store: commit that run where it was made (gittrack commit RUN) and pull"
            )
            yield Finding(path, 0, message, "missing-run")
        elif version.run_id in uncommitted:
            message = (
                f"version {version.number} of '{model.name}' points at run {version.run_id}, which is not "
                f"committed: a clone would not have the model; gittrack commit {version.run_id}"
            )
            yield Finding(path, 0, message, "uncommitted-run")


def uncommitted_runs(store: Path) -> set[str]:
    """Runs whose ``meta.yaml`` git does not track yet (empty outside a git repository)."""
    from gittrack import git
    from gittrack.query.revision import store_prefix

    try:
        root, prefix = store_prefix(store)
        pending = git.uncommitted_paths(root, prefix)
    except (ConfigError, GittrackError):
        return set()
    depth = len(Path(prefix).parts)
    found = set()
    for path in pending:
        parts = Path(path).parts[depth:]
        if len(parts) == 2 and parts[1] == layout.META:
            found.add(parts[0])
    return found


def _renumber_later(store: Path, name: str) -> str:
    """Give each later duplicate the next free number (under the registry lock)."""
    from gittrack.store.registry import read_model

    done = []
    with registry_lock(store):
        model = read_model(store, name)
        assert model is not None
        for number, versions in sorted(model.duplicates.items()):
            keep, *later = sorted(versions, key=_registered_order)
            for version in later:
                fresh = read_model(store, name)
                assert fresh is not None
                moved = renumber(store, name, version, fresh.next_number)
                done.append(
                    f"renumbered the later version {number} of '{name}' (run {version.run_id}) to "
                    f"{moved.number}; version {number} stays run {keep.run_id}"
                )
    return "; ".join(done) or "nothing left to renumber"


def _registered_order(version: VersionRecord) -> tuple[int, str]:
    return (version.created, version.uid)
