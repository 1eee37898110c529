"""The ``gittrack`` command line: thin Click commands over the library.

Each command parses options, makes one library call and renders the result.
:class:`GittrackGroup` is the one boundary where library errors become a single
``Error: ...`` line on stderr and exit status 1 (2 for a name no run has: a usage error,
as Click's own).  The CLI is the top layer: it may import every package, but imports
heavy modules (pandas, the query engine, jinja2) only inside the commands that need them,
so ``gittrack --help`` stays fast.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import click

from gittrack import __version__
from gittrack.cli.options import Context, warn


class GittrackGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from gittrack.errors import GittrackError, UnknownKeyError

        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except UnknownKeyError as exc:  # a typo in an option: a usage error, as Click's are
                click.echo(f"Error: {exc}", err=True)
                sys.exit(2)
            except GittrackError as exc:
                click.echo(f"Error: {exc}", err=True)
                sys.exit(1)
            except BrokenPipeError:  # `gittrack ls | head`
                sys.stderr.close()
                sys.exit(0)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    warn(str(message))


@click.group(cls=GittrackGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="gittrack")
@click.option(
    "--store",
    metavar="PATH",
    envvar="GITTRACK_DIR",
    help="Run store to use (default: .runs at the top of the git work tree).",
)
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """Git-native experiment tracking: runs are plain files in your repository.

    \b
    Example:
      gittrack init
      python train.py        # uses `import gittrack as mlflow`
      gittrack ls
    """
    ctx.obj = Context(store_option=store)


def main() -> None:
    cli(prog_name="gittrack")


# Command modules; each defines COMMANDS. Importing them is cheap: heavy imports live
# inside the command functions.
_COMMAND_MODULES = (
    "setup", "runs", "compare", "metrics", "gc", "check", "run", "ui", "history", "models", "interop",
)  # fmt: skip


def _register() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        for command in importlib.import_module(f"gittrack.cli.{name}").COMMANDS:
            cli.add_command(command)


_register()
