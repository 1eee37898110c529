"""``gittrack run``: real wrapper processes around real child processes, in real repos."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke, load_yaml, only_run, run_dirs

import gittrack
from gittrack.errors import ConfigError, InvalidValueError
from gittrack.runner.env import parse_params
from gittrack.runner.output_metrics import KEY_VALUE, compile_patterns, parse_line

pytestmark = pytest.mark.usefixtures("repo")


def gittrack_cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """``python -m gittrack ARGS`` in the current directory (the test repo)."""
    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "gittrack", *args], timeout=60, check=False, **kwargs)


def script(path: Path, code: str) -> str:
    path.write_text(textwrap.dedent(code))
    return str(path)


def meta_of(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(run_dir / "meta.yaml")
    return data


STORE = Path(".runs")


# -- the run and the child's API calls ---------------------------------------------------------


def test_api_calls_in_the_command_log_into_the_wrapper_run(repo: Path) -> None:
    child = script(
        repo / "child.py",
        """
        import gittrack as mlflow
        with mlflow.start_run():
            mlflow.log_param("batch", 32)
            mlflow.set_tag("stage", "train")
            for i in range(3):
                mlflow.log_metric("loss", 1 / (i + 1))
        mlflow.log_metric("after", 7.0)  # outside the block: attaches again, same run
        print("done")
        """,
    )
    done = gittrack_cli(
        "run", "-e", "exp", "-n", "first", "-p", "lr=0.1", "-t", "who=me", "--", sys.executable, child
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"done\n"
    run_dir = only_run(repo / STORE)  # one run, not two
    meta = meta_of(run_dir)
    assert (meta["name"], meta["experiment"], meta["status"]) == ("first", "exp", "FINISHED")
    assert meta["source"]["command"] == [sys.executable, child]
    assert meta["source"]["exit_code"] == 0
    assert meta["git"]["commit"]
    assert load_yaml(run_dir / "params.yaml") == {"batch": 32, "lr": 0.1}
    assert load_yaml(run_dir / "tags.yaml") == {"stage": "train", "who": "me"}
    summaries = meta["metrics"]
    assert summaries["loss"] == {"last": 1 / 3, "min": 1 / 3, "max": 1.0, "count": 3, "step": 2}
    assert summaries["after"]["last"] == 7.0
    assert (run_dir / "output.log").read_bytes() == b"done\n"


@pytest.mark.parametrize(
    ("code", "status", "exit_code"),
    [
        ("pass", "FINISHED", 0),
        ("import sys; sys.exit(1)", "FAILED", 1),
        ("import os; os.kill(os.getpid(), 9)", "KILLED", 137),
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "FAILED", 139),  # a crash
    ],
)
def test_exit_code_gives_status_and_the_wrapper_exit_code(
    repo: Path, code: str, status: str, exit_code: int
) -> None:
    done = gittrack_cli("run", "--", sys.executable, "-c", code)
    assert done.returncode == exit_code
    run_dir = only_run(repo / STORE)
    meta = meta_of(run_dir)
    assert meta["status"] == status
    assert meta["source"]["exit_code"] == exit_code
    shown = json.loads(gittrack_cli("show", "--format", "json", run_dir.name).stdout)
    assert (shown["status"], shown["source"]["exit_code"]) == (status, exit_code)


def test_a_run_inside_a_run_is_its_child(repo: Path) -> None:
    inner = [sys.executable, "-m", "gittrack", "run", "-n", "inner", "--", sys.executable, "-c", "pass"]
    done = gittrack_cli("run", "-n", "outer", "--", *inner)
    assert done.returncode == 0, done.stderr
    metas = {m["name"]: m for m in map(meta_of, run_dirs(repo / STORE))}
    assert metas["inner"]["parent_run_id"] == metas["outer"]["run_id"]
    assert metas["outer"]["parent_run_id"] is None


def test_a_command_that_does_not_exist_fails_with_127(repo: Path) -> None:
    done = gittrack_cli("run", "--", "no-such-command-xyz")
    assert done.returncode == 127
    assert b"cannot run 'no-such-command-xyz'" in done.stderr
    assert meta_of(only_run(repo / STORE))["status"] == "FAILED"


def test_cli_output_in_process() -> None:
    result = invoke("run", "-n", "hello", "--", sys.executable, "-c", "print('hi')")
    assert result.exit_code == 0
    assert result.stdout == "hi\n"
    assert re.fullmatch(
        r"gittrack: run \d{8}-\d{6}-[0-9a-f]{12} \(hello\) started: \S+ -c print\('hi'\)\n"
        r"gittrack: run \d{8}-\d{6}-[0-9a-f]{12} FINISHED \(exit code 0\)\n",
        result.stderr,
    )


# -- signals ------------------------------------------------------------------------------------


def _start_waiting_child(repo: Path, handler: str, *args: str) -> subprocess.Popen[bytes]:
    child = script(
        repo / "child.py",
        f"""
        import signal, sys, time
        {handler}
        print("ready", flush=True)
        time.sleep(30)
        """,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gittrack", "run", *args, "--", sys.executable, child],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    return proc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_wrapper_is_forwarded_and_the_run_is_killed(repo: Path, signum: int) -> None:
    handler = (
        "def stop(signum, frame):\n"
        "            open('marker', 'w').write(str(signum))\n"
        "            sys.exit(0)\n"
        f"        signal.signal({int(signum)}, stop)"
    )
    proc = _start_waiting_child(repo, handler)
    os.kill(proc.pid, signum)
    proc.communicate(timeout=30)
    assert (repo / "marker").read_text() == str(int(signum))  # the child got the same signal
    assert proc.returncode == 128 + signum  # the child exited 0, but it was interrupted
    meta = meta_of(only_run(repo / STORE))
    assert (meta["status"], meta["source"]["exit_code"]) == ("KILLED", 128 + signum)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(repo: Path) -> None:
    proc = _start_waiting_child(repo, "signal.signal(signal.SIGTERM, signal.SIG_IGN)", "--grace", "0.5")
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=10)  # not the 30 s the child would sleep
    assert proc.returncode == 137
    meta = meta_of(only_run(repo / STORE))
    assert (meta["status"], meta["source"]["exit_code"]) == ("KILLED", 137)


# -- output -------------------------------------------------------------------------------------

ALTERNATING = """
import sys
for i in range(300):
    stream = sys.stdout if i % 2 == 0 else sys.stderr
    stream.write(f"line {i} {'out' if i % 2 == 0 else 'err'}\\n")
    stream.flush()
