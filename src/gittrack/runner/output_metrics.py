"""Metrics read from a command's output lines, for scripts that do not import gittrack.

Two kinds of pattern turn a line into ``(name, value, step)`` tuples:

- a regular expression from ``.gittrack.yml`` ``output.patterns`` with named groups
  ``name`` and ``value`` and optionally ``step``; every non-overlapping match on the line
  counts (``re.finditer``), so one pattern can pick several pairs off a line;
- the ``--parse-metrics`` preset :data:`KEY_VALUE`: every ``name=number`` or
  ``name: number`` pair on the line, with the step taken from ``step N`` or ``epoch N``
  (``step`` wins when a line has both, as it is the finer count; ``:``/``=`` between
  the word and the number are allowed).  ``epoch 3 loss=0.25 acc: 0.9`` gives
  ``loss`` and ``acc`` at step 3.  ``step``/``epoch`` themselves are never metrics.

A name that gittrack cannot store (``a..b``) is skipped, and a name already found on the
line keeps its first value, so a line never logs the same metric twice.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gittrack.errors import ConfigError, InvalidNameError
from gittrack.store import names

Metric = tuple[str, float, int | None]

# A number as training scripts print it, including nan/inf; never the start of a longer
# token such as a version "1.2.3", a time "12:30" or a word "3rd".
_NUMBER = r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_END = r"(?![\w:/]|\.\d)"
_PAIR = re.compile(
    rf"(?<![\w.\-/])(?P<name>[A-Za-z_][\w.\-/]*)\s*(?:=|:)\s*(?P<value>{_NUMBER}){_END}", re.IGNORECASE
)
_STEP = re.compile(r"\b(?P<word>step|epoch)\b\s*[:=]?\s*(?P<n>\d+)(?![\w.])", re.IGNORECASE)
_STEP_WORDS = frozenset({"step", "epoch"})


@dataclass(frozen=True)
class KeyValuePreset:
    """The ``--parse-metrics`` preset: ``name=number`` / ``name: number`` pairs on a line."""

    def parse(self, line: str) -> list[Metric]:
        step = _preset_step(line)
        found = []
        for match in _PAIR.finditer(line):
            name = match["name"]
            if name.lower() not in _STEP_WORDS:
                found.append((name, float(match["value"]), step))
        return found


KEY_VALUE = KeyValuePreset()

OutputPattern = re.Pattern[str] | KeyValuePreset


def parse_line(line: str, patterns: Sequence[OutputPattern | str]) -> list[Metric]:
    """Every metric ``patterns`` find on ``line``, as ``(name, value, step or None)``."""
    found: dict[str, Metric] = {}
    for pattern in patterns:
        if isinstance(pattern, KeyValuePreset):
            metrics: Iterable[Metric] = pattern.parse(line)
        else:
            metrics = _regex_metrics(_compiled(pattern) if isinstance(pattern, str) else pattern, line)
        for metric in metrics:
            if metric[0] not in found and _storable(metric[0]):
                found[metric[0]] = metric
    return list(found.values())


def compile_patterns(texts: object, *, preset: bool = False) -> list[OutputPattern]:
    """The configured ``output.patterns`` compiled (a ConfigError says which one is bad),
    followed by :data:`KEY_VALUE` when ``preset``."""
    if texts is None:
        texts = []
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ConfigError("output.patterns in .gittrack.yml must be a list of regular expressions")
    compiled: list[OutputPattern] = [_compiled(text) for text in texts]
    if preset:
        compiled.append(KEY_VALUE)
    return compiled


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise ConfigError(f"output.patterns: {text!r} is not a valid regular expression ({exc})") from None
    missing = {"name", "value"} - set(pattern.groupindex)
    if missing:
        groups = " and ".join(f"(?P<{g}>...)" for g in sorted(missing))
        raise ConfigError(f"output.patterns: {text!r} needs the named group(s) {groups}")
    return pattern


def _regex_metrics(pattern: re.Pattern[str], line: str) -> list[Metric]:
    found = []
    has_step = "step" in pattern.groupindex
    for match in pattern.finditer(line):
        value = _number(match["value"])
        step = _step(match["step"]) if has_step else None
        if match["name"] and value is not None:
            found.append((match["name"], value, step))
    return found


def _preset_step(line: str) -> int | None:
    steps = {m["word"].lower(): int(m["n"]) for m in reversed(list(_STEP.finditer(line)))}
    return steps.get("step", steps.get("epoch"))


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _step(text: str | None) -> int | None:
    value = _number(text)
    if value is None or not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return int(value)


def _storable(name: str) -> bool:
    try:
        names.check_name(name, "metric name")
    except InvalidNameError:
        return False
    return True
