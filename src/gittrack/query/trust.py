"""When a query of a large store may skip statting every run directory: the store's stamps.

The run index (:mod:`gittrack.query.index`) knows a run is unchanged from its directory
stamp, one ``stat`` per run.  That is cheap for a few thousand runs, but at 100,000 the
stats alone cost a quarter of a second on a 2-core machine.  So after a complete refresh
that found no run RUNNING, the index also records (``<store>/.cache/clean.json``) the
stamps of what can change a run directory:

- the store directory itself (a run added, removed or renamed: ``gittrack run``, ``gc``,
  an import, a copy of a run folder, ``git clean``);
- the store's change mark ``<store>/.cache/changed``, which gittrack's writers touch
  after every write into an existing run (:func:`gittrack.store.atomic.note_changed`);
- git's index file and ``HEAD`` (``checkout``, ``pull``, ``merge``, ``reset``, ``stash``
  rewrite the index whenever they change a file of the work tree);
- the index file.

A query of a store of at least :data:`TRUST_FROM` runs whose stamps are all unchanged
answers without listing the run directories.  What it cannot see is a tool other than
gittrack and git writing into an existing run directory (an editor, ``sed -i``, rsync):
``touch <store>`` (or ``gittrack check``, or removing ``.cache``) makes the next query
look at every run again.  Stamps recorded within :data:`SETTLE_NS` of their own mtime are
not trusted (a change in the same clock tick would leave the mtime as it was), except the
store directory's own: after its cache folder was made or removed, the names of its run
directories (one ``scandir``, no stat) stand in for it until it settles.
``GITTRACK_INDEX_TRUST_FROM`` sets the threshold (``0``: always trust; a huge number: never).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from gittrack.git import git_state_files
from gittrack.store import cache, layout

TRUST_FROM = 20_000
SETTLE_NS = 2_000_000_000
STATE_FILE = "clean.json"
VERSION = 1

Stamps = dict[str, list[int] | None]


def trust_from() -> int:
    """Runs from which a query trusts the stamps (``GITTRACK_INDEX_TRUST_FROM`` overrides)."""
    text = os.environ.get("GITTRACK_INDEX_TRUST_FROM", "").strip()
    try:
        return int(text) if text else TRUST_FROM
    except ValueError:
        return TRUST_FROM


def stamps(store: Path, *, create: bool = False) -> Stamps:
    """The stamps (inode, mtime ns, size) of what can change a run, taken *before* a scan.

    ``create``: make the cache folder and its change mark if there are none (a cache
    folder made by an older gittrack has no mark): writers touch the mark only when it
    exists, so it must be there before the scan the stamps stand for."""
    mark = store / layout.CACHE_DIR / layout.CHANGED_MARK
    if create and not mark.exists() and store.is_dir():
        with contextlib.suppress(OSError):
            if mark.parent.is_dir():
                cache.make_change_mark(mark.parent)
            else:
                cache.ensure_cache_dir(store)
    paths = {"store": store, "mark": mark}
    root = _root(store)
    if root is not None:
        paths.update(zip(("git_index", "git_head"), git_state_files(root), strict=True))
    return {name: _stamp(path) for name, path in paths.items()} | {"taken": [time.time_ns()]}


def trusted(store: Path, index_stamp: tuple[int, int, int] | None) -> bool:
    """Whether the index, with file stamp ``index_stamp``, holds every run of the store as it is."""
    if index_stamp is None:
        return False
    try:
        saved = json.loads((store / layout.CACHE_DIR / STATE_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    if not isinstance(saved, dict) or saved.get("version") != VERSION:
        return False
    if saved.get("runs", 0) < trust_from() or saved.get("index") != list(index_stamp):
        return False
    now = stamps(store)
    now.pop("taken")
    names = saved.get("names")
    if names is not None:  # the store's own stamp was too recent: compare its listing instead
        store_stamp = now.pop("store")
        if names != _names_digest(run_names(store)):
            return False
        if not all(saved["stamps"].get(name) == value for name, value in now.items()):
            return False
        if store_stamp is not None and time.time_ns() - store_stamp[1] >= SETTLE_NS:
            _write(store, {**saved, "stamps": {**saved["stamps"], "store": store_stamp}, "names": None})
        return True
    return all(saved["stamps"].get(name) == value for name, value in now.items())


def save(store: Path, before: Stamps, index_stamp: tuple[int, int, int] | None, names: list[str]) -> None:
    """Record that the index (file stamp ``index_stamp``) held every run of the store as it
    was when ``before`` was taken, the run directories ``names`` (as :func:`run_names`
    lists them); best effort.  A stamp too recent to be settled is not recorded, except the
    store's own (its cache folder was just made or removed): then the next query compares
    the listing of run directories instead, which is what that stamp stands for."""
    if index_stamp is None:
        return
    taken = (before.get("taken") or [0])[0]
    settled = {
        name: value
        for name, value in before.items()
        if name != "taken" and (value is None or taken - value[1] >= SETTLE_NS)
    }
    unsettled = set(before) - set(settled) - {"taken"}
    if unsettled - {"store"} or settled.get("mark") is None:
        return  # something changed just now (or no mark to watch): check every run next time
    body: dict[str, Any] = {"version": VERSION, "runs": len(names), "index": list(index_stamp)}
    body["stamps"] = settled
    if unsettled:
        body["names"] = _names_digest(names)
    _write(store, body)


def _write(store: Path, body: dict[str, Any]) -> None:
    folder = store / layout.CACHE_DIR
    tmp = folder / f"{STATE_FILE}.{os.getpid()}"
    with contextlib.suppress(OSError):
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, folder / STATE_FILE)


def restamp(store: Path, old: tuple[int, int, int] | None, new: tuple[int, int, int] | None) -> None:
    """The index file went from stamp ``old`` to ``new`` without a change of its runs (a
    memo written): keep trusting it if it was trusted."""
    path = store / layout.CACHE_DIR / STATE_FILE
    try:
        saved = json.loads(path.read_bytes())
        if old is None or new is None or saved.get("index") != list(old):
            return
        saved["index"] = list(new)
        tmp = path.with_name(f"{STATE_FILE}.{os.getpid()}")
        tmp.write_text(json.dumps(saved), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError, AttributeError):
        return


def run_names(store: Path) -> list[str]:
    """The store's run directories, as the index lists them (no stat: the entries' types)."""
    try:
        with os.scandir(store) as entries:
            return [
                e.name for e in entries
                if not e.name.startswith(".") and e.name not in layout.RESERVED and e.is_dir()
            ]  # fmt: skip
    except OSError:
        return []


def _names_digest(names: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(names)).encode(), usedforsecurity=False).hexdigest()


def forget(store: Path) -> None:
    """Make the next query look at every run directory again."""
    with contextlib.suppress(OSError):
        (store / layout.CACHE_DIR / STATE_FILE).unlink()


def _stamp(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_mtime_ns, st.st_size]


_roots: dict[Path, Path | None] = {}


def _root(store: Path) -> Path | None:
    if store not in _roots:
        from gittrack.git import find_worktree_root

        _roots[store] = find_worktree_root(store)
    return _roots[store]
