"""``/runs/<id>``: one run, its charts and artifacts; also its diff, metrics JSON and files."""

from __future__ import annotations

from typing import Any

from gittrack.errors import AmbiguousRunError, CorruptRunError, RunNotFoundError
from gittrack.ui import data
from gittrack.ui.artifacts import download, preview
from gittrack.ui.html import (
    esc,
    href,
    json_script,
    json_text,
    link,
    mapping_table,
    run_url,
    show,
    status_badge,
    table,
    when,
)
from gittrack.ui.source import RunSource, load_run
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
        return render(app, source, warnings)
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


def metrics_json(app: Site, source: RunSource) -> Response:
    payload = {"status": source.record.status, "charts": charts(app, source)}
    return Response(body=json_text(payload).encode("utf-8"), content_type="application/json")


def render(app: Site, source: RunSource, warnings: list[str]) -> Response:
    info = source.info()
    run_id = source.run_id
    chart_list = charts(app, source)
    warnings.extend(source.warnings)
    running = info["status"] == "RUNNING"
    payload = {
        "run": run_id,
        "status": info["status"],
        "poll": run_url(run_id, "metrics.json") if running else None,
        "pollMs": POLL_MS,
        "charts": chart_list,
    }
    body = "".join(
        [
            f"<h1>{esc(info['name'])} {status_badge(info['status'])}</h1>",
            f'<p class="id mono" id="run-id">{esc(run_id)}</p>',
            _facts(info, run_id),
            _section("Metrics", _metrics(info["metrics"], app) + _charts(chart_list)),
            _section("Params", mapping_table(info["params"], "no params")),
            _section("Artifacts", _artifacts(info["artifacts"], run_id)),
            _section("Tags", mapping_table(info["tags"], "no tags")),
        ]
    )
    return app.page(str(info["name"]), body, warnings, charts=True, data=json_script("page-data", payload))


def _section(title: str, inner: str) -> str:
    return f'<section id="{esc(title.lower())}"><h2>{esc(title)}</h2>{inner}</section>'


def _facts(info: dict[str, Any], run_id: str) -> str:
    git = info["git"]
    source = info.get("source") or {}
    argv = " ".join(str(a) for a in source.get("argv") or [])
    dirty = ""
    if git.get("dirty"):
        dirty = (
            " (dirty"
            + (f", {link(esc(run_url(run_id, 'diff')), 'view diff')}" if git.get("diff_file") else "")
            + ")"
        )
    facts = [
        ("Experiment", link(href("/runs", {"exp": info["experiment"]}), info["experiment"])),
        ("Started", esc(when(_ms(info["start_time"])) or info["start_time"])),
        ("Ended", esc(when(_ms(info.get("end_time"))))),
        ("Duration", esc("" if info.get("duration") is None else f"{info['duration']} s")),
        ("User", esc(info.get("user") or "") + (f" on {esc(info['host'])}" if info.get("host") else "")),
        (
            "Parent run",
            link(esc(run_url(info["parent_run_id"])), info["parent_run_id"])
            if info.get("parent_run_id")
            else "",
        ),
        ("Description", esc(info.get("description") or "")),
        ("Command", f"<code>{esc(argv)}</code>" if argv else ""),
        ("Commit", f'<span class="mono">{esc(git.get("commit") or "")}</span>{dirty}' if git else ""),
        ("Branch", esc(git.get("branch") or ("detached HEAD" if git.get("commit") else ""))),
        ("Remote", esc(git.get("remote") or git.get("remote_url") or "")),
    ]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts if v)
    return f'<dl class="facts">{items}</dl>'


def _ms(value: object) -> int | None:
    from gittrack.store.layout import epoch_ms

    try:
        return epoch_ms(value)
    except (TypeError, ValueError):
        return None


def _metrics(metrics: dict[str, dict[str, Any]], app: Site) -> str:
    if not metrics:
        return '<p class="muted">no metrics</p>'
    rows = (
        [
            f'{esc(k)} <span class="muted">{data.arrow(data.direction(k, app.config))}</span>',
            *(show(s[f], 16) for f in ("last", "min", "max", "count", "step")),
        ]
        for k, s in metrics.items()
    )
    return table(["metric", "last", "min", "max", "count", "last step"], rows, 'class="grid metrics"')


def _charts(chart_list: list[dict[str, Any]]) -> str:
    if not chart_list:
        return ""
    divs = "".join(
        f'<figure class="chart-box"><figcaption>{esc(c["metric"])}</figcaption>'
        f'<div class="chart" id="chart-{i}" data-index="{i}"></div></figure>'
        for i, c in enumerate(chart_list)
    )
    return chart_controls() + f'<div class="charts">{divs}</div>'


def chart_controls() -> str:
    return (
        '<div class="chart-controls" id="chart-controls"><label>x axis <select id="x-axis">'
        '<option value="step">step</option><option value="relative">time since start</option>'
        '<option value="time">wall clock</option></select></label>'
        '<label><input type="checkbox" id="log-y"> log scale</label></div>'
    )


def _artifacts(artifacts: list[dict[str, Any]], run_id: str) -> str:
    if not artifacts:
        return '<p class="muted">no artifacts</p>'
    rows = (
        [
            link(esc(run_url(run_id, "preview", a["path"])), a["path"], "preview"),
            esc(_size(int(a["size"]))),
            f'<a href="{esc(run_url(run_id, "artifacts", a["path"]))}" download '
            'class="download">download</a>',
        ]
        for a in artifacts
    )
    return table(["path", "size", ""], rows, 'class="grid" id="artifacts-table"')


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size:.1f} GiB"


def diff_page(app: Site, source: RunSource, warnings: list[str]) -> Response:
    text = source.diff_text()
    if text is None:
        raise HTTPError(404, "this run has no git.diff")
    lines = "".join(f'<span class="{_diff_class(line)}">{esc(line)}</span>\n' for line in text.splitlines())
    back = link(esc(run_url(source.run_id)), source.record.meta.name)
    body = f'<h1>Diff of {back}</h1><pre class="diff">{lines}</pre>'
    return app.page(f"diff of {source.record.meta.name}", body, warnings)


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---", "diff ", "index ")):
        return "meta"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
