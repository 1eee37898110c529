"""Recursive-descent parser for run filters and order-by keys.

The language is MLflow's ``search_runs`` filter syntax plus ``OR`` and
parentheses::

    filter     := and_expr (OR and_expr)*
    and_expr   := primary (AND primary)*
    primary    := '(' filter ')' | comparison
    comparison := identifier ( ('=' | '!=' | '<' | '<=' | '>' | '>=') value
                             | (LIKE | ILIKE) string
                             | [NOT] IN '(' value (',' value)* ')'
                             | IS [NOT] NULL )
    identifier := prefix '.' (key | `quoted key` | "quoted key")
    order_by   := identifier [ASC | DESC] (',' identifier [ASC | DESC])*

The tokens come from :mod:`gittrack.query.filter_lex`.  Parsing only builds the small
AST below; user text is never evaluated.  Type errors (a string against a metric, LIKE
with a number) are raised here rather than during evaluation so that they carry the
column of the offending token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from gittrack.errors import FilterError
from gittrack.query.filter_lex import Problem, Token, tokenize
from gittrack.query.schema import EXPERIMENTS as EXPERIMENTS
from gittrack.query.schema import RUNS, Schema

# MLflow accepts each prefix in several spellings.
_PREFIX_SPELLINGS = {
    "metrics": ("metrics", "metric"),
    "params": ("params", "param", "parameters", "parameter"),
    "tags": ("tags", "tag"),
    "attributes": ("attributes", "attribute", "attr", "run"),
}
_PREFIX_SPELLINGS["datasets"] = ("datasets", "dataset")
_PREFIXES = {alias: kind for kind, aliases in _PREFIX_SPELLINGS.items() for alias in aliases}
_SINGULAR = {
    "metrics": "metric",
    "params": "param",
    "tags": "tag",
    "attributes": "attribute",
    "datasets": "dataset",
}

_COMPARATORS = ("=", "!=", "<", "<=", ">", ">=")
_ORDERING = ("<", "<=", ">", ">=")
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "ASC", "DESC"})
_OPERATOR_LIST = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL or IS NOT NULL"

_VALUE_KINDS = ("STRING", "DQUOTE", "NUMBER")
DATASET_KEYS = ("name", "digest", "context")  # what MLflow's datasets. filters name
EMPTY_KEY = "\x00"  # stands for a quoted empty key until the identifier is built

Value: TypeAlias = "str | float"
T = TypeVar("T")


@dataclass(frozen=True)
class Identifier:
    kind: str  # metrics, params, tags, attributes or datasets
    key: str
    type: str = "any"  # "number" or "string" when it compares only with those

    @property
    def column(self) -> str:
        """The DataFrame column holding this identifier's values."""
        return self.key if self.kind == "attributes" else f"{self.kind}.{self.key}"

    @property
    def numeric(self) -> bool:
        """Compares only with numbers."""
        return self.type == "number"

    @property
    def textual(self) -> bool:
        """Compares only with strings."""
        return self.type == "string"

    def describe(self) -> str:
        return f"{_SINGULAR[self.kind]} '{self.key}'"


@dataclass(frozen=True)
class Comparison:
    ident: Identifier
    op: str  # = != < <= > >= LIKE ILIKE
    value: Value  # str when quoted, float when an unquoted number


@dataclass(frozen=True)
class Membership:
    ident: Identifier
    values: tuple[Value, ...]
    negated: bool  # NOT IN


@dataclass(frozen=True)
class NullCheck:
    ident: Identifier
    negated: bool  # IS NOT NULL


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND or OR
    operands: tuple[Expr, ...]


Expr: TypeAlias = "Comparison | Membership | NullCheck | BoolOp"


@dataclass(frozen=True)
class OrderKey:
    column: str  # the DataFrame column, e.g. "metrics.rmse" or "start_time"
    ascending: bool = True


