"""What a sweep runs: its axes, parsed from ``-p name=values``, and the list of trials.

Axes: ``a:b`` (or ``a:b:step``) is an inclusive integer range, anything else a comma
list of values typed as YAML scalars (one value is a constant).  The command may name
params as ``{lr}`` in its arguments; other braces are left alone.  ``--random N`` draws
N distinct trials of the grid (all of them when N is larger) with a private
``random.Random(seed)``; without a seed one is drawn and recorded, so a resume redraws
nothing.
"""

from __future__ import annotations

import itertools
import random as random_module
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gittrack.errors import InvalidValueError
from gittrack.runner.env import param_text, parse_assignment
from gittrack.store import names
from gittrack.tracking.environ import param_from_text

MAX_GRID = 100_000  # beyond this a grid must be sampled with --random
_RANGE = re.compile(r"\s*([-+]?\d+):([-+]?\d+)(?::([-+]?\d+))?\s*")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs; stored as the parent's ``sweep.yaml`` artifact."""

    command: list[str]
    axes: dict[str, str]  # name -> the values as given: "0.1,0.01" or "3:8"
    trials: list[dict[str, Any]]
    experiment: str
    random: int | None = None
    seed: int | None = None
    parse_metrics: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "experiment": self.experiment,
            "axes": self.axes,
            "random": self.random,
            "seed": self.seed,
            "parse_metrics": self.parse_metrics,
            "trials": self.trials,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpec:
        return cls(
            command=[str(a) for a in data["command"]],
            axes={str(k): str(v) for k, v in (data.get("axes") or {}).items()},
            trials=[dict(t) for t in data["trials"]],
            experiment=str(data["experiment"]),
            random=data.get("random"),
            seed=data.get("seed"),
            parse_metrics=bool(data.get("parse_metrics")),
        )


def parse_axis(text: str) -> tuple[str, str, list[Any]]:
    """``name=values`` as (name, values as given, values)."""
    key, spec = parse_assignment(text)
    names.check_name(key, "param name")
    match = _RANGE.fullmatch(spec)
    if match:
        values: list[Any] = _int_range(key, *match.groups())
    else:
        values = [param_from_text(part.strip()) for part in spec.split(",")]
    if len({param_text(v) for v in values}) != len(values):
        raise InvalidValueError(f"param {key!r}: a value is repeated in {spec!r}")
    return key, spec, values


def _int_range(key: str, start: str, stop: str, step: str | None) -> list[Any]:
    a, b = int(start), int(stop)
    by = int(step) if step is not None else (1 if b >= a else -1)
    values = list(range(a, b + (1 if by > 0 else -1), by)) if by else []
    if not values:
        raise InvalidValueError(f"param {key!r}: the range {start}:{stop}:{step or by} is empty")
    return values


def grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination, the last axis varying fastest."""
    size = grid_size(axes)
    if size > MAX_GRID:
        raise InvalidValueError(f"the grid has {size} trials (limit {MAX_GRID}); sample it with --random N")
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def grid_size(axes: Mapping[str, Sequence[Any]]) -> int:
    size = 1
    for values in axes.values():
        size *= len(values)
    return size


def sample(axes: Mapping[str, Sequence[Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct combinations (all when ``n`` is larger), drawn with ``random.Random(seed)``."""
    rng = random_module.Random(seed)  # noqa: S311 - private: never the global RNG training code seeds
    size = grid_size(axes)
    trials = []
    for index in rng.sample(range(size), min(n, size)):
        trial = {}
        for name, values in reversed(list(axes.items())):  # mixed radix, last axis fastest
            index, digit = divmod(index, len(values))
            trial[name] = values[digit]
        trials.append({name: trial[name] for name in axes})
    return trials


def substitute(command: Sequence[str], params: Mapping[str, Any]) -> list[str]:
    """``{name}`` in the arguments replaced by the param's value; other braces kept."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return param_text(params[name]) if name in params else match.group(0)

    return [_PLACEHOLDER.sub(value, arg) for arg in command]


def make_spec(
    command: Sequence[str],
    axes: Sequence[str],
    *,
    experiment: str,
    random: int | None = None,
    seed: int | None = None,
    parse_metrics: bool = False,
) -> SweepSpec:
    """The spec of a new sweep from ``-p name=values`` texts."""
    parsed = [parse_axis(text) for text in axes]
    given = [name for name, _, _ in parsed]
    if len(set(given)) != len(given):
        raise InvalidValueError("a param is given twice; put all its values in one -p name=a,b,c")
    values = {name: vals for name, _, vals in parsed}
    if random is not None:
        seed = secrets.randbelow(2**32) if seed is None else seed
        trials = sample(values, random, seed)
    else:
        trials = grid(values)
    return SweepSpec(
        command=list(command),
        axes={name: spec for name, spec, _ in parsed},
        trials=trials,
        experiment=experiment,
        random=random,
        seed=seed if random is not None else None,
        parse_metrics=parse_metrics,
    )
