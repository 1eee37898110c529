"""``gittrack run``, ``gittrack sweep`` and ``gittrack reproduce``: commands as tracked runs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gittrack.cli.options import Context, emit, note, output_format

if TYPE_CHECKING:
    from gittrack.runner.sweep import Progress

# Options end at the first argument: everything from there (or after "--") is the command.
_COMMAND_SETTINGS = {"allow_interspersed_args": False}


def _grace_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--grace",
        type=click.FloatRange(min=0),
        default=10.0,
        show_default=True,
        help="Seconds a command gets to exit after Ctrl-C/SIGTERM before it is killed.",
    )(func)


def _parse_metrics_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--parse-metrics",
        is_flag=True,
        help="Log 'name=number' and 'name: number' pairs printed by the command as metrics "
        "('step N' or 'epoch N' on the line gives the step); output.patterns in .gittrack.yml adds regexes.",
    )(func)


@click.command("run", context_settings=_COMMAND_SETTINGS)
@click.option("-e", "--experiment", metavar="NAME", help="Experiment of the run.")
@click.option("-n", "--name", metavar="NAME", help="Run name (default: generated, e.g. swift-otter-42).")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Param, typed as YAML (lr=0.1 float, depth=3 int, model=xgb text); repeatable. "
    "The command gets it as $GITTRACK_PARAM_<KEY> and from gittrack.params().",
)
@click.option("-t", "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag; repeatable.")
@_parse_metrics_option
@_grace_option
@click.option("--parent-run-id", metavar="RUN", help="Record the run as a child of RUN.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def run(
    obj: Context,
    experiment: str | None,
    name: str | None,
    params: tuple[str, ...],
    tags: tuple[str, ...],
    parse_metrics: bool,
    grace: float,
    parent_run_id: str | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND as one tracked run and exit with its exit code.

    The output is shown live and saved to the run's output.log (capped by
    output.max_log_mb: the start and the last MiB are kept). gittrack API calls
    in COMMAND log into this run. Exit code 0 ends the run FINISHED, others
    FAILED (with the error from the end of the command's stderr); Ctrl-C or a
    kill ends it KILLED. The exit code is in source.exit_code.

    The script's own choices win. The first run it opens is this run: the
    experiment and name it chooses (set_experiment, start_run(run_name=...,
    experiment_id=..., description=...)) are written into this run, and -e/-n
    give way with a one-line note. The command, its environment, output and exit
    code stay in this run. A run the script opens later under another name or
    experiment is a run of its own (a child of this one), and a line on stderr
    says so; nested runs are children as always.

    \b
    Example:
      gittrack run -e baseline -p lr=0.1 -p depth=3 -- python train.py --fast
    """
    from gittrack.runner.command import run_command
    from gittrack.runner.env import parse_params, parse_tags

    result = run_command(
        command,
        store=obj.store(),
        experiment=experiment,
        name=name,
        params=parse_params(params),
        tags=parse_tags(tags),
        parent_run_id=parent_run_id,
        parse_metrics=parse_metrics,
        grace=grace,
        note=_note,
    )
    _note(f"run {result.run_id} {result.status} (exit code {result.exit_code})")
    sys.exit(result.exit_code)


