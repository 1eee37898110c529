"""``gittrack show``: everything stored about one run."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gittrack.query import directions
from gittrack.review.failures import error_lines
from gittrack.store import environments, layout
from gittrack.store.config import Config, find_root, load_config
from gittrack.store.reader import (
    IMPORTED_RUN_ID_TAG,
    RunRecord,
    find_run_dir,
    is_mlflow_run_id,
    only_match,
    read_run,
)


def show(
    store: Path,
    ref: str,
    *,
    rev: str | None = None,
    config: Config | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One run as a nested mapping: meta, git, params, tags, metric summaries, artifacts,
    and its child runs (see :func:`children`).

    With ``rev`` the run is read as committed at that git revision, from git's objects.
    """
    if rev is not None:
        info = _show_at(store, ref, rev, warn)
    else:
        run_dir = find_run_dir(store, ref, warn)
        record = read_run(run_dir)
        diff = run_dir / layout.GIT_DIFF
        root = find_root(run_dir)
        environment = environments.environment_file(run_dir, record.meta.environment)
        info = describe(
            record,
            path=str(run_dir),
            diff_file=str(diff) if diff.exists() else None,
            artifacts=artifacts(run_dir),
            repo_name=root.name if root else None,
            environment_file=None if environment is None else str(environment),
        )
        info = {**info, **lineage(store, record.run_id, rev=None)}
    found = children(store, info["run_id"], rev=rev, config=config or load_config())
    return {**info, **({"children": found} if found["runs"] else {})}


def lineage(store: Path, run_id: str, *, rev: str | None) -> dict[str, Any]:
    """The run's datasets (``inputs.yaml``) and logged models (their MLmodel; never loaded)."""
    from gittrack.review.models import run_datasets, run_models

    models = [
        {"path": m.path, "flavors": sorted(m.flavors), "serialization_format": m.serialization_format}
        for m in run_models(store, run_id, rev=rev)
    ]
    return {"datasets": [d.to_dict() for d in run_datasets(store, run_id, rev=rev)], "models": models}


def children(store: Path, run_id: str, *, rev: str | None, config: Config) -> dict[str, Any]:
    """The runs whose parent is ``run_id`` (oldest first), each with its status and the last
    value of the children's primary metric (:func:`gittrack.query.directions.primary_metric`);
    ``best`` marks every child holding the best value (ties are all marked)."""
    from gittrack.query.keys import names_of, present_columns
    from gittrack.query.search import search

    # damage elsewhere in the store is not this command's business: no warnings
    runs = search(store, order_by=["attributes.start_time ASC"], rev=rev, warn=_ignore)
    runs = runs[runs["parent_run_id"] == run_id]
    metric = directions.primary_metric(names_of("metrics", present_columns(runs)), config)
    way = directions.direction(metric, config) if metric else None
    values = [float(v) for v in runs[f"metrics.{metric}"]] if metric else [math.nan] * len(runs)
    found = directions.best(enumerate(values), way) if way else None
    winners = set(found[1]) if found else set()
    rows = zip(runs["run_id"], runs["run_name"], runs["status"], values, strict=True)
    return {
        "metric": metric,
        "direction": way,
        "runs": [
            {
                "run_id": str(i),
                "name": str(n),
                "status": str(s),
                "value": None if math.isnan(v) else v,
                "best": position in winners,
            }
            for position, (i, n, s, v) in enumerate(rows)
        ],
    }


def _show_at(store: Path, ref: str, rev: str, warn: Callable[[str], None] | None) -> dict[str, Any]:
    from gittrack import git
    from gittrack.query.revision import store_prefix

    root, prefix = store_prefix(store)
    sha = git.resolve_revision(root, rev)
    record = read_record(store, ref, rev=rev, warn=warn)
    run_path = f"{prefix}/{record.run_id}"
    found, has_diff = files_at(root, sha, run_path)
    diff_file = f"{sha}:{run_path}/{layout.GIT_DIFF}" if has_diff else None
    shared = record.meta.environment  # a run written before keeps its own environment.txt
    own = f"{run_path}/{layout.ENVIRONMENT}"
    env_path = f"{prefix}/{environments.relative_path(shared)}" if shared else own
    info = describe(
        record,
        path=f"{rev}:{run_path}",
        diff_file=diff_file,
        artifacts=found,
        repo_name=root.name,
        environment_file=f"{sha}:{env_path}" if git.read_blob(root, sha, env_path) is not None else None,
    )
    return {**info, **lineage(store, record.run_id, rev=rev), "rev": rev}


