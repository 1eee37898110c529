"""``gittrack sweep``: grids and samples of real ``gittrack run`` trials in real repos."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import load_yaml, run_dirs
from hypothesis import given, settings
from hypothesis import strategies as st

from gittrack.errors import InvalidValueError
from gittrack.runner.sweep import trial_argv
from gittrack.runner.sweep_spec import grid, make_spec, parse_axis, sample, substitute

pytestmark = pytest.mark.usefixtures("repo")


def gittrack_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "gittrack", *args], capture_output=True, timeout=120, check=False
    )


def runs(store: Path) -> list[dict[str, Any]]:
    """Every run of the store as {meta, params, tags}."""
    found = []
    for run_dir in run_dirs(store):
        found.append(
            {
                "dir": run_dir,
                "meta": load_yaml(run_dir / "meta.yaml"),
                "params": load_yaml(run_dir / "params.yaml") or {},
                "tags": load_yaml(run_dir / "tags.yaml") or {},
            }
        )
    return found


def split(store: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the parent run, its trial runs) of the only sweep in ``store``."""
    everything = runs(store)
    parents = [r for r in everything if r["tags"].get("gittrack.runner.sweep") == "parent"]
    assert len(parents) == 1
    trials = [r for r in everything if r is not parents[0]]
    assert all(t["meta"]["parent_run_id"] == parents[0]["meta"]["run_id"] for t in trials)
    return parents[0], trials


def params_of(trials: list[dict[str, Any]], *names: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(t["params"][n] for n in names) for t in trials)


# -- the trials ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("lr=0.1,0.01,0.001", [0.1, 0.01, 0.001]),
        ("depth=3:8", [3, 4, 5, 6, 7, 8]),
        ("n=0:10:5", [0, 5, 10]),
        ("n=3:1", [3, 2, 1]),
        ("model=xgb, rf", ["xgb", "rf"]),
        ("small=1e-3,1e-4", [0.001, 0.0001]),
        ("flag=true,false", [True, False]),
        ("one=7", [7]),
    ],
)
def test_parse_axis(text: str, values: list[Any]) -> None:
    name, spec, parsed = parse_axis(text)
    assert (name, spec) == (text.split("=")[0], text.split("=", 1)[1])
    assert parsed == values and [type(v) for v in parsed] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("text", "message"), [("x=1:5:0", "empty"), ("x=1,1", "repeated"), ("x", "KEY=VALUE")]
)
def test_bad_axes(text: str, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        parse_axis(text)


def test_grid_order_and_seeded_samples() -> None:
    axes = {"a": [1, 2], "b": ["x", "y", "z"]}
    assert grid(axes) == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]
    drawn = sample(axes, 4, seed=1)
    assert drawn == sample(axes, 4, seed=1)
    assert drawn != sample(axes, 4, seed=2)
    assert len(drawn) == 4 and all(t in grid(axes) for t in drawn)
    assert len({tuple(t.items()) for t in drawn}) == 4  # distinct
    assert sorted(map(str, sample(axes, 100, seed=3))) == sorted(map(str, grid(axes)))


def test_substitute_only_known_placeholders() -> None:
    command = ["train", "--lr={lr}", "{depth}", "{other}", "{", "x{lr}y{lr}", "{'a': 1}"]
    assert substitute(command, {"lr": 0.1, "depth": 3}) == [
        "train",
        "--lr=0.1",
        "3",
        "{other}",
        "{",
        "x0.1y0.1",
        "{'a': 1}",
    ]


# -- sweeps -------------------------------------------------------------------------------------

LOG_PARAMS = """
import sys, gittrack
p = gittrack.params()
gittrack.log_metric("score", p["lr"] * p["depth"])
print("argv", sys.argv[1:])
"""


