"""``gittrack models promote``: point an alias at a version, or move a version to a stage.

Each is a one-file change in the registry (``aliases/<alias>.yaml`` or the version's file)
that a pull request shows and ``gittrack diff`` reports; nothing is committed here.
"""

from __future__ import annotations

from pathlib import Path

from gittrack.errors import InvalidValueError
from gittrack.tracking.client import Client


def promote(
    store: Path,
    name: str,
    version: int,
    *,
    aliases: tuple[str, ...] = (),
    stage: str | None = None,
    archive_existing: bool = False,
) -> list[str]:
    """Set ``aliases`` to ``version`` of ``name`` and/or move it to ``stage``; what was done."""
    if not aliases and stage is None:
        raise InvalidValueError("say what to do: --alias NAME and/or --stage STAGE")
    client = Client(str(store))
    before = client.get_registered_model(name).aliases
    done = []
    for alias in aliases:
        client.set_registered_model_alias(name, alias, version)
        old = before.get(alias)
        moved = f" (was version {old})" if old is not None and old != version else ""
        done.append(f"{name}: alias {alias} → version {version}{moved}")
    if stage is not None:
        found = client.transition_model_version_stage(name, version, stage, archive_existing)
        done.append(f"{name}: version {version} → stage {found.current_stage}")
    return done
