"""``gittrack sweep``: run a command over a grid (or a random sample) of params.

Each trial is ``python -m gittrack run`` in its own process, so trials are isolated
from each other and from the sweep, up to ``jobs`` at a time.  A *parent* run records
the sweep: params ``sweep.<name>`` hold each axis as given (``0.1,0.01``, ``3:8``),
``sweep.random``/``sweep.seed`` the sampling, and the artifact ``sweep.yaml`` the full
spec with the list of trials, which ``--resume`` compares with the parent's children.
Every trial run has ``parent_run_id`` = the parent and the tag ``gittrack.sweep.trial``
(its index in the list).

Axes: ``a:b`` (or ``a:b:step``) is an inclusive integer range, anything else a comma
list of values typed as YAML scalars (one value is a constant).  The command may name
params as ``{lr}`` in its arguments; other braces are left alone.  Trials get the params
as ``GITTRACK_PARAM_*`` too (``gittrack.params()``).  ``--random N`` draws N distinct
trials of the grid (all of them when N is larger) with a private ``random.Random(seed)``;
without a seed one is drawn and recorded, so a resume redraws nothing.

Ctrl-C/SIGTERM: no new trial starts, the signal goes to every running trial (which
forwards it to its command, gives it the grace period and ends its run KILLED), and the
parent ends KILLED; a second Ctrl-C is passed on too, so trials kill at once.  Trials run
in their own sessions so that a terminal Ctrl-C reaches them once, through the sweep.
The parent ends FINISHED when every trial finished, else FAILED.
"""

from __future__ import annotations

import itertools
import os
import random as random_module
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from gittrack import context, names
from gittrack.config import load_config, resolve_store
from gittrack.errors import GittrackError, InvalidValueError, RunStateError
from gittrack.run_command import (
    FORWARDED_SIGNALS,
    create_run,
    experiment_name,
    param_text,
    parse_assignment,
)
from gittrack.store import layout, yamlio
from gittrack.store.reader import RunRecord, find_run_dir, read_run, scan
from gittrack.store.writer import RunWriter

SPEC_ARTIFACT = "sweep.yaml"
TRIAL_TAG = "gittrack.sweep.trial"
MAX_GRID = 100_000  # beyond this a grid must be sampled with --random
_RANGE = re.compile(r"\s*([-+]?\d+):([-+]?\d+)(?::([-+]?\d+))?\s*")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs; stored as the parent's ``sweep.yaml`` artifact."""

    command: list[str]
    axes: dict[str, str]  # name -> the values as given: "0.1,0.01" or "3:8"
    trials: list[dict[str, Any]]
    experiment: str
    random: int | None = None
    seed: int | None = None
    parse_metrics: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "experiment": self.experiment,
            "axes": self.axes,
            "random": self.random,
            "seed": self.seed,
            "parse_metrics": self.parse_metrics,
            "trials": self.trials,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpec:
        return cls(
            command=[str(a) for a in data["command"]],
            axes={str(k): str(v) for k, v in (data.get("axes") or {}).items()},
            trials=[dict(t) for t in data["trials"]],
            experiment=str(data["experiment"]),
            random=data.get("random"),
            seed=data.get("seed"),
            parse_metrics=bool(data.get("parse_metrics")),
        )


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


# -- the trials ------------------------------------------------------------------------------


def parse_axis(text: str) -> tuple[str, str, list[Any]]:
    """``name=values`` as (name, values as given, values)."""
    from gittrack.api import param_from_text

    key, spec = parse_assignment(text)
    names.check_name(key, "param name")
    match = _RANGE.fullmatch(spec)
    if match:
        values: list[Any] = _int_range(key, *match.groups())
    else:
        values = [param_from_text(part.strip()) for part in spec.split(",")]
    if len({param_text(v) for v in values}) != len(values):
        raise InvalidValueError(f"param {key!r}: a value is repeated in {spec!r}")
    return key, spec, values


def _int_range(key: str, start: str, stop: str, step: str | None) -> list[Any]:
    a, b = int(start), int(stop)
    by = int(step) if step is not None else (1 if b >= a else -1)
    values = list(range(a, b + (1 if by > 0 else -1), by)) if by else []
    if not values:
        raise InvalidValueError(f"param {key!r}: the range {start}:{stop}:{step or by} is empty")
    return values


def grid(axes: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination, the last axis varying fastest."""
    size = grid_size(axes)
    if size > MAX_GRID:
        raise InvalidValueError(f"the grid has {size} trials (limit {MAX_GRID}); sample it with --random N")
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def grid_size(axes: Mapping[str, Sequence[Any]]) -> int:
    size = 1
    for values in axes.values():
        size *= len(values)
    return size


def sample(axes: Mapping[str, Sequence[Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct combinations (all when ``n`` is larger), drawn with ``random.Random(seed)``."""
    rng = random_module.Random(seed)  # noqa: S311 - private: never the global RNG training code seeds
    size = grid_size(axes)
    trials = []
    for index in rng.sample(range(size), min(n, size)):
        trial = {}
        for name, values in reversed(list(axes.items())):  # mixed radix, last axis fastest
            index, digit = divmod(index, len(values))
            trial[name] = values[digit]
        trials.append({name: trial[name] for name in axes})
    return trials


def substitute(command: Sequence[str], params: Mapping[str, Any]) -> list[str]:
    """``{name}`` in the arguments replaced by the param's value; other braces kept."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return param_text(params[name]) if name in params else match.group(0)

    return [_PLACEHOLDER.sub(value, arg) for arg in command]


def make_spec(
    command: Sequence[str],
    axes: Sequence[str],
    *,
    experiment: str,
    random: int | None = None,
    seed: int | None = None,
    parse_metrics: bool = False,
) -> SweepSpec:
    """The spec of a new sweep from ``-p name=values`` texts."""
    parsed = [parse_axis(text) for text in axes]
    given = [name for name, _, _ in parsed]
    if len(set(given)) != len(given):
        raise InvalidValueError("a param is given twice; put all its values in one -p name=a,b,c")
    values = {name: vals for name, _, vals in parsed}
    if random is not None:
        seed = secrets.randbelow(2**32) if seed is None else seed
        trials = sample(values, random, seed)
    else:
        trials = grid(values)
    return SweepSpec(
        command=list(command),
        axes={name: spec for name, spec, _ in parsed},
        trials=trials,
        experiment=experiment,
        random=random,
        seed=seed if random is not None else None,
        parse_metrics=parse_metrics,
    )


# -- running a sweep -------------------------------------------------------------------------


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
    writer.set_tags({"gittrack.sweep": "parent", "gittrack.sweep.trials": len(spec.trials)})
    writer.write_artifact(SPEC_ARTIFACT, yamlio.dump(spec.to_dict()).encode())
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
            RunWriter.attach(Path(record.location)).finish("KILLED", summaries_from_files=True)


def _has_params(params: Mapping[str, Any], trial: Mapping[str, Any]) -> bool:
    return all(k in params and (params[k] == v or str(params[k]) == str(v)) for k, v in trial.items())


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
        tags = {"gittrack.sweep.finished": finished, "gittrack.sweep.failed": state.failed}
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
        argv += ["-p", f"{key}={param_text(value)}"]
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

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.signum = stop.signum or signum
        for proc in list(running.values()):
            _signal(proc, signum)

    try:
        previous = {s: signal.signal(s, handle) for s in FORWARDED_SIGNALS}
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _signal(proc: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):  # it has just ended
        os.killpg(proc.pid, signum)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _ignore(*_: object) -> None:
    pass
