"""Plain-text tables in two styles, ``simple`` (terminals) and ``github`` (markdown).

The layout is tabulate's for string cells (``disable_numparse``): each column as wide as
its widest cell and at least its header plus two, cells stripped and left-aligned, ``simple``
headers over several lines when they hold a newline, trailing blanks cut.  Written here
because importing tabulate (and wcwidth) cost a fifth of a ``gittrack ls``;
``tests/test_text_table.py`` checks the output against tabulate's on generated tables.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

STYLES = ("simple", "github")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], style: str = "simple") -> str:
    """``rows`` (strings) under ``headers`` in ``style``, without a final newline."""
    if style not in STYLES:
        raise ValueError(f"unknown table style {style!r}; use one of {', '.join(STYLES)}")
    cells = [[c.strip() for c in row] for row in rows]
    head = [h.split("\n") if style == "simple" else [h] for h in headers]
    widths = [
        max([max(width(line) for line in lines) + 2, *(width(row[i]) for row in cells)])
        for i, lines in enumerate(head)
    ]
    if style == "github":
        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([_github(headers, widths), rule, *(_github(row, widths) for row in cells)])
    height = max((len(lines) for lines in head), default=1)
    top = [_simple([lines[k] if k < len(lines) else "" for lines in head], widths) for k in range(height)]
    rule = "  ".join("-" * w for w in widths)
    lines = [_simple(row, widths) for row in cells]
    if height > 1:  # tabulate's multi-line layout gives a row of blank cells no line at all
        lines = [line for line in lines if line]
    return "\n".join([*top, rule, *lines])


def _simple(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _github(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "| " + " | ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)) + " |"


def _pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (East Asian) characters two, combining
    marks none."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        for ch in text
    )
