"""A run's frame row as index cells: the typed values SQL filters and sorts on.

One cell per present value of a filterable column (``metrics.``/``params.``/``tags.``
keys and the run attributes), holding the two forms the filter language compares with
(:mod:`gittrack.query.filter`): ``txt``, the string MLflow would have stored, and ``num``,
the value as a number (NULL when it is not one), plus ``nan`` for a metric logged as NaN.
A value the frame counts as missing (None, a NaN param) has no cell.  Pandas-free.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from typing import Any

from gittrack.query.frame import DATASETS, NAN_METRICS

Cell = tuple[str, str, str | None, float | None, int]  # (column, run id, txt, num, nan)

_SKIPPED = frozenset({NAN_METRICS, DATASETS, "git.commit", "git.branch", "git.dirty"})


def text_of(value: object) -> str:
    """The form MLflow would have stored: 42 is '42', True is 'True', 0.1 is '0.1'."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def number_of(value: object) -> float | None:
    """The value as a number, None when it is not one (a bool, a word, NaN)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
    elif isinstance(value, str) and "_" not in value:  # float() accepts '1_000'; we do not
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return None if math.isnan(number) else number


def cells_of(row: dict[str, Any]) -> list[Cell] | None:
    """The cells of one frame row; None when a text cannot be stored as UTF-8 (a lone
    surrogate), so the run must be answered from the DataFrame instead."""
    run_id = row["run_id"]
    cells: list[Cell] = []
    for column, value in row.items():
        if column in _SKIPPED or value is None:
            continue
        if column.startswith("metrics."):
            if not (column.isascii() or _utf8(column)):
                return None
            if math.isnan(value):
                cells.append((column, run_id, None, None, 1))
            else:
                cells.append((column, run_id, None, float(value), 0))
            continue
        if isinstance(value, float) and math.isnan(value):
            continue  # missing to the frame
        text = text_of(value)
        if not (text.isascii() or _utf8(text)) or not (column.isascii() or _utf8(column)):
            return None
        cells.append((column, run_id, text, number_of(value), 0))
    return cells


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def like_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Translate a SQL LIKE pattern into an anchored regex (use with fullmatch).

    Only '%' and '_' are special; every other character is escaped, so user text
    never reaches the regex engine as a pattern.  Runs of '%' collapse into one
    '.*' to keep matching linear-ish on patterns such as '%%%%x'.
    """
    parts = []
    for char in re.sub("%+", "%", pattern):
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    flags = re.DOTALL | re.IGNORECASE if ignore_case else re.DOTALL
    return re.compile("".join(parts), flags)


_JSON_EXACT = (str, int, float, bool, type(None))  # the types JSON gives back unchanged


def encode_row(row: dict[str, Any]) -> str | None:
    """The row as JSON, or None when JSON would not give back the same values.

    Such a row (a hand-written YAML date in params.yaml, say) is left out of the index,
    so that run is read from its files every time rather than answered with other types.
    """
    if all(type(v) in _JSON_EXACT for v in row.values()):
        return json.dumps(row)  # NaN and inf are written as JSON's NaN/Infinity extension
    return None


def row_kinds(row: dict[str, Any]) -> str:
    """The row's keys as JSON ``[string-valued, other values, missing]``: over all runs this
    tells the dtype pandas gives each column of the whole frame (strings only: ``str``)."""
    kinds: tuple[list[str], list[str], list[str]] = ([], [], [])
    for key, value in sorted(row.items()):
        missing = value is None or (isinstance(value, float) and value != value)
        kinds[2 if missing else 0 if isinstance(value, str) else 1].append(key)
    return json.dumps(kinds)
