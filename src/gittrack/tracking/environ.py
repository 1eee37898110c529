"""The environment a tracked command receives from ``gittrack run``: its run, experiment, params.

``GITTRACK_RUN_ID`` makes the command's API calls attach to the wrapper's run, and
``GITTRACK_EXPERIMENT`` names its experiment.  The params come twice: exactly typed as
YAML in ``GITTRACK_PARAMS``, and one ``GITTRACK_PARAM_<NAME>`` variable each for shell
scripts.  This module is the command's side (:func:`params` reads them back);
:mod:`gittrack.runner.env` is the wrapper's side that sets them.

The script's own choices win.  The first run the script opens *is* the wrapper's run, and
the experiment (``set_experiment``, ``start_run(experiment_id=)``), name and description it
chooses are *claimed* (:func:`claim`): written to the file ``GITTRACK_RUN_CLAIM`` names,
which the command alone writes and the wrapper reads, applying the claim to the run's
``meta.yaml``, which the wrapper alone writes.  A run the script opens later under other
names cannot be that run again: it becomes a run of its own (a child of the wrapper's),
and one line on stderr says so.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gittrack.store import yamlio
from gittrack.store.atomic import write_atomic

ENV_RUN_ID = "GITTRACK_RUN_ID"
ENV_EXPERIMENT = "GITTRACK_EXPERIMENT"
ENV_CLAIM = "GITTRACK_RUN_CLAIM"  # the file the command writes its choices of name, experiment to
ENV_PARAMS = "GITTRACK_PARAMS"  # all params of `gittrack run`, as YAML
ENV_PARAM_PREFIX = "GITTRACK_PARAM_"  # one variable per param, for shell scripts
CLAIMED = ("experiment", "name", "description")  # the meta.yaml fields a script may choose

_attached = False  # this process has opened the wrapper's run before


def claim(current: Mapping[str, Any], choices: Mapping[str, str | None]) -> dict[str, str] | None:
    """The fields of the wrapper's run (``current``: its meta.yaml values) that the script's
    ``choices`` (None: no choice) set, as the run now is; None when they cannot be honoured
    because the run was opened before (by this process, or claimed by another) under other
    names: the script's run must then be a run of its own.  New choices are written to the
    claim file for the wrapper to apply (without one, an older wrapper: they are ignored,
    with a warning)."""
    global _attached
    path = os.environ.get(ENV_CLAIM)
    claimed = read_claim(path) if path else {}
    now = {**{k: current.get(k) for k in CLAIMED}, **claimed}
    changes = {k: v for k, v in choices.items() if k in CLAIMED and v is not None and now.get(k) != v}
    if changes and (_attached or claimed):
        return None
    _attached = True
    if changes and path is None:
        note(f"run {current.get('run_id')}: {_listed(changes)} ignored (this gittrack run cannot take them)")
        return claimed
    if changes and path is not None:
        write_atomic(Path(path), yamlio.dump({**claimed, **changes}))
    return {**claimed, **changes}


def read_claim(path: str) -> dict[str, str]:
    """The choices claimed so far ({} when none, or when the file is not a claim)."""
    try:
        data = yamlio.load(Path(path).read_bytes())
    except (OSError, yamlio.YAMLError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in CLAIMED and isinstance(v, str | int | float)}


def note(message: str) -> None:
    """One line on stderr, as ``gittrack run``'s own notes are printed."""
    print(f"gittrack: {message}", file=sys.stderr, flush=True)


def _listed(changes: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v!r}" for k, v in changes.items())


def params() -> dict[str, Any]:
    """The params ``gittrack run -p``/``gittrack sweep`` gave this process, typed; ``{}`` otherwise.

    ``GITTRACK_PARAMS`` (exact names and types, YAML) when set, else each
    ``GITTRACK_PARAM_<NAME>`` variable, the name lower-cased and the value typed by
    :func:`param_from_text`.
    """
    text = os.environ.get(ENV_PARAMS)
    if text is not None:
        data = yamlio.load(text)
        return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}
    n = len(ENV_PARAM_PREFIX)
    found = {k[n:].lower(): v for k, v in os.environ.items() if k.startswith(ENV_PARAM_PREFIX) and k[n:]}
    return {k: param_from_text(v) for k, v in sorted(found.items())}


_E_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def param_from_text(text: str) -> Any:
    """``text`` typed as a YAML scalar by the safe loader: ``0.1`` float, ``3`` int, ``true``
    bool, ``xgb`` str, ``'3'`` the string 3.  ``1e-3`` is a float too (YAML 1.1 would want
    ``1.0e-3``); a value that is not a scalar (a list, a date) stays text."""
    try:
        value = yamlio.load(text)
    except yamlio.YAMLError:
        return text
    if isinstance(value, str) and _E_FLOAT.fullmatch(text.strip()):
        return float(text)
    return value if value is None or isinstance(value, (bool, int, float, str)) else text
