"""One MLflow run as gittrack will write it: ids, meta.yaml, values, files to copy.

A plan is all the importer needs to write a run or, with ``--dry-run``, to count what it
would write.  Ids: a run's gittrack id is its MLflow start time plus the first 12 hex digits
of its MLflow run id (:func:`gittrack_run_id`), so importing again gives the same id (and
finds the run already there), and two people importing the same store on two branches write
the same directories.  MLflow's whole run id is kept as the tag ``mlflow.importedRunId``;
``gittrack show <mlflow run id>`` and ``Client.get_run`` find the run by it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gittrack.interop import convert
from gittrack.interop.report import ImportReport
from gittrack.interop.source import LoggedModel, Point, Run, Store
from gittrack.store import ids, layout
from gittrack.store.inputs import DatasetRecord
from gittrack.store.layout import Meta
from gittrack.store.reader import IMPORTED_RUN_ID_TAG

_HEX = re.compile(r"[0-9a-f]{12,32}")
CLAMPED_NOTE = (
    "{count:,} metric values are +-1.7976931348623157e308: MLflow's SQLite store writes +-inf as"
    " these numbers, so they may have been +-inf (MLflow's own client reports the finite number too)"
)


@dataclass
class RunPlan:
    run: Run
    meta: Meta
    status: str  # the status to end with (RUNNING: left running)
    end_time: int | None
    params: dict[str, object]
    tags: dict[str, str]
    metrics: dict[str, list[Point]]
    artifacts: Path | None
    models: list[tuple[LoggedModel, Path, str]] = field(default_factory=list)  # model, files, path
    datasets: list[DatasetRecord] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.meta.run_id

    @property
    def points(self) -> int:
        return sum(len(p) for p in self.metrics.values())


def gittrack_run_id(run: Run) -> str:
    """The start time (UTC seconds) and the first 12 hex digits of MLflow's run id."""
    start = run.start_time if run.start_time is not None else (run.end_time or 0)
    random = (
        run.run_id[:12] if _HEX.fullmatch(run.run_id) else hashlib.sha256(run.run_id.encode()).hexdigest()
    )
    return ids.run_id_for(start / 1000, random[:12])


def describe(run: Run) -> str:
    return f"run {run.run_id}" + (f" ({run.name})" if run.name else "")


def plan_run(
    run: Run,
    *,
    store: Store,
    experiment: str,
    id_of: dict[str, str],
    models: list[LoggedModel],
    report: ImportReport,
) -> RunPlan:
    """What to write for ``run``; values gittrack cannot hold go to the report."""
    where = describe(run)
    tags, fields = convert.tags(run.tags, report, where)
    tags[IMPORTED_RUN_ID_TAG] = run.run_id
    metrics, clamped = convert.histories(run.load_metrics(), report, where, clamps=store.clamps_infinity)
    if clamped:
        report.kept_as_stored.append(f"{where}: " + CLAMPED_NOTE.format(count=clamped))
    status = run.status.upper()
    if status not in layout.STATUSES:
        report.lost("status", where, f"MLflow status {status} is not a gittrack status; imported as RUNNING")
        status = "RUNNING"
    start = run.start_time
    if start is None:
        report.lost("start time", where, "MLflow has no start time; the end time (or 1970) stands in")
        start = run.end_time or 0
    end = run.end_time if status != "RUNNING" else None
    if end is None and status != "RUNNING":
        report.lost("end time", where, f"MLflow has no end time for a {status} run; the start time stands in")
        end = start
    parent = fields.get("parent_run_id")
    meta = Meta(
        run_id=gittrack_run_id(run),
        name=run.name or fields.get("name") or run.run_id,
        experiment=experiment,
        status="RUNNING",
        start_time=start,
        lifecycle_stage=layout.DELETED if run.lifecycle_stage == layout.DELETED else layout.ACTIVE,
        user=run.user or fields.get("user"),
        parent_run_id=None if parent is None else id_of.get(parent, parent),
        description=fields.get("description"),
        source={"entry_point": tags["mlflow.source.name"]} if tags.get("mlflow.source.name") else {},
        git=_git(tags),
    )
    located = store.run_artifacts(run)
    if located.missing:
        report.warn(f"{where}: {located.missing}")
    plan = RunPlan(
        run,
        meta,
        status,
        end,
        convert.params(run.params, report, where),
        tags,
        metrics,
        located.path,
        models=_models(run, models, located.path, store, report),
        datasets=[convert.dataset(d, report, where) for d in run.datasets],
    )
    if parent is not None and parent not in id_of:
        report.lost("parent run", where, f"parent {parent} is not in this store; kept as its MLflow id")
    return plan


def _git(tags: dict[str, str]) -> dict[str, object] | None:
    commit = tags.get("mlflow.source.git.commit")
    if not commit:
        return None
    return {
        "commit": commit,
        "branch": tags.get("mlflow.source.git.branch"),
        "remote": tags.get("mlflow.source.git.repoURL"),
    }


def _models(
    run: Run, models: list[LoggedModel], artifacts: Path | None, store: Store, report: ImportReport
) -> list[tuple[LoggedModel, Path, str]]:
    """The run's MLflow 3 logged models and the folder each gets in the run's ``artifacts/``.

    A model goes to ``artifacts/<its name>`` (where MLflow 2 and gittrack's ``log_model``
    put it).  When the run logged several models with one name, the latest takes the name and
    the others ``<name>-<model id>``; so does a model whose name the run's own artifacts use.
    """
    taken = set(os.listdir(artifacts)) if artifacts is not None else set()
    found = []
    latest: dict[str, LoggedModel] = {}
    for model in sorted(models, key=lambda m: (m.creation_time, m.model_id)):
        latest[model.name] = model
    for model in models:
        located = store.model_artifacts(model)
        if located.path is None:
            reason = located.missing or "the model has no files"
            report.skip(f"logged model {model.model_id} ({model.name}) of {describe(run)}", reason)
            continue
        plain = latest[model.name] is model and model.name not in taken
        found.append((model, located.path, model_path(model, plain=plain)))
    return found


def model_path(model: LoggedModel, *, plain: bool) -> str:
    return model.name if plain else f"{model.name}-{model.model_id}"


def tree_size(folder: Path | None) -> tuple[int, int]:
    """(files, bytes) under ``folder``."""
    if folder is None:
        return 0, 0
    files = size = 0
    for parent, _dirs, names in os.walk(folder):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(parent, name))
    return files, size
