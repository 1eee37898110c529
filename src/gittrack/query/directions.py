"""Which way is better for a metric (lower, ``min``, or higher, ``max``), which metric is
*the* metric of a set of runs (:func:`primary_metric`), and which runs hold its best value
(:func:`best`, ties kept).

The ``metrics:`` mapping of ``.gittrack.yml`` decides first (``{rmse: min, accuracy: max}``,
matched on the exact metric name).  Otherwise the name decides: its last ``/``-segment, and
then each of its parts split by ``_``, ``-``, ``.``, ``/`` and spaces (the last part first, since
``val_loss`` names a loss while ``loss_weight`` is rarer), are looked up in two word lists.
A name that matches neither is taken as higher-is-better, as MLflow's UI does.

The primary metric, one rule for every command that shows "the best run" (the commit
message, ``gittrack log``'s default, ``gittrack show``'s children, the UI's history page):

1. ``primary_metric:`` of ``.gittrack.yml``, when some run in scope has it;
2. else the first *validation-like* metric: a name one of whose parts (split at ``/``,
   ``_``, ``-``, ``.`` and spaces, compared lower-case) is a validation word.  Words rank
   ``val``/``valid``/``validation`` first, then ``eval``/``evaluation``/``dev``/``holdout``,
   then ``test`` (a test set is for the final report, not for picking runs); within a rank,
   names whose direction the name tells (``val_loss``, ``val/acc``) come before the others
   (``val_epoch``), then by name: ``val_acc`` before ``val_loss``;
3. else the first metric by name whose direction the name tells, else the first by name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Literal, TypeAlias, TypeVar

from gittrack.errors import ConfigError
from gittrack.store.config import Config

Direction: TypeAlias = Literal["min", "max"]

LOWER_IS_BETTER = frozenset({"loss", "error", "rmse", "mae", "mse"})
HIGHER_IS_BETTER = frozenset({"acc", "accuracy", "f1", "auc", "precision", "recall", "r2"})
_SPELLINGS: dict[str, Direction] = {
    "min": "min",
    "minimize": "min",
    "lower": "min",
    "max": "max",
    "maximize": "max",
    "higher": "max",
}
_SEPARATORS = re.compile(r"[_\-./\s]")
VALIDATION_WORDS: dict[str, int] = {
    "val": 0,
    "valid": 0,
    "validation": 0,
    "eval": 1,
    "evaluation": 1,
    "dev": 1,
    "holdout": 1,
    "test": 2,
}
T = TypeVar("T")


def direction(metric: str, config: Config | None) -> Direction:
    """``min`` when lower values of ``metric`` are better, else ``max`` (no config: by name)."""
    configured = ((config.get("metrics") if config is not None else None) or {}).get(metric)
    if configured is not None:
        found = _SPELLINGS.get(str(configured).strip().lower())
        if found is None:
            raise ConfigError(
                f".gittrack.yml: metrics: {metric}: {configured!r} is not a direction; use min or max"
            )
        return found
    return guess(metric) or "max"


def guess(metric: str) -> Direction | None:
    """The direction the metric's name suggests, None when the name says nothing."""
    for word in _candidates(metric.lower()):
        if word in LOWER_IS_BETTER:
            return "min"
        if word in HIGHER_IS_BETTER:
            return "max"
    return None


def _candidates(name: str) -> list[str]:
    segments = name.split("/")
    last = segments[-1]
    parts = [p for p in _SEPARATORS.split(name) if p]
    return [last, *reversed(parts)]


def is_better(a: float, b: float, direction: Direction) -> bool:
    """True when ``a`` is strictly better than ``b``; NaN is worse than any number."""
    if math.isnan(a):
        return False
    if math.isnan(b):
        return True
    return a < b if direction == "min" else a > b


def validation_rank(metric: str) -> int | None:
    """The rank of the validation word in ``metric``'s name (0 best), None when it has none."""
    ranks = [VALIDATION_WORDS[p] for p in _SEPARATORS.split(metric.lower()) if p in VALIDATION_WORDS]
    return min(ranks) if ranks else None


def primary_metric(metrics: Iterable[str], config: Config | None) -> str | None:
    """*The* metric among ``metrics`` (those some run in scope has), by the rule of the module
    docstring; None when there are none."""
    present = sorted(set(metrics))
    configured = config.get("primary_metric") if config is not None else None
    if configured is not None and str(configured) in present:
        return str(configured)
    if not present:
        return None

    def order(name: str) -> tuple[int, bool, str]:
        rank = validation_rank(name)
        return (3 if rank is None else rank, guess(name) is None, name)

    return min(present, key=order)


def best(items: Iterable[tuple[T, float]], direction: Direction) -> tuple[float, list[T]] | None:
    """The best value of (item, value) pairs by ``direction`` and every item holding it (ties,
    in the given order); NaN never wins; None when no value is a number."""
    found: tuple[float, list[T]] | None = None
    for item, value in items:
        if math.isnan(value):
            continue
        if found is None or is_better(value, found[0], direction):
            found = (value, [item])
        elif value == found[0]:
            found[1].append(item)
    return found
