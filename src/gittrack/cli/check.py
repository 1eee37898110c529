"""``gittrack check``."""

from __future__ import annotations

import sys

import click

from gittrack.cli.options import Context, emit, format_option, note


@click.command()
@click.option(
    "--fix", is_flag=True, help="Repair what needs no guessing (torn lines, temp files, dead runs)."
)
@click.option(
    "--full", is_flag=True, help="Check every run, also those unchanged since the last clean check."
)
@format_option(
    ("table", "json"),
    help="table: one 'path:line: message' per problem; json: a list of {path, line, message, fixed}.",
)
@click.pass_obj
def check(obj: Context, fix: bool, full: bool, fmt: str) -> None:
    """Check every file of the store; report each problem with file and line.

    Exits 1 when problems remain (after --fix), 0 when the store is clean.
    --fix drops torn last lines, removes orphan temporary files and empty metric
    files, and ends runs whose process died as KILLED. It never guesses: merge
    conflicts, bad YAML and wrong values are left for you to edit.
    A run unchanged since the last clean check is not read again; --full
    checks every run.

    \b
    Examples:
      gittrack check
      gittrack check --fix
      gittrack check --full
      gittrack check --format json
    """
    from gittrack.maintenance.check import check as check_store

    report = check_store(obj.store(), fix=fix, full=full)
    if fmt == "json":
        import json

        emit(json.dumps([i.to_dict() for i in report.items], indent=2, ensure_ascii=False) + "\n")
        note(report.summary())
    else:
        emit("".join(f"{line}\n" for line in report.lines()))
    if not report.ok:
        sys.exit(1)


COMMANDS = [check]
