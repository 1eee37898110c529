"""``gittrack report``: one self-contained HTML file about a set of runs.

The runs come from the query engine (a filter and experiments) or are named; the
file holds a runs table, one chart per metric with the runs overlaid, and params
against a metric, with plotly.js, the stylesheet and the script inlined, so it opens
with no network and no server (a CI artifact, an attachment to a pull request).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gittrack.errors import GittrackError
from gittrack.review.ls import display_frame
from gittrack.store.atomic import write_atomic
from gittrack.store.config import Config
from gittrack.ui import data
from gittrack.ui.pages.compare import relations_data
from gittrack.ui.source import load_run
from gittrack.ui.templating import render, safe

if TYPE_CHECKING:
    import pandas as pd

MAX_CHART_RUNS = 20  # more overlaid lines than this are unreadable
MAX_COLUMNS = 24


class Report(NamedTuple):
    """A built report: its HTML and the number of runs in it."""

    html: str
    runs: int

    def write(self, output: Path) -> None:
        """Write the HTML to ``output`` (atomically: a reader never sees half a file)."""
        try:
            write_atomic(output, self.html)
        except OSError as exc:
            raise GittrackError(f"cannot write {output}: {exc.strerror or exc}") from None


def build_report(
    store: Path,
    *,
    runs: Sequence[str] = (),
    experiments: Sequence[str] = (),
    filter_string: str = "",
    rev: str | None = None,
    config: Config | None = None,
    warn: Callable[[str], None] | None = None,
) -> Report:
    """The report of the selected runs, ready to :meth:`~Report.write`."""
    from gittrack.query.search import search

    say = warn or _ignore
    frame = search(store, experiments=list(experiments), filter_string=filter_string, rev=rev, warn=say)
    loaded = {}  # each named run is read once: to resolve its ref, then for its charts
    if runs:
        for ref in runs:
            source = load_run(store, ref, rev=rev, warn=say)
            loaded[source.run_id] = source
        frame = frame[frame["run_id"].isin(list(loaded))]
        frame = frame.set_index("run_id", drop=False).loc[[w for w in loaded if w in set(frame["run_id"])]]
    sources = [
        loaded.get(run_id) or load_run(store, run_id, rev=rev, warn=say)
        for run_id in list(frame["run_id"])[:MAX_CHART_RUNS]
    ]
    charts = data.chart_data(
        {s.run_id: s.histories() for s in sources}, {s.run_id: s.record.meta.name for s in sources}, config
    )
    columns = _columns(frame)
    html = render(
        "report.html",
        title="gittrack report",
        subtitle=str(store),
        nav=False,
        warnings=[],
        facts=_facts(store, len(frame), experiments, filter_string, rev),
        charted=len(sources),
        total=len(frame),
        columns=columns,
        rows=_rows(frame, columns),
        chart_list=charts,
        relation_metrics=sorted({k for s in sources for k in s.record.metrics}),
        relation_params=sorted({k for s in sources for k in s.record.params}),
        page_data=relations_data(sources, charts, config),
        css=safe(_asset("app.css")),
        js=safe(_asset("app.js")),
        plotly=safe(_plotly()),
    )
    return Report(html, len(frame))


def _facts(
    store: Path, runs: int, experiments: Sequence[str], filter_string: str, rev: str | None
) -> list[tuple[str, str]]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts = [("runs", str(runs)), ("store", str(store)), ("generated", now)]
    facts += [("experiments", ", ".join(experiments))] if experiments else []
    facts += [("filter", filter_string)] if filter_string else []
    facts += [("revision", rev)] if rev else []
    return facts


def _columns(frame: pd.DataFrame) -> list[str]:
    """The params and metrics some run of the report has (at most :data:`MAX_COLUMNS`)."""
    if frame.empty:
        return []
    present = frame.columns[frame.notna().any().to_numpy()]
    return [c for c in present if c.startswith(("params.", "metrics."))][:MAX_COLUMNS]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """One row per run: id, start and commit as ``gittrack ls`` writes them."""
    if frame.empty:
        return []
    shown = display_frame(frame, columns=columns).to_dict("records")
    return [
        {**cells, "values": [record.get(c) for c in columns]}
        for record, cells in zip(frame.to_dict("records"), shown, strict=True)
    ]


def _inline(text: str) -> str:
    """Text safe inside an inline <script> or <style>: nothing in it can close the element.

    Only ``</script``, ``</style`` and ``<!--`` are rewritten (``<\\/`` means ``</`` inside
    a JS string or regex); other ``</`` must stay, as they may be code.
    """
    text = re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)
    return text.replace("<!--", "<\\!--")


def _asset(name: str) -> str:
    return _inline(resources.files("gittrack.ui").joinpath("static").joinpath(name).read_text("utf-8"))


def _plotly() -> str:
    from gittrack.ui.web import plotly_js

    return _inline(plotly_js().decode("utf-8"))


def _ignore(message: str) -> None:
    pass
