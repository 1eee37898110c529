"""gittrack's own plain-text tables lay out string cells exactly as tabulate does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from gittrack.review.text_table import format_table, width

# what table cells hold: ASCII, accented letters, CJK (two columns wide), a combining mark
TEXT = st.text(alphabet=st.sampled_from([*"ab Z09.-_|*", "é", "ß", "日", "本", "\u0301", "😀"]), max_size=12)
LINE = st.text(alphabet="abmetrics.", min_size=1, max_size=9)
HEADER = st.lists(LINE, min_size=1, max_size=3).map("\n".join)


def table(columns: int, height: int) -> st.SearchStrategy[list[list[str]]]:
    row = st.lists(TEXT, min_size=columns, max_size=columns)
    return st.lists(row, min_size=height, max_size=height)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), columns=st.integers(1, 5), height=st.integers(0, 5))
def test_simple_style_is_tabulates(data: st.DataObject, columns: int, height: int) -> None:
    headers = data.draw(st.lists(HEADER, min_size=columns, max_size=columns))
    rows = data.draw(table(columns, height))
    expected = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    assert format_table(headers, rows, "simple") == expected


@settings(max_examples=300, deadline=None)
@given(data=st.data(), columns=st.integers(1, 5), height=st.integers(0, 5))
def test_github_style_is_tabulates(data: st.DataObject, columns: int, height: int) -> None:
    headers = data.draw(st.lists(TEXT.filter(lambda t: t.strip() == t), min_size=columns, max_size=columns))
    rows = data.draw(table(columns, height))
    expected = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    assert format_table(headers, rows, "github") == expected


def test_wide_and_combining_characters_take_their_terminal_width() -> None:
    assert width("abc") == 3
    assert width("日本") == 4
    assert width("e\u0301") == 1


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown table style 'grid'"):
        format_table(["a"], [["1"]], "grid")
