"""``gittrack models diff``: what changed in the registry between two revisions.

Versions registered or deleted, stages changed, aliases set, moved or removed, and for a
move or a stage change the metric of the old and the new version's runs (the first
metric of ``.gittrack.yml``'s ``metrics:``, else the one both runs have that says which
way is better), so that a pull request that promotes a model reads as a review.
Versions are matched by their file's uid, so a renumbered version is one version.
``gittrack diff`` adds these changes to its pull-request report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittrack.query.directions import primary_metric
from gittrack.store.config import Config
from gittrack.store.registry import ModelRecord, VersionRecord


@dataclass(frozen=True)
class RegistryChange:
    model: str
    kind: str  # registered, deleted, stage, alias-set, alias-moved, alias-removed
    version: int | None  # the version concerned (for an alias: the one it points at now, or did)
    old: str | None  # the stage or the alias's version before
    new: str | None  # after
    run_id: str | None = None
    alias: str | None = None
    metric: str | None = None
    old_value: float | None = None
    new_value: float | None = None

    def text(self) -> str:
        """The change as one sentence."""
        what = {
            "registered": f"version {self.version} registered (run {self.run_id})",
            "deleted": f"version {self.version} deleted",
            "stage": f"version {self.version} stage {self.old} → {self.new}",
            "alias-set": f"alias {self.alias} set to version {self.new}",
            "alias-moved": f"alias {self.alias} moved from version {self.old} to version {self.new}",
            "alias-removed": f"alias {self.alias} removed (was version {self.old})",
        }[self.kind]
        if self.metric is not None:
            what += f"; {self.metric} {_number(self.old_value)} → {_number(self.new_value)}"
        return f"{self.model}: {what}"


def _number(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4g}"


def registry_diff(
    store: Path,
    *,
    base: str,
    head: str | None,
    config: Config,
    warn: Callable[[str], None] | None = None,
    rows: Callable[[Collection[str]], dict[str, dict[str, Any]]] | None = None,
) -> list[RegistryChange]:
    """The registry changes from ``base`` to ``head`` (None: the working tree).  The runs
    of the versions come from both sides' frames, or from ``rows`` (run id -> frame row,
    the head's where it has the run) when given."""
    from gittrack.review.models import registry_at

    old = {m.name: m for m in registry_at(store, base)}
    new = {m.name: m for m in registry_at(store, head)}
    if not old and not new:
        return []
    if rows is not None:
        runs = rows({v.run_id for m in (*old.values(), *new.values()) for v in m.versions})
    else:
        from gittrack.query.search import search

        frames = [search(store, rev=rev, view="all", warn=warn) for rev in (base, head)]
        runs = {row["run_id"]: row for frame in frames for row in frame.to_dict(orient="records")}
    changes: list[RegistryChange] = []
    for name in sorted(set(old) | set(new)):
        changes += model_changes(name, old.get(name), new.get(name), runs, config)
    return changes


def model_changes(
    name: str,
    old: ModelRecord | None,
    new: ModelRecord | None,
    runs: dict[str, dict[str, Any]],
    config: Config,
) -> list[RegistryChange]:
    before = {v.uid: v for v in old.live_versions} if old else {}
    after = {v.uid: v for v in new.live_versions} if new else {}
    found = []
    for uid, version in sorted(after.items(), key=lambda item: item[1].number):
        if uid not in before:
            found.append(RegistryChange(name, "registered", version.number, None, None, version.run_id))
        elif before[uid].stage != version.stage:
            change = RegistryChange(
                name, "stage", version.number, before[uid].stage, version.stage, version.run_id
            )
            found.append(_with_metric(change, _stage_holder(old, version.stage), version, runs, config))
    for uid, version in sorted(before.items(), key=lambda item: item[1].number):
        if uid not in after:
            found.append(RegistryChange(name, "deleted", version.number, None, None, version.run_id))
    found += _alias_changes(name, old, new, runs, config)
    return found


def _stage_holder(model: ModelRecord | None, stage: str) -> VersionRecord | None:
    """The version that held ``stage`` before (the one a stage change replaces)."""
    if model is None or stage == "None":
        return None
    holders = [v for v in model.live_versions if v.stage == stage]
    return max(holders, key=lambda v: v.number) if holders else None


def _alias_changes(
    name: str,
    old: ModelRecord | None,
    new: ModelRecord | None,
    runs: dict[str, dict[str, Any]],
    config: Config,
) -> list[RegistryChange]:
    found = []
    aliases = sorted(set(old.aliases if old else {}) | set(new.aliases if new else {}))
    for alias in aliases:
        was = old.alias_target(alias) if old and alias in old.aliases else None
        now = new.alias_target(alias) if new and alias in new.aliases else None
        if was is not None and now is not None and was.uid == now.uid:
            continue
        if was is None and now is not None:
            found.append(
                RegistryChange(name, "alias-set", now.number, None, str(now.number), now.run_id, alias)
            )
        elif was is not None and now is None:
            found.append(
                RegistryChange(name, "alias-removed", was.number, str(was.number), None, was.run_id, alias)
            )
        elif was is not None and now is not None:
            change = RegistryChange(
                name, "alias-moved", now.number, str(was.number), str(now.number), now.run_id, alias
            )
            found.append(_with_metric(change, was, now, runs, config))
    return found


def _with_metric(
    change: RegistryChange,
    was: VersionRecord | None,
    now: VersionRecord,
    runs: dict[str, dict[str, Any]],
    config: Config,
) -> RegistryChange:
    """The change with the metric of the version it replaces and of the new one."""
    from dataclasses import replace

    if was is None:
        return change
    rows = [runs.get(was.run_id, {}), runs.get(now.run_id, {})]
    counts: dict[str, int] = {}
    for row in rows:
        for column, value in row.items():
            if column.startswith("metrics.") and isinstance(value, float) and not math.isnan(value):
                counts[column[len("metrics.") :]] = counts.get(column[len("metrics.") :], 0) + 1
    metric = primary_metric([k for k, n in counts.items() if n == 2], config)
    if metric is None:
        return change
    values = [float(row[f"metrics.{metric}"]) for row in rows]
    return replace(change, metric=metric, old_value=values[0], new_value=values[1])


def changes_table(changes: list[RegistryChange]) -> Any:
    """The changes as a DataFrame for the usual renderer."""
    import pandas as pd

    columns = ["model", "change", "alias", "version", "from", "to", "run_id", "metric", "before", "after"]
    rows = [
        [c.model, c.kind, c.alias, c.version, c.old, c.new, c.run_id, c.metric, c.old_value, c.new_value]
        for c in changes
    ]
    return pd.DataFrame(rows, columns=columns)
