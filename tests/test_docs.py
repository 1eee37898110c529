"""Docs that cannot drift: every command has help with an example and is in docs/cli.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gittrack.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name: str) -> None:
    command = cli.commands[name]
    assert command.help, f"gittrack {name} has no help"
    assert "Example" in command.help, f"gittrack {name} --help has no example"
    assert f"## gittrack {name}\n" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_cli_reference_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_example_config_documents_every_default() -> None:
    from gittrack.store import yamlio
    from gittrack.store.config import DEFAULTS

    example = yamlio.load((ROOT / ".gittrack.example.yml").read_text(encoding="utf-8"))
    assert example == DEFAULTS


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    assert "scripts/demo.sh" in first_block and "scripts/test.sh" in first_block
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci
