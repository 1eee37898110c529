"""Configuration: ``.gittrack.yml`` at the top of the work tree, and where the store is.

Store precedence: an explicit ``set_tracking_uri``/``--store`` > ``GITTRACK_DIR`` >
``store:`` in ``.gittrack.yml`` > ``.runs`` at the top of the git work tree (or of
the current directory outside git).  Every key and its default is documented in
``.gittrack.example.yml``; :data:`DEFAULTS` must stay equal to it (a test checks).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittrack.errors import ConfigError

CONFIG_FILE = ".gittrack.yml"
ENV_STORE = "GITTRACK_DIR"

DEFAULTS: dict[str, Any] = {
    "store": ".runs",
    "experiment": "Default",
    "git": {"max_diff_kb": 1024, "max_untracked": 200},
    "capture": {"environment": True},
    "metrics": {},
    "primary_metric": None,
    "artifacts": {"max_commit_mb": 10, "lfs": []},
    "diff": {"base": None},
    "output": {"max_log_mb": 10, "patterns": []},
}


@dataclass(frozen=True)
class Config:
    root: Path | None  # top of the git work tree, None outside git
    base: Path  # root, or the current directory outside git
    data: dict[str, Any]

    def get(self, section: str, key: str | None = None) -> Any:
        value = self.data.get(section)
        return value if key is None else (value or {}).get(key)

    @property
    def store(self) -> Path:
        return resolve_store(None, self)


def find_root(start: Path) -> Path | None:
    """The top of the git work tree containing ``start``; a walk up, no git process."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def load_config(cwd: Path | None = None) -> Config:
    """Read ``.gittrack.yml`` (if any) over the defaults."""
    from gittrack.store import yamlio

    start = Path.cwd() if cwd is None else cwd
    root = find_root(start)
    base = root or start.resolve()
    data = copy.deepcopy(DEFAULTS)
    path = base / CONFIG_FILE
    if path.is_file():
        try:
            loaded = yamlio.load(path.read_bytes())
        except yamlio.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({_first_line(exc)})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of settings, got {type(loaded).__name__}")
        _merge(data, loaded or {}, path)
    return Config(root=root, base=base, data=data)


def resolve_store(explicit: str | os.PathLike[str] | None, config: Config) -> Path:
    """Where runs are stored, by the documented precedence."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env).expanduser().resolve()
    return (config.base / str(config.data["store"])).resolve()


def _merge(into: dict[str, Any], new: dict[str, Any], path: Path) -> None:
    for key, value in new.items():
        if key not in DEFAULTS:
            raise ConfigError(f"{path}: unknown setting {key!r}; see .gittrack.example.yml")
        if isinstance(DEFAULTS[key], dict) and DEFAULTS[key] and not isinstance(value, dict):
            raise ConfigError(f"{path}: {key!r} must be a mapping")
        if isinstance(value, dict) and isinstance(into[key], dict):
            into[key] = {**into[key], **value}
        else:
            into[key] = value


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
