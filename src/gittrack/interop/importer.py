"""``gittrack import mlflow``: an MLflow store's experiments, runs and registry as gittrack files.

Every file is written by gittrack's own writers (:class:`~gittrack.store.writer.RunWriter`,
:mod:`~gittrack.store.artifacts`, :func:`~gittrack.store.experiments.append_event`,
:mod:`~gittrack.store.inputs`, :mod:`~gittrack.store.registry_write`), so an imported run is
exactly what the API writes.  Importing is repeatable: what is already in the store (a run
with the same id, an experiment with events, a registry version or alias) is left as it is,
byte for byte, and only what is new is added.  A run is written whole or not at all: a
failure (or Ctrl-C) while writing one removes its directory, so the next import retries it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Protocol, cast

from gittrack.errors import ConfigError, GittrackError
from gittrack.interop import registry_import
from gittrack.interop.plan import RunPlan, describe, gittrack_run_id, plan_run, tree_size
from gittrack.interop.report import ImportReport
from gittrack.interop.source import Experiment, LoggedModel, Run, Store
from gittrack.interop.sources import open_store
from gittrack.store import artifacts, layout, names
from gittrack.store.experiments import append_event_at, read_record
from gittrack.store.inputs import append_inputs
from gittrack.store.reader import IMPORTED_RUN_ID_TAG, load_mapping
from gittrack.store.writer import RunWriter, compact
from gittrack.tracking.experiments import check_name


class Progress(Protocol):
    """Told the number of runs once, then each run as it is done (the CLI draws a bar)."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


