"""The environment ``gittrack run`` gives its command (the wrapper's side).

:func:`child_env` sets the variables of :mod:`gittrack.tracking.environ` from ``-p
KEY=VALUE`` texts parsed by :func:`parse_params`; the command reads them back with
:func:`gittrack.tracking.environ.params`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from gittrack.errors import InvalidNameError, InvalidValueError
from gittrack.store import yamlio
from gittrack.tracking.environ import ENV_PARAM_PREFIX, ENV_PARAMS, param_from_text

_YAML_SPECIAL = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}


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
