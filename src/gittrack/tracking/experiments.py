"""Experiment names: validation, and ids as MLflow code passes them.

An experiment's id is its name.  MLflow's default experiment has id ``"0"``; code that
passes ``"0"`` (or ``0``) gets gittrack's ``Default``.
"""

from __future__ import annotations

from gittrack.errors import ConfigError

DEFAULT = "Default"
DEFAULT_ID = "0"


def check_name(name: object) -> str:
    """``name`` if it can name an experiment, else a ConfigError saying why."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"experiment name must be a non-empty string, got {name!r}")
    if any(ord(c) < 32 for c in name) or len(name) > 250:
        raise ConfigError(f"experiment name {name[:60]!r} has control characters or is too long")
    return name


def experiment_name(experiment_id: object) -> str:
    """The name an experiment id stands for: itself, or Default for MLflow's ``"0"``."""
    whole = isinstance(experiment_id, int) and not isinstance(experiment_id, bool)
    text = str(experiment_id) if whole else experiment_id
    if text == DEFAULT_ID:
        return DEFAULT
    return check_name(text)
