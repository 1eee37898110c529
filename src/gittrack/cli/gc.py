"""``gittrack rm``, ``gittrack restore`` and ``gittrack gc``."""

from __future__ import annotations

import click

from gittrack.cli.options import Context, note, warn


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.pass_obj
def rm(obj: Context, runs: tuple[str, ...]) -> None:
    """Mark runs deleted: `gittrack ls` no longer lists them (`ls --deleted` does), and
    nothing is lost until `gittrack gc`; `gittrack restore` brings them back.  RUN is an id,
    a unique id prefix or a run name; all are looked up before any is changed.

    \b
    Example:
      gittrack rm brave-fox 20261126-1104
    """
    for run_id in _set_stage(obj, runs, deleted=True):
        note(f"deleted {run_id} (gittrack restore {run_id} brings it back)")


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.pass_obj
def restore(obj: Context, runs: tuple[str, ...]) -> None:
    """Bring back runs marked deleted by `gittrack rm` (before `gittrack gc` removed them).
    RUN is an id, a unique id prefix or a run name.

    \b
    Example:
      gittrack restore brave-fox
    """
    for run_id in _set_stage(obj, runs, deleted=False):
        note(f"restored {run_id}")


def _set_stage(obj: Context, refs: tuple[str, ...], *, deleted: bool) -> list[str]:
    from gittrack.maintenance.gc import set_stage

    return set_stage(obj.store(), refs, deleted=deleted, warn=warn)


@click.command()
@click.option("--dry-run", is_flag=True, help="Only list the runs that would be removed.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def gc(obj: Context, dry_run: bool, yes: bool) -> None:
    """Remove for good the directories of runs marked deleted (by `gittrack rm` or
    `Client().delete_run`).  Asks first unless --yes; prints each run removed.  The
    removal is a change to your work tree like any other: commit it when you want.

    \b
    Example:
      gittrack gc --dry-run
      gittrack gc --yes
    """
    from gittrack.maintenance.gc import gc as collect

    store = obj.store()
    doomed = collect(store, dry_run=True, warn=warn)
    if not doomed:
        note("no deleted runs; nothing to remove")
        return
    if dry_run:
        for run_id in doomed:
            click.echo(f"would remove {run_id}")
        return
    if not yes:
        click.confirm(f"Remove {len(doomed)} deleted run(s) for good?", abort=True, err=True)
    # a second look right before removing (a run may have been restored meanwhile); its
    # warnings were already shown by the first
    for run_id in collect(store, dry_run=False, only=doomed):
        click.echo(f"removed {run_id}")


COMMANDS = [rm, restore, gc]
