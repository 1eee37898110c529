"""Write docs/cli.md from the commands' --help texts (tests/test_docs.py checks it is current).

Usage: python scripts/cli_docs.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gittrack.cli import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
INTRO = """# gittrack command line

Generated from `--help` by `python scripts/cli_docs.py`; do not edit by hand.

Every command that prints runs takes `--format table|csv|json|markdown`: tables are for
people (rounded, shortened, fitted to the terminal), CSV and JSON carry every value exactly,
markdown is for pull requests. Data goes to stdout, messages to stderr. Errors are one line
`Error: ...` on stderr with exit status 1; usage errors exit with 2, and so does a metric,
param, tag or column that no run in scope has (the message names the nearest one: "did you
mean 'accuracy'?"). RUN is a run id, a unique id prefix, or a run name.
"""


def help_text(command: click.Command, name: str) -> str:
    with click.Context(command, info_name=name, terminal_width=100, max_content_width=100) as ctx:
        return command.get_help(ctx)


def render() -> str:
    parts = [INTRO, "## gittrack\n", "```\n" + help_text(cli, "gittrack") + "\n```\n"]
    for name in sorted(cli.commands):
        command = cli.commands[name]
        parts.append(f"## gittrack {name}\n")
        parts.append("```\n" + help_text(command, f"gittrack {name}") + "\n```\n")
        # a group's subcommands (gittrack models ls, gittrack import mlflow) each get a section
        for sub in sorted(getattr(command, "commands", {})):
            full = f"gittrack {name} {sub}"
            parts.append(f"### {full}\n")
            parts.append("```\n" + help_text(command.commands[sub], full) + "\n```\n")  # type: ignore[attr-defined]
    return "\n".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if DOC.read_text(encoding="utf-8") != text:
            print("docs/cli.md is out of date: run python scripts/cli_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
