"""``gittrack show``: everything stored about one run."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gittrack.store import layout
from gittrack.store.reader import find_run_dir, read_run


def show(store: Path, ref: str, *, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """One run as a nested mapping: meta, git, params, tags, metric summaries, artifacts."""
    run_dir = find_run_dir(store, ref, warn)
    record = read_run(run_dir)
    meta = record.meta.to_dict()
    meta.pop("format_version")
    meta["status"] = record.status
    meta.pop("metrics")
    git = meta.pop("git") or {}
    if (run_dir / layout.GIT_DIFF).exists():
        git["diff_file"] = str(run_dir / layout.GIT_DIFF)
    return {
        **meta,
        "path": str(run_dir),
        "git": git,
        "reproduce": reproduce_hint(git, run_dir),
        "params": dict(sorted(record.params.items())),
        "tags": dict(sorted(record.tags.items())),
        "metrics": {k: s.to_dict() for k, s in sorted(record.metrics.items())},
        "artifacts": artifacts(run_dir),
    }


def artifacts(run_dir: Path) -> list[dict[str, Any]]:
    """Artifact files relative to ``artifacts/``, with sizes."""
    root = run_dir / layout.ARTIFACTS_DIR
    found = []
    for base, _dirs, files in os.walk(root):
        for name in files:
            path = Path(base, name)
            found.append({"path": path.relative_to(root).as_posix(), "size": path.stat().st_size})
    return sorted(found, key=lambda a: str(a["path"]))


def reproduce_hint(git: dict[str, Any], run_dir: Path) -> list[str]:
    """The git commands that bring back the code this run ran."""
    if not git.get("commit"):
        return []
    steps = [f"git checkout {git['commit']}"]
    if git.get("dirty") and "diff_file" in git:
        steps.append(f"git apply {git['diff_file']}")
    return steps


def format_text(info: dict[str, Any]) -> str:
    """A human view of :func:`show`'s mapping."""
    from gittrack.render import cell

    git = info["git"]
    lines = [
        f"run         {info['run_id']}  ({info['name']})",
        f"experiment  {info['experiment']}",
        f"status      {info['status']}",
        f"started     {info['start_time']}" + (f"  ended {info['end_time']}" if info["end_time"] else ""),
    ]
    if info["duration"] is not None:
        lines.append(f"duration    {info['duration']}s")
    if info.get("parent_run_id"):
        lines.append(f"parent      {info['parent_run_id']}")
    if info.get("description"):
        lines.append(f"description {info['description']}")
    lines.append(f"command     {' '.join(map(str, info['source'].get('argv') or []))}")
    if git:
        where = git.get("branch") or "detached HEAD"
        dirty = " (dirty)" if git.get("dirty") else ""
        lines.append(f"git         {git.get('commit') or 'no commit yet'} on {where}{dirty}")
    for step in info["reproduce"]:
        lines.append(f"  reproduce: {step}")
    lines += _section("params", {k: cell(v, 80) for k, v in info["params"].items()})
    lines += _section("tags", {k: cell(v, 80) for k, v in info["tags"].items()})
    metrics = {
        k: f"last {cell(s['last'])}  min {cell(s['min'])}  max {cell(s['max'])}  "
        f"count {s['count']}  step {s['step']}"
        for k, s in info["metrics"].items()
    }
    lines += _section("metrics", metrics)
    lines += _section("artifacts", {a["path"]: f"{a['size']} B" for a in info["artifacts"]})
    return "\n".join(lines) + "\n"


def _section(title: str, entries: dict[str, str]) -> list[str]:
    if not entries:
        return []
    width = max(len(k) for k in entries)
    return ["", title, *(f"  {k.ljust(width)}  {v}" for k, v in entries.items())]
