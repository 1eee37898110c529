"""The environment ``gittrack run`` gives its command: the run to log into, and the params.

``GITTRACK_RUN_ID`` makes the command's API calls attach to the wrapper's run, and
``GITTRACK_EXPERIMENT`` names its experiment.  The params come twice: exactly typed as
YAML in ``GITTRACK_PARAMS``, and one ``GITTRACK_PARAM_<NAME>`` variable each for shell
scripts.  :func:`child_env` gives them (from ``-p KEY=VALUE`` texts parsed by
:func:`parse_params`); :func:`params` reads them back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gittrack.errors import InvalidNameError, InvalidValueError
from gittrack.store import yamlio

ENV_RUN_ID = "GITTRACK_RUN_ID"
ENV_EXPERIMENT = "GITTRACK_EXPERIMENT"
ENV_PARAMS = "GITTRACK_PARAMS"  # all params of `gittrack run`, as YAML
ENV_PARAM_PREFIX = "GITTRACK_PARAM_"  # one variable per param, for shell scripts
_YAML_SPECIAL = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}


# -- reading them: the command's side -----------------------------------------------------------


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


# -- giving them: the wrapper's side ------------------------------------------------------------


def child_env(params: Mapping[str, Any], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``base`` (default ``os.environ``) without params of an
    enclosing run, plus ``GITTRACK_PARAMS`` and one ``GITTRACK_PARAM_<NAME>`` per param."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not _is_param_var(k)}
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not params:
        return env
    owners: dict[str, str] = {}
    for key, value in params.items():
        var = param_env_name(key)
        if var in owners:
            raise InvalidNameError(f"params {owners[var]!r} and {key!r} would both be passed as ${var}")
        owners[var] = key
        env[var] = param_text(value)
    env[ENV_PARAMS] = yamlio.dump(dict(params))
    return env


def param_env_name(key: str) -> str:
    """``GITTRACK_PARAM_`` + the name upper-cased, each character not a letter or digit as ``_``."""
    return ENV_PARAM_PREFIX + "".join(c if c.isascii() and c.isalnum() else "_" for c in key.upper())


def param_arg(value: Any) -> str:
    """A param as ``-p`` text that :func:`param_from_text` types back to exactly ``value``:
    a string that would read as something else (``'3'``, ``'true'``, ``''``) is quoted."""
    text = param_text(value)
    if not isinstance(value, str) or param_from_text(text) == value:
        return text
    single = "'" + value.replace("'", "''") + "'"
    if param_from_text(single) == value:
        return single
    # a line break (U+0085, U+2028...) cannot stand in single quotes: the dumper escapes it
    return yamlio.dump({"v": value})[len("v: ") :].removesuffix("\n")


def param_text(value: Any) -> str:
    """A param as plain text, for ``GITTRACK_PARAM_*`` (shell scripts read it unquoted):
    numbers, booleans and most strings read back the same; see :func:`param_arg`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _YAML_SPECIAL.get(repr(value), repr(value))
    return str(value)


def _is_param_var(name: str) -> bool:
    return name == ENV_PARAMS or name.startswith(ENV_PARAM_PREFIX)


def parse_assignment(text: str, what: str = "param") -> tuple[str, str]:
    """``key=value`` as (key, value text); the value may contain ``=``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InvalidValueError(f"{what} {text!r} is not KEY=VALUE (for example lr=0.1)")
    return key, value


def parse_params(assignments: Sequence[str]) -> dict[str, Any]:
    """``-p key=value`` options as typed params (YAML scalars: ``0.1`` float, ``3`` int, ``xgb`` str)."""
    return {key: param_from_text(text) for key, text in _pairs(assignments, "param").items()}


def parse_tags(assignments: Sequence[str]) -> dict[str, str]:
    return _pairs(assignments, "tag")


def _pairs(assignments: Sequence[str], what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for key, text in (parse_assignment(a, what) for a in assignments):
        if key in pairs:
            raise InvalidValueError(f"{what} {key!r} is given twice")
        pairs[key] = text
    return pairs
