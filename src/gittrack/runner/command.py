"""``gittrack run``: run any command as one tracked run.

The wrapper creates the run (params, tags, git state, the command in ``meta.yaml``
``source.command``), then runs the command as a child process with ``GITTRACK_RUN_ID``
and ``GITTRACK_DIR`` in its environment: gittrack API calls in the child *attach* to this
run (``RunWriter.attach``) instead of starting another, so one command is one run.  The
params are also given to the child as ``GITTRACK_PARAM_<NAME>`` variables and, exactly
typed, as ``GITTRACK_PARAMS`` (YAML), which :func:`gittrack.params` reads.

The script's choices win: the experiment, name and description it gives the first run it
opens (``set_experiment``, ``start_run(run_name=...)``) are claimed through
``GITTRACK_RUN_CLAIM`` and written into this run's ``meta.yaml`` by this process, its one
writer (:mod:`gittrack.runner.claim`, :mod:`gittrack.tracking.environ`); a run the script
opens later under other names is a run of its own, a child of this one, and a line on
stderr says so.

Output.  The child's stdout and stderr are echoed live and saved to ``output.log``.
When this process's stdout and stderr are the same file (a terminal, or ``2>&1``), the
child gets one pipe for both, so ``output.log`` has its lines in exactly the order they
were written; otherwise it gets two pipes, the terminal keeps them apart, and
``output.log`` has them in arrival order (exact per stream; a line written to stderr
within microseconds of one on stdout may land before it).  ``PYTHONUNBUFFERED=1`` is set
for the child (unless already set) so Python scripts stream rather than block-buffer.

Log cap (``output.max_log_mb``; 0 turns the log off).  ``output.log`` is written as
output arrives until it reaches the cap.  Past the cap it keeps the *head* and the
*tail*: the first ``cap - tail`` bytes, one marker line
``[gittrack: output.log truncated: N bytes omitted ...]``, then the last
``tail = min(1 MiB, cap / 2)`` bytes (cut at line boundaries), so both the setup at the
start and the final results or traceback at the end survive.  The tail is written when
the command ends; a wrapper killed with SIGKILL leaves the first ``cap`` bytes unmarked.
The terminal always gets everything.

Ending.  Exit status 0 is FINISHED, anything else FAILED (with ``error`` in ``meta.yaml``
from the end of the command's error output, :mod:`gittrack.runner.failure`); a child ended
by a termination signal (SIGINT, SIGTERM, SIGHUP, SIGKILL) is KILLED, one that crashed on
another signal (SIGSEGV...) is FAILED.  The exit code goes to ``source.exit_code`` in
``meta.yaml`` (128 + N for signal N, as shells report it).  SIGINT (Ctrl-C), SIGTERM and
SIGHUP sent to the wrapper are forwarded to the child's process group (the child runs in
its own session, so a terminal Ctrl-C reaches it once, through us); after ``grace``
seconds, or at a second signal, the group gets SIGKILL; the run is KILLED and the exit
code is the child's, or 128 + the signal if the child exited 0.  Metric summaries are
computed from the CSV files, so they include what the child logged.  POSIX only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gittrack.errors import ConfigError, GittrackError
from gittrack.runner.claim import Claims
from gittrack.runner.env import child_env
from gittrack.runner.failure import error_from_output
from gittrack.runner.output import OutputLog, Pump, Tail, echo, same_file
from gittrack.runner.output_metrics import OutputPattern, compile_patterns, parse_line
from gittrack.runner.signals import FORWARDED_SIGNALS, Forwarder
from gittrack.store import context, ids, layout, names
from gittrack.store.config import ENV_STORE, Config, load_config, resolve_store
from gittrack.store.layout import Meta
from gittrack.store.reader import HEARTBEAT_SECONDS
from gittrack.store.writer import RunWriter, now_ms
from gittrack.tracking.environ import ENV_EXPERIMENT, ENV_RUN_ID

_KILL_SIGNALS = frozenset({*FORWARDED_SIGNALS, signal.SIGKILL})
_IDLE_AFTER_EXIT = 0.5  # seconds to keep reading pipes a finished child's own children hold open


@dataclass(frozen=True)
class RunResult:
    run_id: str
    name: str
    run_dir: Path
    status: str
    exit_code: int


def run_command(
    command: Sequence[str],
    *,
    store: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    parent_run_id: str | None = None,
    parse_metrics: bool = False,
    grace: float = 10.0,
    cwd: Path | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[bytes] | None = None,
    note: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``command`` as a new run and wait for it; see the module docstring.

    ``store`` overrides ``GITTRACK_DIR``/config; ``cwd`` is where the command runs (and
    whose git state is recorded); ``stdout``/``stderr`` receive the echoed output
    (default: this process's).  ``parent_run_id`` defaults to ``GITTRACK_RUN_ID``, so a
    ``gittrack run`` inside another becomes its child.  Never raises for the command's
    own failure: that is the result's status and exit code.
    """
    if not command:
        raise GittrackError("no command given: gittrack run [OPTIONS] -- COMMAND [ARGS]...")
    workdir = (cwd or Path.cwd()).resolve()
    config = load_config(workdir)
    root = resolve_store(store, config)
    patterns = compile_patterns(config.get("output", "patterns"), preset=parse_metrics)
    params = {names.check_name(k, "param name"): v for k, v in (params or {}).items()}
    tags = {names.check_name(k, "tag name"): v for k, v in (tags or {}).items()}
    env = child_env(params)  # all checked before the run exists: a bad name creates nothing
    # run_params: what `gittrack reproduce` passes again (the command may log more params)
    source = {"run_params": list(params), "parse_metrics": parse_metrics}
    writer = create_run(
        config, root, workdir=workdir, command=command, experiment=experiment, name=name,
        parent_run_id=parent_run_id, source=source,
    )  # fmt: skip
    env.update({ENV_RUN_ID: writer.meta.run_id, ENV_STORE: str(root), ENV_EXPERIMENT: writer.meta.experiment})
    job = _Job(
        list(command), env, workdir, stdout if stdout is not None else sys.stdout.buffer,
        stderr if stderr is not None else sys.stderr.buffer, writer, patterns, grace, note,
    )  # fmt: skip
    cap = int(float(config.get("output", "max_log_mb") or 0) * 1024 * 1024)
    status, code = _run_and_end(job, params, tags, explicit={"experiment": experiment, "name": name}, cap=cap)
    return RunResult(writer.meta.run_id, writer.meta.name, writer.run_dir, status, code)