def _make_identifier(prefix: str, key: str, pos: int = 0, schema: Schema = RUNS) -> Identifier:
    kind = _PREFIXES.get(prefix.lower())
    if kind is None or kind not in schema.kinds:
        allowed = _either([f"{k}." for k in _PREFIX_SPELLINGS if k in schema.kinds])
        of = "" if schema is RUNS else f" for {schema.what}"
        raise Problem(f"unknown prefix '{prefix}'{of}: expected {allowed}", pos)
    if not key:
        raise Problem(f"empty key after '{prefix}.'", pos)
    if key == EMPTY_KEY:  # metrics.`` names no metric: it matches no run, as in MLflow
        key = ""
    if kind == "metrics":
        return Identifier(kind, key, "number")
    if kind == "datasets":
        if key.lower() not in DATASET_KEYS:
            raise Problem(f"unknown dataset key '{key}': expected one of {', '.join(DATASET_KEYS)}", pos)
        return Identifier(kind, key.lower(), "string")
    if kind != "attributes":
        return Identifier(kind, key)
    return _attribute(key, schema, pos)


def _attribute(spelling: str, schema: Schema, pos: int) -> Identifier:
    name = schema.attribute(spelling)
    if name is None:
        of = "" if schema is RUNS else f" of {schema.what}"
        raise Problem(f"unknown attribute '{spelling}'{of}: expected one of {schema.attribute_list()}", pos)
    return Identifier("attributes", name, "number" if name in schema.numbers else "string")


