"""``gittrack init``: prepare a repository for tracking (idempotent)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gittrack.store import cache
from gittrack.store.config import CONFIG_FILE, find_root


def init(path: Path) -> list[str]:
    """Create the store, ``.gittrack.yml`` and the ignore rules; return what was done."""
    base = find_root(path) or path.resolve()
    done = []
    store = base / ".runs"
    if not store.is_dir():
        store.mkdir(parents=True)
        done.append(f"created {store}")
    cache.ensure_cache_dir(store)
    config = base / CONFIG_FILE
    if not config.exists():
        config.write_text(default_config_text(), encoding="utf-8")
        done.append(f"wrote {config}")
    if add_ignore_rule(base / ".gitignore", ".runs/.cache/"):
        done.append(f"added .runs/.cache/ to {base / '.gitignore'}")
    return done


def default_config_text() -> str:
    """The documented defaults, as shipped in the package."""
    return resources.files("gittrack").joinpath("example_config.yml").read_text(encoding="utf-8")


def add_ignore_rule(gitignore: Path, rule: str) -> bool:
    """Append ``rule`` to ``.gitignore`` unless it is there; True when added."""
    text = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if rule in text.splitlines():
        return False
    prefix = "" if not text or text.endswith("\n") else "\n"
    gitignore.write_text(f"{text}{prefix}{rule}\n", encoding="utf-8")
    return True
