"""One renderer for every row-emitting command: table, csv, json or markdown.

Tables are for people: numbers rounded, long cells shortened, columns that do not
fit the terminal left out (with a note on stderr).  CSV and JSON are for programs:
every value exactly as stored.  Markdown is for pull requests.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "csv", "json", "markdown")
MAX_CELL = 32


def render(
    frame: pd.DataFrame,
    fmt: str,
    *,
    note: Callable[[str], None] | None = None,
    width: int | None = None,
    wide: bool = False,
) -> str:
    """``frame`` in format ``fmt``; ``note`` receives messages meant for stderr."""
    if fmt == "csv":
        return str(frame.to_csv(index=False, lineterminator="\n"))
    if fmt == "json":
        return json.dumps(records(frame), indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "markdown":
        return _tabulate(frame, "github", MAX_CELL * 2) + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if frame.empty:
        return ""
    limit = None if wide else (width or shutil.get_terminal_size((120, 24)).columns)
    return fit_table(frame, limit, note) + "\n"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; NaN and missing become null, numbers stay exact."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): _jsonable(v) for k, v in row.items()})
    return out


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
    import pandas as pd

    return pd.NA


def fit_table(frame: pd.DataFrame, width: int | None, note: Callable[[str], None] | None) -> str:
    """A plain-text table, dropping trailing columns until it fits ``width``."""
    columns = list(frame.columns)
    if width is not None:
        # tabulate's "simple" columns: the widest cell, at least the header plus 2, and two
        # spaces between columns
        used, keep = -2, 0
        for name in columns:
            widest = max([len(str(name)) + 2, *(len(cell(v)) for v in frame[name])])
            if keep and used + 2 + widest > width:
                break
            used, keep = used + 2 + widest, keep + 1
        columns = columns[:keep]
    text = _tabulate(frame[columns], "simple", MAX_CELL)
    hidden = len(frame.columns) - len(columns)
    if hidden and note is not None:
        note(f"{hidden} more column(s) not shown; use --columns, --all-columns or --format csv")
    return text


def _tabulate(frame: pd.DataFrame, style: str, max_cell: int) -> str:
    from tabulate import tabulate

    escape = style == "github"  # a "|" inside a markdown cell would end the cell
    rows = [
        [cell(v, max_cell).replace("|", "\\|") if escape else cell(v, max_cell) for v in row]
        for row in frame.itertuples(index=False, name=None)
    ]
    return tabulate(rows, headers=[str(c) for c in frame.columns], tablefmt=style, disable_numparse=True)


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
