"""Options shared by several commands, as decorators, and the per-invocation context."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "csv", "json", "markdown")


@dataclass
class Context:
    store_option: str | None

    def store(self) -> Path:
        from gittrack.store.config import load_config, resolve_store

        return resolve_store(self.store_option, load_config())


def format_option(choices: Sequence[str], *, help: str, default: str = "table") -> Callable[[F], F]:
    """``--format`` with a command's own ``choices``."""
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=default, show_default=True, help=help
    )


# ``--format table|csv|json|markdown``: tables for people, csv/json lossless.
output_format = format_option(
    FORMATS, help="table for terminals, csv/json for programs (exact values), markdown for PRs."
)


def filter_option(help: str) -> Callable[[F], F]:
    """``-f/--filter FILTER``: an MLflow-style filter string (default: every run)."""
    return click.option("-f", "--filter", "filter_string", default="", metavar="FILTER", help=help)


def rev_option(func: F) -> F:
    """``--rev REV``: read runs as committed at a branch, tag or commit (no checkout)."""
    return click.option(
        "--rev",
        default=None,
        metavar="REV",
        help="Read runs as committed at this branch, tag or commit (straight from git; no checkout).",
    )(func)


def experiment_option(func: F) -> F:
    return click.option(
        "-e",
        "--experiment",
        "experiments",
        multiple=True,
        metavar="NAME",
        help="Only runs of this experiment (repeatable).",
    )(func)


def warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def note(message: str) -> None:
    click.echo(message, err=True)


def emit(text: str) -> None:
    click.echo(text, nl=False)
