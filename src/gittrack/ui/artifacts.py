"""Artifact preview and download.

Files reach the browser only through :meth:`RunSource.open_artifact`, which refuses
any path that is not inside the run's ``artifacts/`` folder (404).  Downloads are
sent as attachments with a sandboxing CSP, so an HTML or SVG artifact never runs as
a page of the UI; only raster images are ever shown inline.
"""

from __future__ import annotations

import csv
import io
import mimetypes
import posixpath
from urllib.parse import quote

from gittrack.ui.html import esc, link, run_url, table
from gittrack.ui.source import RunSource, artifact_kind
from gittrack.ui.web import HTTPError, Response, Site

PREVIEW_BYTES = 1 << 20  # text previews show the first MiB
CSV_ROWS = 100


def download(source: RunSource, path: str, *, inline: bool = False) -> Response:
    opened = source.open_artifact(path)
    if opened is None:
        raise HTTPError(404, "no such artifact")
    handle, size = opened
    name = posixpath.basename(path)
    image = inline and artifact_kind(path) == "image"
    kind = (
        (mimetypes.guess_type(name)[0] or "application/octet-stream") if image else "application/octet-stream"
    )
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    disposition = "inline" if image else "attachment"
    headers = {
        "Content-Disposition": (
            f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
    }
    return Response(content_type=kind, headers=headers, stream=handle, length=size)


def preview(app: Site, source: RunSource, path: str, warnings: list[str]) -> Response:
    opened = source.open_artifact(path)
    if opened is None:
        raise HTTPError(404, "no such artifact")
    handle, size = opened
    with handle:
        head = handle.read(PREVIEW_BYTES)
    kind = artifact_kind(path)
    raw = run_url(source.run_id, "artifacts", path)
    if kind == "image":
        shown = f'<img class="artifact" src="{esc(raw)}?inline=1" alt="{esc(path)}">'
    elif kind == "csv":
        shown = csv_table(head, "\t" if path.lower().endswith(".tsv") else ",")
    elif kind in ("yaml", "text") or _looks_textual(head):
        cut = '<p class="muted">showing the first MiB</p>' if size > len(head) else ""
        shown = f'{cut}<pre class="artifact">{esc(head.decode("utf-8", errors="replace"))}</pre>'
    else:
        shown = '<p class="muted">no preview for this kind of file</p>'
    back = link(esc(run_url(source.run_id)), source.record.meta.name)
    body = (
        f"<h1>{esc(path)}</h1><p>artifact of {back} · {size} bytes · "
        f'<a href="{esc(raw)}" download id="download">download</a></p>{shown}'
    )
    return app.page(path, body, warnings)


def csv_table(data: bytes, delimiter: str) -> str:
    """The first :data:`CSV_ROWS` rows of a CSV file as an HTML table (header from row 1)."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > CSV_ROWS:
                break
    except csv.Error as exc:
        return f'<p class="error">not a readable CSV file: {esc(exc)}</p>'
    if not rows:
        return '<p class="muted">empty file</p>'
    note = f'<p class="muted">first {CSV_ROWS} rows</p>' if len(rows) > CSV_ROWS else ""
    body = ([esc(c) for c in row] for row in rows[1 : CSV_ROWS + 1])
    return note + table([esc(h) for h in rows[0]], body, 'class="grid csv"')


def _looks_textual(head: bytes) -> bool:
    if b"\0" in head[:4096]:
        return False
    try:
        head[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > 4000  # cut in the middle of a character at the end
    return True
