"""The runs page reads one page of runs: paging over a real store through real HTTP.

Walking the next links covers every run exactly once, in the order ``gittrack ls`` lists
them with the same filter and sort, over the run index and over the DataFrame path
alike; the links keep the query; the count follows the filter; a bad page number is a
400.  :func:`gittrack.query.paging.search_page` is checked against slices of
:func:`gittrack.query.search.search`.
"""

from __future__ import annotations

import html
import json
import math
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from helpers import invoke
from test_ui_server import get, serving

import gittrack
from gittrack.query import search as search_module
from gittrack.query.paging import search_page
from gittrack.query.search import search
from gittrack.ui.pages.runs import PER_PAGE

SWEEP = 230  # runs in "sweep": three pages of 100
OTHER = 12  # runs in "other"
DASH = "\N{EN DASH}"  # "runs 101\N{EN DASH}200 of 230"
KEYED = ("params.", "metrics.", "tags.")


def _lr(i: int) -> float:
    return [0.1, 0.01, 0.001][i % 3]


def _rmse(i: int) -> float:
    return math.nan if i % 17 == 0 else ((i * 37) % 101) / 100


@pytest.fixture
def store(repo: Path) -> Path:
    """``sweep``: runs with ties in ``params.lr``, a NaN metric now and then, a param only
    some runs have; ``other``: a few more runs."""
    gittrack.set_experiment("sweep")
    for i in range(SWEEP):
        with gittrack.start_run(run_name=f"trial <{i}>"):
            gittrack.log_params({"lr": _lr(i), **({"extra": "x&y"} if i % 5 == 0 else {})})
            gittrack.log_metric("rmse", _rmse(i))
    gittrack.set_experiment("other")
    for i in range(OTHER):
        with gittrack.start_run(run_name=f"other {i}"):
            gittrack.log_params({"lr": _lr(i)})
    return repo / ".runs"


@pytest.fixture(params=["index", "frame"])
def path_taken(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of answering: SQL over the run index, and the whole frame paged."""
    if request.param == "frame":
        monkeypatch.setattr(search_module, "_use_index", False)
    return str(request.param)


@pytest.fixture
def base(store: Path, path_taken: str) -> Iterator[str]:
    with serving(store) as url:
        yield url


def page_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-run-id="([^"]+)"', page)


def next_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)">next »</a>', page)
    return html.unescape(found.group(1)) if found else None


def walk(base: str, path: str) -> tuple[list[str], list[str]]:
    """Run ids of every page from ``path`` on, following the next links; the pages' paths."""
    ids: list[str] = []
    paths: list[str] = []
    current: str | None = path
    while current is not None:
        status, page = get(base, current)
        assert status == 200, page
        ids += page_ids(page)
        paths.append(current)
        current = next_link(page)
        assert len(paths) < 10
    return ids, paths


def ls_ids(*args: str) -> list[str]:
    result = invoke("ls", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.stdout)]


QUERIES = [
    ({"exp": "sweep"}, ["-e", "sweep"]),
    ({"exp": "sweep", "sort": "params.lr", "dir": "asc"}, ["-e", "sweep", "-s", "params.lr ASC"]),
    ({"exp": "sweep", "sort": "metrics.rmse", "dir": "desc"}, ["-e", "sweep", "-s", "metrics.rmse DESC"]),
    ({"filter": "params.lr != 0.001", "sort": "run_name", "dir": "asc"},
     ["-f", "params.lr != 0.001", "-s", "run_name ASC"]),
    ({}, []),
]  # fmt: skip


@pytest.mark.parametrize(("query", "ls_args"), QUERIES)
def test_pages_cover_every_run_once_in_the_order_of_ls(
    base: str, query: dict[str, str], ls_args: list[str]
) -> None:
    ids, paths = walk(base, "/runs?" + urlencode(query))
    expected = ls_ids(*ls_args)
    assert ids == expected
    assert len(set(ids)) == len(ids)
    assert len(paths) == max(1, math.ceil(len(expected) / PER_PAGE))


def test_page_links_keep_the_query(base: str) -> None:
    query = [
        ("exp", "sweep"), ("filter", "params.lr >= 0.001"), ("sort", "metrics.rmse"), ("dir", "asc"),
        ("col", "params.extra"), ("col", "metrics.rmse"),
    ]  # fmt: skip
    _ids, paths = walk(base, "/runs?" + urlencode(query))
    assert len(paths) == 3
    for number, path in enumerate(paths[1:], start=2):
        pairs = parse_qsl(urlsplit(path).query, keep_blank_values=True)
        assert ("page", str(number)) in pairs
        assert [p for p in pairs if p[0] != "page"] == query
    _status, last = get(base, paths[-1])
    previous = re.search(r'<a href="([^"]+)">« previous</a>', last)
    assert previous is not None
    pairs = parse_qsl(urlsplit(html.unescape(previous.group(1))).query)
    assert ("page", "2") in pairs and [p for p in pairs if p[0] != "page"] == query


