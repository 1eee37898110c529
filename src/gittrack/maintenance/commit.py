"""``gittrack commit``: commit finished runs (and, if asked, the code) with a summary message.

This is the one place gittrack commits, and only because the user ran it.  It stages
exactly the uncommitted files of the chosen run directories and of the store's experiment
and registry metadata (plus, with ``with_code``, the tracked changes outside the store, as
``git add -u`` would) and commits only those paths:
anything else the user had staged stays staged and out of the commit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gittrack import git
from gittrack.errors import CorruptRunError, GittrackError, GittrackWarning, RunStateError
from gittrack.maintenance.check import end_dead_run
from gittrack.maintenance.commit_registry import registry_message, unshared_versions
from gittrack.maintenance.commit_summary import Summary, from_record, read_summary
from gittrack.query import directions
from gittrack.review.history import tied_names
from gittrack.store import context, layout
from gittrack.store.config import Config
from gittrack.store.reader import STALE_SECONDS, RunRecord, find_run_dir, read_run

MIB = 1024 * 1024


@dataclass(frozen=True)
class CommitResult:
    commit: str
    message: str
    runs: tuple[str, ...]  # run ids
    paths: tuple[str, ...]  # committed paths, relative to the work-tree root


def commit(
    store: Path,
    refs: Sequence[str] = (),
    *,
    config: Config,
    message: str | None = None,
    all_finished: bool = False,
    with_code: bool = False,
    warn: Callable[[str], None] | None = None,
) -> CommitResult:
    """Commit the runs ``refs`` (ids, prefixes or names), or with ``all_finished`` every run
    that has ended (FINISHED, FAILED or KILLED) and has uncommitted files.

    A RUNNING run among ``refs`` is refused before anything is staged.  A run left RUNNING
    by a process that is gone from this host is ended KILLED first, as ``gittrack check
    --fix`` does, and ``warn`` says so: a commit never holds a RUNNING run whose process is
    dead (readers of a revision could never tell).  ``message`` replaces the generated one
    (see :func:`commit_message`).
    """
    from gittrack.query.revision import store_prefix

    say = warn or _warn
    root, prefix = store_prefix(store)
    uncommitted = git.uncommitted_paths(root, prefix)  # one `git status` for the whole store
    pending = _pending_by_run(uncommitted, prefix)
    ended: list[str] = []
    records = _chosen(store, refs, pending, all_finished=all_finished, warn=say, ended=ended)
    if ended:  # ending a dead run rewrote its meta.yaml
        uncommitted = git.uncommitted_paths(root, prefix)
        pending = _pending_by_run(uncommitted, prefix)
    registry = pending.get(layout.MODELS_DIR, [])  # a promotion alone is worth a commit
    chosen = [r for r in records if r.run_id in pending]
    for record in records:
        if refs and record.run_id not in pending:
            say(f"run {record.run_id} ({record.name}) has nothing to commit")
    if not chosen and not registry:
        raise GittrackError("nothing to commit: the runs are committed already (see `git status`)")
    for line in unshared_versions(store, {r.run_id for r in chosen}, _new_runs(pending, prefix)):
        say(line)
    paths = [path for r in chosen for path in pending[r.run_id]]
    paths += [path for name in sorted(layout.RESERVED) for path in pending.get(name, [])]
    for line in big_artifacts(root, prefix, paths, limit_mb=float(config.get("artifacts", "max_commit_mb"))):
        say(line)
    store_paths = list(paths)
    if with_code:
        paths += git.changed_tracked_files(root, exclude=[prefix])
    text = message or commit_message(chosen, config) if chosen else message or registry_message(registry)
    others = git.staged_paths(root) - set(paths)  # the user's own staged changes, kept out
    _stage(root, prefix, uncommitted, {r.run_id for r in chosen}, store_paths)
    git.stage(root, paths[len(store_paths) :])
    sha = git.commit_paths(root, text, paths, staged_only=not others)
    return CommitResult(sha, text, tuple(r.run_id for r in chosen), tuple(paths))


def _chosen(
    store: Path,
    refs: Sequence[str],
    pending: Mapping[str, Sequence[str]],
    *,
    all_finished: bool,
    warn: Callable[[str], None],
    ended: list[str],
) -> list[Summary]:
    """The runs to commit; the ids of dead runs ended on the way go to ``ended``."""
    summaries: list[Summary] = []
    if refs:
        records = list({d: read_run(d) for d in (find_run_dir(store, ref, warn) for ref in refs)}.values())
        for record in records:
            if record.status == "RUNNING":
                raise RunStateError(
                    f"run {record.run_id} ({record.meta.name}) is still RUNNING; commit it once it has ended"
                )
    elif all_finished:
        records = []
        for found in _pending_records(store, pending, warn):
            if isinstance(found, Summary):
                summaries.append(found)
            elif found.status != "RUNNING":
                records.append(found)
    else:
        raise GittrackError("name the runs to commit, or use --all-finished")
    for record in records:
        done = _ended(record, refs=bool(refs), warn=warn, ended=ended)
        if done is not None:
            summaries.append(from_record(done))
    return sorted(summaries, key=lambda s: s.run_id) if all_finished and not refs else summaries


def _ended(
    record: RunRecord, *, refs: bool, warn: Callable[[str], None], ended: list[str]
) -> RunRecord | None:
    """``record``, ended KILLED first when its process is dead (see :func:`commit`); None
    for a run whose owner on another host went quiet (left out, or refused when named)."""
    if record.meta.status != "RUNNING":
        return record
    meta = record.meta
    if meta.host != context.host():
        message = (
            f"run {record.run_id} ({meta.name}) is RUNNING on host {meta.host}, which has not "
            f"touched it for {STALE_SECONDS // 60} minutes; end it there with `gittrack check --fix`"
        )
        if refs:
            raise RunStateError(f"{message}, then commit it")
        warn(f"{message}; not committed")
        return None
    run_dir = Path(record.location)
    end_dead_run(run_dir)
    ended.append(record.run_id)
    warn(f"run {record.run_id} ({meta.name}) was RUNNING but its process {meta.pid} is gone: ended as KILLED")
    return read_run(run_dir)


def _pending_records(
    store: Path, pending: Mapping[str, Sequence[str]], warn: Callable[[str], None]
) -> Iterator[Summary | RunRecord]:
    """The readable runs among those with uncommitted files, as :func:`scan` reads them.

    An ended run written in gittrack's canonical form gives its :class:`Summary` from
    meta.yaml alone (:func:`read_summary`); any other run is read whole, so a RUNNING
    run's process is looked at, and a damaged run skipped, exactly as before.
    """
    for run_id in sorted(r for r in pending if r not in layout.RESERVED):
        run_dir = store / run_id
        try:
            summary = read_summary((run_dir / layout.META).read_bytes())
            if summary is not None:
                yield summary
            elif run_dir.is_dir():
                yield read_run(run_dir)
        except FileNotFoundError:
            if run_dir.is_dir():
                warn(f"skipping run {run_id}: {run_dir / layout.META}: missing")
        except (CorruptRunError, OSError, UnicodeDecodeError) as exc:
            warn(f"skipping run {run_id}: {exc}")


def _new_runs(pending: Mapping[str, Sequence[str]], prefix: str) -> set[str]:
    """Run ids whose meta.yaml is uncommitted (as :func:`uncommitted_runs` finds them)."""
    depth = len(PurePosixPath(prefix).parts)
    return {
        run_id
        for run_id, paths in pending.items()
        if any(PurePosixPath(p).parts[depth:] == (run_id, layout.META) for p in paths)
    }


_FEW = 200  # paths left out of one `git add` of the store, beyond which each is named instead


def _stage(root: Path, prefix: str, uncommitted: Sequence[str], runs: set[str], paths: Sequence[str]) -> None:
    """Stage ``paths`` (the uncommitted files of ``runs`` and of the reserved folders): as one
    ``git add`` of the store leaving out every other uncommitted entry when those are few
    (RUNNING runs, say), else path by path."""
    depth = len(PurePosixPath(prefix).parts)
    tops = {p.split("/")[depth] for p in uncommitted if len(p.split("/")) > depth}
    others = sorted(tops - runs - layout.RESERVED)
    if depth and len(others) <= _FEW:
        git.stage_folder(root, prefix, [f"{prefix}/{name}" for name in others])
    else:
        git.stage(root, paths)


def _pending_by_run(uncommitted: Sequence[str], prefix: str) -> dict[str, list[str]]:
    """Uncommitted files (untracked, changed, deleted) under the store, by run id."""
    pending: dict[str, list[str]] = {}
    depth = len(PurePosixPath(prefix).parts)
    for path in uncommitted:
        parts = PurePosixPath(path).parts
        if len(parts) > depth + 1 and not parts[depth].startswith("."):
            pending.setdefault(parts[depth], []).append(path)
    return pending


def commit_message(records: Sequence[RunRecord | Summary], config: Config) -> str:
    """One line per experiment, ``gittrack: 3 runs in linear-fit (best rmse 0.107: lr0.3)``;
    with several experiments a subject line comes first, then a blank line, then those lines."""
    by_experiment: dict[str, list[Summary]] = {}
    for found in records:
        summary = found if isinstance(found, Summary) else from_record(found)
        by_experiment.setdefault(summary.experiment, []).append(summary)
    lines = [_experiment_line(name, runs, config) for name, runs in sorted(by_experiment.items())]
    if len(lines) == 1:
        return lines[0]
    return f"gittrack: {len(records)} runs in {len(lines)} experiments\n\n" + "\n".join(lines)


def _experiment_line(experiment: str, runs: list[Summary], config: Config) -> str:
    """``gittrack: 3 runs in x (best rmse 0.107: lr0.3)``: the best by the primary metric
    (:func:`gittrack.query.directions.primary_metric`), every tied run named."""
    from gittrack.review.render import cell

    count = f"gittrack: {len(runs)} run{'s' if len(runs) != 1 else ''} in {experiment}"
    present = {name for run in runs for name, last in run.last.items() if last == last}
    metric = directions.primary_metric(present, config)
    if metric is None:
        return count
    ordered = sorted(runs, key=lambda r: (r.start_time, r.run_id))  # ties listed oldest first
    values = [(r, r.last[metric]) for r in ordered if metric in r.last]
    found = directions.best(values, directions.direction(metric, config))
    assert found is not None  # the primary metric is one some run has a number for
    value, winners = found
    return f"{count} (best {metric} {cell(value)}: {tied_names([r.name for r in winners])})"


def big_artifacts(root: Path, prefix: str, paths: Sequence[str], *, limit_mb: float) -> list[str]:
    """A warning, with the ``git lfs track`` line to use, per artifact over ``limit_mb`` MiB
    that no ``.gitattributes`` rule already sends to Git LFS."""
    big = []
    depth = len(PurePosixPath(prefix).parts)
    for path in paths:
        parts = path.split("/")[depth:]  # git's paths: always "/"-separated
        if len(parts) > 2 and parts[1] == layout.ARTIFACTS_DIR:
            full = root / path
            if full.is_file() and full.stat().st_size > limit_mb * MIB:
                big.append((path, full.stat().st_size))
    tracked = git.lfs_tracked(root, [p for p, _ in big])
    return [
        f"{path} is {size / MIB:.1f} MB, over artifacts.max_commit_mb ({limit_mb:g} MB); "
        f'to keep such files in Git LFS: git lfs track "{lfs_pattern(prefix, path)}"'
        for path, size in big
        if path not in tracked
    ]


def lfs_pattern(prefix: str, path: str) -> str:
    """``.runs/**/*.pt`` for ``.runs/<id>/artifacts/model.pt``: that file type in every run;
    a file without an extension gets its own path."""
    suffix = PurePosixPath(path).suffix
    return f"{prefix}/**/*{suffix}" if suffix else path


def _warn(message: str) -> None:
    warnings.warn(message, GittrackWarning, stacklevel=3)
