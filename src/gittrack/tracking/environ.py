"""The environment a tracked command receives from ``gittrack run``: its run, experiment, params.

``GITTRACK_RUN_ID`` makes the command's API calls attach to the wrapper's run, and
``GITTRACK_EXPERIMENT`` names its experiment.  The params come twice: exactly typed as
YAML in ``GITTRACK_PARAMS``, and one ``GITTRACK_PARAM_<NAME>`` variable each for shell
scripts.  This module is the command's side (:func:`params` reads them back);
:mod:`gittrack.runner.env` is the wrapper's side that sets them.
"""

from __future__ import annotations

import os
import re
from typing import Any

from gittrack.store import yamlio

ENV_RUN_ID = "GITTRACK_RUN_ID"
ENV_EXPERIMENT = "GITTRACK_EXPERIMENT"
ENV_PARAMS = "GITTRACK_PARAMS"  # all params of `gittrack run`, as YAML
ENV_PARAM_PREFIX = "GITTRACK_PARAM_"  # one variable per param, for shell scripts


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