def files_at(root: Path, sha: str, run_path: str) -> tuple[list[dict[str, Any]], bool]:
    """A committed run's artifacts (relative to ``artifacts/``, with sizes) and whether it
    has a ``git.diff``, from one listing of its tree: no blob is read."""
    from gittrack import git

    files = dict(git.list_tree_sizes(root, sha, run_path))
    found = [
        {"path": path[len(layout.ARTIFACTS_DIR) + 1 :], "size": size}
        for path, size in sorted(files.items())
        if path.startswith(layout.ARTIFACTS_DIR + "/")
    ]
    return found, layout.GIT_DIFF in files


def read_record(
    store: Path, ref: str, *, rev: str | None = None, warn: Callable[[str], None] | None = None
) -> RunRecord:
    """Run ``ref`` (id, unique id prefix or name) from the store, or as committed at ``rev``."""
    return read_records(store, [(rev, ref)], warn=warn)[0]


def read_records(
    store: Path, refs: Sequence[tuple[str | None, str]], *, warn: Callable[[str], None] | None = None
) -> list[RunRecord]:
    """The runs named by (revision or None for the store, ref) pairs, in order; the runs of
    each revision are read from git once, whatever the number of refs into it."""
    from gittrack.query.revision import records_at

    at: dict[str, list[RunRecord]] = {}
    found = []
    for rev, ref in refs:
        if rev is None:
            found.append(read_run(find_run_dir(store, ref, warn)))
            continue
        if rev not in at:
            at[rev] = records_at(store, rev, warn or _ignore)
        found.append(find_record(at[rev], ref, where=f"{store} at {rev}"))
    return found


def find_record(records: Sequence[RunRecord], ref: str, *, where: str) -> RunRecord:
    """A run among ``records`` by exact id, unique id prefix, MLflow run id (of an imported
    run) or name (as ``find_run_dir``)."""
    matches = [r for r in records if r.run_id == ref]
    if not matches and ref:
        matches = [r for r in records if r.run_id.startswith(ref)]
    if not matches and is_mlflow_run_id(ref):
        matches = [r for r in records if r.tags.get(IMPORTED_RUN_ID_TAG) == ref]
    if not matches and ref:
        matches = [r for r in records if r.meta.name == ref]
    return only_match(matches, [r.run_id for r in matches], ref, where=where)


