"""``search_runs`` and :class:`Client` (also ``MlflowClient``), with MLflow's signatures.

Experiments are identified by name: an experiment's id is its name, the same on
every branch and machine.  Wherever MLflow takes ``experiment_ids``, a single id or a
list works.  Every search goes through :func:`gittrack.query.search.search`.
"""

from __future__ import annotations

import functools
import operator
import re
import warnings
from collections.abc import Callable, Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack import api
from gittrack.config import load_config
from gittrack.entities import Experiment, Metric, Run, ViewType
from gittrack.errors import FilterError, RunNotFoundError
from gittrack.store import layout
from gittrack.store.reader import find_run_dir, read_run

if TYPE_CHECKING:
    import pandas as pd

_VIEWS = {ViewType.ACTIVE_ONLY: "active", ViewType.DELETED_ONLY: "deleted", ViewType.ALL: "all"}


class PagedList(list[Run]):
    """A list of runs with MLflow's ``token`` attribute (always None: results are not paged)."""

    token: str | None = None


def search_runs(
    experiment_ids: str | Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    order_by: Sequence[str] | str | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
    *,
    rev: str | None = None,
    group_by: Sequence[str] | str | None = None,
    agg: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs matching an MLflow-style filter, as a DataFrame (default) or a list of Runs.

    With no experiment given, all experiments are searched (MLflow would search only the
    active one; searching everything is what a git-wide history wants).
    ``group_by`` aggregates metrics per group (see :func:`gittrack.query.group.group_runs`).
    """
    from gittrack.query.mlflow_frame import mlflow_frame, runs_from_frame
    from gittrack.query.search import search

    if output_format not in ("pandas", "list"):
        raise ValueError(f"output_format must be 'pandas' or 'list', not {output_format!r}")
    store = _store()
    experiments = _experiments(experiment_ids, experiment_names)
    frame = search(
        store,
        experiments=experiments,
        filter_string=filter_string or "",
        order_by=order_by,
        max_results=max_results,
        view=_VIEWS[ViewType.from_any(run_view_type)],
        rev=rev,
    )
    if group_by:
        from gittrack.query.group import group_runs

        return group_runs(frame, group_by, agg=agg)
    if output_format == "list":
        return PagedList(runs_from_frame(frame, store))
    return mlflow_frame(frame, store)


def _experiments(ids: str | Sequence[str] | None, names: Sequence[str] | None) -> list[str]:
    wanted = [ids] if isinstance(ids, str) else list(ids or [])
    wanted += [names] if isinstance(names, str) else list(names or [])
    return [str(w) for w in wanted]


def _store() -> Path:
    return api._store(load_config())


# MLflow's experiment filter, reduced to what a name-only experiment has: one condition
# on the name; a quote inside the value is written twice, as in SQL.
_NAME_CONDITION = re.compile(r"\s*(?:attributes?\.)?name\s*(!=|=|I?LIKE\b)\s*'((?:[^']|'')*)'\s*", re.I)
_AND = re.compile(r"AND\b", re.I)


def _name_filter(text: str) -> Callable[[str], bool]:
    """A predicate on experiment names for ``filter_string`` (conditions joined by AND)."""
    from gittrack.query.filter import like_regex

    tests: list[Callable[[str], object]] = []  # truthy when the name matches
    pos = 0
    while text.strip():
        found = _NAME_CONDITION.match(text, pos)
        if found is None:
            raise FilterError("experiments can only be filtered by name, e.g. name LIKE 'nyc-%'", pos + 1)
        op, value = found.group(1).upper(), found.group(2).replace("''", "'")
        if op in ("=", "!="):
            tests.append(functools.partial(operator.eq if op == "=" else operator.ne, value))
        else:
            tests.append(like_regex(value, ignore_case=op == "ILIKE").fullmatch)
        pos = found.end()
        if pos == len(text):
            break
        joined = _AND.match(text, pos)
        if joined is None:
            raise FilterError("expected AND between conditions on the name", pos + 1)
        pos = joined.end()
    return lambda name: all(bool(test(name)) for test in tests)


def _name_order(order_by: Sequence[str] | str | None) -> bool:
    """True for ``name DESC``; experiments are listed by name."""
    keys = [order_by] if isinstance(order_by, str) else list(order_by or [])
    descending = False
    for key in keys:
        words = key.split()
        field = words[0].lower().removeprefix("attributes.").removeprefix("attribute.") if words else ""
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if field not in ("name", "experiment_id") or len(words) > 2 or direction not in ("ASC", "DESC"):
            raise FilterError(f"experiments can only be ordered by name ASC or DESC, not {key!r}")
        descending = direction == "DESC"
    return descending


class Client:
    """MLflow's ``MlflowClient`` surface over the git store."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        if tracking_uri is not None:
            # re-issued so that a warning (a foreign URI is ignored) names the caller's line
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                api.set_tracking_uri(tracking_uri)
            for warning in caught:
                warnings.warn(warning.message, warning.category, stacklevel=2)

    # -- experiments --------------------------------------------------------------------

    def search_experiments(
        self,
        view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> list[Experiment]:
        """Experiments that have runs (plus the one set in this process), by name.

        An experiment is only a name here, so ``filter_string`` takes MLflow's name
        conditions (``name = 'x'``, ``name LIKE 'nyc-%'``, ``!=``, ``ILIKE``, joined by
        AND) and ``order_by`` takes ``name ASC|DESC``; anything else is a FilterError.
        """
        from gittrack.query.search import search

        matches = _name_filter(filter_string or "")
        descending = _name_order(order_by)
        frame = search(_store(), view=_VIEWS[ViewType.from_any(view_type)])
        names = set(frame["experiment_id"])
        if api._state.experiment:
            names.add(api._state.experiment)
        chosen = sorted((n for n in names if matches(n)), reverse=descending)
        found = [api._experiment(n, load_config()) for n in chosen]
        return found if max_results is None else found[:max_results]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self.search_experiments(ViewType.ALL) if e.name == name), None)

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self.get_experiment_by_name(experiment_id)
        if found is None:
            raise RunNotFoundError(f"no experiment {experiment_id!r} (no run has it)")
        return found

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        return api._check_experiment(name)

    # -- runs -----------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids: str | Sequence[str] | None = None,
        filter_string: str = "",
        run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        *,
        rev: str | None = None,
    ) -> PagedList:
        found = search_runs(
            experiment_ids, filter_string, run_view_type, max_results, order_by, output_format="list", rev=rev
        )
        assert isinstance(found, PagedList)
        return found

    def get_run(self, run_id: str) -> Run:
        return api.get_run(run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of one metric, in logging order ([] for a metric never logged)."""
        from gittrack.names import check_metric_name
        from gittrack.store.metric_csv import parse_columns

        path = layout.metric_path(self._run_dir(run_id), check_metric_name(key))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        steps, stamps, values = parse_columns(text, path)
        return list(map(Metric, repeat(key), values, stamps, steps))

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self._write(run_id, lambda w: w.set_tags({key: value}))

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        self._write(run_id, lambda w: w.log_params({key: value}))
        return value

    def log_metric(
        self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int | None = None
    ) -> None:
        self._write(run_id, lambda w: w.log_metric(key, value, step, timestamp))

    def delete_run(self, run_id: str) -> None:
        """Hide a run from default views (recoverable with restore_run; `gittrack gc` removes it)."""
        self._set_stage(run_id, layout.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_stage(run_id, layout.ACTIVE)

    def _run_dir(self, run_id: str) -> Path:
        return find_run_dir(_store(), run_id)

    def _set_stage(self, run_id: str, stage: str) -> None:
        from gittrack.store.writer import set_lifecycle_stage

        set_lifecycle_stage(self._run_dir(run_id), stage)

    def _write(self, run_id: str, change: Callable[[Any], None]) -> None:
        """Change a run outside a start_run block: append, then re-compact a finished run."""
        from gittrack.store.writer import RunWriter, compact

        run_dir = self._run_dir(run_id)
        active = next((a for a in api._state.stack if a._writer.run_dir == run_dir), None)
        writer = active._writer if active else RunWriter.attach(run_dir)
        change(writer)
        if active is None:
            writer.close()
            if read_run(run_dir).meta.status != "RUNNING":
                compact(run_dir)
                if writer.metrics:
                    writer.write_meta(metrics={k: s for k, a in writer.metrics.items() if (s := a.summary())})


MlflowClient = Client
