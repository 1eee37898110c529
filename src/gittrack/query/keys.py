"""Names the user typed that no run has: one check, one message, the near miss from difflib.

A metric, param, tag or column named in an option (``--sort``, ``--columns``, ``--group-by``,
``best -m``, ``--fail-if-worse``...) must be one that some run *in scope* has (the runs the
command looks at: its experiments, at its revision); otherwise a typo would give an empty or
wrong answer with exit status 0.  :func:`check_known` raises :class:`UnknownKeyError`
naming the closest known name (``difflib.get_close_matches``), or listing the known ones.

A filter keeps MLflow's meaning (a key no run has matches nothing, and ``IS NULL`` matches
every run), so :func:`unknown_in_filter` only returns one message per such key, for front
ends to print as a warning.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from gittrack.errors import UnknownKeyError

if TYPE_CHECKING:
    import pandas as pd

DATA_KINDS = ("params", "metrics", "tags")
_LISTED = 8  # known names listed when none is close


def present_columns(frame: pd.DataFrame) -> set[str]:
    """The ``params.``/``metrics.``/``tags.`` columns of ``frame`` with a value in some run."""
    data = [c for c in frame.columns if c.partition(".")[0] in DATA_KINDS]
    if not data or frame.empty:
        return set()
    filled = frame[data].notna().any()
    return {str(c) for c in data if bool(filled[c])}


def names_of(kind: str, columns: Iterable[str]) -> set[str]:
    """Keys of one kind among frame columns: ``metrics.rmse`` -> ``rmse`` for ``metrics``."""
    prefix = f"{kind}."
    return {c[len(prefix) :] for c in columns if c.startswith(prefix)}


def near(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name`` (difflib's ratio at least 0.6), None when none is.

    For a frame column (``metrics.acuracy``) only the keys are compared, or the shared
    ``metrics.`` would make every metric look close: the same key of another kind comes
    first (``metrics.alpha`` when ``params.alpha`` exists), then the closest key of the
    same kind."""
    candidates = sorted(set(known))
    kind, dot, key = name.partition(".")
    if dot and kind in DATA_KINDS:
        for other in DATA_KINDS:
            if f"{other}.{key}" in candidates:
                return f"{other}.{key}"
        same = names_of(kind, candidates)
        found = difflib.get_close_matches(key, sorted(same), n=1, cutoff=0.6)
        return f"{kind}.{found[0]}" if found else None
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_message(name: str, known: Collection[str], *, what: str = "", where: str = "") -> str:
    """``no run has metric 'acuracy'; did you mean 'accuracy'?`` (the known names when none is
    close).  ``what`` names the kind (``metric``), ``where`` the scope (`` in experiment 'x'``)."""
    label = f"{what} {name!r}" if what else repr(name)
    return f"no run{where} has {label}{hint(name, known, none=f'no run{where} has any')}"


def hint(name: str, known: Collection[str], *, none: str = "there are none") -> str:
    """``; did you mean 'accuracy'?``, else ``; known: a, b, c`` (or ``; `` + ``none``)."""
    match = near(name, known)
    if match is not None:
        return f"; did you mean {match!r}?"
    if not known:
        return f"; {none}"
    # params./metrics./tags. keys first; MLflow's system tags (tags.mlflow.*) are valid but
    # every run has them, so they are not worth the room in a one-line message
    listed = sorted((k for k in known if not k.startswith("tags.mlflow.")), key=lambda k: ("." not in k, k))
    listed = listed or sorted(known)
    return "; known: " + ", ".join(listed[:_LISTED]) + (", ..." if len(listed) > _LISTED else "")


def check_known(
    names: Iterable[str], known: Collection[str], *, option: str, what: str = "", where: str = ""
) -> None:
    """Raise :class:`UnknownKeyError` for the first of ``names`` not in ``known``."""
    for name in names:
        if name not in known:
            raise UnknownKeyError(f"{option}: {unknown_message(name, known, what=what, where=where)}")


def check_data_columns(
    columns: Iterable[str], known: Collection[str], *, option: str, where: str = ""
) -> None:
    """:func:`check_known` for frame columns; attributes (``start_time``...) always exist."""
    check_known([c for c in columns if c.partition(".")[0] in DATA_KINDS], known, option=option, where=where)


def filter_columns(filter_string: str | None) -> list[str]:
    """The frame columns a filter names, in order, each once (from the parser's syntax tree)."""
    from gittrack.query.filter_parse import parse_filter

    return list(dict.fromkeys(_columns(parse_filter(filter_string))))


def _columns(node: Any) -> Iterator[str]:
    if node is None:
        return
    ident = getattr(node, "ident", None)
    if ident is not None:
        yield str(ident.column)
    for operand in getattr(node, "operands", ()):
        yield from _columns(operand)


def unknown_in_filter(filter_string: str | None, known: Collection[str], *, where: str = "") -> list[str]:
    """One message per ``params.``/``metrics.``/``tags.`` key of the filter that no run has."""
    return [
        f"filter: {unknown_message(column, known, where=where)}"
        for column in filter_columns(filter_string)
        if column.partition(".")[0] in DATA_KINDS and column not in known
    ]


def scope_text(experiments: Sequence[str] | str | None = None, rev: str | None = None) -> str:
    """`` in experiment 'x'`` / `` in experiments 'x', 'y'``, then `` at REV``; '' for every run."""
    wanted = [experiments] if isinstance(experiments, str) else list(experiments or [])
    text = ""
    if wanted:
        listed = ", ".join(repr(e) for e in wanted)
        text = f" in experiment{'s' if len(wanted) > 1 else ''} {listed}"
    return text + (f" at {rev}" if rev else "")
