"""A FAILED run keeps why: the exception's type, message and last frames in meta.yaml,
recorded by the API (context manager, uncaught exception) and by `gittrack run` (from the
command's stderr), and shown by `gittrack show` and `gittrack diff`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import git, invoke, load_yaml, only_run

import gittrack
from gittrack.runner.failure import error_from_output
from gittrack.store.layout import MAX_TRACEBACK, error_record

SCRIPT = """\
import gittrack


def train(lr):
    raise ValueError(f"lr {{lr}} is too large")


gittrack.set_experiment("fit")
{body}
"""


def run_script(repo: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    (repo / "train.py").write_text(SCRIPT.format(body=textwrap.dedent(body)))
    argv = [sys.executable, *args, "train.py"]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=60, check=False)


def meta(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(only_run(repo / ".runs") / "meta.yaml")
    return data


TRACEBACK = """\
Traceback (most recent call last):
  File "{path}", line 10, in <module>
    train(0.9)
  File "{path}", line 5, in train
    raise ValueError(f"lr {{lr}} is too large")
ValueError: lr 0.9 is too large"""


def test_the_context_manager_records_the_exception(repo: Path) -> None:
    done = run_script(repo, 'with gittrack.start_run(run_name="boom"):\n    train(0.9)\n')
    assert done.returncode == 1
    data = meta(repo)
    assert data["status"] == "FAILED"
    path = repo / "train.py"
    assert data["error"] == {
        "type": "ValueError",
        "message": "lr 0.9 is too large",
        "traceback": TRACEBACK.format(path=path),
    }
    assert list(data)[list(data).index("duration") + 1] == "error"  # its place in meta.yaml
    shown = invoke("show", "boom")
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[2:10] == [
        "status      FAILED",
        "error       ValueError: lr 0.9 is too large",
        "traceback   Traceback (most recent call last):",
        f'              File "{path}", line 10, in <module>',
        "                train(0.9)",
        f'              File "{path}", line 5, in train',
        '                raise ValueError(f"lr {lr} is too large")',
        "            ValueError: lr 0.9 is too large",
    ]


def test_the_uncaught_exception_hook_records_it(repo: Path) -> None:
    done = run_script(repo, 'gittrack.start_run(run_name="no-with")\ntrain(0.9)\n')
    assert done.returncode == 1
    error = meta(repo)["error"]
    assert (error["type"], error["message"]) == ("ValueError", "lr 0.9 is too large")
    assert error["traceback"].endswith(
        'raise ValueError(f"lr {lr} is too large")\nValueError: lr 0.9 is too large'
    )


def test_a_finished_or_interrupted_run_has_no_error(in_repo: Path) -> None:
    with gittrack.start_run() as run:
        pass
    with pytest.raises(KeyboardInterrupt), gittrack.start_run() as killed:
        raise KeyboardInterrupt
    for run_id in (run.info.run_id, killed.info.run_id):
        assert "error" not in load_yaml(in_repo / ".runs" / run_id / "meta.yaml")


def test_a_resumed_run_that_finishes_drops_its_old_error(in_repo: Path) -> None:
    with pytest.raises(ZeroDivisionError), gittrack.start_run() as run:
        1 / 0  # noqa: B018
    path = in_repo / ".runs" / run.info.run_id / "meta.yaml"
    assert load_yaml(path)["error"]["type"] == "ZeroDivisionError"
    with gittrack.start_run(run_id=run.info.run_id):
        pass
    assert load_yaml(path)["status"] == "FINISHED"
    assert "error" not in load_yaml(path)


def test_gittrack_run_records_the_traceback_of_the_command(repo: Path) -> None:
    done = run_script(repo, "train(0.9)\n", "-m", "gittrack", "run", "-n", "wrapped", "--", sys.executable)
    assert done.returncode == 1
    data = meta(repo)
    assert data["status"] == "FAILED"
    assert data["source"]["exit_code"] == 1
    assert data["error"] == {
        "type": "ValueError",
        "message": "lr 0.9 is too large",
        "traceback": TRACEBACK.replace(", line 10,", ", line 9,").format(path=repo / "train.py"),
    }


def test_gittrack_run_records_the_last_line_of_a_command_without_traceback(repo: Path) -> None:
    result = invoke(
        "run", "-n", "shell", "--", "sh", "-c", "echo working; echo 'fatal: disk full' >&2; exit 3"
    )
    assert result.exit_code == 3
    assert meta(repo)["error"] == {
        "type": None,
        "message": "fatal: disk full",
        "traceback": "fatal: disk full",
    }
    shown = invoke("show", "shell").stdout.splitlines()
    assert shown[2:5] == [
        "status      FAILED",
        "error       fatal: disk full",
        "output      fatal: disk full",
    ]


def test_error_from_output() -> None:
    chained = (
        "epoch 1\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nKeyError: 'x'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        'Traceback (most recent call last):\n  File "a.py", line 3, in <module>\n'
        "mypkg.errors.DataError: bad row 7\nsee the log\n"
    )
    assert error_from_output(chained.encode(), 1) == {
        "type": "mypkg.errors.DataError",
        "message": "bad row 7\nsee the log",
        "traceback": chained[chained.rindex("Traceback") :].rstrip("\n"),
    }
    assert error_from_output(b"", 2) == {"type": None, "message": "exit code 2, no output", "traceback": None}
    lines = "".join(f"line {i}\n" for i in range(30)).encode()
    error = error_from_output(lines + b"\n\n", 1)
    assert error["message"] == "line 29"
    assert error["traceback"] == "\n".join(f"line {i}" for i in range(10, 30))


def test_the_traceback_is_capped_at_its_end() -> None:
    text = "".join(f"frame {i}\n" for i in range(2000))
    error = error_record("X", "m" * 5000, text)
    assert len(error["message"] or "") == 2000
    traceback = error["traceback"] or ""
    assert len(traceback) <= MAX_TRACEBACK + 2
    assert traceback.startswith("…\nframe ") and traceback.endswith("frame 1999\n")


def test_diff_lists_a_failed_added_run_with_its_error(repo: Path) -> None:
    with gittrack.start_run(run_name="ok", experiment_id="fit"):
        gittrack.log_metric("loss", 0.5)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    with pytest.raises(ValueError), gittrack.start_run(run_name="bad", experiment_id="fit") as bad:
        gittrack.log_metric("loss", 0.4)
        raise ValueError("nan in batch 3")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    for head in ("feature", None):  # from git's objects, and from the working tree
        result = invoke("diff", "main", *([head] if head else []))
        assert result.exit_code == 0, result.stderr
        assert f"  FAILED: bad ({bad.info.run_id}): ValueError: nan in batch 3" in result.stdout.splitlines()
    markdown = invoke("diff", "main", "feature", "--format", "markdown").stdout
    assert f"- FAILED: `{bad.info.run_id}` bad: ValueError: nan in batch 3" in markdown.splitlines()
    report = invoke("diff", "main", "feature", "--format", "json").stdout
    assert '"failed": [\n' in report and '"error": "ValueError: nan in batch 3"' in report
