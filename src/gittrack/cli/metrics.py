"""``gittrack metrics``."""

from __future__ import annotations

import click

from gittrack.cli.options import Context, emit, note, output_format, rev_option, warn


@click.command()
@click.argument("run")
@click.argument("names", nargs=-1, metavar="[METRIC]...")
@rev_option
@output_format
@click.pass_obj
def metrics(obj: Context, run: str, names: tuple[str, ...], rev: str | None, fmt: str) -> None:
    """Show the metrics of RUN (an id, a unique id prefix or a run name).  With no METRIC,
    one line per metric: last, min, max, count, last step and a sparkline of its history.
    With METRICs, their full histories (step, timestamp, value); several metrics make one
    long table with a `metric` column.  csv/json give exact values and epoch-ms timestamps.

    \b
    Example:
      gittrack metrics brave-fox
      gittrack metrics brave-fox val_loss train/loss --format csv
    """
    from gittrack.review.metrics_view import metrics_view
    from gittrack.review.render import render

    exact = fmt in ("csv", "json")
    frame = metrics_view(obj.store(), run, names, exact=exact, rev=rev, warn=warn)
    if frame.empty:
        note("no metrics" if not names else "no values")
        if not exact:
            return
    emit(render(frame, fmt, note=note))


COMMANDS = [metrics]
