"""Why runs failed, for people: the ``error`` of ``meta.yaml`` on one line, or as text lines.

``gittrack show`` prints a FAILED run's error with its traceback; ``gittrack diff`` lists
the runs a branch adds that FAILED, each with its error on one line.  The runs frame holds
no errors (they are read only for the runs shown), so :func:`failed_errors` reads the
``meta.yaml`` of those runs alone, from the working tree or from git's objects.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from gittrack import git
from gittrack.errors import CorruptRunError
from gittrack.store import layout
from gittrack.store.reader import parse_meta

Error = Mapping[str, str | None]
_FEW = 200  # run directories worth naming to git one by one


def failed_errors(store: Path, commit: str | None, run_ids: Collection[str]) -> dict[str, str]:
    """:func:`error_line` of each of ``run_ids`` (runs a diff's head adds that FAILED), by
    run id, read at ``commit`` (None: the working tree)."""
    return {r: error_line(e) for r, e in read_errors(store, commit, sorted(set(run_ids))).items()}


def read_errors(store: Path, commit: str | None, run_ids: list[str]) -> dict[str, Error | None]:
    """The ``error`` of each readable run of ``run_ids``, at ``commit`` (None: the working tree)."""
    if not run_ids:
        return {}
    if commit is None:
        paths = {r: store / r / layout.META for r in run_ids}
        texts = {r: p.read_bytes() for r, p in paths.items() if p.is_file()}
    else:
        from gittrack.query.revision import store_prefix

        root, prefix = store_prefix(store)
        # two git processes; a listing of just those runs unless so many that all is cheaper
        within = sorted(run_ids) if len(run_ids) <= _FEW else []
        blobs = git.read_tree_files(root, commit, prefix, names=[layout.META], within=within)
        texts = {r: blobs[f"{r}/{layout.META}"] for r in run_ids if f"{r}/{layout.META}" in blobs}
    found: dict[str, Error | None] = {}
    for run_id, text in texts.items():
        try:
            found[run_id] = parse_meta(text, f"{run_id}/{layout.META}").error
        except CorruptRunError:
            continue  # the frame's reader has warned of it already
    return found


def error_line(error: Error | None) -> str:
    """An error on one line: ``ValueError: lr must be positive`` ('' for none)."""
    if not error:
        return ""
    message = (error.get("message") or "").strip().split("\n")[0]
    kind = error.get("type")
    return f"{kind}: {message}" if kind and message else kind or message


def error_lines(error: Error | None) -> list[tuple[str, str]]:
    """(label, text) lines of ``gittrack show``: the error, then its traceback (a Python
    traceback) or the last lines of output (a command without one)."""
    if not error:
        return []
    lines = [("error", error_line(error))]
    details = (error.get("traceback") or "").splitlines()
    label = "traceback" if error.get("type") else "output"
    lines += [(label if i == 0 else "", line) for i, line in enumerate(details)]
    return lines
