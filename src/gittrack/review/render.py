"""One renderer for every row-emitting command: table, csv, json or markdown.

Tables are for people: numbers rounded, long cells shortened, columns that do not
fit the terminal left out (with a note on stderr).  CSV and JSON are for programs:
every value exactly as stored.  Markdown is for pull requests.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "csv", "json", "markdown")
MAX_CELL = 32


@dataclass(frozen=True)
class Table:
    """Rows of named columns without pandas: what ``gittrack ls`` renders when the run index
    answers, so that listing 20 runs of 100,000 never imports pandas."""

    columns: list[str]
    rows: list[list[Any]]

    @property
    def empty(self) -> bool:
        return not self.rows

    def column(self, name: str) -> list[Any]:
        at = self.columns.index(name)
        return [row[at] for row in self.rows]

    def select(self, names: Sequence[str]) -> Table:
        at = [self.columns.index(n) for n in names]
        return Table(list(names), [[row[i] for i in at] for row in self.rows])


def table_of(frame: pd.DataFrame | Table) -> Table:
    """``frame`` as a :class:`Table` (the same object when it is one)."""
    if isinstance(frame, Table):
        return frame
    return Table([str(c) for c in frame.columns], [list(r) for r in frame.itertuples(index=False, name=None)])


def render(
    frame: pd.DataFrame | Table,
    fmt: str,
    *,
    expendable: Sequence[str] = ("start", "duration", "experiment"),
    note: Callable[[str], None] | None = None,
    width: int | None = None,
    wide: bool = False,
) -> str:
    """``frame`` in format ``fmt``; ``note`` receives messages meant for stderr.

    A table narrower than the frame leaves out the ``expendable`` columns first (by
    default the run-list columns people need least), then columns from the right.
    """
    if fmt == "csv":
        if isinstance(frame, Table):
            import pandas as pd

            frame = pd.DataFrame(frame.rows, columns=frame.columns, dtype=object)
        return str(frame.to_csv(index=False, lineterminator="\n"))
    frame = table_of(frame)
    if fmt == "json":
        return json.dumps(records(frame), indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "markdown":
        return _tabulate(frame, "github", MAX_CELL * 2) + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if frame.empty:
        return ""
    limit = None if wide else (width or shutil.get_terminal_size((120, 24)).columns)
    return fit_table(frame, limit, note, expendable) + "\n"


def records(frame: pd.DataFrame | Table) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; NaN and missing become null, numbers stay exact."""
    table = table_of(frame)
    return [{k: _jsonable(v) for k, v in zip(table.columns, row, strict=True)} for row in table.rows]


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return _jsonable(item())
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"  # JSON has no infinity; keep it readable
    if value is _na():
        return None
    return value


def _na() -> Any:
    """pandas' NA; a value never seen when pandas is not loaded (then no value can be NA)."""
    pd = sys.modules.get("pandas")
    return pd.NA if pd is not None else _NOT_NA


_NOT_NA = object()


def fit_table(
    frame: Table,
    width: int | None,
    note: Callable[[str], None] | None,
    expendable: Sequence[str] = (),
) -> str:
    """A plain-text table that fits ``width``: the ``expendable`` columns go first (in
    that order), then columns from the right."""
    columns = list(frame.columns)
    if width is not None:
        widths = {name: _column_width(frame, name) for name in columns}
        spare = [c for c in expendable if c in widths]
        while len(columns) > 1 and sum(widths[c] for c in columns) + 2 * (len(columns) - 1) > width:
            columns.remove(spare.pop(0) if spare else columns[-1])
    text = _tabulate(frame.select(columns), "simple", MAX_CELL)
    hidden = len(frame.columns) - len(columns)
    if hidden and note is not None:
        note(f"{hidden} more column(s) not shown; use --columns, --all-columns or --format csv")
    return text


def _column_width(frame: Table, name: str) -> int:
    """Width tabulate's "simple" style gives a column: its widest cell, at least header + 2."""
    header = max(len(line) for line in table_header(str(name)).split("\n"))
    return max([header + 2, *(len(cell(v)) for v in frame.column(name))])


def _tabulate(frame: Table, style: str, max_cell: int) -> str:
    from gittrack.review.text_table import format_table

    escape = style == "github"  # a "|" inside a markdown cell would end the cell
    rows = [
        [cell(v, max_cell).replace("|", "\\|") if escape else cell(v, max_cell) for v in row]
        for row in frame.rows
    ]
    headers = [str(c) if escape else table_header(str(c)) for c in frame.columns]
    return format_table(headers, rows, style)


def table_header(column: str) -> str:
    """``params.lr`` as two header lines, ``params`` over ``lr``: tables stay narrow."""
    kind, dot, key = column.partition(".")
    return f"{kind}\n{key}" if dot and kind in ("params", "metrics", "tags") else column


def cell(value: Any, max_cell: int = MAX_CELL) -> str:
    """A value as a short human string: floats to 4 significant digits, missing as blank."""
    value = _jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value).replace("\n", " ")
    if len(text) > max_cell:
        text = text[: max_cell - 1] + "…"
    return text