@dataclass(frozen=True)
class _Job:
    """A command to run as ``writer``'s run, and where its output goes."""

    command: list[str]
    env: dict[str, str]
    workdir: Path
    out: IO[bytes]
    err: IO[bytes]
    writer: RunWriter
    patterns: list[OutputPattern]
    grace: float
    note: Callable[[str], None] | None


def _run_and_end(
    job: _Job,
    params: Mapping[str, Any],
    tags: Mapping[str, Any],
    *,
    explicit: dict[str, str | None],
    cap: int,
) -> tuple[str, int]:
    """Log ``params`` and ``tags``, run the command with its output saved (up to ``cap``
    bytes; 0: not saved), then end the run with its status, exit code and error, whatever
    happened, a signal before the command started included: (status, exit code).
    ``explicit``: the experiment and name the user gave, which a script's claim overrides."""
    writer = job.writer
    claims = Claims(writer, explicit=explicit, note=job.note)
    log = OutputLog(writer.run_dir / layout.OUTPUT_LOG, cap) if cap > 0 else None
    tail = Tail()
    status, code = "FAILED", 1
    try:
        writer.log_params(params)
        writer.set_tags(tags)
        job.env.update(claims.env())
        if job.note is not None:
            job.note(f"run {writer.meta.run_id} ({writer.meta.name}) started: {' '.join(job.command)}")
        status, code = _supervise(job, claims, log, tail)
    except KeyboardInterrupt:  # before the handlers were in place
        status, code = "KILLED", 128 + signal.SIGINT
        raise
    except SystemExit as exc:  # a caller's signal handler (gittrack reproduce's) stopping us
        status, code = "KILLED", exc.code if isinstance(exc.code, int) else 1
        raise
    finally:
        if log is not None:
            log.close()
        claims.close()  # the script's last choice of names, before the one end of meta.yaml
        error = error_from_output(tail.value(), code) if status == "FAILED" else None
        source = {**writer.meta.source, "exit_code": code}
        writer.meta = writer.meta.with_changes(source=source, error=error)
        writer.finish(status, summaries_from_files=True)
    return status, code


def exit_status(returncode: int, interrupted: int | None) -> tuple[str, int]:
    """(run status, shell-style exit code) from a Popen return code and the signal we got."""
    code = 128 - returncode if returncode < 0 else returncode
    if interrupted is not None:
        return "KILLED", code or 128 + interrupted
    if returncode < 0:
        return ("KILLED" if -returncode in _KILL_SIGNALS else "FAILED"), code
    return ("FINISHED" if code == 0 else "FAILED"), code


# -- creating the run -----------------------------------------------------------------------


