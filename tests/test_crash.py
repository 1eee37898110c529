"""Crash safety with real processes: SIGKILL at random instants, many writers at once.

Writers are ``python -c`` subprocesses that ``import gittrack`` and print (flushed, to
a file) one line after each call that returned, so the test knows exactly what was
logged before each kill.  No mocks: real files, real processes, real signals.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gittrack.maintenance.check import KILL_DEBRIS, check
from gittrack.store.metric_csv import summarize
from gittrack.store.reader import parse_meta, read_run, run_dirs

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260101

WRITER = """
import random, sys, gittrack
rng = random.Random(int(sys.argv[1]))
gittrack.set_tracking_uri(sys.argv[2])
print("ready", flush=True)
while True:
    run_id = gittrack.start_run().info.run_id
    print("start", run_id, flush=True)
    for k in range(rng.randrange(3, 40)):
        value = rng.random()
        gittrack.log_metric("loss", value, step=k)
        print("metric", run_id, "loss", k, repr(value), flush=True)
        if k % 3 == 0:
            gittrack.log_metric("sub/acc", k / 3)
            print("metric", run_id, "sub/acc", k // 3, repr(k / 3), flush=True)
        gittrack.log_param(f"p{k}", k)
        print("param", run_id, f"p{k}", k, flush=True)
        gittrack.set_tags({"phase": f"t{k}", f"t{k}": "x" * rng.randrange(1, 200)})
        print("tag", run_id, f"t{k}", flush=True)
    gittrack.end_run()
    print("end", run_id, flush=True)
"""

RESUMER = """
import sys, gittrack
gittrack.set_tracking_uri(sys.argv[2])
run_id = gittrack.start_run().info.run_id
print("start", run_id, flush=True)
step = 0
while True:
    gittrack.log_metric("loss", step * 0.5, step=step)
    gittrack.log_param(f"p{step}", step)
    gittrack.end_run()
    print("end", run_id, step, flush=True)
    gittrack.start_run(run_id=run_id)
    print("resume", run_id, step, flush=True)
    step += 1
"""


@dataclass
class Logged:
    """What one writer process reported as done, from its stdout."""

    started: list[str] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    metrics: dict[str, set[tuple[str, int, float]]] = field(default_factory=lambda: defaultdict(set))
    params: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    tags: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def parse_log(path: Path) -> Logged:
    logged = Logged()
    text = path.read_text()
    for line in text.split("\n")[:-1]:  # a line cut by the kill has no newline: not reported
        kind, *rest = line.split()
        if kind == "start":
            logged.started.append(rest[0])
        elif kind == "end":
            logged.ended.add(rest[0])
        elif kind == "metric":
            logged.metrics[rest[0]].add((rest[1], int(rest[2]), float(rest[3])))
        elif kind == "param":
            logged.params[rest[0]][rest[1]] = int(rest[2])
        elif kind == "tag":
            logged.tags[rest[0]].append(rest[1])
    return logged


def spawn(code: str, seed: int, store: Path, log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(seed), str(store)],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.PIPE,
        )


def wait_ready(log: Path, proc: subprocess.Popen[bytes], marker: str) -> None:
    deadline = time.monotonic() + 30
    while marker not in log.read_text():
        if proc.poll() is not None:
            raise AssertionError(f"writer died before {marker!r}: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"writer never printed {marker!r}"
        time.sleep(0.01)


def kill_rounds(
    code: str, store: Path, logs: Path, cwd: Path, *, rounds: int, procs: int, window: float, marker: str
) -> Iterator[Path]:
    """``rounds`` x ``procs`` writers, each SIGKILLed at a random instant; yields their logs."""
    rng = random.Random(SEED)
    logs.mkdir(exist_ok=True)
    (cwd / ".gittrack.yml").write_text("capture:\n  environment: false\n")  # faster start-up
    for round_ in range(rounds):
        batch = []
        for i in range(procs):
            log = logs / f"{round_}-{i}.log"
            batch.append((spawn(code, rng.randrange(2**32), store, log, cwd), log))
        for proc, log in batch:
            wait_ready(log, proc, marker)
        for proc, log in rng.sample(batch, len(batch)):
            time.sleep(rng.uniform(0, window))
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL, proc.stderr.read().decode()  # type: ignore[union-attr]
            proc.stderr.close()  # type: ignore[union-attr]
            yield log


def assert_only_kill_debris(store: Path) -> None:
    """Before --fix: nothing unreadable except torn last lines, leftovers and dead runs."""
    report = check(store)
    unexpected = [str(i) for i in report.items if i.kind not in KILL_DEBRIS]
    assert unexpected == []
    torn = [i for i in report.items if i.kind == "torn-line"]
    assert all(i.path.endswith((".csv", "params.yaml", "tags.yaml")) for i in torn)


def assert_fix_makes_clean(store: Path) -> None:
    fixed = check(store, fix=True)
    assert fixed.ok, fixed.lines()
    assert check(store).items == ()


def test_sigkill_at_random_instants_loses_nothing(repo: Path, tmp_path: Path) -> None:
    store = repo / ".runs"
    logs = list(
        kill_rounds(WRITER, store, tmp_path / "logs", repo, rounds=7, procs=8, window=0.08, marker="start")
    )
    assert len(logs) == 56
    assert_only_kill_debris(store)

    reported: dict[str, Logged] = {}
    for log in logs:
        logged = parse_log(log)
        reported.update({run_id: logged for run_id in logged.started})
        for run_id in logged.started:
            check_run_has_everything(store / run_id, logged, last=run_id == logged.started[-1])
    unreported = {d.name for d in run_dirs(store)} - set(reported)
    for run_dir in sorted(store / r for r in unreported):  # killed inside start_run
        assert read_run(run_dir).status == "KILLED"

    assert_fix_makes_clean(store)
    for run_dir in run_dirs(store):
        record = read_run(run_dir)
        assert record.meta.status == record.status
        if run_dir.name in reported:
            logged = reported[run_dir.name]
            check_run_has_everything(run_dir, logged, last=run_dir.name == logged.started[-1])
        for key, rows in record.histories().items():  # summaries written by the fix match the CSVs
            assert record.meta.metrics.get(key) == summarize(rows)


def check_run_has_everything(run_dir: Path, logged: Logged, *, last: bool) -> None:
    """Every reported call is in the files; an unreported one only at the very end (the kill)."""
    run_id = run_dir.name
    record = read_run(run_dir)
    if run_id in logged.ended:
        assert record.status == "FINISHED"
    elif last:  # killed while running (or after end_run returned, before it could say so)
        assert record.status in ("KILLED", "FINISHED")
    else:
        raise AssertionError(f"{run_id} was left behind by a process that went on")
    rows = {(k, r.step, r.value) for k, hist in record.histories().items() for r in hist}
    assert logged.metrics[run_id] <= rows
    assert len(rows - logged.metrics[run_id]) <= (1 if last else 0)
    for key, value in logged.params[run_id].items():
        assert record.params[key] == value
    assert len(record.params.keys() - logged.params[run_id].keys()) <= (1 if last else 0)
    tags = logged.tags[run_id]
    assert set(tags) <= record.tags.keys()
    if tags:
        later = {f"t{int(tags[-1][1:]) + 1}"}
        assert record.tags["phase"] in {tags[-1], *later}


def test_sigkill_during_meta_rewrites_never_leaves_unreadable_meta(repo: Path, tmp_path: Path) -> None:
    store = repo / ".runs"
    killed = 0
    for log in kill_rounds(
        RESUMER, store, tmp_path / "logs", repo, rounds=5, procs=4, window=0.2, marker="resume"
    ):
        killed += 1
        lines = log.read_text().split("\n")[:-1]  # a line cut by the kill has no newline: not reported
        [run_id] = {line.split()[1] for line in lines if line.startswith("start")}
        meta = store / run_id / "meta.yaml"
        parse_meta(meta.read_bytes(), str(meta))  # raises if the kill left it unreadable
        record = read_run(store / run_id)
        assert record.status in ("KILLED", "FINISHED")
        ends = [int(line.split()[2]) for line in lines if line.startswith("end ")]
        assert [r.step for r in record.histories()["loss"]][: len(ends)] == ends
    assert killed == 20
    assert_only_kill_debris(store)
    assert_fix_makes_clean(store)


# -- load: many processes at once -----------------------------------------------------------------


def test_load_many_processes_into_one_store(tmp_path: Path) -> None:
    procs, runs, steps = 4, 10, 20
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--procs", str(procs), "--runs", str(runs),
         "--steps", str(steps), "--dir", str(tmp_path / "load")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": OK" in done.stdout
    store = tmp_path / "load" / ".runs"
    dirs = run_dirs(store)
    assert len(dirs) == procs * runs
    for run_dir in dirs:
        histories = read_run(run_dir).histories()
        assert {k: len(rows) for k, rows in histories.items()} == {"loss": steps, "sub/acc": steps}
    assert check(store).items == ()


def test_check_fix_while_writers_run_changes_nothing(tmp_path: Path) -> None:
    """Live runs are never touched: their in-flight temp files and lines are not damage."""
    work = tmp_path / "load"
    load = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--procs", "3", "--runs", "8", "--steps", "30",
         "--dir", str(work)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    reports = []
    while load.poll() is None:
        if (work / ".runs").is_dir():
            reports.append(check(work / ".runs", fix=True))
    output = load.communicate()[0].decode()
    assert load.returncode == 0, output  # the load's own verification: nothing lost or broken
    assert reports and [str(i) for r in reports for i in r.items] == []


# -- the hyperopt pattern: one run per trial, from a pool or in a loop ----------------------------------


def objective(args: tuple[int, str | None]) -> tuple[int, str, str | None, int]:
    """One trial, as hyperopt/optuna code writes it: its own (nested) run, params and a loss."""
    import gittrack

    trial, parent = args
    with gittrack.start_run(nested=True, parent_run_id=parent) as run:
        gittrack.log_params({"trial": trial, "lr": 10.0**-trial})
        for step in range(5):
            gittrack.log_metric("loss", trial + step / 10, step=step)
        gittrack.set_tag("pid", str(os.getpid()))
        run_id = run.info.run_id
    meta = read_run(Path(os.environ["GITTRACK_DIR"]) / run_id).meta
    return trial, run_id, meta.parent_run_id, os.getpid()


@pytest.mark.parametrize("mode", ["sequential", "fork", "spawn"])
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_hyperopt_trials_each_get_their_own_nested_run(
    mode: str, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gittrack

    store = repo / ".runs"
    monkeypatch.setenv("GITTRACK_DIR", str(store))  # pool workers (spawned too) find the store
    trials = 12
    with gittrack.start_run(run_name="search") as parent:
        parent_id = parent.info.run_id
        # a spawned worker has no active run to nest under: it is given the parent's id
        jobs = [(t, parent_id if mode == "spawn" else None) for t in range(trials)]
        if mode == "sequential":
            results = [objective(job) for job in jobs]
        else:
            with multiprocessing.get_context(mode).Pool(4) as pool:
                results = pool.map(objective, jobs)
        gittrack.log_metric("best_loss", min(t for t, *_ in results))
    assert_trials(store, parent_id, results, trials, in_process=mode == "sequential")


def assert_trials(
    store: Path,
    parent_id: str,
    results: list[tuple[int, str, str | None, int]],
    trials: int,
    *,
    in_process: bool,
) -> None:
    run_ids = [run_id for _, run_id, _, _ in results]
    assert len(set(run_ids)) == trials
    assert {d.name for d in run_dirs(store)} == {parent_id, *run_ids}
    assert all(parent == parent_id for _, _, parent, _ in results)
    pids = {pid for *_, pid in results}
    assert (pids == {os.getpid()}) if in_process else (os.getpid() not in pids)
    for trial, run_id, _, pid in results:
        record = read_run(store / run_id)
        assert (record.status, record.meta.parent_run_id) == ("FINISHED", parent_id)
        assert record.params == {"trial": trial, "lr": 10.0**-trial}
        assert record.tags == {"pid": str(pid)}
        loss = [(r.step, r.value) for r in record.histories()["loss"]]
        assert loss == [(s, trial + s / 10) for s in range(5)]
    parent = read_run(store / parent_id)
    assert (parent.status, parent.meta.parent_run_id, parent.params) == ("FINISHED", None, {})
    assert parent.metrics["best_loss"].last == 0
    assert check(store).items == ()