"""
LINES = [f"line {i} {'out' if i % 2 == 0 else 'err'}" for i in range(300)]


def test_interleaved_output_keeps_its_order_when_stdout_and_stderr_are_one_file(repo: Path) -> None:
    child = script(repo / "child.py", ALTERNATING)
    done = gittrack_cli("run", "--", sys.executable, child, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert done.returncode == 0
    assert (only_run(repo / STORE) / "output.log").read_text().splitlines() == LINES
    echoed = [line for line in done.stdout.decode().splitlines() if not line.startswith("gittrack:")]
    assert echoed == LINES


def test_stdout_and_stderr_stay_apart_when_they_go_to_different_files(repo: Path) -> None:
    child = script(repo / "child.py", ALTERNATING)
    done = gittrack_cli("run", "--", sys.executable, child)
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == LINES[0::2]
    assert [x for x in done.stderr.decode().splitlines() if not x.startswith("gittrack:")] == LINES[1::2]
    logged = (only_run(repo / STORE) / "output.log").read_text().splitlines()
    assert sorted(logged) == sorted(LINES)
    assert [x for x in logged if x.endswith("out")] == LINES[0::2]  # arrival order within each stream
    assert [x for x in logged if x.endswith("err")] == LINES[1::2]


def test_output_log_keeps_head_and_tail_within_the_cap(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("output:\n  max_log_mb: 1\n")
    child = script(
        repo / "child.py",
        """
        import sys
        for start in range(0, 1_000_000, 10_000):
            sys.stdout.write("".join(f"{i:09d}\\n" for i in range(start, start + 10_000)))
        """,
    )
    done = gittrack_cli("run", "--", sys.executable, child)
    assert done.returncode == 0
    expected = "".join(f"{i:09d}\n" for i in range(1_000_000)).encode()
    assert len(done.stdout) == 10_000_000 and done.stdout == expected  # the terminal got everything
    log = (only_run(repo / STORE) / "output.log").read_bytes()
    assert len(log) <= 1024 * 1024 + 200
    lines = log.decode().splitlines()
    markers = [i for i, line in enumerate(lines) if line.startswith("[gittrack: output.log truncated")]
    assert len(markers) == 1
    head, tail = lines[: markers[0]], lines[markers[0] + 1 :]
    assert head == [f"{i:09d}" for i in range(len(head))]
    assert tail == [f"{i:09d}" for i in range(1_000_000 - len(tail), 1_000_000)]
    assert len(head) > 40_000 and len(tail) > 40_000  # about half a MiB each


# -- params -------------------------------------------------------------------------------------


def test_params_are_typed_as_yaml_scalars() -> None:
    given = ["lr=0.1", "depth=3", "model=xgb", "small=1e-3", "flag=true", "quoted='3'", "expr=a=b", "none="]
    assert parse_params(given) == {
        "lr": 0.1,
        "depth": 3,
        "model": "xgb",
        "small": 0.001,
        "flag": True,
        "quoted": "3",
        "expr": "a=b",
        "none": None,
    }
    assert [type(v) for v in parse_params(["a=1", "b=1.0", "c=[1, 2]"]).values()] == [int, float, str]
    with pytest.raises(InvalidValueError, match="not KEY=VALUE"):
        parse_params(["lr"])
    with pytest.raises(InvalidValueError, match="'lr' is given twice"):
        parse_params(["lr=1", "lr=2"])


def test_params_reach_the_command_typed_and_as_environment_variables(repo: Path) -> None:
    child = script(
        repo / "child.py",
        """
        import json, os, gittrack
        env = {k: v for k, v in os.environ.items() if k.startswith("GITTRACK_PARAM_")}
        print(json.dumps({"params": gittrack.params(), "env": env}))
        """,
    )
    args = ["-p", "lr=0.1", "-p", "depth=3", "-p", "model=xgb", "-p", "batch-size=32"]
    done = gittrack_cli("run", *args, "--", sys.executable, child)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["params"] == {"lr": 0.1, "depth": 3, "model": "xgb", "batch-size": 32}
    assert seen["env"] == {
        "GITTRACK_PARAM_LR": "0.1",
        "GITTRACK_PARAM_DEPTH": "3",
        "GITTRACK_PARAM_MODEL": "xgb",
        "GITTRACK_PARAM_BATCH_SIZE": "32",
    }
    assert load_yaml(only_run(repo / STORE) / "params.yaml") == seen["params"]


def test_params_read_from_single_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITTRACK_PARAMS", raising=False)
    monkeypatch.setenv("GITTRACK_PARAM_LR", "1e-3")
    monkeypatch.setenv("GITTRACK_PARAM_MODEL", "xgb")
    assert gittrack.params() == {"lr": 0.001, "model": "xgb"}


def test_two_params_with_the_same_variable_name_are_refused(repo: Path) -> None:
    done = gittrack_cli("run", "-p", "a-b=1", "-p", "a_b=2", "--", sys.executable, "-c", "pass")
    assert done.returncode == 1
    assert b"would both be passed as $GITTRACK_PARAM_A_B" in done.stderr
    assert not (repo / STORE).exists() or not any(p for p in (repo / STORE).iterdir() if p.name[0] != ".")


# -- metrics from output ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("epoch 3 loss=0.25 acc: 0.9", [("loss", 0.25, 3), ("acc", 0.9, 3)]),
        ("Epoch 2/10 step 120: loss = -1.5e+2", [("loss", -150.0, 120)]),
        ("step=7 val/acc=0.5.", [("val/acc", 0.5, 7)]),
        ("loss=nan lr=1e-3", [("loss", math.nan, None), ("lr", 0.001, None)]),
        ("x=1 x=2", [("x", 1.0, None)]),
        ("accuracy: 90%", [("accuracy", 90.0, None)]),
        ("v1.2.3 at 12:30:01 on http://localhost:8080 epoch 4", []),
        ("3rd=2 a1=.5", [("a1", 0.5, None)]),
        ("no numbers here", []),
    ],
)
def test_parse_line_with_the_preset(line: str, expected: list[tuple[str, float, int | None]]) -> None:
    got = parse_line(line, [KEY_VALUE])
    assert [(n, s) for n, _, s in got] == [(n, s) for n, _, s in expected]
    assert all(repr(a[1]) == repr(b[1]) for a, b in zip(got, expected, strict=True))


def test_parse_line_with_configured_patterns() -> None:
    patterns = compile_patterns(
        [r"iter (?P<step>\d+) \| (?P<name>\w+) (?P<value>\S+)", r"(?P<name>top1)=(?P<value>[\d.]+)"]
    )
    assert parse_line("iter 5 | loss 0.3 top1=0.7", patterns) == [("loss", 0.3, 5), ("top1", 0.7, None)]
    assert parse_line("iter 6 | loss oops", patterns) == []
    assert compile_patterns([], preset=True) == [KEY_VALUE]


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (["(?P<name>x"], "not a valid regular expression"),
        (["(?P<value>1)"], r"\(\?P<name>...\)"),
        ("x", "list"),
    ],
)
def test_bad_patterns_are_config_errors(patterns: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compile_patterns(patterns)


def test_metrics_from_output_with_the_preset_and_a_configured_pattern(repo: Path) -> None:
    (repo / ".gittrack.yml").write_text("output:\n  patterns: ['^val (?P<name>\\w+) (?P<value>[\\d.]+)$']\n")
    child = script(
        repo / "child.py",
        """
        for epoch in range(3):
            print(f"epoch {epoch} loss={1 / (epoch + 1)} acc: 0.{epoch + 5}")
        print("val f1 0.75")
        """,
    )
    done = gittrack_cli("run", "--parse-metrics", "--", sys.executable, child)
    assert done.returncode == 0, done.stderr
    run_dir = only_run(repo / STORE)
    rows = (run_dir / "metrics" / "loss.csv").read_text().splitlines()
    assert [r.split(",")[0::2] for r in rows[1:]] == [["0", "1.0"], ["1", "0.5"], ["2", str(1 / 3)]]
    summaries = meta_of(run_dir)["metrics"]
    assert summaries["acc"] == {"last": 0.7, "min": 0.5, "max": 0.7, "count": 3, "step": 2}
    assert summaries["f1"]["last"] == 0.75
    assert sorted(summaries) == ["acc", "f1", "loss"]


def test_summaries_count_values_logged_by_the_command_and_parsed_from_its_output(repo: Path) -> None:
    code = "import gittrack; print('acc=0.2', flush=True); gittrack.log_metric('acc', 0.1, step=10)"
    done = gittrack_cli("run", "--parse-metrics", "--", sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    summary = meta_of(only_run(repo / STORE))["metrics"]["acc"]
    assert summary == {"last": 0.1, "min": 0.1, "max": 0.2, "count": 2, "step": 10}


def test_output_is_not_parsed_by_default(repo: Path) -> None:
    done = gittrack_cli("run", "--", sys.executable, "-c", "print('loss=0.5')")
    assert done.returncode == 0
    assert meta_of(only_run(repo / STORE))["metrics"] == {}


# -- the script's own choices ------------------------------------------------------------------


def test_the_scripts_experiment_and_run_name_win(repo: Path) -> None:
    child = script(
        repo / "child.py",
        """
        import gittrack as mlflow
        mlflow.set_experiment("script-exp")
        with mlflow.start_run(run_name="script-name", description="from the script") as run:
            info = mlflow.active_run().info
            print(info.run_name, info.experiment_id)
            mlflow.log_metric("loss", 0.5)
        """,
    )
    done = gittrack_cli("run", "-e", "wrapper-exp", "-n", "wrapper-name", "--", sys.executable, child)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"script-name script-exp\n"
    run_dir = only_run(repo / STORE)  # one run: the script's is the wrapper's
    meta = meta_of(run_dir)
    assert (meta["name"], meta["experiment"], meta["description"]) == (
        "script-name", "script-exp", "from the script",
    )  # fmt: skip
    # the wrapper's command, output and exit code are in the run the script opened
    assert meta["source"]["command"] == [sys.executable, child]
    assert meta["source"]["exit_code"] == 0
    assert (run_dir / "output.log").read_bytes() == b"script-name script-exp\n"
    assert meta["metrics"]["loss"]["last"] == 0.5
    run_id = run_dir.name
    assert done.stderr.decode().splitlines() == [
        f"gittrack: run {run_id} (wrapper-name) started: {sys.executable} {child}",
        "gittrack: the script chose experiment 'script-exp'; -e 'wrapper-exp' does not apply",
        "gittrack: the script chose name 'script-name'; -n 'wrapper-name' does not apply",
        f"gittrack: run {run_id} FINISHED (exit code 0)",
    ]


def test_without_options_the_script_names_the_run_silently(repo: Path) -> None:
    child = script(
        repo / "child.py",
        """
        import gittrack as mlflow
        with mlflow.start_run(run_name="mine", experiment_id="exp2"):
            pass
        """,
    )
    done = gittrack_cli("run", "--", sys.executable, child)
    assert done.returncode == 0, done.stderr
    meta = meta_of(only_run(repo / STORE))
    assert (meta["name"], meta["experiment"]) == ("mine", "exp2")
    assert len(done.stderr.decode().splitlines()) == 2  # started, FINISHED: nothing overridden


def test_a_second_run_under_another_name_is_a_run_of_its_own(repo: Path) -> None:
    child = script(
        repo / "child.py",
        """
        import gittrack as mlflow
        for fold in range(3):
            with mlflow.start_run(run_name=f"fold{fold}"):
                mlflow.log_param("fold", fold)
        print("done")
        """,
    )
    done = gittrack_cli("run", "-e", "cv", "--", sys.executable, child)
    assert done.returncode == 0, done.stderr  # no param conflict: each fold is its own run
    runs = {meta_of(d)["name"]: (d.name, meta_of(d)) for d in run_dirs(repo / STORE)}
    assert sorted(runs) == ["fold0", "fold1", "fold2"]
    wrapper_id, wrapper = runs["fold0"]
    assert wrapper["source"]["exit_code"] == 0 and "command" in wrapper["source"]
    for name in ("fold1", "fold2"):
        run_id, meta = runs[name]
        assert (meta["parent_run_id"], meta["experiment"], meta["status"]) == (wrapper_id, "cv", "FINISHED")
        assert "command" not in meta["source"]
        note = f"gittrack: run {run_id} ({name}) is a run of its own; run {wrapper_id} keeps the command's"
        assert f"{note} output and exit code" in done.stderr.decode().splitlines()
    log = (repo / STORE / wrapper_id / "output.log").read_bytes()  # the notes are the command's stderr
    assert log.endswith(b"output and exit code\ndone\n") and log.count(b"is a run of its own") == 2


def test_the_claim_file_is_removed(repo: Path, tmp_path: Path) -> None:
    child = script(repo / "child.py", "import os\nprint(os.environ['GITTRACK_RUN_CLAIM'])\n")
    done = gittrack_cli("run", "--", sys.executable, child)
    claim = Path(done.stdout.decode().strip())
    assert claim.name == "claim.yaml" and not claim.parent.exists()
