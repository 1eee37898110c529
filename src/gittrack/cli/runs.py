"""``gittrack ls`` and ``gittrack show``."""

from __future__ import annotations

import click

from gittrack.cli.options import Context, emit, experiment_option, note, output_format, warn


@click.command("ls")
@experiment_option
@click.option(
    "-f",
    "--filter",
    "filter_string",
    default="",
    metavar="FILTER",
    help="MLflow-style filter, e.g. \"metrics.rmse < 0.5 and params.model = 'xgb'\".",
)
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
    help="Comma-separated columns to show, e.g. params.alpha,metrics.rmse.",
)
@click.option("--all-columns", is_flag=True, help="Show every param, metric and tag; no width limit.")
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
    fmt: str,
) -> None:
    """List runs, newest first.

    \b
    Examples:
      gittrack ls
      gittrack ls -e baseline -n 10 --format markdown
      gittrack ls -f "metrics.rmse < 0.8" -s "metrics.rmse ASC"
    """
    from gittrack.ls import ls
    from gittrack.render import render

    frame = ls(
        obj.store(),
        experiments=experiments,
        filter_string=filter_string,
        order_by=order_by or None,
        limit=limit,
        columns=columns.split(",") if columns else None,
        all_columns=all_columns,
        exact=fmt in ("csv", "json"),
        warn=warn,
    )
    if frame.empty:
        note("no runs")
        return
    emit(render(frame, fmt, note=note, wide=all_columns))


@click.command()
@click.argument("run")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "yaml", "json"]),
    default="text",
    show_default=True,
    help="text for people, yaml/json for programs.",
)
@click.pass_obj
def show(obj: Context, run: str, fmt: str) -> None:
    """Show everything about RUN (an id, a unique id prefix, or a run name).

    \b
    Example:
      gittrack show 20261126-1104
    """
    from gittrack.show import format_text
    from gittrack.show import show as show_run

    info = show_run(obj.store(), run, warn=warn)
    if fmt == "json":
        import json

        emit(json.dumps(info, indent=2, default=str, allow_nan=True) + "\n")
    elif fmt == "yaml":
        from gittrack.store import yamlio

        emit(yamlio.dump(info))
    else:
        emit(format_text(info))


COMMANDS = [ls_command, show]
