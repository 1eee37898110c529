"""Queries answered in SQL over the run index, materialising only the rows returned.

:func:`search_rows` evaluates a parsed filter and order-by over the index's cells
(:mod:`gittrack.query.cells`) and gives back the frame rows of the runs returned, in
order, so ``ls`` and ``search_runs`` read a handful of rows out of 100,000 instead of
building the whole frame.  It gives exactly the answer of the DataFrame path
(:func:`gittrack.query.filter.filter_frame` and :func:`~gittrack.query.filter.sort_frame`),
which tests check on generated stores, filters and orders:

- a comparison matches only runs that have the key (a cell); ``IS NULL`` the others;
- a quoted value compares with ``txt`` (SQLite's binary order is Python's code-point
  order), an unquoted number with ``num``; ``LIKE``/``ILIKE`` use the same regex as the
  DataFrame path; a metric logged as NaN matches ``!=`` and ``NOT IN`` only;
- sorting puts missing values last, a metric's NaN after its numbers, a param's numbers
  before its strings (unless ``params_as_text``), then ``start_time DESC, run_id``.

It answers None, and the caller uses the DataFrame path, for what it does not cover:
``datasets.`` keys, ``artifact_uri``, ``lifecycle_stage`` named while an experiment is
deleted, and stores with a run whose row the index cannot hold.  Pandas-free.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from gittrack.query import index, memo
from gittrack.query.cells import like_regex
from gittrack.query.filter_parse import BoolOp, Comparison, Expr, Membership, NullCheck, OrderKey
from gittrack.store import layout

_TIEBREAKERS = (OrderKey("start_time", ascending=False), OrderKey("run_id", ascending=True))
_NUMERIC = frozenset({"start_time", "end_time", "duration"})
_STRING_COLUMNS = ("run_id", "experiment_id", "lifecycle_stage")


T = TypeVar("T")


class _Unsupported(Exception):
    """The query needs the DataFrame path."""


def search_rows(
    store: Path,
    *,
    expr: Expr | None,
    keys: Sequence[OrderKey],
    experiments: Sequence[str] | None,
    view: str,
    limit: int | None,
    deleted: set[str],
    params_as_text: bool,
    warn: Callable[[str], None],
    fresh: bool = False,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], list[str], set[str]] | None:
    """The frame rows matching, sorted and limited, every column of the store's frame (the
    DataFrame path's columns) and the columns holding only strings there; None when the
    DataFrame path must answer.  ``fresh``: the caller has just had :func:`present_keys`
    (or :func:`count_rows`) answer for it, so the index is up to date.  ``offset``: rows
    of the sorted answer skipped before the ``limit`` (a page)."""
    try:
        where, args = _scope(experiments, view, deleted)
        walk = where, list(args)
        if expr is not None:
            sql, more = _condition(expr, deleted, correlated=False)
            where, args = f"{where} AND ({sql})", args + more
            sql, more = _condition(expr, deleted, correlated=True)
            walk = f"{walk[0]} AND ({sql})", walk[1] + more
        joins, order, join_args = _order(keys, deleted, params_as_text)
    except _Unsupported:
        return None
    if not fresh and not index.refresh(store, warn):
        return None
    db = _open(store)
    if db is None:
        return None
    try:
        # the SQL is built from fixed fragments; every value from the query is a bound parameter
        found = None
        if limit is not None and not offset and expr is not None and order == _NEWEST_FIRST:
            found = _newest_matching(db, walk, limit)
        if found is None:
            picked = (
                "r.run_id" if offset else "r.row"
            )  # past an offset, sort ids: skipped rows are never read
            query = f"SELECT {picked} FROM runs r {joins} WHERE {where} ORDER BY {order}"  # noqa: S608
            if limit is not None or offset:
                query += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
            found = [r[0] for r in db.execute(query, join_args + args)]
        rows = _rows_of(db, found) if offset else [json.loads(text) for text in found]
        columns, kept = memo.memoised(store, db, "columns", _columns)
    except sqlite3.Error:
        return None  # locked or damaged meanwhile: the DataFrame path answers
    finally:
        db.close()
    if deleted:
        for row in rows:
            if row.get("experiment_id") in deleted:
                row["lifecycle_stage"] = "deleted"
    return rows, columns, set(kept)


_NEWEST_FIRST = "r.start DESC, r.run_id ASC"  # the default order, as :func:`_order` writes it
WINDOW = 5000  # newest runs a filtered, limited query looks through before it searches all


def _newest_matching(db: sqlite3.Connection, walk: tuple[str, list[Any]], limit: int) -> list[str] | None:
    """The first ``limit`` matching rows in the default order, found among the
    :data:`WINDOW` newest runs, each tested where it stands (``walk``: correlated
    conditions); None when fewer match there (then every run is searched).  A filter most
    runs pass (``metrics.rmse < 0.5``) stops after a few dozen runs instead of listing
    every match."""
    inner = f"SELECT * FROM runs ORDER BY {_NEWEST_FIRST.replace('r.', '')} LIMIT {WINDOW}"  # noqa: S608
    query = f"SELECT r.row FROM ({inner}) r WHERE {walk[0]} ORDER BY {_NEWEST_FIRST} LIMIT {int(limit)}"  # noqa: S608
    found = [r[0] for r in db.execute(query, walk[1])]
    return found if len(found) == limit else None


def _rows_of(db: sqlite3.Connection, run_ids: list[str]) -> list[dict[str, Any]]:
    """The frame rows of ``run_ids``, in that order."""
    query = "SELECT run_id, row FROM runs WHERE run_id IN (SELECT value FROM json_each(?))"
    texts = dict(db.execute(query, (json.dumps(run_ids),)).fetchall())
    if not texts.keys() >= set(run_ids):  # a writer removed one in between: the frame answers
        raise sqlite3.OperationalError("the index changed while it was read")
    return [json.loads(texts[run_id]) for run_id in run_ids]


def count_rows(
    store: Path,
    *,
    expr: Expr | None,
    experiments: Sequence[str] | None,
    view: str,
    deleted: set[str],
    warn: Callable[[str], None],
) -> tuple[int, set[str]] | None:
    """How many runs :func:`search_rows` would match with no limit, and the ``params.``/
    ``metrics.``/``tags.`` columns some of them have a value for; None: use the frame.
    It brings the index up to date, so a :func:`search_rows` right after may pass ``fresh``."""
    try:
        where, args = _scope(experiments, view, deleted)
        if expr is not None:
            sql, more = _condition(expr, deleted, correlated=False)
            where, args = f"{where} AND ({sql})", args + more
    except _Unsupported:
        return None
    if not index.refresh(store, warn):
        return None
    stamp, key = index.stamp(store), (store, where, json.dumps(args))
    kept = _counts.get(key)
    if kept is not None and stamp is not None and kept[0] == stamp:
        return kept[1]  # the index file has not changed since: the same answer
    db = _open(store)
    if db is None:
        return None
    try:  # the count from runs_by_experiment; a few distinct key lists; no row decoded
        count = int(db.execute(f"SELECT COUNT(*) FROM runs r WHERE {where}", args).fetchone()[0])  # noqa: S608
        found = db.execute(f"SELECT DISTINCT r.filled FROM runs r WHERE {where}", args).fetchall()  # noqa: S608
    except sqlite3.Error:
        return None
    finally:
        db.close()
    keys = {k for (text,) in found for k in json.loads(text)}
    answer = count, {k for k in keys if k.partition(".")[0] in ("params", "metrics", "tags")}
    while len(_counts) >= _MAX_COUNTS:
        del _counts[next(iter(_counts))]
    _counts[key] = (stamp, answer)
    return answer


# count_rows' answers by (store, condition, arguments), while the index file is unchanged:
# paging through a query counts it once.  A few dozen, oldest dropped first.
_counts: dict[tuple[Path, str, str], tuple[index.Stamp, tuple[int, set[str]]]] = {}
_MAX_COUNTS = 64


def present_keys(
    store: Path,
    *,
    experiments: Sequence[str] | None,
    view: str,
    deleted: set[str],
    warn: Callable[[str], None],
) -> tuple[bool, set[str]] | None:
    """Whether any run is in scope, and the ``params.``/``metrics.``/``tags.`` columns some
    run in scope has a value for (:func:`gittrack.query.keys.present_columns` of the
    scope's frame); None: use the frame."""
    where, args = _scope(experiments, view, deleted)
    if not index.refresh(store, warn):
        return None
    db = _open(store)
    if db is None:
        return None

    def compute(db: sqlite3.Connection) -> list[Any]:
        query = f"SELECT DISTINCT r.filled FROM runs r WHERE {where}"  # noqa: S608 - values are bound
        found = db.execute(query, args).fetchall()
        keys = {k for (text,) in found for k in json.loads(text)}
        return [bool(found), sorted(k for k in keys if k.partition(".")[0] in ("params", "metrics", "tags"))]

    try:
        scope = json.dumps(["present", sorted(experiments or []), view, sorted(deleted)])
        present = memo.memoised(store, db, scope, compute)
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return bool(present[0]), set(present[1])


def experiment_starts(store: Path, warn: Callable[[str], None]) -> dict[str, int] | None:
    """:func:`gittrack.query.search.experiment_starts` from the index; None: use the frame."""
    if not index.refresh(store, warn):
        return None
    db = _open(store)
    if db is None:
        return None
    try:
        query = "SELECT exp, MIN(start) FROM runs WHERE exp IS NOT NULL GROUP BY exp"
        found = memo.memoised(store, db, "starts", lambda db: [list(r) for r in db.execute(query)])
    except sqlite3.Error:
        return None
    finally:
        db.close()
    if any(start is None for _exp, start in found):
        return None  # an experiment whose runs have no start time: the frame says what that means
    return {str(exp): int(start) for exp, start in found}


def clear_memory() -> None:
    """Forget the memoised answers."""
    memo.clear_memory()
    _counts.clear()


def _open(store: Path) -> sqlite3.Connection | None:
    path = store / layout.CACHE_DIR / index.INDEX_FILE
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
        if db.execute("PRAGMA user_version").fetchone()[0] != index.SCHEMA_VERSION:
            db.close()
            return None
    except sqlite3.Error:
        return None
    db.create_function("gt_like", 3, _like, deterministic=True)
    return db


def _columns(db: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """Every column of the store's frame, in its order, and those holding only strings."""
    from gittrack.query.frame import ATTRIBUTE_COLUMNS, by_kind

    keys: dict[str, None] = dict.fromkeys(ATTRIBUTE_COLUMNS)
    strings: set[str] = set()
    others: set[str] = set()
    for (text,) in db.execute("SELECT DISTINCT keys FROM runs"):
        kinds = json.loads(text)
        strings.update(kinds[0])
        others.update(kinds[1])
        keys.update(dict.fromkeys(k for kind in kinds for k in kind))
    extra = by_kind(sorted(k for k in keys if k not in ATTRIBUTE_COLUMNS))
    return [*ATTRIBUTE_COLUMNS, *extra], sorted(strings - others)


_patterns: dict[tuple[str, int], Any] = {}


def _like(pattern: str, ignore_case: int, text: str | None) -> int:
    if text is None:
        return 0
    regex = _patterns.get((pattern, ignore_case))
    if regex is None:
        regex = _patterns[(pattern, ignore_case)] = like_regex(pattern, bool(ignore_case))
    return int(regex.fullmatch(text) is not None)


def _stage(deleted: set[str]) -> tuple[str, list[Any]]:
    """The effective lifecycle stage: runs of a deleted experiment count as deleted."""
    if not deleted:
        return "r.stage", []
    marks = ", ".join("?" * len(deleted))
    return f"(CASE WHEN r.exp IN ({marks}) THEN 'deleted' ELSE r.stage END)", sorted(deleted)


def _scope(experiments: Sequence[str] | None, view: str, deleted: set[str]) -> tuple[str, list[Any]]:
    clauses, args = ["1"], []
    if view != "all":
        stage, stage_args = _stage(deleted)
        clauses.append(f"{stage} = ?")
        args += [*stage_args, view]
    if experiments:
        wanted = list(experiments)
        clauses.append(f"r.exp IN ({', '.join('?' * len(wanted))})")
        args += wanted
    return " AND ".join(clauses), args


def _condition(expr: Expr, deleted: set[str], *, correlated: bool) -> tuple[str, list[Any]]:
    """``expr`` as SQL over ``runs r``: each comparison a set of matching run ids, or
    (``correlated``) a test of run ``r``'s own cell, cheaper when few rows are looked at."""
    if isinstance(expr, BoolOp):
        parts = [_condition(e, deleted, correlated=correlated) for e in expr.operands]
        joined = f" {expr.op} ".join(f"({p[0]})" for p in parts)
        return joined, [a for p in parts for a in p[1]]
    ident = expr.ident
    if ident.kind == "datasets" or ident.column == "artifact_uri":
        raise _Unsupported
    if ident.column == "lifecycle_stage" and deleted:
        raise _Unsupported
    column = ident.column
    if correlated:
        cells = "EXISTS (SELECT 1 FROM cells c WHERE c.col = ? AND c.run_id = r.run_id"
    else:
        cells = "r.run_id IN (SELECT run_id FROM cells WHERE col = ?"
    if isinstance(expr, NullCheck):
        has = f"{cells})"
        return (has if expr.negated else f"NOT {has}"), [column]
    cond, args = _cell_condition(expr, metric=ident.kind == "metrics")
    return f"{cells} AND ({cond}))", [column, *args]


def _cell_condition(expr: Comparison | Membership, metric: bool) -> tuple[str, list[Any]]:
    if isinstance(expr, Membership):
        strings = [v for v in expr.values if isinstance(v, str)]
        floats = [float(v) for v in expr.values if not isinstance(v, str)]
        parts: list[tuple[str, list[Any]]] = []
        if strings:
            parts.append(
                (f"txt {'NOT ' if expr.negated else ''}IN ({', '.join('?' * len(strings))})", strings)
            )
        if floats:
            marks = ", ".join("?" * len(floats))
            if expr.negated:
                test = f"(num NOT IN ({marks}) OR nan = 1)" if metric else f"(num NOT IN ({marks}))"
            else:
                test = f"num IN ({marks})"
            parts.append((test, floats))
        joined = (" AND " if expr.negated else " OR ").join(p[0] for p in parts)
        return joined, [a for p in parts for a in p[1]]
    if expr.op in ("LIKE", "ILIKE"):
        return "gt_like(?, ?, txt)", [str(expr.value), int(expr.op == "ILIKE")]
    op = _SQL_OPERATORS[expr.op]
    if isinstance(expr.value, str):
        return f"txt {op} ?", [expr.value]
    if metric and op == "!=":
        return "(num != ? OR nan = 1)", [float(expr.value)]
    return f"num {op} ?", [float(expr.value)]


_SQL_OPERATORS = {op: op for op in ("=", "!=", "<", "<=", ">", ">=")}


def _order(keys: Sequence[OrderKey], deleted: set[str], params_as_text: bool) -> tuple[str, str, list[Any]]:
    """LEFT JOINs of each order key's cells and the ORDER BY terms, as ``sort_frame`` orders."""
    keys = list(keys) or [_TIEBREAKERS[0]]
    seen = {k.column for k in keys}
    keys += [k for k in _TIEBREAKERS if k.column not in seen]
    joins, terms, args = [], [], []
    for i, key in enumerate(keys):
        column, way = key.column, "ASC" if key.ascending else "DESC"
        if column == "artifact_uri" or (column == "lifecycle_stage" and deleted):
            raise _Unsupported
        if column == "run_id":
            terms.append(f"r.run_id {way}")
            continue
        if column == "start_time" and not key.ascending:
            terms.append("r.start DESC")  # NULL sorts last in DESC: the index's order
            continue
        k = f"k{i}"
        joins.append(f"LEFT JOIN cells {k} ON {k}.col = ? AND {k}.run_id = r.run_id")
        args.append(column)
        missing = f"({k}.run_id IS NULL)"
        if column.startswith("metrics.") or column in _NUMERIC:
            terms += [missing, f"COALESCE({k}.nan, 0)", f"{k}.num {way}"]
        elif column.startswith("params.") and not params_as_text:
            terms += [missing, f"({k}.num IS NULL) {way}", f"{k}.num {way}"]
            terms.append(f"(CASE WHEN {k}.num IS NULL THEN {k}.txt ELSE '' END) {way}")
        else:
            terms += [missing, f"{k}.txt {way}"]
    return " ".join(joins), ", ".join(terms), args
