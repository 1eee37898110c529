"""``gittrack init``."""

from __future__ import annotations

from pathlib import Path

import click

from gittrack.cli.options import note


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(path: Path) -> None:
    """Set up run tracking in the repository at PATH (idempotent).

    Creates .runs/, a .gittrack.yml with the documented defaults, and a
    .gitignore rule for the cache.

    \b
    Example:
      gittrack init
    """
    from gittrack.maintenance.init import init as init_repo

    done = init_repo(path)
    for line in done or ["already initialised; nothing to do"]:
        note(line)


COMMANDS = [init]