def test_a_grid_sweep_in_parallel(repo: Path) -> None:
    (repo / "train.py").write_text(textwrap.dedent(LOG_PARAMS))
    done = gittrack_cli(
        "sweep", "-e", "grid", "-p", "lr=0.1,0.01", "-p", "depth=3:5", "-j", "2",
        "--", sys.executable, "train.py", "--lr", "{lr}", "--depth={depth}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"6/6 trials done, 0 failed" in done.stderr
    parent, trials = split(repo / ".runs")
    assert len(trials) == 6
    assert params_of(trials, "lr", "depth") == sorted((lr, d) for lr in (0.1, 0.01) for d in (3, 4, 5))
    for trial in trials:
        p = trial["params"]
        assert trial["meta"]["status"] == "FINISHED"
        assert trial["meta"]["experiment"] == "grid"
        assert trial["meta"]["metrics"]["score"]["last"] == p["lr"] * p["depth"]
        argv = f"argv ['--lr', '{p['lr']}', '--depth={p['depth']}']\n"
        assert (trial["dir"] / "output.log").read_text() == argv
    assert sorted(int(t["tags"]["gittrack.runner.sweep.trial"]) for t in trials) == list(range(6))
    assert parent["meta"]["status"] == "FINISHED"
    assert parent["params"] == {"sweep.depth": "3:5", "sweep.lr": "0.1,0.01"}
    spec = load_yaml(parent["dir"] / "artifacts" / "sweep.yaml")
    assert spec["trials"] == [{"lr": lr, "depth": d} for lr in (0.1, 0.01) for d in (3, 4, 5)]


def test_random_samples_with_a_seed_are_the_same_every_time(repo: Path, tmp_path: Path) -> None:
    drawn = []
    for store in ("one", "two"):
        done = gittrack_cli(
            "--store", str(tmp_path / store), "sweep", "-p", "lr=0.1,0.01,0.001", "-p", "depth=1:10",
            "--random", "4", "--seed", "1", "-j", "4", "--", sys.executable, "-c", "pass",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        parent, trials = split(tmp_path / store)
        assert parent["params"]["sweep.seed"] == 1 and parent["params"]["sweep.random"] == 4
        drawn.append(params_of(trials, "lr", "depth"))
    axes = {"lr": [0.1, 0.01, 0.001], "depth": list(range(1, 11))}
    assert drawn[0] == drawn[1] == sorted((t["lr"], t["depth"]) for t in sample(axes, 4, seed=1))


def test_resume_reruns_only_the_failed_trials(repo: Path) -> None:
    (repo / "train.py").write_text(
        "import os, sys, gittrack\nsys.exit(os.path.exists(f\"fail-{gittrack.params()['lr']}\"))\n"
    )
    (repo / "fail-0.2").write_text("")
    args = [
        "-n",
        "my-sweep",
        "-p",
        "lr=0.1,0.2",
        "-p",
        "depth=1,2",
        "-j",
        "2",
        "--",
        sys.executable,
        "train.py",
    ]
    first = gittrack_cli("sweep", *args)
    assert first.returncode == 1
    parent, trials = split(repo / ".runs")
    assert parent["meta"]["status"] == "FAILED"
    failed = [t for t in trials if t["meta"]["status"] == "FAILED"]
    assert params_of(failed, "lr", "depth") == [(0.2, 1), (0.2, 2)]

    (repo / "fail-0.2").unlink()
    second = gittrack_cli("sweep", "--resume", "my-sweep", "-j", "2")  # a name works as RUN
    assert second.returncode == 0, second.stderr
    parent, trials = split(repo / ".runs")
    assert parent["meta"]["status"] == "FINISHED"
    assert len(trials) == 6  # 4 first, then only the 2 that failed
    assert params_of([t for t in trials if t["meta"]["status"] == "FINISHED"], "lr", "depth") == [
        (0.1, 1),
        (0.1, 2),
        (0.2, 1),
        (0.2, 2),
    ]

    third = gittrack_cli("sweep", "--resume", parent["meta"]["run_id"])
    assert third.returncode == 0
    assert len(split(repo / ".runs")[1]) == 6  # nothing left to run


def test_forty_small_trials_four_at_a_time(repo: Path) -> None:
    code = "import gittrack; gittrack.log_metric('m', gittrack.params()['i'])"
    done = gittrack_cli("sweep", "-p", "i=0:39", "-j", "4", "--", sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    parent, trials = split(repo / ".runs")
    assert len(trials) == 40 and parent["meta"]["status"] == "FINISHED"
    assert sorted(t["meta"]["metrics"]["m"]["last"] for t in trials) == list(range(40))
    assert {t["meta"]["status"] for t in trials} == {"FINISHED"}


def test_ctrl_c_stops_the_sweep_and_kills_running_trials(repo: Path) -> None:
    (repo / "train.py").write_text(
        textwrap.dedent(
            """
            import pathlib, time, gittrack
            i = gittrack.params()["i"]
            pathlib.Path(f"started-{i}").touch()
            time.sleep(30)
            """
        )
    )
    sweep = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gittrack",
            "sweep",
            "-p",
            "i=1:4",
            "-j",
            "2",
            "--",
            sys.executable,
            "train.py",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(list(repo.glob("started-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(sweep.pid, signal.SIGINT)
    _, err = sweep.communicate(timeout=30)
    assert sweep.returncode == 130, err
    parent, trials = split(repo / ".runs")
    assert parent["meta"]["status"] == "KILLED"
    assert [t["meta"]["status"] for t in trials] == ["KILLED", "KILLED"]  # the other two never started
    assert b"gittrack sweep --resume" in err


def test_resume_refuses_new_params() -> None:
    done = gittrack_cli("sweep", "--resume", "x", "-p", "a=1")
    assert done.returncode == 2
    assert b"--resume takes the params, command and settings from the sweep" in done.stderr


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=12).filter(lambda s: "\x00" not in s),  # argv cannot hold NUL
        st.sampled_from(["3", "true", "null", "", "1e-3", "~", "'q'", " x", "0.1"]),
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
    )
)
def test_a_trial_param_reads_back_as_the_same_value(value: object) -> None:
    from gittrack.runner.env import param_arg
    from gittrack.tracking.environ import param_from_text

    assert param_from_text(param_arg(value)) == value


def test_trial_argv_quotes_strings_that_would_change_type(tmp_path: Path) -> None:
    spec = make_spec(["python", "-c", "pass"], ["x='3'"], experiment="e")
    argv = trial_argv(spec, {"x": "3"}, 0, store=tmp_path, parent_run_id="p", grace=1.0)
    assert "x='3'" in argv
    argv = trial_argv(spec, {"x": 3}, 1, store=tmp_path, parent_run_id="p", grace=1.0)
    assert "x=3" in argv
