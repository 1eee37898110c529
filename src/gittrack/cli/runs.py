"""``gittrack ls`` and ``gittrack show``."""

from __future__ import annotations

from typing import Any

import click

from gittrack.cli.options import (
    Context,
    emit,
    experiment_option,
    filter_option,
    format_option,
    note,
    output_format,
    rev_option,
    warn,
)


def _aggregates(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    from gittrack.errors import FilterError, UnknownKeyError
    from gittrack.query.group import check_aggregates

    try:
        return tuple(check_aggregates(value))
    except FilterError as exc:  # a typo: exit 2 with one line, as every unknown name
        raise UnknownKeyError(f"--agg: {str(exc).removeprefix('filter error: ')}") from None


def _view(*, deleted: bool, all_runs: bool) -> str:
    if deleted and all_runs:
        raise click.UsageError("--deleted and --all cannot be used together")
    return "all" if all_runs else "deleted" if deleted else "active"


def _check_grouping(*, order_by: tuple[str, ...], columns: str | None, all_columns: bool) -> None:
    for given, option in ((order_by, "--sort"), (columns, "--columns"), (all_columns, "--all-columns")):
        if given:
            raise click.UsageError(f"{option} cannot be used with --group-by")


@click.command("ls")
@experiment_option
@filter_option("MLflow-style filter, e.g. \"metrics.rmse < 0.5 and params.model = 'xgb'\".")
@click.option(
    "-s",
    "--sort",
    "order_by",
    multiple=True,
    metavar="KEY",
    help="Order key, e.g. 'metrics.rmse ASC' (repeatable; default start_time DESC).",
)
@click.option("-n", "--limit", type=click.IntRange(min=0), default=None, help="At most N runs.")
@click.option(
    "--columns",
    default=None,
    metavar="COLS",
    help="Comma-separated columns to show after the id and name, e.g. params.alpha,metrics.rmse "
    "(also experiment, status, stage, start, duration, commit, user, branch, parent).",
)
@click.option("--all-columns", is_flag=True, help="Show every param, metric and tag; no width limit.")
@click.option(
    "--group-by",
    default=None,
    metavar="KEYS",
    help="Group runs by comma-separated keys, e.g. params.lr,params.depth; aggregate their metrics.",
)
@click.option(
    "--agg",
    default=None,
    metavar="AGGS",
    callback=_aggregates,
    help="With --group-by: comma-separated aggregates of mean,std,min,max,count [default: mean,std,count].",
)
@click.option(
    "--parent", metavar="RUN", default=None, help="Only the child runs of RUN (e.g. the trials of a sweep)."
)
@click.option("--deleted", is_flag=True, help="Only runs marked deleted (by gittrack rm).")
@click.option("--all", "all_runs", is_flag=True, help="Active and deleted runs.")
@rev_option
@output_format
@click.pass_obj
def ls_command(
    obj: Context,
    experiments: tuple[str, ...],
    filter_string: str,
    order_by: tuple[str, ...],
    limit: int | None,
    columns: str | None,
    all_columns: bool,
    group_by: str | None,
    agg: tuple[str, ...] | None,
    parent: str | None,
    deleted: bool,
    all_runs: bool,
    rev: str | None,
    fmt: str,
) -> None:
    """List runs, newest first; or, with --group-by, one row per group of runs with the
    mean ± std (and other aggregates) of their metrics, e.g. over seeds.

    A --sort, --columns or --group-by key that no listed experiment's run has is an
    error naming the nearest key; a filter key no run has matches no run (as in MLflow)
    and is named in a warning.

    \b
    Examples:
      gittrack ls
      gittrack ls -e baseline -n 10 --format markdown
      gittrack ls -f "metrics.rmse < 0.8" -s "metrics.rmse ASC"
      gittrack ls --group-by params.lr,params.depth --agg mean,std,count
      gittrack ls --parent 20261126-1104      # the trials of a sweep
      gittrack ls --deleted
      gittrack ls --rev main~3
    """
    from gittrack.review.ls import ls, ls_table
    from gittrack.review.render import Table, render

    view = _view(deleted=deleted, all_runs=all_runs)
    if group_by is not None:
        _check_grouping(order_by=order_by, columns=columns, all_columns=all_columns)
    elif agg is not None:
        raise click.UsageError("--agg needs --group-by")
    query: dict[str, Any] = {
        "experiments": experiments,
        "filter_string": filter_string,
        "order_by": order_by or None,
        "limit": limit,
        "columns": [c.strip() for c in columns.split(",") if c.strip()] if columns else None,
        "all_columns": all_columns,
        "view": view,
        "exact": fmt in ("csv", "json"),
        "warn": warn,
    }
    frame: Table | None = None
    if group_by is None and parent is None and fmt != "csv":  # no pandas
        frame = ls_table(obj.store(), rev=rev, **query)
    if frame is None:
        frame = ls(obj.store(), group_by=group_by, agg=agg, parent=parent, rev=rev, **query)
    if frame.empty:
        note("no runs")
        if fmt in ("table", "markdown"):
            return  # csv and json still print a header / [] for the program reading them
    emit(render(frame, fmt, note=note, wide=all_columns))


@click.command()
@click.argument("run")
@format_option(("text", "yaml", "json"), default="text", help="text for people, yaml/json for programs.")
@rev_option
@click.pass_obj
def show(obj: Context, run: str, fmt: str, rev: str | None) -> None:
    """Show everything about RUN (an id, a unique id prefix, or a run name): why it failed,
    and its child runs (a sweep's trials) with their status and the primary metric.

    \b
    Example:
      gittrack show 20261126-1104
      gittrack show 20261126-1104 --rev main
    """
    from gittrack.review.show import format_text
    from gittrack.review.show import show as show_run

    info = show_run(obj.store(), run, rev=rev, warn=warn)
    if fmt == "json":
        import json

        emit(json.dumps(info, indent=2, default=str, allow_nan=True) + "\n")
    elif fmt == "yaml":
        from gittrack.store import yamlio

        emit(yamlio.dump(info))
    else:
        emit(format_text(info))


COMMANDS = [ls_command, show]