def import_mlflow(
    store: Path,
    source: str,
    *,
    experiments: Sequence[str] = (),
    dry_run: bool = False,
    artifact_roots: Sequence[Path] = (),
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import ``source`` (an ``mlruns`` folder, ``sqlite:///mlflow.db``, or a tracking URI
    MLflow's client reads) into ``store``; ``experiments`` selects by name (or MLflow id)."""
    report = ImportReport(source=source, dry_run=dry_run, on_warning=warn)
    with contextlib.closing(open_store(source, artifact_roots=artifact_roots)) as mlflow:
        chosen = _select(mlflow.experiments(), experiments)
        for experiment in chosen:
            _import_experiment(store, experiment, report, dry_run=dry_run)
        ids = [e.experiment_id for e in chosen]
        names_of = {e.experiment_id: e.name for e in chosen}
        if progress is not None:
            progress.start(mlflow.count_runs(ids))
        runs = list(mlflow.runs(ids))
        id_of = {run.run_id: gittrack_run_id(run) for run in runs}
        models = _models_by_run(mlflow.logged_models())
        plans = (
            _plan(store, mlflow, run, names_of[run.experiment_id], id_of, models, report) for run in runs
        )
        _write_all(store, plans, report, dry_run=dry_run, progress=progress)
        imported = set(id_of) if not experiments else {r.run_id for r in runs}
        registry_import.import_registry(
            store,
            mlflow,
            models,
            id_of,
            report,
            dry_run=dry_run,
            selected=imported,
            everything=not experiments,
        )
    return report


def _select(found: list[Experiment], wanted: Sequence[str]) -> list[Experiment]:
    if not wanted:
        return found
    by_key = {e.name: e for e in found} | {e.experiment_id: e for e in found}
    unknown = [w for w in wanted if w not in by_key]
    if unknown:
        known = ", ".join(repr(e.name) for e in found)
        raise ConfigError(
            f"no MLflow experiment named {', '.join(map(repr, unknown))}; the store has {known}"
        )
    return list({id(by_key[w]): by_key[w] for w in wanted}.values())


def _import_experiment(store: Path, experiment: Experiment, report: ImportReport, *, dry_run: bool) -> None:
    """A ``create`` event dated as MLflow created the experiment (and ``delete`` if it was
    deleted), unless the experiment already has events: those are never changed."""
    try:
        check_name(experiment.name)
    except ConfigError as exc:
        report.skip(f"experiment {experiment.experiment_id}", str(exc))
        return
    if read_record(store, experiment.name).creation_time is not None:
        report.experiments_existing += 1
        return
    report.experiments += 1
    tags = {}
    for key, value in experiment.tags.items():
        try:
            tags[names.check_name(key, "tag name")] = value
        except GittrackError as exc:
            report.lost(
                "experiment tag name", f"experiment {experiment.name!r}", f"{key!r} = {value!r}: {exc}"
            )
    if dry_run:
        return
    created = experiment.creation_time
    append_event_at(store, experiment.name, "create", created, {"tags": tags} if tags else {})
    if experiment.lifecycle_stage == layout.DELETED:
        deleted = max(experiment.last_update_time or 0, created or 0)
        append_event_at(store, experiment.name, "delete", deleted, {})


def _models_by_run(models: list[LoggedModel]) -> dict[str, list[LoggedModel]]:
    found: dict[str, list[LoggedModel]] = defaultdict(list)
    for model in models:
        if model.source_run_id:
            found[model.source_run_id].append(model)
    return found


def _plan(
    store: Path,
    mlflow: Store,
    run: Run,
    experiment: str,
    id_of: dict[str, str],
    models: dict[str, list[LoggedModel]],
    report: ImportReport,
) -> RunPlan | None:
    """The run's plan, or None when it is already in the store or cannot be read (reported)."""
    run_dir = store / id_of[run.run_id]
    if (run_dir / layout.META).exists():
        if load_mapping(run_dir / layout.TAGS).get(IMPORTED_RUN_ID_TAG) == run.run_id:
            report.already_imported += 1
        else:
            report.skip(describe(run), f"its id {run_dir.name} is taken by another run in {store}")
        return None
    try:
        return plan_run(
            run,
            store=mlflow,
            experiment=experiment,
            id_of=id_of,
            models=models.get(run.run_id, []),
            report=report,
        )
    except (GittrackError, OSError, ValueError) as exc:
        report.skip(describe(run), f"cannot be read: {exc}")
        return None


BATCH = 64  # runs per task handed to a writer process


def _write_all(
    store: Path,
    plans: Iterator[RunPlan | None],
    report: ImportReport,
    *,
    dry_run: bool,
    progress: Progress | None,
) -> None:
    """Write the planned runs on every core: runs are independent (one writer per run
    directory), so batches go to a pool of processes while this one reads the source."""
    workers = 1 if dry_run else max(1, min(os.cpu_count() or 1, 8))
    pending: list[RunPlan] = []
    with contextlib.ExitStack() as stack:
        pool = None if workers == 1 else stack.enter_context(ProcessPoolExecutor(workers, _pool_context()))
        running: list[tuple[list[RunPlan], Future[list[str | None]]]] = []
        for plan in plans:
            if plan is None:
                _advance(progress)
                continue
            pending.append(plan)
            if len(pending) >= BATCH:
                running.append(_submit(store, pending, pool, dry_run))
                pending = []
                while len(running) > 2 * workers:
                    _collect(running.pop(0), report, progress)
        if pending:
            running.append(_submit(store, pending, pool, dry_run))
        for item in running:
            _collect(item, report, progress)


def _submit(
    store: Path, batch: list[RunPlan], pool: ProcessPoolExecutor | None, dry_run: bool
) -> tuple[list[RunPlan], Future[list[str | None]]]:
    if pool is not None:
        return batch, pool.submit(write_batch, store, [_portable(plan) for plan in batch])
    done: Future[list[str | None]] = Future()
    done.set_result([None] * len(batch) if dry_run else write_batch(store, batch))
    return batch, done


def _collect(
    item: tuple[list[RunPlan], Future[list[str | None]]], report: ImportReport, progress: Progress | None
) -> None:
    batch, future = item
    for plan, problem in zip(batch, future.result(), strict=True):
        if problem is None:
            _count(plan, report)
        else:
            report.skip(describe(plan.run), f"cannot be written: {problem}")
        _advance(progress)


def _advance(progress: Progress | None) -> None:
    if progress is not None:
        progress.advance()


def _portable(plan: RunPlan) -> RunPlan:
    """The plan without the source's objects (which may hold open readers): what a writer
    process needs and can receive."""
    models = [(cast(LoggedModel, None), folder, path) for _model, folder, path in plan.models]
    return replace(plan, run=cast(Run, None), models=models)


def write_batch(store: Path, batch: list[RunPlan]) -> list[str | None]:
    """Write each planned run (in a worker process); per run None, or why it failed."""
    problems: list[str | None] = []
    for plan in batch:
        try:
            write_run(store, plan)
            problems.append(None)
        except (GittrackError, OSError, ValueError) as exc:
            problems.append(str(exc))
    return problems


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork shares the plans already read, and the workers never touch the source's connection
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _count(plan: RunPlan, report: ImportReport) -> None:
    report.runs += 1
    report.metric_points += plan.points
    report.datasets += len(plan.datasets)
    report.logged_models += len(plan.models)
    for folder in [plan.artifacts, *(m[1] for m in plan.models)]:
        files, size = tree_size(folder)
        report.artifact_files += files
        report.artifact_bytes += size


def write_run(store: Path, plan: RunPlan) -> None:
    """Write one planned run through the run writer; on any failure its directory is removed."""

    def taken() -> str:
        raise GittrackError(f"run id {plan.run_id} is taken")

    writer = RunWriter.create(store, plan.meta, new_id=taken)
    try:
        # sorted, so the appended files are already canonical: ending the run rewrites neither
        writer.log_params(dict(sorted(plan.params.items())))
        writer.set_tags(dict(sorted(plan.tags.items())))
        for key, points in plan.metrics.items():
            writer.log_history(key, points)
        if plan.artifacts is not None:
            artifacts.copy_tree(writer.run_dir, plan.artifacts)
        for _model, folder, path in plan.models:
            artifacts.copy_tree(writer.run_dir, folder, path)
        if plan.datasets:
            append_inputs(writer.run_dir, plan.datasets)
        _end(writer, plan)
    except BaseException:
        writer.close()
        shutil.rmtree(writer.run_dir, ignore_errors=True)
        raise


def _end(writer: RunWriter, plan: RunPlan) -> None:
    """End the run as MLflow had it.  A run MLflow still lists as RUNNING stays RUNNING, its
    meta.yaml dated at its start, so readers report it KILLED (no process writes it)."""
    if plan.status != "RUNNING":
        writer.finish(plan.status, plan.end_time)
        return
    writer.close()
    compact(writer.run_dir)
    stamp = plan.meta.start_time / 1000
    os.utime(writer.run_dir / layout.META, (stamp, stamp))
