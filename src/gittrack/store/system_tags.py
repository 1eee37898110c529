"""MLflow's system tags (``mlflow.runName``, ``mlflow.source.git.commit``...), derived from meta.yaml.

MLflow stores these as tags; gittrack keeps each fact once, in meta.yaml, and every reader
(``get_run``, the runs frame, filters on ``tags.mlflow.*``) derives the tags from it with
:func:`derive`.  A tag set explicitly in tags.yaml wins over the derived one (an
imported MLflow run keeps its own ``mlflow.source.type``, say).  The four tags of
:data:`FIELDS` are meta.yaml fields: setting one changes the field.
"""

from __future__ import annotations

from gittrack.store.layout import Meta

# Tags that are meta.yaml fields: set_tag/delete_tag on them change the field.
FIELDS = {
    "mlflow.runName": "name",
    "mlflow.parentRunId": "parent_run_id",
    "mlflow.note.content": "description",
    "mlflow.user": "user",
}
# Every tag derive() may give, in a stable order.
NAMES = (
    "mlflow.runName",
    "mlflow.parentRunId",
    "mlflow.user",
    "mlflow.note.content",
    "mlflow.source.name",
    "mlflow.source.type",
    "mlflow.source.git.commit",
    "mlflow.source.git.branch",
    "mlflow.source.git.repoURL",
)


def derive(meta: Meta) -> dict[str, str]:
    """The ``mlflow.*`` tags of a run, from its meta.yaml."""
    git = meta.git or {}
    source = meta.source or {}
    found = {
        "mlflow.runName": meta.name,
        "mlflow.parentRunId": meta.parent_run_id,
        "mlflow.user": meta.user,
        "mlflow.note.content": meta.description,
        "mlflow.source.name": source.get("entry_point"),
        "mlflow.source.type": "LOCAL" if source.get("argv") or source.get("entry_point") else None,
        "mlflow.source.git.commit": git.get("commit"),
        "mlflow.source.git.branch": git.get("branch"),
        "mlflow.source.git.repoURL": git.get("remote"),
    }
    return {k: str(v) for k, v in found.items() if v is not None and v != ""}
