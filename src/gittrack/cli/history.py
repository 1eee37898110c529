"""``gittrack diff``, ``log``, ``commit``, ``lfs`` and ``checkout``: runs through git history."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gittrack.cli.options import (
    Context,
    emit,
    experiment_option,
    format_option,
    note,
    output_format,
    warn,
)


@click.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@experiment_option
@click.option(
    "-m", "--metric", "metrics", multiple=True, metavar="METRIC", help="Only this metric (repeatable)."
)
@click.option("--all", "all_experiments", is_flag=True, help="Also list experiments where nothing changed.")
@format_option(
    ("table", "markdown", "json"),
    help="table for terminals, markdown for a pull-request comment, json for programs.",
)
@click.option(
    "--fail-if-worse",
    "gates",
    multiple=True,
    metavar="METRIC[:TOL]",
    help="Exit 1 when HEAD's best METRIC is worse than BASE's by more than TOL "
    "(absolute, or relative as 5%; default 0). Repeatable.",
)
@click.pass_obj
def diff_command(
    obj: Context,
    base: str | None,
    head: str | None,
    experiments: tuple[str, ...],
    metrics: tuple[str, ...],
    all_experiments: bool,
    fmt: str,
    gates: tuple[str, ...],
) -> None:
    """Compare the runs of BASE with those of HEAD, per experiment: runs added and removed,
    the best run of each metric on each side, the change, and the params that differ.

    BASE defaults to diff.base of .gittrack.yml, else the merge-base of HEAD with
    main/master; HEAD defaults to the working tree. A --metric or --fail-if-worse metric
    that no run of either side has is an error (exit 2) naming the nearest one.

    \b
    Examples:
      gittrack diff
      gittrack diff main feature-x
      gittrack diff origin/main HEAD --format markdown > report.md
      gittrack diff origin/main HEAD --fail-if-worse rmse:5%
    """
    from gittrack.review.diff import diff, parse_gate, worse_changes
    from gittrack.review.diff_render import render_markdown, render_table, to_json
    from gittrack.store.config import load_config

    checks = [parse_gate(g) for g in gates]  # bad gates fail before any reading
    report = diff(
        obj.store(),
        base=base,
        head=head,
        config=load_config(),
        experiments=experiments,
        metrics=metrics,
        gates=[metric for metric, _tolerance in checks],
        all_experiments=all_experiments,
        warn=warn,
    )
    render = {"table": render_table, "markdown": render_markdown, "json": to_json}[fmt]
    emit(render(report))
    failed = False
    for metric, tolerance in checks:
        for line in worse_changes(report, metric, tolerance, note=note):
            click.echo(f"Error: {line}", err=True)
            failed = True
    if failed:
        sys.exit(1)


@click.command("log")
@experiment_option
@click.option("-m", "--metric", default=None, metavar="METRIC", help="Metric to follow (default: see below).")
@click.option(
    "-n", "--max-count", type=click.IntRange(min=1), default=20, show_default=True, help="Last N commits."
)
@output_format
@click.pass_obj
def log_command(
    obj: Context, experiments: tuple[str, ...], metric: str | None, max_count: int, fmt: str
) -> None:
    """The best value of a metric at each commit of the current branch (first parents),
    with the runs made at that commit and the running best.

    The metric defaults to the primary metric: primary_metric in .gittrack.yml, else the
    first validation-like metric by name (val_*, then eval_*/dev_*, then test_*), else the
    first by name. Runs tied for the best are listed as `a = b`.

    \b
    Examples:
      gittrack log
      gittrack log -e linear-fit -m rmse -n 10
    """
    from gittrack.review.history import log, log_frame
    from gittrack.review.render import render
    from gittrack.store.config import load_config

    report = log(
        obj.store(),
        config=load_config(),
        metric=metric,
        experiments=experiments,
        max_count=max_count,
        warn=warn,
    )
    emit(render(log_frame(report, exact=fmt in ("csv", "json")), fmt, note=note))


@click.command("commit")
@click.argument("runs", nargs=-1)
@click.option("-m", "--message", default=None, metavar="MSG", help="Commit message (default: generated).")
@click.option("--all-finished", is_flag=True, help="Every ended run (not RUNNING) with uncommitted files.")
@click.option("--with-code", is_flag=True, help="Also commit the tracked changes of the code (git add -u).")
@click.pass_obj
def commit_command(
    obj: Context, runs: tuple[str, ...], message: str | None, all_finished: bool, with_code: bool
) -> None:
    """Commit the run directories of RUNS (or --all-finished) with a message that sums
    them up, one line per experiment. Nothing else you staged is committed.

    Refuses a RUNNING run. A run left RUNNING by a process that is gone (kill -9, a
    crash) is first ended KILLED, as `gittrack check --fix` does, with a warning. Warns
    about artifacts over artifacts.max_commit_mb, with the git lfs track line to use.

    \b
    Examples:
      gittrack commit --all-finished
      gittrack commit 20261126-1104 --with-code -m "lr sweep"
    """
    from gittrack.maintenance.commit import commit
    from gittrack.store.config import load_config

    if runs and all_finished:
        raise click.UsageError("give RUNS or --all-finished, not both")
    done = commit(
        obj.store(),
        runs,
        config=load_config(),
        message=message,
        all_finished=all_finished,
        with_code=with_code,
        warn=warn,
    )
    subject = done.message.splitlines()[0]
    note(f"[{done.commit[:8]}] {subject} ({len(done.runs)} run(s), {len(done.paths)} file(s))")


@click.command("lfs")
@click.argument("patterns", nargs=-1)
def lfs_command(patterns: tuple[str, ...]) -> None:
    """Write Git LFS rules to .gitattributes for the patterns of artifacts.lfs in
    .gittrack.yml (and PATTERNS), as git lfs track does. Idempotent.

    \b
    Example:
      gittrack lfs
      gittrack lfs "*.pt" "*.onnx"
    """
    from gittrack.errors import ConfigError
    from gittrack.maintenance.lfs import lfs_track
    from gittrack.store.config import load_config

    config = load_config()
    if config.root is None:
        raise ConfigError(f"{config.base} is not inside a git repository")
    wanted = [*(str(p) for p in config.get("artifacts", "lfs") or []), *patterns]
    if not wanted:
        note('no patterns: list them in .gittrack.yml under artifacts: lfs: ["*.pt"], or give them')
        return
    added = lfs_track(config.root, wanted)
    for line in added:
        note(f"added to .gitattributes: {line}")
    if not added:
        note(".gitattributes already sends every pattern to Git LFS; nothing to do")


@click.command("checkout")
@click.argument("run")
@click.option(
    "--worktree",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Where to create the worktree (default: ../<repo>-<short run id>).",
)
@click.pass_obj
def checkout_command(obj: Context, run: str, worktree: Path | None) -> None:
    """Recreate the code RUN ran in a new git worktree: its commit, detached, with its
    saved git.diff applied. Your work tree is not touched. Prints the worktree's path.

    \b
    Example:
      gittrack checkout 20261126-1104 --worktree ../repro
    """
    from gittrack.maintenance.checkout import checkout

    done = checkout(obj.store(), run, worktree=worktree, warn=warn)
    emit(f"{done.path}\n")
    what = "with the run's git.diff applied" if done.applied_diff else "(the run's tree was clean)"
    note(f"worktree at {done.commit[:8]} {what}; remove it with: git worktree remove {done.path}")
    if done.untracked:
        listed = ", ".join(done.untracked[:5]) + (", ..." if len(done.untracked) > 5 else "")
        warn(f"{len(done.untracked)} untracked file(s) were not recorded by the run: {listed}")


COMMANDS = [diff_command, log_command, commit_command, lfs_command, checkout_command]
