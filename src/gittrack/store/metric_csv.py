"""Metric files: ``metrics/<name>.csv`` with the header ``step,timestamp,value``.

One row per logged value, appended with a single write.  Values are written with
``repr(float)``, the shortest text that reads back to the same float, so ``nan``,
``inf`` and ``-inf`` round-trip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gittrack.store.layout import METRICS_DIR, MetricSummary

HEADER = "step,timestamp,value\n"


@dataclass(frozen=True)
class MetricRow:
    step: int
    timestamp: int
    value: float


@dataclass(frozen=True)
class Problem:
    """A damaged line in a run file: what, where, and whether it can be dropped safely."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def format_row(step: int, timestamp: int, value: float) -> str:
    return f"{step},{timestamp},{value!r}\n"


def parse_history(text: str, path: Path) -> tuple[list[MetricRow], list[Problem]]:
    """Rows of a metric file, and a Problem for each line that is not a valid row.

    A last line without its newline is a write cut short by a kill: it is reported
    but never read as data, because its value may be truncated.
    """
    rows: list[MetricRow] = []
    problems: list[Problem] = []
    lines = text.split("\n")
    torn = lines.pop()  # "" when the file ends with a newline
    first = 0
    if lines and lines[0] == HEADER.rstrip("\n"):
        first = 1
    else:
        problems.append(Problem(path, 1, "missing header 'step,timestamp,value'"))
    for number, line in enumerate(lines[first:], start=first + 1):
        row = _parse_row(line)
        if row is None:
            problems.append(Problem(path, number, f"not a 'step,timestamp,value' row: {line[:80]!r}"))
        else:
            rows.append(row)
    if torn:
        problems.append(Problem(path, len(lines) + 1, f"incomplete last line {torn[:80]!r}"))
    return rows, problems


def _parse_row(line: str) -> MetricRow | None:
    parts = line.split(",")
    if len(parts) != 3:
        return None
    try:
        return MetricRow(int(parts[0]), int(parts[1]), float(parts[2]))
    except ValueError:
        return None


def parse_columns(text: str, path: Path) -> tuple[list[int], list[int], list[float]]:
    """Steps, timestamps and values of a metric file, as three lists.

    The same rows as :func:`parse_history`, read column-wise by C-level ``map`` calls
    (a 100,000-step history in a few tens of ms); a damaged file takes the line-by-line path.
    """
    lines = text.split("\n")
    lines.pop()  # "" after the last newline, or a torn last line: never data
    if lines and lines[0] == HEADER.rstrip("\n") and all(line.count(",") == 2 for line in lines):
        fields = ",".join(lines[1:]).split(",") if len(lines) > 1 else []
        try:
            return (
                list(map(int, fields[0::3])),
                list(map(int, fields[1::3])),
                list(map(float, fields[2::3])),
            )
        except ValueError:  # a field that is not a number: the slow path says where
            pass
    rows = parse_history(text, path)[0]
    return [r.step for r in rows], [r.timestamp for r in rows], [r.value for r in rows]


def read_history(path: Path) -> tuple[list[MetricRow], list[Problem]]:
    return parse_history(path.read_text(encoding="utf-8"), path)


def summarize(rows: Iterable[MetricRow]) -> MetricSummary | None:
    """last (the value at the highest step, latest logged on ties), min, max, count, step."""
    return accumulate(rows).summary()


def accumulate(rows: Iterable[MetricRow]) -> SummaryAccumulator:
    """An accumulator that has seen ``rows``, ready for more (a resumed run)."""
    acc = SummaryAccumulator()
    for row in rows:
        acc.add(row.step, row.value)
    return acc


class SummaryAccumulator:
    """Keeps a metric's summary up to date as values are logged (no re-reading)."""

    __slots__ = ("count", "last", "max", "min", "step")

    def __init__(self) -> None:
        self.count = 0
        self.step = -1
        self.last = math.nan
        self.min = math.nan
        self.max = math.nan

    def add(self, step: int, value: float) -> None:
        self.count += 1
        if step >= self.step:
            self.step, self.last = step, value
        # min/max ignore NaN, as numpy's nanmin/nanmax do; "not x >= y" is also true for NaN
        if value == value:
            if not value >= self.min:
                self.min = value
            if not value <= self.max:
                self.max = value

    def summary(self) -> MetricSummary | None:
        if not self.count:
            return None
        return MetricSummary(self.last, self.min, self.max, self.count, self.step)


def metric_files(run_dir: Path) -> dict[str, Path]:
    """Metric name -> CSV path for every metric of a run, sub-folders included."""
    root = run_dir / METRICS_DIR
    if not root.is_dir():
        return {}
    found = {}
    for path in root.rglob("*.csv"):  # metric files are only appended: no temporary files here
        found[path.relative_to(root).as_posix()[: -len(".csv")]] = path
    return dict(sorted(found.items()))