class _Parser:
    def __init__(self, text: str, schema: Schema = RUNS) -> None:
        self.schema = schema
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def accept(self, *words: str) -> Token | None:
        token = self.peek()
        if token.kind == "WORD" and token.text.upper() in words:
            return self.advance()
        return None

    def expect_end(self, expected: str) -> None:
        token = self.peek()
        if token.kind == "RPAREN":
            raise Problem("unbalanced ')': there is no '(' to close", token.pos)
        if token.kind != "EOF":
            raise Problem(f"expected {expected}, got {token.describe()}", token.pos)

    def filter(self) -> Expr:
        # MLflow ignores a dangling AND at either end of a filter; so do we.
        if self.peek().kind == "WORD" and self.peek().text.upper() == "AND":
            self.advance()
        expr = self.chain("OR", self.and_expr)
        self.expect_end("AND, OR or the end of the filter")
        return expr

    def and_expr(self) -> Expr:
        return self.chain("AND", self.primary)

    def chain(self, word: str, operand: Callable[[], Expr]) -> Expr:
        operands = [operand()]
        while self.accept(word):
            if word == "AND" and self.peek().kind == "EOF":
                break  # a trailing AND, as MLflow reads it: ignored
            operands.append(operand())
        return operands[0] if len(operands) == 1 else BoolOp(word, tuple(operands))

    def primary(self) -> Expr:
        opening = self.peek()
        if opening.kind != "LPAREN":
            return self.comparison()
        self.advance()
        expr = self.chain("OR", self.and_expr)
        closing = self.advance()
        if closing.kind != "RPAREN":
            raise Problem(
                f"expected ')' to close the '(' at column {opening.pos + 1}, got {closing.describe()}",
                closing.pos,
            )
        return expr

    def comparison(self) -> Expr:
        # MLflow reads a bare name as an attribute: `status = 'FAILED'` is attributes.status
        ident = self.identifier(bare_attributes=True)
        token = self.advance()
        word = token.text.upper() if token.kind == "WORD" else ""
        if word == "IS":
            return self.null_check(ident)
        if word == "NOT":
            self.expect_word("IN", "after NOT")
            return self.membership(ident, "NOT IN")
        if word == "IN":
            return self.membership(ident, "IN")
        if word in ("LIKE", "ILIKE"):
            return self.like(ident, token, word)
        if token.kind == "OP" and token.text in _COMPARATORS:
            return self.compare(ident, token)
        if token.kind in ("OP", "WORD"):
            raise Problem(f"unknown operator '{token.text}': expected {_OPERATOR_LIST}", token.pos)
        raise Problem(f"expected an operator ({_OPERATOR_LIST}), got {token.describe()}", token.pos)

    def expect_word(self, word: str, where: str) -> None:
        if self.accept(word) is None:
            token = self.peek()
            raise Problem(f"expected {word} {where}, got {token.describe()}", token.pos)

    def null_check(self, ident: Identifier) -> Expr:
        negated = self.accept("NOT") is not None
        self.expect_word("NULL", "after IS NOT" if negated else "or NOT NULL after IS")
        return NullCheck(ident, negated)

    def membership(self, ident: Identifier, op: str) -> Expr:
        opening = self.advance()
        if opening.kind != "LPAREN":
            raise Problem(f"expected '(' after {op}, got {opening.describe()}", opening.pos)
        if self.peek().kind == "RPAREN":
            raise Problem(f"empty {op} list: expected at least one value", self.peek().pos)
        values = [self.list_value(ident, op)]
        while self.peek().kind == "COMMA":
            self.advance()
            values.append(self.list_value(ident, op))
        closing = self.advance()
        if closing.kind != "RPAREN":
            raise Problem(f"expected ',' or ')' in the {op} list, got {closing.describe()}", closing.pos)
        return Membership(ident, tuple(values), negated=op == "NOT IN")

    def list_value(self, ident: Identifier, op: str) -> Value:
        token = self.advance()
        if token.kind not in _VALUE_KINDS:
            raise Problem(f"expected a value in the {op} list, got {token.describe()}", token.pos)
        return _typed(ident, token)

    def like(self, ident: Identifier, token: Token, word: str) -> Expr:
        if ident.numeric:
            raise Problem(
                f"{word} does not apply to {ident.describe()}: use =, !=, <, <=, >, >= or IN",
                token.pos,
            )
        value = self.value_after(word)
        if not isinstance(value.value, str):
            raise Problem(f"{word} needs a quoted string pattern, got {value.text}", value.pos)
        return Comparison(ident, word, value.value)

    def compare(self, ident: Identifier, token: Token) -> Expr:
        if token.text in _ORDERING and ident.textual:
            raise Problem(
                f"'{token.text}' does not apply to {ident.describe()}: use =, !=, LIKE, ILIKE or IN",
                token.pos,
            )
        return Comparison(ident, token.text, _typed(ident, self.value_after(token.text)))

    def value_after(self, op: str) -> Token:
        token = self.peek()
        if token.kind in _VALUE_KINDS:
            return self.advance()
        message = f"expected a value after '{op}'"
        if token.kind == "BTICK":
            message += f", got {token.text}: backticks quote keys, quote strings with '...'"
        elif token.kind == "WORD" and token.text.upper() not in _KEYWORDS:
            message += f", got '{token.text}': quote strings, as in '{token.text}'"
        elif token.kind != "EOF":
            message += f", got {token.describe()}"
        raise Problem(message, token.pos)

    def identifier(self, bare_attributes: bool) -> Identifier:
        token = self.advance()
        if token.kind != "WORD" or token.text.upper() in _KEYWORDS:
            raise Problem(
                f"expected an identifier such as metrics.rmse or params.model, got {token.describe()}",
                token.pos,
            )
        prefix, dot, key = token.text.partition(".")
        if not dot:
            return _bare(token, bare_attributes, self.schema)
        if not key:
            key = self.quoted_key(token)
        return _make_identifier(prefix, key, token.pos, self.schema)

    def quoted_key(self, word: Token) -> str:
        # The quoted key must touch its prefix: 'metrics. `x`' is a typo, not a key.
        token = self.peek()
        if token.kind in ("BTICK", "DQUOTE") and token.pos == word.end and token.value is not None:
            self.advance()
            return str(token.value) or EMPTY_KEY
        raise Problem(
            f"expected a key after '{word.text}', as in {word.text}rmse or {word.text}`val loss`",
            word.end,
        )

    def order_by(self) -> list[OrderKey]:
        keys = [self.order_key()]
        while self.peek().kind == "COMMA":
            self.advance()
            keys.append(self.order_key())
        self.expect_end("ASC, DESC, ',' or the end of the key")
        return keys

    def order_key(self) -> OrderKey:
        start = self.peek()
        ident = self.identifier(bare_attributes=True)
        if ident.kind == "datasets":
            raise Problem("runs cannot be ordered by a dataset key (a run may have several)", start.pos)
        direction = self.accept("ASC", "DESC")
        return OrderKey(ident.column, direction is None or direction.text.upper() == "ASC")