def test_the_count_follows_the_filter(base: str) -> None:
    matching = sum(1 for i in range(SWEEP) if _lr(i) != 0.1)
    assert PER_PAGE < matching < 2 * PER_PAGE
    for partial in ("0", "1"):
        query = {"exp": "sweep", "filter": "params.lr < 0.05", "page": "2", "partial": partial}
        status, page = get(base, "/runs?" + urlencode(query))
        assert status == 200
        assert f'data-count="{matching}"' in page
        assert f"runs {PER_PAGE + 1}{DASH}{matching} of {matching}" in page
        assert len(page_ids(page)) == matching - PER_PAGE
    _status, page = get(base, "/runs?" + urlencode({"exp": "other"}))
    assert f'data-count="{OTHER}"' in page and f">{OTHER} runs</p>" in page
    _status, page = get(base, "/runs?" + urlencode({"filter": "params.lr < 0"}))
    assert 'data-count="0"' in page and "No runs match." in page


def test_the_columns_come_from_every_matching_run(base: str) -> None:
    """``params.extra`` is on every fifth run only: shown on every page, escaped."""
    for number in ("1", "3"):
        _status, page = get(base, "/runs?" + urlencode({"exp": "sweep", "page": number}))
        assert ">params.extra</a>" in page and ">metrics.rmse</a>" in page
        assert "x&amp;y" in page and "x&y" not in page
        assert "trial &lt;" in page and "trial <" not in page
    _status, page = get(base, "/runs?" + urlencode({"exp": "other"}))
    assert ">params.extra</a>" not in page  # no run of "other" has it
    assert 'value="params.extra"' in page  # but the column chooser offers every column


def test_a_bad_page_number_is_a_400(base: str) -> None:
    for number in ("0", "-1", "abc", "1.5", "+2", " 2", "2 ", "٣", "1e3", "", "9999999999"):
        status, page = get(base, "/runs?" + urlencode({"exp": "sweep", "page": number, "partial": "1"}))
        assert status == 400, number
        assert "page must be a whole number from 1 to 999999999" in page


def test_a_page_past_the_end_shows_the_last_one(base: str) -> None:
    status, page = get(base, "/runs?" + urlencode({"exp": "sweep", "page": "999"}))
    assert status == 200
    assert "page 3 of 3" in page and f"runs 201{DASH}{SWEEP} of {SWEEP}" in page
    assert page_ids(page) == ls_ids("-e", "sweep")[200:]


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [("", None), ("metrics.rmse < 0.5", ["metrics.rmse ASC"]), ("params.extra = 'x&y'", ["params.lr DESC"])],
)
def test_search_page_is_a_slice_of_search(
    store: Path, path_taken: str, filter_string: str, order_by: list[str] | None
) -> None:
    whole = search(store, experiments=["sweep"], filter_string=filter_string, order_by=order_by)
    for offset, limit in ((0, 100), (50, 7), (len(whole) - 3, 10), (len(whole) + 5, 10), (0, 0)):
        page = search_page(
            store, experiments=["sweep"], filter_string=filter_string, order_by=order_by,
            offset=offset, limit=limit,
        )  # fmt: skip
        assert page.total == len(whole) and page.offset == offset
        assert list(page.frame["run_id"]) == list(whole["run_id"][offset : offset + limit])
        assert list(page.frame.columns) == list(whole.columns)
        present = [
            c
            for c in whole.columns
            if c.startswith(("params.", "metrics.", "tags.")) and whole[c].notna().any()
        ]
        assert page.present == present


def test_search_page_refuses_a_bad_offset_or_limit(store: Path) -> None:
    for offset, limit in ((-1, 10), (0, -1), (True, 10), (0.5, 10), ("1", 10)):
        with pytest.raises(ValueError, match="must be a whole number, 0 or more"):
            search_page(store, offset=offset, limit=limit)  # type: ignore[arg-type]


def test_the_count_follows_new_and_deleted_runs(store: Path, base: str) -> None:
    """The memoised count is dropped when the index changes: a run logged or deleted
    between two requests of the same page shows."""
    query = "/runs?" + urlencode({"exp": "other"})
    assert f'data-count="{OTHER}"' in get(base, query)[1]
    gittrack.set_experiment("other")
    with gittrack.start_run(run_name="late") as run:
        gittrack.log_param("lr", 0.5)
    _status, page = get(base, query)
    assert f'data-count="{OTHER + 1}"' in page and page_ids(page)[0] == run.info.run_id
    assert invoke("rm", run.info.run_id).exit_code == 0
    assert f'data-count="{OTHER}"' in get(base, query)[1]


def test_an_index_from_before_is_rebuilt_with_the_experiment_index(store: Path) -> None:
    path = store / ".cache" / "index.sqlite"
    assert invoke("ls", "-n", "1").exit_code == 0
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP INDEX runs_by_experiment")
        db.execute("PRAGMA user_version = 5")  # as the index of the version before
    search_module.clear_memory()
    page = search_page(store, experiments=["other"], limit=5)
    assert page.total == OTHER and len(page.frame) == 5
    assert "runs_by_experiment" in index_names(path)


def index_names(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
