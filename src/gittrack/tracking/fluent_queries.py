"""The fluent functions that only read or change stored things: experiments and run searches.

They keep no state of their own: each is a call on a new :class:`Client`; those that
default to "the active experiment" ask :func:`gittrack.tracking.fluent.active_experiment_id`.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gittrack.errors import GittrackWarning, MlflowException
from gittrack.query.filter_parse import parse_filter, parse_order_by
from gittrack.tracking import paging
from gittrack.tracking.client import Client
from gittrack.tracking.entities import Experiment, Run, ViewType
from gittrack.tracking.fluent import active_experiment_id

if TYPE_CHECKING:
    import pandas as pd


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    return Client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return Client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return Client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    Client().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    Client().restore_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    """Tag the active experiment."""
    Client().set_experiment_tag(active_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    Client().set_experiment_tags(active_experiment_id(), tags)


def delete_experiment_tag(key: str) -> None:
    Client().delete_experiment_tag(active_experiment_id(), key)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Every matching experiment (the fluent API collects all pages, as MLflow's does)."""
    client, token = Client(), None
    found: list[Experiment] = []
    while max_results is None or len(found) < max_results:
        want = (
            paging.MAX_RESULTS_THRESHOLD
            if max_results is None
            else min(max_results - len(found), paging.MAX_RESULTS_THRESHOLD)
        )
        page = client.search_experiments(view_type, want, filter_string, order_by, token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def get_run(run_id: str) -> Run:
    """A run by id (or unique id prefix) from the current store."""
    return Client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    return Client().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    Client().delete_run(run_id)


def restore_run(run_id: str) -> None:
    Client().restore_run(run_id)


def search_runs(
    experiment_ids: str | Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | int = ViewType.ACTIVE_ONLY,
    max_results: int = paging.PANDAS_MAX_RESULTS,
    order_by: Sequence[str] | str | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
    *,
    rev: str | None = None,
    group_by: Sequence[str] | str | None = None,
    agg: Sequence[str] | None = None,
    typed_params: bool = False,
) -> pd.DataFrame | list[Run]:
    """Runs matching an MLflow-style filter, as MLflow's DataFrame (default) or a list of Runs.

    As in MLflow, with no experiment given the active experiment is searched
    (``search_all_experiments=True`` searches all).  gittrack extensions: ``rev`` reads runs
    as committed at a git revision, ``group_by``/``agg`` aggregate metrics per group
    (:func:`gittrack.query.group.group_runs`), ``typed_params=True`` keeps params as logged
    (ints, floats...) instead of MLflow's strings.
    """
    from gittrack.tracking.mlflow_frame import mlflow_frame, runs_from_frame

    if output_format not in ("pandas", "list"):
        raise MlflowException(f"Unsupported output format: {output_format}.", "INVALID_PARAMETER_VALUE")
    if experiment_ids and experiment_names:
        raise MlflowException(
            "Only experiment_ids or experiment_names can be used, but not both", "INVALID_PARAMETER_VALUE"
        )
    limit = _fluent_limit(max_results)
    client = Client()
    wanted = _searched_experiments(client, experiment_ids, experiment_names, search_all_experiments)
    if wanted == [] or limit == 0:
        parse_filter(filter_string)  # syntax errors surface even when nothing is searched
        parse_order_by(order_by)
        return [] if output_format == "list" else mlflow_frame(_empty(), client.store, typed_params)
    frame = client.search_frame(
        wanted,
        filter_string,
        run_view_type,
        order_by,
        max_results=None if limit is None else limit + 1,
        rev=rev,
        typed_params=typed_params,
    )
    if limit is not None and len(frame) > limit:
        if max_results == paging.PANDAS_MAX_RESULTS:
            warnings.warn(
                f"search_runs: more than {limit} runs match; only the first {limit} are returned "
                "(pass max_results to get more)",
                GittrackWarning,
                stacklevel=2,
            )
        frame = frame.head(limit)
    if group_by:
        from gittrack.query.group import group_runs

        return group_runs(frame, group_by, agg=agg)
    if output_format == "list":
        return runs_from_frame(frame, client.store)
    return mlflow_frame(frame, client.store, typed_params)


def _searched_experiments(
    client: Client,
    ids: str | Sequence[str] | None,
    names: Sequence[str] | None,
    search_all: bool,
) -> list[str] | None:
    """The experiments a fluent search covers; None for all of them."""
    if ids:
        return [ids] if isinstance(ids, (str, int)) else list(ids)
    if names:
        wanted = [names] if isinstance(names, str) else list(names)
        return [e.name for e in client.get_experiments_by_name(wanted)]
    return None if search_all else [active_experiment_id()]


def _fluent_limit(max_results: object) -> int | None:
    """MLflow's fluent ``max_results``: a whole number (0 or less finds nothing), or None for all."""
    if max_results is None:
        return None
    try:
        limit = operator.index(max_results)  # type: ignore[arg-type]
    except TypeError:
        limit = None
    if limit is None or isinstance(max_results, bool):
        raise MlflowException(
            f"Invalid value {max_results!r} for parameter 'max_results': it must be a whole number",
            "INVALID_PARAMETER_VALUE",
        )
    return max(limit, 0)


def _empty() -> pd.DataFrame:
    from gittrack.query.frame import frame_from_rows

    return frame_from_rows([])
