"""MLflow's paging: ``PagedList`` with a ``token`` for the next page, and its limits.

A page token is MLflow's own format, base64 of ``{"offset": n}``, so a ``while token:``
loop written for MLflow collects every result here too.  ``max_results`` follows MLflow:
1,000 by default for Client searches, at most 50,000, and the fluent ``search_runs``
pages through up to 100,000 (and warns when that default cuts the result).
"""

from __future__ import annotations

import base64
import binascii
import json
import operator
from collections.abc import Iterable, Sequence
from typing import TypeVar

from gittrack.errors import MlflowException

T = TypeVar("T")

DEFAULT_MAX_RESULTS = 1000  # MLflow's SEARCH_MAX_RESULTS_DEFAULT
MAX_RESULTS_THRESHOLD = 50_000  # MLflow's SEARCH_MAX_RESULTS_THRESHOLD
PANDAS_MAX_RESULTS = 100_000  # MLflow's SEARCH_MAX_RESULTS_PANDAS, the fluent default


class PagedList(list[T]):
    """A list with MLflow's ``token``: None on the last page."""

    def __init__(self, items: Iterable[T] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token

    def to_list(self) -> list[T]:
        return list(self)


def check_max_results(max_results: object, *, threshold: int = MAX_RESULTS_THRESHOLD) -> int:
    """``max_results`` as an int, or MLflow's INVALID_PARAMETER_VALUE error."""
    try:
        limit = operator.index(max_results)  # type: ignore[arg-type]
    except TypeError:
        limit = 0
    if isinstance(max_results, bool) or limit < 1 or limit > threshold:
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be a "
            f"positive integer, at most {threshold}",
            "INVALID_PARAMETER_VALUE",
        )
    return limit


def offset_of(page_token: str | bytes | None) -> int:
    """The offset a page token stands for (0 for none); a bad token is MLflow's error."""
    if not page_token:
        return 0
    try:
        data = json.loads(base64.b64decode(page_token, validate=True))
        offset = data["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise MlflowException(f"Invalid page token {page_token!r}", "INVALID_PARAMETER_VALUE") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise MlflowException(f"Invalid page token {page_token!r}: bad offset", "INVALID_PARAMETER_VALUE")
    return offset


def token_for(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode("ascii")


def page(items: Sequence[T], page_token: str | bytes | None, max_results: int) -> PagedList[T]:
    """The page of ``items`` starting at the token's offset, with the next page's token."""
    start = offset_of(page_token)
    end = start + max_results
    return PagedList(items[start:end], token_for(end) if end < len(items) else None)
