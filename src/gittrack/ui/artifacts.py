"""Artifact preview and download.

Files reach the browser only through :meth:`RunSource.open_artifact`, which refuses
any path that is not inside the run's ``artifacts/`` folder (404).  Downloads are
sent as attachments with a sandboxing CSP, so an HTML artifact never runs as a page of
the UI.  Only images are ever sent inline (``?inline=1``, for the pages' ``<img>``
elements): raster images and SVG, as their own content type, with a CSP that sandboxes
the file and allows no script, so an SVG opened on its own cannot run one either (in an
``<img>`` a browser never runs an SVG's scripts).
"""

from __future__ import annotations

import csv
import io
import json
import mimetypes
import posixpath
from typing import Any
from urllib.parse import quote

from gittrack.review.render import cell
from gittrack.ui.source import RunSource, artifact_kind
from gittrack.ui.templating import run_url
from gittrack.ui.web import HTTPError, Response, Site

PREVIEW_BYTES = 1 << 20  # text previews show the first MiB
CSV_ROWS = 100
TABLE_ROWS = 100  # rows of a log_table file shown in the run page
DOWNLOAD_CSP = "sandbox; default-src 'none'; img-src 'self'"
# an SVG's own <style> may apply; nothing may run (sandbox without allow-scripts, no script-src)
INLINE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


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
        "Content-Security-Policy": INLINE_CSP if image else DOWNLOAD_CSP,
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
    shown: dict[str, Any] = {"kind": kind, "text": "", "cut": False, "table": None}
    if kind == "csv":
        shown["table"] = csv_table(head, "\t" if path.lower().endswith(".tsv") else ",")
    elif kind == "json" and size <= len(head) and (table := read_table(head)) is not None:
        shown.update(kind="csv", table=_logged_table(table))
    elif kind != "image" and (kind in ("yaml", "text") or _looks_textual(head)):
        shown.update(kind="text", text=head.decode("utf-8", errors="replace"), cut=size > len(head))
    elif kind != "image":
        shown["kind"] = "binary"
    return app.page(
        "artifact.html",
        title=path,
        warnings=warnings,
        run_id=source.run_id,
        name=source.record.meta.name,
        path=path,
        size=size,
        raw=run_url(source.run_id, "artifacts", path),
        **shown,
    )


def csv_table(data: bytes, delimiter: str) -> dict[str, Any]:
    """The first :data:`CSV_ROWS` rows of a CSV file (header from row 1); ``cut`` when there
    are more, ``error`` when it cannot be read."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > CSV_ROWS:
                break
    except csv.Error as exc:
        return {"error": str(exc)}
    header = rows[0] if rows else []
    return {"error": None, "header": header, "rows": rows[1 : CSV_ROWS + 1], "cut": len(rows) > CSV_ROWS}


def _logged_table(table: dict[str, Any]) -> dict[str, Any]:
    """A ``log_table`` file in the shape of :func:`csv_table`."""
    rows = [[cell(v) for v in row] for row in table["rows"][:CSV_ROWS]]
    header = [cell(h) for h in table["header"]]
    return {"error": None, "header": header, "rows": rows, "cut": table["total"] > CSV_ROWS}


def _looks_textual(head: bytes) -> bool:
    if b"\0" in head[:4096]:
        return False
    try:
        head[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > 4000  # cut in the middle of a character at the end
    return True


def read_table(raw: bytes) -> dict[str, Any] | None:
    """``{header, rows, total}`` of a ``log_table`` JSON file; None when it is not one."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or set(data) != {"columns", "data"}:
        return None
    header, rows = data["columns"], data["data"]
    if not (isinstance(header, list) and isinstance(rows, list) and all(isinstance(r, list) for r in rows)):
        return None
    return {"header": header, "rows": rows[:TABLE_ROWS], "total": len(rows)}
