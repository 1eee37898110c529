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
from typing import TYPE_CHECKING, NamedTuple

from gittrack.errors import GittrackError
from gittrack.review.ls import short_ids
from gittrack.store.atomic import write_atomic
from gittrack.store.config import Config
from gittrack.ui import data
from gittrack.ui.html import esc, json_script, layout, show, status_badge, table, when
from gittrack.ui.pages.compare import chart_divs, relations, relations_data
from gittrack.ui.pages.run import chart_controls
from gittrack.ui.source import load_run

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
    payload = relations_data(sources, charts, config)
    body = _summary(store, frame, experiments, filter_string, rev, len(sources)) + _runs_table(frame)
    if charts:
        body += "<h2>Metrics</h2>" + chart_controls() + chart_divs(charts)
    body += relations(sources)
    head = f"<style>{_asset('app.css')}</style>"
    scripts = (
        json_script("page-data", payload) + f"<script>{_plotly()}</script><script>{_asset('app.js')}</script>"
    )
    title = "gittrack report"
    return Report(layout(title, body, head=head, scripts=scripts, subtitle=str(store), nav=False), len(frame))


def _summary(
    store: Path,
    frame: pd.DataFrame,
    experiments: Sequence[str],
    filter_string: str,
    rev: str | None,
    charted: int,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts = [("runs", str(len(frame))), ("store", str(store)), ("generated", now)]
    facts += [("experiments", ", ".join(experiments))] if experiments else []
    facts += [("filter", filter_string)] if filter_string else []
    facts += [("revision", rev)] if rev else []
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    note = ""
    if charted < len(frame):
        note = f'<p class="muted">charts show the first {charted} runs</p>'
    return f'<h1>Runs report</h1><dl class="facts">{items}</dl>{note}'


def _runs_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return '<p class="empty">No runs match.</p>'
    present = frame.columns[frame.notna().any().to_numpy()]
    columns = [c for c in present if c.startswith(("params.", "metrics."))][:MAX_COLUMNS]
    headers = ["name", "id", "experiment", "status", "start", "commit", *map(esc, columns)]
    records = frame.to_dict("records")
    rows = (
        [
            esc(r["run_name"]),
            f'<span class="mono">{esc(short)}</span>',
            esc(r["experiment_id"]),
            status_badge(r["status"]),
            esc(when(r["start_time"])),
            f'<span class="mono">{esc(str(r.get("git.commit") or "")[:8])}</span>',
            *(show(r.get(c), 24) for c in columns),
        ]
        for r, short in zip(records, short_ids([str(r["run_id"]) for r in records]), strict=True)
    )
    return "<h2>Runs</h2>" + table(headers, rows, 'class="grid" id="runs-table"')


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
