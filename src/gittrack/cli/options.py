"""Options shared by several commands, as decorators, and the per-invocation context."""

from __future__ import annotations

from collections.abc import Callable
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
        from gittrack.config import load_config, resolve_store

        return resolve_store(self.store_option, load_config())


def output_format(func: F) -> F:
    """``--format table|csv|json|markdown``: tables for people, csv/json lossless."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for terminals, csv/json for programs (exact values), markdown for PRs.",
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
