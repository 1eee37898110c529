"""The environment files of a model directory: ``requirements.txt``, ``python_env.yaml``,
``conda.yaml`` (MLflow's names and shapes), so tools that rebuild a model's environment
from them (``mlflow models serve``...) find what they expect.

Requirements pin the installed versions of the packages the flavor needs; gittrack
itself is not listed, because the model files do not need it to load.
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence
from pathlib import Path

from gittrack.store import yamlio
from gittrack.store.atomic import write_atomic

REQUIREMENTS = "requirements.txt"
PYTHON_ENV = "python_env.yaml"
CONDA_ENV = "conda.yaml"


def pinned(distribution: str) -> str:
    """``name==version`` of an installed distribution, or the bare name when it is absent."""
    try:
        return f"{distribution}=={importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return distribution


def write_environment(
    path: Path,
    default: Sequence[str],
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
) -> list[str]:
    """Write the three files into model directory ``path``; return the requirements."""
    requirements = list(pip_requirements) if pip_requirements is not None else list(default)
    requirements += [r for r in extra_pip_requirements or [] if r not in requirements]
    write_atomic(path / REQUIREMENTS, "\n".join(requirements) + "\n")
    python = platform.python_version()
    build = [pinned("pip"), pinned("setuptools"), "wheel"]
    env = {"python": python, "build_dependencies": build, "dependencies": ["-r requirements.txt"]}
    write_atomic(path / PYTHON_ENV, yamlio.dump(env))
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", pinned("pip").replace("==", "<=", 1), {"pip": requirements}],
        "name": "mlflow-env",
    }
    write_atomic(path / CONDA_ENV, yamlio.dump(conda))
    return requirements