def _bare(token: Token, allowed: bool, schema: Schema) -> Identifier:
    name = token.text
    attribute = schema.attribute(name)
    if attribute is not None and allowed:
        return _attribute(name, schema, token.pos)
    if attribute is not None:
        raise Problem(f"'{name}' needs a prefix: write attributes.{attribute}", token.pos)
    kinds = [f"{k}.{name}" for k in ("metrics", "params", "tags") if k in schema.kinds]
    raise Problem(f"'{name}' needs a prefix: write {_either(kinds)}", token.pos)


def _either(options: list[str]) -> str:
    """``a, b or c``."""
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def _typed(ident: Identifier, token: Token) -> Value:
    value = token.value
    assert value is not None
    if isinstance(value, str) and ident.numeric:
        raise Problem(f"{ident.describe()} compares with numbers, got string {token.text}", token.pos)
    if isinstance(value, float) and ident.textual:
        raise Problem(
            f"{ident.describe()} compares with strings: quote the value, as in '{token.text}'",
            token.pos,
        )
    return value


def _run(text: str, context: str, rule: Callable[[_Parser], T], schema: Schema = RUNS) -> T:
    try:
        return rule(_Parser(text, schema))
    except Problem as problem:
        raise FilterError(context + problem.message, problem.pos + 1) from None


def parse_filter(text: str | None, schema: Schema = RUNS) -> Expr | None:
    """Parse a filter; None when ``text`` is empty or only whitespace."""
    if text is None or not text.strip():
        return None
    return _run(text, "", _Parser.filter, schema)


def columns_of(expr: Expr | None) -> set[str]:
    """The frame columns a parsed filter names."""
    if expr is None:
        return set()
    if isinstance(expr, BoolOp):
        return set().union(*(columns_of(e) for e in expr.operands))
    return {expr.ident.column}


def parse_order_by(keys: Sequence[str] | str | None, schema: Schema = RUNS) -> list[OrderKey]:
    """Parse order-by keys such as ``["metrics.rmse ASC", "start_time"]``."""
    if keys is None:
        return []
    result: list[OrderKey] = []
    for key in [keys] if isinstance(keys, str) else keys:
        if not key.strip():
            raise FilterError(
                f"empty order-by key {key!r}: expected an identifier such as metrics.rmse, "
                "optionally followed by ASC or DESC"
            )
        result.extend(_run(key, f"invalid order-by key {key!r}: ", _Parser.order_by, schema))
    return result


def quote_column(column: str) -> str:
    """A frame column as an identifier of the filter language: ``metrics.`val loss```,
    ``attributes.start_time``; keys are backtick-quoted, whatever characters they hold."""
    kind, _, key = column.partition(".")
    if kind in ("params", "metrics", "tags"):
        return f"{kind}.`" + key.replace("`", "``") + "`"
    return f"attributes.{column}"


def resolve_identifier(kind: str, key: str) -> str:
    """The DataFrame column of ``kind.key``: ("metrics", "rmse") -> "metrics.rmse"."""
    try:
        return _make_identifier(kind, key).column
    except Problem as problem:
        raise FilterError(problem.message) from None
