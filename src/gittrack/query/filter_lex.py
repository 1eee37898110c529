"""Tokenizer of run filters and order-by keys (parsed by :mod:`gittrack.query.filter_parse`).

Tokens are words (keywords and identifiers), numbers, quoted strings and keys,
operators and punctuation; each keeps its source text and offset, so that errors can
point at a column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word starts with a letter so that '-1e-3' is a number, yet keys such as
# 'val/loss' or 'model.depth' stay one word after their prefix.
_WORD = re.compile(r"[^\W\d][\w\-./]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_TAIL = re.compile(r"[\w.]+")
_OPERATOR = re.compile(r"[<>=!]+")
_PUNCTUATION = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}
# A quote inside a quoted string or key is written twice, as in SQL.
_QUOTED = {
    "'": ("STRING", re.compile(r"'(?:[^']|'')*'"), "unterminated string: expected a closing '"),
    '"': ("DQUOTE", re.compile(r'"(?:[^"]|"")*"'), 'unterminated string: expected a closing "'),
    "`": ("BTICK", re.compile(r"`(?:[^`]|``)*`"), "unterminated key: expected a closing `"),
}


class Problem(Exception):
    """A syntax error at a 0-based offset; public functions turn it into FilterError."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class Token:
    kind: str  # WORD NUMBER STRING DQUOTE BTICK OP LPAREN RPAREN COMMA EOF
    text: str  # the source text, quotes included
    pos: int  # 0-based offset in the source
    value: str | float | None = None  # the unquoted string or the parsed number

    @property
    def end(self) -> int:
        return self.pos + len(self.text)

    def describe(self) -> str:
        if self.kind == "EOF":
            return "the end of the text"
        return self.text if self.kind in ("STRING", "DQUOTE", "BTICK") else f"'{self.text}'"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an EOF token."""
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            tokens.append(Token("EOF", "", pos))
            return tokens
        tokens.append(_next_token(text, pos))
        pos = tokens[-1].end


def _next_token(text: str, pos: int) -> Token:
    char = text[pos]
    if char in _PUNCTUATION:
        return Token(_PUNCTUATION[char], char, pos)
    if char in _QUOTED:
        return _quoted(text, pos)
    if _NUMBER.match(text, pos):
        return _number(text, pos)
    for kind, pattern in (("WORD", _WORD), ("OP", _OPERATOR)):
        match = pattern.match(text, pos)
        if match:
            return Token(kind, match.group(), pos)
    raise Problem(f"unexpected character {char!r}", pos)


def _quoted(text: str, pos: int) -> Token:
    quote = text[pos]
    kind, pattern, unterminated = _QUOTED[quote]
    match = pattern.match(text, pos)
    if match is None:
        raise Problem(unterminated, pos)
    raw = match.group()
    return Token(kind, raw, pos, raw[1:-1].replace(quote * 2, quote))


def _number(text: str, pos: int) -> Token:
    match = _NUMBER.match(text, pos)
    assert match is not None
    tail = _NUMBER_TAIL.match(text, match.end())
    if tail:
        raise Problem(f"invalid number '{text[pos : tail.end()]}'", pos)
    return Token("NUMBER", match.group(), pos, float(match.group()))