@click.command(context_settings=_COMMAND_SETTINGS)
@click.option(
    "-p",
    "--param",
    "axes",
    multiple=True,
    metavar="KEY=VALUES",
    help="Values of a param: a comma list (lr=0.1,0.01) or an inclusive integer range "
    "(depth=3:8, n=0:100:10); repeatable. Trials are every combination.",
)
@click.option("--random", "random_n", type=click.IntRange(min=1), metavar="N", help="Run N random trials.")
@click.option("--seed", type=int, help="Seed of --random (default: drawn, and recorded).")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Parallel trials."
)
@click.option("-e", "--experiment", metavar="NAME", help="Experiment of the sweep and its trials.")
@click.option("-n", "--name", metavar="NAME", help="Name of the parent run.")
@_parse_metrics_option
@_grace_option
@click.option("--show-output", is_flag=True, help="Show the trials' output (it is always in output.log).")
@click.option("--resume", metavar="PARENT", help="Rerun the missing and failed trials of sweep PARENT.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def sweep(
    obj: Context,
    axes: tuple[str, ...],
    random_n: int | None,
    seed: int | None,
    jobs: int,
    experiment: str | None,
    name: str | None,
    parse_metrics: bool,
    grace: float,
    show_output: bool,
    resume: str | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND once per combination of params, each trial a `gittrack run`,
    under a parent run that records the sweep. {KEY} in COMMAND's arguments is
    replaced by the trial's value. Ctrl-C stops the sweep: running trials and
    the parent end KILLED, and --resume runs what is left.

    Use sweep for a grid or random search of a command on one machine. For
    searches that adapt to results (TPE, pruning, ASHA), many machines, or
    trials inside Python, use Optuna or Ray Tune with their gittrack callbacks
    (gittrack.integrations.optuna, gittrack.integrations.ray; docs/integrations.md).

    \b
    Examples:
      gittrack sweep -p lr=0.1,0.01,0.001 -p depth=3:8 -j 4 -- python train.py --lr {lr}
      gittrack sweep -p lr=0.1,0.01 -p depth=1:100 --random 20 --seed 1 -- python train.py
      gittrack sweep --resume 20261126-1104
    """
    from gittrack.runner import sweep as sweeps

    progress = _Progress()
    if resume is not None:
        if axes or command or random_n is not None or seed is not None or experiment or name or parse_metrics:
            raise click.UsageError(
                "--resume takes the params, command and settings from the sweep; give none"
            )
        result = sweeps.resume(
            resume, store=obj.store(), jobs=jobs, grace=grace, show_output=show_output, progress=progress
        )
    else:
        if not command or not axes:
            raise click.UsageError("give params with -p KEY=VALUES and the command after --")
        if seed is not None and random_n is None:
            raise click.UsageError("--seed only goes with --random N")
        result = sweeps.sweep(
            command, axes, store=obj.store(), experiment=experiment, name=name, random=random_n,
            seed=seed, jobs=jobs, parse_metrics=parse_metrics, grace=grace, show_output=show_output,
            progress=progress,
        )  # fmt: skip
    progress.end()
    _note(f"sweep {result.parent_run_id} {result.status}: {result.finished}/{result.total} trials finished")
    if result.finished < result.total:
        _note(f"run the failed and missing trials again with: gittrack sweep --resume {result.parent_run_id}")
    sys.exit(result.exit_code)


class _Progress:
    """One progress line on stderr: redrawn in place on a terminal, a line per change otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        line = f"gittrack sweep: {progress.line()}"
        click.echo(f"\r{line}\x1b[K" if self.tty else line, nl=not self.tty, err=True)
        self.drawn = True

    def end(self) -> None:
        if self.tty and self.drawn:
            click.echo("", err=True)


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option(
    "--worktree",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to check out the run's code, kept afterwards (default: a temporary directory, "
    "removed at the end).",
)
@_grace_option
@output_format
@click.pass_obj
def reproduce(obj: Context, run_ref: str, worktree: Path | None, grace: float, fmt: str) -> None:
    """Run RUN again on its exact code: its commit and uncommitted diff are
    checked out in a new git worktree (as `gittrack checkout` does), its command
    runs there as `gittrack run` runs it, as a new run tagged reproduced_from=RUN,
    and the two runs are shown side by side on stdout (the command's output goes
    to stderr). Exits with the command's exit code.

    The command is the one `gittrack run` recorded (with the same -p params), or,
    for a run logged from a Python script, its interpreter and argv. A temporary
    worktree is removed at the end, also after a failure or Ctrl-C.

    \b
    Example:
      gittrack reproduce 20261126-1104 --worktree ../repro
    """
    from gittrack.review.compare import mark_best
    from gittrack.review.render import render
    from gittrack.runner.reproduce import reproduce as reproduce_run

    # The command's output goes to stderr, so stdout holds only the comparison (data).
    err = sys.stderr.buffer
    done = reproduce_run(
        run_ref, store=obj.store(), worktree=worktree, grace=grace, stdout=err, stderr=err, note=_note
    )
    _note(f"run {done.run.run_id} {done.run.status} (exit code {done.run.exit_code})")
    frame = mark_best(done.comparison) if fmt in ("table", "markdown") else done.comparison
    emit(render(frame, fmt, note=note))
    sys.exit(done.run.exit_code)


def _note(message: str) -> None:
    note(f"gittrack: {message}")


COMMANDS = [run, sweep, reproduce]
