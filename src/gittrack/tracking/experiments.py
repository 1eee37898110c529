"""Experiments by name: validation, MLflow's name filter and order, and those set in this process.

An experiment's id is its name.  MLflow's experiment filter is reduced here to what a
name-only experiment has: conditions on the name joined by AND.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence

from gittrack.errors import ConfigError, FilterError

_current: str | None = None  # the experiment set in this process, listed before it has runs


def check_name(name: object) -> str:
    """``name`` if it can name an experiment, else a ConfigError saying why."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"experiment name must be a non-empty string, got {name!r}")
    if any(ord(c) < 32 for c in name) or len(name) > 250:
        raise ConfigError(f"experiment name {name[:60]!r} has control characters or is too long")
    return name


def remember(name: object) -> str:
    """Make ``name`` the experiment this process set, listed by searches before it has runs."""
    global _current
    _current = check_name(name)
    return _current


def session_names() -> set[str]:
    return set() if _current is None else {_current}


def forget_session() -> None:
    global _current
    _current = None


# A quote inside the value is written twice, as in SQL.
_NAME_CONDITION = re.compile(r"\s*(?:attributes?\.)?name\s*(!=|=|I?LIKE\b)\s*'((?:[^']|'')*)'\s*", re.I)
_AND = re.compile(r"AND\b", re.I)


def name_filter(text: str) -> Callable[[str], bool]:
    """A predicate on experiment names for ``filter_string`` (conditions joined by AND)."""
    from gittrack.query.filter import like_regex

    tests: list[Callable[[str], object]] = []  # truthy when the name matches
    pos = 0
    while text.strip():
        found = _NAME_CONDITION.match(text, pos)
        if found is None:
            raise FilterError("experiments can only be filtered by name, e.g. name LIKE 'nyc-%'", pos + 1)
        op, value = found.group(1).upper(), found.group(2).replace("''", "'")
        if op in ("=", "!="):
            tests.append(functools.partial(operator.eq if op == "=" else operator.ne, value))
        else:
            tests.append(like_regex(value, ignore_case=op == "ILIKE").fullmatch)
        pos = found.end()
        if pos == len(text):
            break
        joined = _AND.match(text, pos)
        if joined is None:
            raise FilterError("expected AND between conditions on the name", pos + 1)
        pos = joined.end()
    return lambda name: all(bool(test(name)) for test in tests)


def name_order(order_by: Sequence[str] | str | None) -> bool:
    """True for ``name DESC``; experiments are listed by name."""
    keys = [order_by] if isinstance(order_by, str) else list(order_by or [])
    descending = False
    for key in keys:
        words = key.split()
        field = words[0].lower().removeprefix("attributes.").removeprefix("attribute.") if words else ""
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if field not in ("name", "experiment_id") or len(words) > 2 or direction not in ("ASC", "DESC"):
            raise FilterError(f"experiments can only be ordered by name ASC or DESC, not {key!r}")
        descending = direction == "DESC"
    return descending
