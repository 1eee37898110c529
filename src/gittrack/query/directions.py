"""Which way is better for a metric: lower (``min``) or higher (``max``).

The ``metrics:`` mapping of ``.gittrack.yml`` decides first (``{rmse: min, accuracy: max}``,
matched on the exact metric name).  Otherwise the name decides: its last ``/``-segment, and
then each of its parts split by ``_``, ``-``, ``.``, ``/`` and spaces (the last part first, since
``val_loss`` names a loss while ``loss_weight`` is rarer), are looked up in two word lists.
A name that matches neither is taken as higher-is-better, as MLflow's UI does.
"""

from __future__ import annotations

import math
import re
from typing import Literal, TypeAlias

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
