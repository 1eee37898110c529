"""``gittrack compare`` and ``gittrack best``."""

from __future__ import annotations

import click

from gittrack.cli.options import (
    Context,
    emit,
    experiment_option,
    filter_option,
    note,
    output_format,
    rev_option,
    warn,
)


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option("--only-diff", is_flag=True, help="Hide rows whose value is the same in every run.")
@rev_option
@output_format
@click.pass_obj
def compare(obj: Context, runs: tuple[str, ...], only_diff: bool, rev: str | None, fmt: str) -> None:
    """Show runs side by side, one column per RUN (an id, a unique id prefix or a run name):
    params, metrics (the last value, and the best over all steps) and tags.  The best value
    of each metric is marked with * in tables; in csv/json the `best` column names the
    run(s) holding it.  Lower or higher is better as set under `metrics:` in .gittrack.yml,
    else as the metric's name suggests (loss, rmse... lower; accuracy, f1... higher).
    A RUN written REV:RUN is read as committed at git revision REV (a branch, tag or
    commit); a plain RUN from --rev when given, else from the working tree.

    \b
    Example:
      gittrack compare 20261126-1104 20261126-1212 brave-fox
      gittrack compare brave-fox calm-owl --only-diff --format markdown
      gittrack compare main:20261126-1104 feature-x:20261127-0930
    """
    from gittrack.review.compare import compare as compare_runs
    from gittrack.review.compare import mark_best
    from gittrack.review.render import render
    from gittrack.store.config import load_config

    frame = compare_runs(obj.store(), runs, only_diff=only_diff, rev=rev, config=load_config(), warn=warn)
    if frame.empty:
        note("no differences" if only_diff else "nothing to compare")
        return
    if fmt in ("table", "markdown"):
        frame = mark_best(frame)
    emit(render(frame, fmt, note=note))


@click.command()
@click.option("-m", "--metric", required=True, metavar="METRIC", help="The metric to rank runs by.")
@click.option(
    "--min/--max",
    "lower",
    default=None,
    help="Lower (--min) or higher (--max) is better [default: from .gittrack.yml or the name].",
)
@filter_option("Only runs matching this MLflow-style filter.")
@experiment_option
@click.option(
    "-n", "--limit", type=click.IntRange(min=1), default=1, show_default=True, help="Show the N best runs."
)
@rev_option
@output_format
@click.pass_obj
def best(
    obj: Context,
    metric: str,
    lower: bool | None,
    filter_string: str,
    experiments: tuple[str, ...],
    limit: int,
    rev: str | None,
    fmt: str,
) -> None:
    """Show the best run(s) by the last value of METRIC, best first, as `gittrack ls` does.
    Runs without the metric are left out.  Lower or higher is better as --min/--max say,
    else as set under `metrics:` in .gittrack.yml, else as the metric's name suggests.

    \b
    Example:
      gittrack best -m val_loss
      gittrack best -m accuracy -e baseline -n 3 -f "params.model = 'xgb'"
    """
    from gittrack.review.best import best as best_runs
    from gittrack.review.render import render
    from gittrack.store.config import load_config

    frame = best_runs(
        obj.store(),
        metric=metric,
        config=load_config(),
        direction=None if lower is None else "min" if lower else "max",
        filter_string=filter_string,
        experiments=experiments,
        limit=limit,
        rev=rev,
        exact=fmt in ("csv", "json"),
        warn=warn,
    )
    emit(render(frame, fmt, note=note))


COMMANDS = [compare, best]
