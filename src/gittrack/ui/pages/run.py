"""``/runs/<id>``: one run, its charts and artifacts (and the sections of
:mod:`~gittrack.ui.pages.run_sections`); also its diff, metrics JSON and files."""

from __future__ import annotations

from typing import Any

from gittrack.errors import AmbiguousRunError, CorruptRunError, RunNotFoundError
from gittrack.ui import data
from gittrack.ui.artifacts import download, preview
from gittrack.ui.pages.run_sections import sections
from gittrack.ui.source import RunSource, load_run
from gittrack.ui.templating import json_text, render, run_url, when
from gittrack.ui.web import HTTPError, Query, Response, Site, one

POLL_MS = 3000


def load(app: Site, ref: str, warnings: list[str]) -> RunSource:
    """The run ``ref``, or a 404 naming why it cannot be shown."""
    try:
        return load_run(app.store, ref, rev=app.rev, warn=warnings.append)
    except (RunNotFoundError, AmbiguousRunError, CorruptRunError) as exc:
        raise HTTPError(404, str(exc)) from None


def route(app: Site, ref: str, rest: list[str], query: Query) -> Response:
    warnings: list[str] = []
    source = load(app, ref, warnings)
    if not rest:
        return page(app, source, warnings)
    if rest == ["metrics.json"]:
        return metrics_json(app, source)
    if rest == ["diff"]:
        return diff_page(app, source, warnings)
    if rest[0] == "preview" and len(rest) > 1:
        return preview(app, source, "/".join(rest[1:]), warnings)
    if rest[0] == "artifacts" and len(rest) > 1:
        return download(source, "/".join(rest[1:]), inline=one(query, "inline") == "1")
    raise HTTPError(404, "no such page")


def charts(app: Site, source: RunSource) -> list[dict[str, Any]]:
    return data.chart_data(
        {source.run_id: source.histories()}, {source.run_id: source.record.meta.name}, app.config
    )


def metric_rows(app: Site, summaries: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The metrics table: each metric's direction and its summary."""
    return [
        {"name": name, "direction": data.direction(name, app.config), **summary}
        for name, summary in summaries.items()
    ]


def metrics_json(app: Site, source: RunSource) -> Response:
    """What a live run page polls: status, chart data, and the metrics table re-rendered."""
    summaries = {k: s.to_dict() for k, s in sorted(source.record.metrics.items())}
    payload = {
        "status": source.record.status,
        "charts": charts(app, source),
        "summary": render("run_metrics.html", metrics=metric_rows(app, summaries)),
    }
    return Response(body=json_text(payload).encode("utf-8"), content_type="application/json")


def page(app: Site, source: RunSource, warnings: list[str], **extra: Any) -> Response:
    """The run page; ``extra`` is added to the template's context (an edit's error)."""
    info = source.info()
    run_id = source.run_id
    chart_list = charts(app, source)
    more = sections(app, source, info, warnings)
    warnings.extend(source.warnings)
    running = info["status"] == "RUNNING"
    payload = {
        "run": run_id,
        "status": info["status"],
        "poll": run_url(run_id, "metrics.json") if running else None,
        "pollMs": POLL_MS,
        "charts": chart_list,
    }
    argv = " ".join(str(a) for a in (info.get("source") or {}).get("argv") or [])
    return app.page(
        "run.html",
        title=str(info["name"]),
        warnings=warnings,
        plotly=True,
        page_data=payload,
        info=info,
        run_id=run_id,
        started=when(_ms(info["start_time"])) or info["start_time"],
        ended=when(_ms(info.get("end_time"))),
        argv=argv,
        metrics=metric_rows(app, info["metrics"]),
        chart_list=chart_list,
        edit={"token": app.csrf_token} if app.edits else None,
        **more,
        **{"edit_error": None, **extra},
    )


def _ms(value: object) -> int | None:
    from gittrack.store.layout import epoch_ms

    try:
        return epoch_ms(value)
    except (TypeError, ValueError):
        return None


def diff_page(app: Site, source: RunSource, warnings: list[str]) -> Response:
    text = source.diff_text()
    if text is None:
        raise HTTPError(404, "this run has no git.diff")
    name = source.record.meta.name
    lines = [(_diff_class(line), line) for line in text.splitlines()]
    return app.page(
        "diff.html", title=f"diff of {name}", warnings=warnings, run_id=source.run_id, name=name, lines=lines
    )


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---", "diff ", "index ")):
        return "meta"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