def describe(
    record: RunRecord,
    *,
    path: str,
    diff_file: str | None,
    artifacts: list[dict[str, Any]],
    repo_name: str | None,
    environment_file: str | None = None,
) -> dict[str, Any]:
    meta = record.meta.to_dict()
    meta.pop("format_version")
    meta["status"] = record.status
    meta.pop("metrics")
    git = meta.pop("git") or {}
    if diff_file is not None:
        git["diff_file"] = diff_file
    return {
        **meta,
        "path": path,
        "environment_file": environment_file,
        "git": git,
        "reproduce": reproduce_hint(git, record.run_id, repo_name or "repo"),
        "params": dict(sorted(record.params.items())),
        "tags": dict(sorted(record.tags.items())),
        "metrics": {k: s.to_dict() for k, s in sorted(record.metrics.items())},
        "artifacts": artifacts,
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


def reproduce_hint(git: dict[str, Any], run_id: str, repo_name: str) -> list[str]:
    """The commands that bring back the code this run ran.

    A clean run is its commit.  A dirty one is its commit plus its diff, applied in a new
    worktree: checking the commit out in the user's tree could remove the diff file itself
    (when the run was committed later) and would disturb their work.
    """
    if not git.get("commit"):
        return []
    commit = str(git["commit"])
    diff_file = git.get("diff_file")
    if not (git.get("dirty") and diff_file):
        return [f"git checkout {commit}"]
    folder = f"../{repo_name}-{run_id[:15]}"
    if Path(str(diff_file)).is_absolute():
        apply = f"git -C {folder} apply --binary {diff_file}"
    else:  # read from a revision: the diff is the git object <sha>:<path>
        apply = f"git show {diff_file} | git -C {folder} apply --binary"
    return [f"git worktree add --detach {folder} {commit}", apply]


def _ignore(message: str) -> None:
    pass


def format_text(info: dict[str, Any]) -> str:
    """A human view of :func:`show`'s mapping."""
    from gittrack.review.render import cell

    git = info["git"]
    lines = [
        f"run         {info['run_id']}  ({info['name']})",
        f"experiment  {info['experiment']}",
        f"status      {info['status']}",
        *(f"{label:<11} {text}".rstrip() for label, text in error_lines(info.get("error"))),
        f"started     {info['start_time']}" + (f"  ended {info['end_time']}" if info["end_time"] else ""),
    ]
    if info["duration"] is not None:
        lines.append(f"duration    {info['duration']}s")
    if info.get("parent_run_id"):
        lines.append(f"parent      {info['parent_run_id']}")
    if info.get("description"):
        lines.append(f"description {info['description']}")
    source = info["source"]
    # `gittrack run` records the wrapped command and its exit code; the API records argv
    command = source.get("command") or source.get("argv") or []
    lines.append(f"command     {' '.join(map(str, command))}")
    if source.get("exit_code") is not None:
        lines.append(f"exit code   {source['exit_code']}")
    if git:
        where = git.get("branch") or "detached HEAD"
        dirty = " (dirty)" if git.get("dirty") else ""
        lines.append(f"git         {git.get('commit') or 'no commit yet'} on {where}{dirty}")
    if info.get("environment_file"):
        lines.append(f"environment {info['environment_file']}")
    for step in info["reproduce"]:
        lines.append(f"  reproduce: {step}")
    if len(info["reproduce"]) > 1 and not info.get("rev"):
        lines.append(f"  or, in one step: gittrack checkout {info['run_id']}")
    lines += _section("params", {k: cell(v, 80) for k, v in info["params"].items()})
    lines += _section("tags", {k: cell(v, 80) for k, v in info["tags"].items()})
    metrics = {
        k: f"last {cell(s['last'])}  min {cell(s['min'])}  max {cell(s['max'])}  "
        f"count {s['count']}  step {s['step']}"
        for k, s in info["metrics"].items()
    }
    lines += _section("metrics", metrics)
    lines += _section("artifacts", {a["path"]: f"{a['size']} B" for a in info["artifacts"]})
    datasets = {
        f"{d['name']} ({d['context'] or 'no context'})": f"digest {d['digest']}  {d['source_type']} "
        + " ".join(str(v) for v in d["source"].values() if isinstance(v, str))
        for d in info.get("datasets", [])
    }
    lines += _section("datasets", datasets)
    models = {m["path"]: " ".join(m["flavors"]) for m in info.get("models", [])}
    lines += _section("models", models)
    lines += _children_lines(info.get("children"))
    return "\n".join(lines) + "\n"


def _children_lines(found: dict[str, Any] | None) -> list[str]:
    """``children (3; val_loss ↓, * the best)`` then one aligned line per child run."""
    from gittrack.review.ls import short_ids
    from gittrack.review.render import cell

    if not found:
        return []
    runs = found["runs"]
    by = (
        f"; {found['metric']} {'↓' if found['direction'] == 'min' else '↑'}, * the best"
        if found["metric"]
        else ""
    )
    ids = short_ids([r["run_id"] for r in runs])
    rows = [
        [i, r["name"], r["status"], cell(r["value"]) + (" *" if r["best"] else "")]
        for i, r in zip(ids, runs, strict=True)
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(3)]
    return [
        "",
        f"children ({len(runs)}{by})",
        *("  " + "  ".join([*(row[c].ljust(widths[c]) for c in range(3)), row[3]]).rstrip() for row in rows),
    ]


def _section(title: str, entries: dict[str, str]) -> list[str]:
    if not entries:
        return []
    width = max(len(k) for k in entries)
    return ["", title, *(f"  {k.ljust(width)}  {v}" for k, v in entries.items())]
