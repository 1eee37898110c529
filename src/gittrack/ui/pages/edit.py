"""``POST /runs/<id>/<action>``: the edits a person makes in the UI, each one Client call.

=====================  =========================================================
``rename``             ``name``: ``set_tag(run, "mlflow.runName", name)``
``note``               ``note``: ``set_tag(run, "mlflow.note.content", text)``;
                       an empty note deletes the tag
``tags``               ``key``, ``value``: ``set_tag`` (adds or changes a tag)
``tags/delete``        ``key``: ``delete_tag``
``delete``/``restore``  ``delete_run`` / ``restore_run``
``register``           ``path``, ``name``: ``register_model("runs:/<id>/<path>", name)``
                       (a new version; ``path`` must be a model the run logged)
=====================  =========================================================

Every change goes through :class:`gittrack.tracking.client.Client`, which validates
before it writes; what it refuses (an :class:`~gittrack.errors.MlflowException`) is shown
on the run page (400) with nothing written.
A change is answered with a 303 back to the run page.  Which requests get here at all
(loopback only, same origin, the session's CSRF token, not at a git revision) is decided
by :mod:`gittrack.ui.server` and :meth:`gittrack.ui.web.Site.allows_edits`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gittrack.errors import GittrackError, MlflowException
from gittrack.tracking.client import Client
from gittrack.ui.pages.run import load, page
from gittrack.ui.source import RunSource
from gittrack.ui.templating import run_url
from gittrack.ui.web import HTTPError, Query, Response, Site, one

Action = Callable[[Client, RunSource, Query], None]
_one_at_a_time = threading.Lock()  # the server answers in threads: two tabs never edit at once


def _rename(client: Client, source: RunSource, form: Query) -> None:
    name = one(form, "name").strip()
    if not name:
        raise GittrackError("a run needs a name; type one before renaming")
    client.set_tag(source.run_id, "mlflow.runName", name)


def _note(client: Client, source: RunSource, form: Query) -> None:
    text = one(form, "note").replace("\r\n", "\n")  # browsers send a textarea's lines as CRLF
    if text.strip():
        client.set_tag(source.run_id, "mlflow.note.content", text)
    elif source.record.meta.description is not None:
        client.delete_tag(source.run_id, "mlflow.note.content")


def _set_tag(client: Client, source: RunSource, form: Query) -> None:
    client.set_tag(source.run_id, one(form, "key"), one(form, "value"))


def _delete_tag(client: Client, source: RunSource, form: Query) -> None:
    client.delete_tag(source.run_id, one(form, "key"))


def _register(client: Client, source: RunSource, form: Query) -> None:
    from gittrack.review.models import run_models

    name, path = one(form, "name").strip(), one(form, "path").strip("/")
    if not name:
        raise GittrackError("a registered model needs a name; type one before registering")
    if path not in {m.path for m in run_models(source.run_dir.parent, source.run_id)}:
        raise GittrackError(f"this run logged no model at {path!r}")
    client.register_model(f"runs:/{source.run_id}/{path}", name)


def _delete(client: Client, source: RunSource, form: Query) -> None:
    client.delete_run(source.run_id)


def _restore(client: Client, source: RunSource, form: Query) -> None:
    client.restore_run(source.run_id)


ACTIONS: dict[tuple[str, ...], Action] = {
    ("rename",): _rename,
    ("note",): _note,
    ("tags",): _set_tag,
    ("tags", "delete"): _delete_tag,
    ("delete",): _delete,
    ("restore",): _restore,
    ("register",): _register,
}


def is_edit(segments: list[str]) -> bool:
    """Whether a path (split at ``/``) names an edit: ``runs/<id>/<action>``."""
    return (
        len(segments) >= 3 and segments[0] == "runs" and bool(segments[1]) and tuple(segments[2:]) in ACTIONS
    )


def apply(app: Site, segments: list[str], form: Query) -> Response:
    """Make the edit ``segments`` names (see :func:`is_edit`) with the posted ``form``."""
    if not is_edit(segments):
        raise HTTPError(404, "no such edit")
    ref, action = segments[1], ACTIONS[tuple(segments[2:])]
    warnings: list[str] = []
    source = load(app, ref, warnings)
    if source.run_id != ref:  # an edit names its run exactly, never by a prefix or a name
        raise HTTPError(404, f"no run with the id {ref!r}")
    try:
        with _one_at_a_time:
            action(Client(str(app.store)), source, form)
    except MlflowException as exc:  # the library's refusals (GittrackError is one of them)
        response = page(app, source, warnings, edit_error=str(exc))
        response.status = 400
        return response
    return Response(status=303, headers={"Location": run_url(source.run_id)})
