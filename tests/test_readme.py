"""The README's "Use gittrack in your own project" runs as written, in a fresh virtualenv.

The one substitution is where gittrack comes from: ``/path/to/gittrack`` (and the git URL)
become this checkout.  pip installs the dependencies as a user's pip would; the user's pip
cache is reused, since the test's HOME is a fresh one.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git, make_repo

ROOT = Path(__file__).resolve().parent.parent
GIT_URL = "git+https://github.com/<you>/gittrack.git"

MLFLOW_SCRIPT = """\
import mlflow

mlflow.set_experiment("my-model")
with mlflow.start_run(run_name="baseline"):
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("train_rmse", 0.3)
    mlflow.log_metric("val_rmse", 0.42)
"""


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Use gittrack in your own project\n")
    return text[start : text.index("\n## ", start + 1)]


def block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", section(), flags=re.DOTALL)
    assert len(found) == 1, found
    return str(found[0])


@pytest.fixture
def venv(tmp_path: Path) -> dict[str, str]:
    """The environment of a shell with a new virtualenv (no system site-packages) activated."""
    path = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        VIRTUAL_ENV=str(path),
        PATH=f"{path / 'bin'}{os.pathsep}{env['PATH']}",
        PIP_CACHE_DIR=str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "pip"),
    )
    return env


def shell(script: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_the_five_lines_take_an_mlflow_script_to_a_committed_run(
    tmp_path: Path, venv: dict[str, str]
) -> None:
    project = make_repo(tmp_path / "my-project", {"train.py": MLFLOW_SCRIPT})
    lines = [line for line in block("bash").splitlines() if line.strip()]
    assert len(lines) == 5
    shell(block("bash").replace("/path/to/gittrack", str(ROOT)), project, venv)

    # installed into the virtualenv, not imported from this checkout
    where = shell("python -c 'import gittrack; print(gittrack.__file__)'", project, venv)
    assert where.startswith(venv["VIRTUAL_ENV"])
    assert (
        git(project, "log", "-1", "--format=%s")
        == "gittrack: 1 run in my-model (best val_rmse 0.42: baseline)"
    )
    committed = git(project, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert any(p.endswith("/metrics/val_rmse.csv") for p in committed)
    # what is left to commit: init's files and the changed import
    status = {line.strip() for line in git(project, "status", "--porcelain").splitlines()}
    assert status == {"M train.py", "?? .gitignore", "?? .gittrack.yml"}
    assert (project / "train.py").read_text().startswith("import gittrack as mlflow\n")

    # as a dependency in pyproject.toml (a file:// URL for this checkout: the pip a new
    # virtualenv has rejects git+file:/// URLs, and the git form resolves the same way)
    toml = block("toml")
    assert GIT_URL in toml
    (project / "pyproject.toml").write_text(toml.replace(GIT_URL, f"file://{ROOT}"))
    shell(
        "pip uninstall --quiet --yes gittrack && pip install --quiet . && gittrack --version", project, venv
    )