def create_run(
    config: Config,
    store: Path,
    *,
    workdir: Path,
    command: Sequence[str],
    experiment: str | None = None,
    name: str | None = None,
    parent_run_id: str | None = None,
    source: Mapping[str, Any] | None = None,
) -> RunWriter:
    """A new RUNNING run owned by this process, recording ``command`` and the git state of
    ``workdir``; ``source`` adds keys to ``meta.yaml`` ``source``."""
    base = {**context.source(), "cwd": str(workdir), "command": list(command)}
    if config.root is not None and workdir.is_relative_to(config.root):
        base["workdir"] = workdir.relative_to(config.root).as_posix()
    meta = Meta(
        run_id=ids.new_run_id(),
        name=name or ids.new_run_name(),
        experiment=experiment_name(experiment, config),
        status="RUNNING",
        start_time=now_ms(),
        user=context.user(),
        host=context.host(),
        pid=os.getpid(),
        parent_run_id=parent_run_id or os.environ.get(ENV_RUN_ID) or None,
        source={**base, **(source or {})},
    )
    from gittrack.tracking import capture

    state = capture.git_state(config, store)
    environment = context.environment() if config.get("capture", "environment") else None
    meta = meta.with_changes(git=None if state is None else state.to_dict())
    diff = state.diff if state is not None else None
    return RunWriter.create(store, meta, new_id=ids.new_run_id, git_diff=diff, environment=environment)


def experiment_name(explicit: str | None, config: Config) -> str:
    name = (
        explicit
        or os.environ.get(ENV_EXPERIMENT)
        or os.environ.get("MLFLOW_EXPERIMENT_NAME")
        or str(config.get("experiment") or "Default")
    )
    if not name.strip() or len(name) > 250 or any(ord(c) < 32 for c in name):
        raise ConfigError(f"experiment name {name[:60]!r} is empty, too long or has control characters")
    return name


# -- running the child ----------------------------------------------------------------------


def _supervise(job: _Job, claims: Claims, log: OutputLog | None, tail: Tail) -> tuple[str, int]:
    """Run the child to its end, forwarding signals; (status, exit code).  The end of its
    error output (of its one output pipe when merged) goes to ``tail``."""
    merged = same_file(job.out, job.err)
    forwarder = Forwarder(job.grace)
    with forwarder.installed():
        try:
            proc = subprocess.Popen(
                job.command,
                cwd=job.workdir,
                env=job.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                start_new_session=True,  # its own process group, and no terminal Ctrl-C of its own
            )
        except OSError as exc:
            return _spawn_failed(job.command, exc, job.err, log, tail)
        forwarder.attach(proc)
        with proc:
            assert proc.stdout is not None
            pipes = [(proc.stdout, job.out)] if merged else [(proc.stdout, job.out), (proc.stderr, job.err)]
            on_line = _metric_logger(job.writer, job.patterns) if job.patterns else None
            pump = Pump(pipes, log, on_line, tail_of=proc.stdout if merged else proc.stderr, tail=tail)
            try:
                _wait(proc, pump, forwarder, job.writer, claims)
            except BaseException:
                forwarder.kill()  # never leave the command running behind a crashed wrapper
                raise
    return exit_status(proc.returncode, forwarder.signum)


def _wait(
    proc: subprocess.Popen[bytes], pump: Pump, forwarder: Forwarder, writer: RunWriter, claims: Claims
) -> None:
    """Pump output until the child has exited and its pipes are drained (or idle: a
    background process of its own may hold them open); the script's claims are applied as
    they come."""
    beat = time.monotonic()
    exited_at: float | None = None
    while True:
        moved = pump.step(0.1) if pump.open() else _pause(0.05)
        forwarder.tick()
        claims.poll()
        now = time.monotonic()
        if now - beat > HEARTBEAT_SECONDS:  # tell readers on other hosts we are alive
            beat = now
            with contextlib.suppress(OSError):
                os.utime(writer.run_dir / layout.META)
        if proc.poll() is None:
            continue
        if not pump.open() or (exited_at is not None and now - exited_at > _IDLE_AFTER_EXIT):
            break
        if exited_at is None or moved:
            exited_at = now
    pump.close()


def _pause(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def _spawn_failed(
    command: list[str], exc: OSError, err: IO[bytes], log: OutputLog | None, tail: Tail
) -> tuple[str, int]:
    message = f"gittrack: cannot run {command[0]!r}: {exc.strerror or exc}\n".encode()
    echo(err, message)
    tail.write(message)
    if log is not None:
        log.write(message)
    return "FAILED", 127 if isinstance(exc, FileNotFoundError) else 126  # as shells report it


def _metric_logger(writer: RunWriter, patterns: list[OutputPattern]) -> Callable[[str], None]:
    def log_line(line: str) -> None:
        for key, value, step in parse_line(line, patterns):
            with contextlib.suppress(GittrackError):  # a bad value in output must not fail the run
                writer.log_metric(key, value, step)

    return log_line
