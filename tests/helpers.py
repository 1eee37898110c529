"""Small builders shared by the core test files (tests only; no mocks, real git and files)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from gittrack.store import yamlio


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; return its stripped stdout."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_repo(path: Path, files: dict[str, str] | None = None, *, commit: bool = True) -> Path:
    """A new repository at ``path`` holding ``files``, committed unless ``commit`` is False."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for name, content in (files or {}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    if commit:
        git(path, "add", "-A")
        git(path, "commit", "-q", "--allow-empty", "-m", "initial")
    return path


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def load_yaml(path: Path) -> Any:
    """A YAML file of a run, through gittrack's own loader."""
    return yamlio.load(path.read_bytes())


def run_dirs(store: Path) -> list[Path]:
    """Run directories of a store (hidden folders such as ``.cache``, and the experiment and
    registry folders, excluded)."""
    if not store.is_dir():
        return []
    reserved = ("experiments", "models", "environments")
    return sorted(
        p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in reserved
    )


def only_run(store: Path) -> Path:
    """The one run directory of ``store`` (fails when there are more or none)."""
    dirs = run_dirs(store)
    assert len(dirs) == 1, dirs
    return dirs[0]


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes: compare two snapshots to prove nothing changed."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def same_value(a: object, b: object) -> bool:
    """Equal value and type; floats compared by repr so NaN equals NaN and -0.0 differs from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


def same_float(a: float, b: float) -> bool:
    return repr(float(a)) == repr(float(b)) or (math.isnan(a) and math.isnan(b))


def run_python(cwd: Path, code: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this interpreter in ``cwd`` (inheriting the hermetic environment)."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip


def cli_runner() -> CliRunner:
    """A CliRunner whose result keeps stdout and stderr apart, whatever the click version."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 always keeps them apart


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """``gittrack *args`` in process, in the current directory."""
    from gittrack.cli import cli

    return cli_runner().invoke(cli, list(args), env={"COLUMNS": "200", **(env or {})}, prog_name="gittrack")


def table(stdout: str) -> tuple[list[str], list[list[str]]]:
    """Column names and cells of a terminal table (``render``'s "simple" style).

    Column spans come from the dashed rule; header lines above it are joined with ".",
    since ``params.lr`` is shown as ``params`` over ``lr``.
    """
    lines = stdout.splitlines()
    rule_at = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "})
    rule = lines[rule_at]
    spans, start = [], None
    for i, char in enumerate(rule + " "):
        if char == "-" and start is None:
            start = i
        elif char != "-" and start is not None:
            spans.append((start, i))
            start = None

    def cut(line: str) -> list[str]:
        return [line[a:b].strip() if b < len(rule) else line[a:].strip() for a, b in spans]

    heads = [cut(line) for line in lines[:rule_at]]
    names = [".".join(part for part in parts if part) for parts in zip(*heads, strict=True)]
    return names, [cut(line) for line in lines[rule_at + 1 :]]
