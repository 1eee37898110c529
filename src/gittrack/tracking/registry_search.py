"""MLflow's registry search language: filters, order-by keys and page tokens.

``search_registered_models`` filters on ``name`` and ``tags.<key>``;
``search_model_versions`` on ``name``, ``run_id``, ``source_path``, ``version_number``
and ``tags.<key>``.  Conditions are joined by AND; operators are ``= != < <= > >=``
(numbers), ``LIKE``/``ILIKE`` (text) and ``IN``/``NOT IN``.  The tokens come from the run
filter's lexer; nothing the user writes is evaluated.  Page tokens are MLflow's: the
offset of the next page as base64 JSON.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from gittrack.errors import FilterError
from gittrack.query.filter_lex import Problem, Token, tokenize
from gittrack.tracking import paging
from gittrack.tracking.paging import PagedList

T = TypeVar("T")
Row = Mapping[str, Any]
Test = Callable[[Row], bool]

MODEL_FIELDS = {"name": "text"}
VERSION_FIELDS = {"name": "text", "run_id": "text", "source_path": "text", "version_number": "number"}
_ORDERS = {
    "name": "name",
    "version_number": "version_number",
    "creation_timestamp": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
    "timestamp": "last_updated_timestamp",
}
_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def parse_filter(text: str | None, fields: Mapping[str, str]) -> Test:
    """A predicate on rows (``{"name": ..., "tags": {...}}``) for a registry filter string."""
    if text is None or not text.strip():
        return lambda row: True
    try:
        return _Conditions(tokenize(text), fields).parse()
    except Problem as problem:
        raise FilterError(problem.message, problem.pos + 1) from None


class _Conditions:
    def __init__(self, tokens: list[Token], fields: Mapping[str, str]) -> None:
        self.tokens, self.fields, self.index = tokens, fields, 0

    def next(self) -> Token:
        token = self.tokens[self.index]
        self.index += token.kind != "EOF"
        return token

    def word(self, *words: str) -> bool:
        token = self.tokens[self.index]
        if token.kind == "WORD" and token.text.upper() in words:
            self.index += 1
            return True
        return False

    def parse(self) -> Test:
        tests = [self.condition()]
        while self.word("AND"):
            tests.append(self.condition())
        end = self.next()
        if end.kind != "EOF":
            raise Problem(f"expected AND or the end of the filter, got {end.describe()}", end.pos)
        return lambda row: all(test(row) for test in tests)

    def condition(self) -> Test:
        field, kind = self.identifier()
        if self.word("NOT"):
            if not self.word("IN"):
                raise Problem("expected IN after NOT", self.tokens[self.index].pos)
            values = self.values(kind)
            return lambda row: (v := _get(row, field)) is not None and v not in values
        if self.word("IN"):
            values = self.values(kind)
            return lambda row: _get(row, field) in values
        if self.word("LIKE", "ILIKE"):
            ignore_case = self.tokens[self.index - 1].text.upper() == "ILIKE"
            pattern = self.value("text")
            return _like(field, str(pattern), ignore_case)
        op = self.next()
        if op.kind != "OP" or op.text not in _COMPARE or (kind == "text" and op.text not in ("=", "!=")):
            allowed = "=, !=, <, <=, >, >=, IN" if kind == "number" else "=, !=, LIKE, ILIKE, IN"
            raise Problem(f"expected one of {allowed}, got {op.describe()}", op.pos)
        value = self.value(kind)
        compare = _COMPARE[op.text]
        return lambda row: (v := _get(row, field)) is not None and bool(compare(v, value))

    def identifier(self) -> tuple[str, str]:
        token = self.next()
        if token.kind != "WORD":
            raise Problem(f"expected a field such as name or tags.<key>, got {token.describe()}", token.pos)
        head, dot, key = token.text.partition(".")
        if head.lower() in ("tags", "tag") and dot:
            if not key:
                quoted = self.next()
                if quoted.kind not in ("BTICK", "DQUOTE"):
                    raise Problem("expected a tag key after 'tags.'", quoted.pos)
                key = str(quoted.value)
            return f"tags.{key}", "text"
        name = token.text.lower().removeprefix("attributes.").removeprefix("attribute.")
        if name not in self.fields:
            known = ", ".join([*self.fields, "tags.<key>"])
            raise Problem(f"unknown field '{token.text}': filter on {known}", token.pos)
        return name, self.fields[name]

    def value(self, kind: str) -> Any:
        token = self.next()
        if kind == "number" and token.kind in ("NUMBER", "STRING", "DQUOTE"):
            try:
                return int(float(str(token.value)))
            except ValueError:
                raise Problem(f"expected a number, got {token.describe()}", token.pos) from None
        if kind == "text" and token.kind in ("STRING", "DQUOTE"):
            return str(token.value)
        what = "a number" if kind == "number" else "a quoted string"
        raise Problem(f"expected {what}, got {token.describe()}", token.pos)

    def values(self, kind: str) -> set[Any]:
        opening = self.next()
        if opening.kind != "LPAREN":
            raise Problem(f"expected '(' after IN, got {opening.describe()}", opening.pos)
        found = {self.value(kind)}
        while (token := self.next()).kind == "COMMA":
            found.add(self.value(kind))
        if token.kind != "RPAREN":
            raise Problem(f"expected ',' or ')', got {token.describe()}", token.pos)
        return found


def _get(row: Row, field: str) -> Any:
    if field.startswith("tags."):
        return row.get("tags", {}).get(field[len("tags.") :])
    return row.get(field)


def _like(field: str, pattern: str, ignore_case: bool) -> Test:
    from gittrack.query.filter import like_regex

    regex = like_regex(pattern, ignore_case)
    return lambda row: (v := _get(row, field)) is not None and regex.fullmatch(str(v)) is not None


def sort_rows(
    rows: list[T], order_by: Sequence[str] | None, key_of: Callable[[T], Row], default: list[str]
) -> list[T]:
    """Rows sorted by MLflow order-by keys (``name ASC``, ``version_number DESC``...)."""
    keys = list(order_by or []) or default
    ordered = list(rows)
    for text in reversed(keys):  # stable sorts, least significant key first
        words = text.split()
        field = _ORDERS.get(words[0].lower()) if words else None
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if field is None or len(words) > 2 or direction not in ("ASC", "DESC"):
            known = ", ".join(_ORDERS)
            raise FilterError(f"invalid order-by key {text!r}: use one of {known}, then ASC or DESC")
        ordered.sort(key=lambda r, f=field: key_of(r).get(f) or 0, reverse=direction == "DESC")  # type: ignore[misc]
    return ordered


def page(rows: list[T], max_results: int | None, page_token: str | None, *, threshold: int) -> PagedList[T]:
    """The page of ``rows`` that ``page_token`` asks for, with the next page's token (MLflow's
    paging, :mod:`gittrack.tracking.paging`); ``max_results`` None is every row."""
    if max_results is None:
        return PagedList(rows[paging.offset_of(page_token) :])
    return paging.page(rows, page_token, paging.check_max_results(max_results, threshold=threshold))
