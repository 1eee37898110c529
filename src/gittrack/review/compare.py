"""``gittrack compare``: runs side by side, one column per run, one row per value.

Rows are ``params.<k>``, then for each metric ``metrics.<k>`` (the last value) and
``metrics.<k> (best)`` (the minimum or maximum over its history, by the metric's
direction, see :mod:`gittrack.query.directions`), then ``tags.<k>``.  The frame's first column
``key`` names the row, then comes one column per run headed ``<short id> <name>``, and a
last column ``best`` names, on metric rows, the run column(s) holding the best value; it is
empty when every run has the same value.  That keeps csv/json exact; :func:`mark_best` turns
the ``best`` column into a ``*`` after the best cells for tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import CorruptRunError
from gittrack.query.directions import Direction, direction
from gittrack.review.ls import short_ids
from gittrack.store.config import Config
from gittrack.store.reader import RunRecord, find_run_dir, read_run

if TYPE_CHECKING:
    import pandas as pd

KEY = "key"
BEST = "best"
MARK = " *"


@dataclass(frozen=True)
class Row:
    """One compared value across runs; ``direction`` is set on metric rows only."""

    key: str
    values: list[Any]
    direction: Direction | None = None


def compare(
    store: Path,
    refs: Sequence[str],
    *,
    only_diff: bool = False,
    rev: str | None = None,
    config: Config,
    warn: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Params, metrics (last and best) and tags of the runs ``refs`` (ids, prefixes or names).

    A ref ``REV:RUN`` is the run as committed at git revision REV; a plain ref is read at
    ``rev``, or from the store when ``rev`` is None.
    """
    import pandas as pd

    labelled = load_records(store, refs, rev=rev, warn=warn)
    records = [record for _, record in labelled]
    headers = column_headers(records, revs=[at for at, _ in labelled])
    rows = compare_rows(records, config=config) + dataset_rows(store, labelled)
    if only_diff:
        rows = [row for row in rows if not all_equal(row.values)]
    table: dict[str, list[Any]] = {KEY: [row.key for row in rows]}
    for index, header in enumerate(headers):
        table[header] = [row.values[index] for row in rows]
    table[BEST] = [", ".join(headers[i] for i in best_indices(row)) for row in rows]
    return pd.DataFrame(table, columns=[KEY, *headers, BEST])


def dataset_rows(store: Path, labelled: Sequence[tuple[str | None, RunRecord]]) -> list[Row]:
    """A ``datasets`` row (``name@digest (context)`` per run) when some run logged datasets."""
    from gittrack.review.models import run_datasets

    found = [run_datasets(store, record.run_id, rev=at) for at, record in labelled]
    if not any(found):
        return []
    texts = [", ".join(f"{d.name}@{d.digest} ({d.context or '-'})" for d in ds) or None for ds in found]
    return [Row("datasets", texts)]


def load_records(
    store: Path, refs: Sequence[str], *, rev: str | None = None, warn: Callable[[str], None] | None = None
) -> list[tuple[str | None, RunRecord]]:
    """The runs named by ``refs`` with the revision each was read at (None: the store), in
    the given order, each once; every ref is resolved first.

    A damaged run is left out with a warning naming its file, as every reader does.
    """
    from gittrack.review.show import read_records

    wanted = [split_ref(ref, rev) for ref in refs]
    # refs into revisions in one call: each revision's runs are read from git once
    from_revs = iter(read_records(store, [w for w in wanted if w[0] is not None], warn=warn))
    pairs: list[tuple[str | None, RunRecord]] = []
    for at, ref in wanted:
        if at is not None:
            pairs.append((at, next(from_revs)))
            continue
        try:
            pairs.append((at, read_run(find_run_dir(store, ref, warn))))
        except CorruptRunError as exc:
            (warn or _ignore)(f"skipping run {ref}: {exc}")
    unique = {(at, r.run_id): (at, r) for at, r in pairs}
    return list(unique.values())


def _ignore(message: str) -> None:
    pass


def split_ref(ref: str, rev: str | None) -> tuple[str | None, str]:
    """``main:20261126-1104`` -> ``("main", "20261126-1104")``; a plain ref is read at ``rev``.

    Split at the first ``:``, which no branch or tag name holds.
    """
    at, colon, run = ref.partition(":")
    return (at, run) if colon and at and run else (rev, ref)


def column_headers(records: Sequence[RunRecord], revs: Sequence[str | None] = ()) -> list[str]:
    """``<short id> <name>`` per run: the shortest id prefixes that tell these runs apart;
    ``REV:<short id> <name>`` when the runs come from different revisions."""
    ids = short_ids([r.run_id for r in records])
    pairs = zip(ids, records, strict=True)
    headers = [f"{short} {r.meta.name}" if r.meta.name != r.run_id else short for short, r in pairs]
    if len(set(revs)) > 1:
        headers = [f"{at or 'worktree'}:{h}" for at, h in zip(revs, headers, strict=True)]
    return headers


def compare_rows(records: Sequence[RunRecord], *, config: Config | None) -> list[Row]:
    params = sorted({k for r in records for k in r.params})
    metrics = sorted({k for r in records for k in r.metrics})
    tags = sorted({k for r in records for k in r.tags})
    rows = [Row(f"params.{k}", [r.params.get(k) for r in records]) for k in params]
    for name in metrics:
        way = direction(name, config)
        summaries = [r.metrics.get(name) for r in records]
        rows.append(Row(f"metrics.{name}", [s.last if s else None for s in summaries], way))
        extremes = [(s.min if way == "min" else s.max) if s else None for s in summaries]
        rows.append(Row(f"metrics.{name} (best)", extremes, way))
    rows += [Row(f"tags.{k}", [r.tags.get(k) for r in records]) for k in tags]
    return rows


def best_indices(row: Row) -> list[int]:
    """Positions of the best value in a metric row; none when no run is better than another."""
    if row.direction is None:
        return []
    numbers = [_number(v) for v in row.values]
    present = [v for v in numbers if not math.isnan(v)]
    if not present:
        return []
    best = min(present) if row.direction == "min" else max(present)
    winners = [i for i, v in enumerate(numbers) if v == best]
    return [] if len(winners) == len(numbers) else winners


def all_equal(values: Sequence[Any]) -> bool:
    """Every value the same, missing (None or NaN) counting as one value."""
    first = _normal(values[0]) if values else None
    return all(_normal(v) == first for v in values)


def mark_best(frame: pd.DataFrame) -> pd.DataFrame:
    """For tables: best cells as ``<value> *``, the ``best`` column dropped."""
    from gittrack.review.render import cell

    out = frame.drop(columns=[BEST]).astype(object)
    headers = [str(c) for c in out.columns[1:]]
    for position, winners in enumerate(frame[BEST]):
        for header in _winners(str(winners), headers):
            column = 1 + headers.index(header)
            out.iat[position, column] = cell(out.iat[position, column]) + MARK
    return out


def _winners(text: str, headers: list[str]) -> list[str]:
    # Winners are listed in column order and every header starts with an id prefix of the
    # same length, so a left-to-right walk is exact even when a name holds ", ".
    found, pos = [], 0
    for header in headers:
        end = pos + len(header)
        if text.startswith(header, pos) and (end == len(text) or text.startswith(", ", end)):
            found.append(header)
            pos = end + 2
    return found


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _normal(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value
