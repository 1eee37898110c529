"""``gittrack sweep``: run a command over a grid (or a random sample) of params.

Each trial is ``python -m gittrack run`` in its own process, so trials are isolated
from each other and from the sweep, up to ``jobs`` at a time.  A *parent* run records
the sweep: params ``sweep.<name>`` hold each axis as given (``0.1,0.01``, ``3:8``),
``sweep.random``/``sweep.seed`` the sampling, and the artifact ``sweep.yaml`` the full
spec with the list of trials, which ``--resume`` compares with the parent's children.
Every trial run has ``parent_run_id`` = the parent and the tag ``gittrack.runner.sweep.trial``
(its index in the list).

The axes and the trials are :mod:`gittrack.runner.sweep_spec`'s.  Trials get the params as
``GITTRACK_PARAM_*`` too (``gittrack.params()``).

Ctrl-C/SIGTERM: no new trial starts, the signal goes to every running trial (which
forwards it to its command, gives it the grace period and ends its run KILLED), and the
parent ends KILLED; a second Ctrl-C is passed on too, so trials kill at once.  Trials run
in their own sessions so that a terminal Ctrl-C reaches them once, through the sweep.
The parent ends FINISHED when every trial finished, else FAILED.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gittrack.errors import GittrackError, RunStateError
from gittrack.maintenance.check import end_dead_run
from gittrack.runner.command import create_run, experiment_name
from gittrack.runner.env import param_arg
from gittrack.runner.signals import on_signals, send_group
from gittrack.runner.sweep_spec import SweepSpec, make_spec, substitute
from gittrack.store import artifacts, context, layout, yamlio
from gittrack.store.config import load_config, resolve_store
from gittrack.store.reader import RunRecord, find_run_dir, read_run, scan
from gittrack.store.writer import RunWriter

SPEC_ARTIFACT = "sweep.yaml"
TRIAL_TAG = "gittrack.runner.sweep.trial"


@dataclass
class Progress:
    """Where a sweep stands; passed to the ``progress`` callback at each change."""

    total: int
    done: int = 0  # finished (exit 0) and failed, this session
    failed: int = 0
    running: int = 0
    skipped: int = 0  # trials a resume found already finished
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        left = self.total - self.skipped - self.done
        eta = _clock(elapsed / self.done * left) if self.done else "?"
        return (
            f"{self.skipped + self.done}/{self.total} trials done, {self.failed} failed, "
            f"{self.running} running, elapsed {_clock(elapsed)}, ETA {eta}"
        )


@dataclass(frozen=True)
class SweepResult:
    parent_run_id: str
    status: str  # of the parent: FINISHED, FAILED or KILLED
    total: int
    finished: int  # trials whose run finished, earlier sessions included
    failed: int
    not_run: int  # trials not started because the sweep was stopped
    exit_code: int


def sweep(
    command: Sequence[str],
    axes: Sequence[str],
    *,
    store: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
    name: str | None = None,
    random: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    parse_metrics: bool = False,
    grace: float = 10.0,
    show_output: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> SweepResult:
    """Run the trials of a new sweep under a new parent run; see the module docstring."""
    if not command:
        raise GittrackError("no command given: gittrack sweep -p NAME=VALUES... -- COMMAND [ARGS]...")
    workdir = Path.cwd()
    config = load_config(workdir)
    root = resolve_store(store, config)
    spec = make_spec(
        command, axes, experiment=experiment_name(experiment, config), random=random, seed=seed,
        parse_metrics=parse_metrics,
    )  # fmt: skip
    params: dict[str, Any] = {f"sweep.{k}": v for k, v in spec.axes.items()}
    if random is not None:
        params.update({"sweep.random": random, "sweep.seed": spec.seed})
    writer = create_run(
        config, root, workdir=workdir, command=command, experiment=spec.experiment, name=name,
        source={"sweep": True},
    )  # fmt: skip
    writer.log_params(params)
    writer.set_tags({"gittrack.runner.sweep": "parent", "gittrack.runner.sweep.trials": len(spec.trials)})
    artifacts.write_bytes(writer.run_dir, SPEC_ARTIFACT, yamlio.dump(spec.to_dict()).encode())
    todo = list(enumerate(spec.trials))
    return _run(writer, root, spec, todo, 0, jobs, grace, show_output, progress)


def resume(
    parent: str,
    *,
    store: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    grace: float = 10.0,
    show_output: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> SweepResult:
    """Run again the trials of sweep ``parent`` that have no FINISHED run (missing or failed)."""
    root = resolve_store(store, load_config())
    parent_dir = find_run_dir(root, parent)
    record = read_run(parent_dir)
    spec_path = parent_dir / layout.ARTIFACTS_DIR / SPEC_ARTIFACT
    if not spec_path.is_file():
        raise GittrackError(f"run {record.run_id} is not a sweep (it has no {SPEC_ARTIFACT} artifact)")
    if record.status == "RUNNING":
        where = f"pid {record.meta.pid} on {record.meta.host}"
        raise RunStateError(f"sweep {record.run_id} is still running ({where}); stop it first")
    spec = SweepSpec.from_dict(yamlio.load(spec_path.read_bytes()))
    finished = finished_trials(root, record.run_id, spec.trials)
    todo = [(i, t) for i, t in enumerate(spec.trials) if i not in finished]
    writer = RunWriter.resume(parent_dir, pid=os.getpid(), host=context.host())
    return _run(writer, root, spec, todo, len(finished), jobs, grace, show_output, progress)


def finished_trials(store: Path, parent_run_id: str, trials: Sequence[Mapping[str, Any]]) -> set[int]:
    """Indices of ``trials`` that have a FINISHED child run of the parent with their params."""
    done = [r.params for r in children(store, parent_run_id) if r.status == "FINISHED"]
    return {i for i, trial in enumerate(trials) if any(_has_params(p, trial) for p in done)}


def children(store: Path, parent_run_id: str) -> list[RunRecord]:
    return [r for r in scan(store, _ignore) if r.meta.parent_run_id == parent_run_id]


def end_orphans(store: Path, parent_run_id: str) -> None:
    """End KILLED the trial runs whose ``gittrack run`` died before it could end them."""
    for record in children(store, parent_run_id):
        if record.meta.status == "RUNNING" and record.status == "KILLED":
            end_dead_run(Path(record.location))


def _has_params(params: Mapping[str, Any], trial: Mapping[str, Any]) -> bool:
    return all(k in params and params[k] == v for k, v in trial.items())


def _run(
    writer: RunWriter,
    store: Path,
    spec: SweepSpec,
    todo: list[tuple[int, dict[str, Any]]],
    already: int,
    jobs: int,
    grace: float,
    show_output: bool,
    progress: Callable[[Progress], None] | None,
) -> SweepResult:
    state = Progress(total=len(spec.trials), skipped=already)
    parent = writer.meta.run_id

    def argv(index: int, trial: dict[str, Any]) -> list[str]:
        return trial_argv(spec, trial, index, store=store, parent_run_id=parent, grace=grace)

    status = "KILLED"
    stopped: int | None = signal.SIGINT
    try:
        stopped = _schedule(todo, argv, max(1, jobs), show_output, state, progress or _ignore)
    finally:
        finished = already + state.done - state.failed
        if stopped is not None:
            end_orphans(store, parent)
        else:
            status = "FINISHED" if finished == len(spec.trials) else "FAILED"
        tags = {"gittrack.runner.sweep.finished": finished, "gittrack.runner.sweep.failed": state.failed}
        writer.set_tags(tags)
        writer.finish(status)
    code = 128 + stopped if stopped is not None else (0 if status == "FINISHED" else 1)
    not_run = len(todo) - state.done
    return SweepResult(parent, status, len(spec.trials), finished, state.failed, not_run, code)


def trial_argv(
    spec: SweepSpec, trial: Mapping[str, Any], index: int, *, store: Path, parent_run_id: str, grace: float
) -> list[str]:
    """The ``gittrack run`` command line of one trial."""
    argv = [sys.executable, "-m", "gittrack", "--store", str(store), "run", "-e", spec.experiment]
    argv += ["--parent-run-id", parent_run_id, "-t", f"{TRIAL_TAG}={index}", "--grace", repr(grace)]
    if spec.parse_metrics:
        argv.append("--parse-metrics")
    for key, value in trial.items():
        argv += ["-p", f"{key}={param_arg(value)}"]
    return [*argv, "--", *substitute(spec.command, trial)]


def _schedule(
    todo: list[tuple[int, dict[str, Any]]],
    argv: Callable[[int, dict[str, Any]], list[str]],
    jobs: int,
    show_output: bool,
    state: Progress,
    progress: Callable[[Progress], None],
) -> int | None:
    """Run the trials, ``jobs`` at a time; the signal that stopped the sweep, or None."""
    pending = list(reversed(todo))
    running: dict[int, subprocess.Popen[bytes]] = {}
    output = None if show_output else subprocess.DEVNULL
    with _stop_on_signals(running) as stop:
        reported = False
        while True:
            changed = _reap(running, state)
            while pending and len(running) < jobs and stop.signum is None:
                index, trial = pending.pop()
                running[index] = proc = subprocess.Popen(
                    argv(index, trial), stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                    start_new_session=True,  # a terminal Ctrl-C reaches trials once, through us
                )  # fmt: skip
                if stop.signum is not None:  # it came while this trial was being started
                    _signal(proc, stop.signum)
                changed = True
            state.running = len(running)
            if changed or not reported:
                progress(state)
                reported = True
            if not running and (not pending or stop.signum is not None):
                return stop.signum
            time.sleep(0.02)


def _reap(running: dict[int, subprocess.Popen[bytes]], state: Progress) -> bool:
    changed = False
    for index, proc in list(running.items()):
        if proc.poll() is not None:
            del running[index]
            state.done += 1
            state.failed += proc.returncode != 0
            changed = True
    return changed


class _Stop:
    signum: int | None = None


@contextmanager
def _stop_on_signals(running: Mapping[int, subprocess.Popen[bytes]]) -> Iterator[_Stop]:
    """On SIGINT/SIGTERM/SIGHUP: remember it and pass it to every running trial's wrapper."""
    stop = _Stop()

    def handle(signum: int) -> None:
        stop.signum = stop.signum or signum
        for proc in list(running.values()):
            _signal(proc, signum)

    with on_signals(handle):
        yield stop


def _signal(proc: subprocess.Popen[bytes], signum: int) -> None:
    send_group(proc.pid, signum)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _ignore(*_: object) -> None:
    pass
