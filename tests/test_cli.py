"""The ``gittrack`` command line through CliRunner on real repositories, plus two real processes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git, head, invoke, run_python, table, tree_snapshot

import gittrack as mlflow
from gittrack import __version__
from gittrack.cli import cli
from gittrack.maintenance.init import default_config_text
from gittrack.store import yamlio

pytestmark = pytest.mark.usefixtures("clean_api")

SUMMARY = ["id", "name", "experiment", "status", "start", "duration", "commit"]


def assert_one_error_line(result: object, starts: str) -> str:
    """Exit 1, nothing on stdout, one ``Error: ...`` line on stderr and no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert lines[0].startswith(starts), lines[0]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    return str(lines[0])


@pytest.fixture
def two_runs(in_repo: Path) -> dict[str, str]:
    """Two finished runs in two experiments; returns {run name: run id}."""
    with mlflow.start_run(run_name="alpha-run", experiment_id="exp-a") as first:
        mlflow.log_params({"alpha": 0.1, "model": "ridge"})
        mlflow.log_metric("rmse", 6.5)
    with mlflow.start_run(run_name="beta-run", experiment_id="exp-b") as second:
        mlflow.log_params({"alpha": 0.5})
        mlflow.log_metric("rmse", float("nan"))
        mlflow.log_metric("r2", 0.25)
    return {"alpha-run": first.info.run_id, "beta-run": second.info.run_id}


# -- version and help ------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0
    assert result.stdout == f"gittrack, version {__version__}\n"
    assert result.stderr == ""


def test_every_command_has_help_with_an_example() -> None:
    top = invoke("--help")
    assert top.exit_code == 0
    assert "Example" in top.stdout
    assert {"init", "ls", "show"} <= set(cli.commands)
    for name in sorted(cli.commands):
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        assert f"Usage: gittrack {name}" in result.stdout, name
        assert "Example" in result.stdout, name
        assert result.stderr == ""


def test_unknown_option_is_a_usage_error_with_exit_2(in_repo: Path) -> None:
    result = invoke("ls", "--no-such-option")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage: gittrack ls" in result.stderr
    assert "Error: No such option" in result.stderr and "--no-such-option" in result.stderr


# -- init ----------------------------------------------------------------------------------


def test_init_creates_store_config_and_ignore_rule_and_is_idempotent(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text("*.pyc")  # no final newline
    result = invoke("init", str(git_repo))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"created {git_repo / '.runs'}",
        f"wrote {git_repo / '.gittrack.yml'}",
        f"added .runs/.cache/ to {git_repo / '.gitignore'}",
    ]
    assert (git_repo / ".runs").is_dir()
    assert (git_repo / ".runs" / ".cache" / ".gitignore").is_file()
    assert (git_repo / ".gittrack.yml").read_text() == default_config_text()
    assert (git_repo / ".gitignore").read_text() == "*.pyc\n.runs/.cache/\n"

    files = [git_repo / ".gittrack.yml", git_repo / ".gitignore"]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    snapshot = tree_snapshot(git_repo / ".runs")
    again = invoke("init", str(git_repo))
    assert again.exit_code == 0
    assert again.stdout == ""
    assert again.stderr == "already initialised; nothing to do\n"
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before
    assert tree_snapshot(git_repo / ".runs") == snapshot


def test_init_in_a_sub_directory_sets_up_the_top_of_the_work_tree(git_repo: Path) -> None:
    sub = git_repo / "src"
    sub.mkdir()
    assert invoke("init", str(sub)).exit_code == 0
    assert (git_repo / ".runs").is_dir()
    assert not (sub / ".runs").exists()


# -- ls ------------------------------------------------------------------------------------


def test_ls_on_an_empty_store(in_repo: Path) -> None:
    # people get a note; programs still get something to parse
    for fmt, stdout in (("table", ""), ("markdown", ""), ("json", "[]\n")):
        result = invoke("ls", "--format", fmt)
        assert result.exit_code == 0
        assert result.stdout == stdout
        assert result.stderr == "no runs\n"
    result = invoke("ls", "--format", "csv")
    assert result.stdout.startswith("id,name,experiment,status,start,duration,commit")


def test_ls_table_shows_names_params_metrics_and_short_commit(
    two_runs: dict[str, str], in_repo: Path
) -> None:
    result = invoke("ls")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    names, cells = table(result.stdout)
    assert names == [*SUMMARY, "metrics.r2", "metrics.rmse", "params.alpha", "params.model"]
    rows = {row[1]: row for row in cells}
    assert list(rows) == ["beta-run", "alpha-run"]  # newest first
    short = head(in_repo)[:8]
    alpha = rows["alpha-run"]
    assert alpha[0] == two_runs["alpha-run"][: len(alpha[0])]
    assert alpha[2:4] == ["exp-a", "FINISHED"]
    assert alpha[6] == short  # clean tree: no "*"
    assert alpha[-4:] == ["", "6.5", "0.1", "ridge"]
    assert rows["beta-run"][-4:] == ["0.25", "", "0.5", ""]  # NaN rmse is a blank cell


def test_ls_marks_a_dirty_commit_with_a_star(in_repo: Path) -> None:
    (in_repo / "train.py").write_text("print('dirty')\n")
    with mlflow.start_run(run_name="dirty-run"):
        pass
    result = invoke("ls")
    assert f"{head(in_repo)[:8]}*" in result.stdout


def test_ls_filters_by_experiment_and_limits(two_runs: dict[str, str]) -> None:
    only_a = invoke("ls", "-e", "exp-a", "--format", "json")
    assert [r["id"] for r in json.loads(only_a.stdout)] == [two_runs["alpha-run"]]
    both = invoke("ls", "-e", "exp-a", "-e", "exp-b", "--format", "json")
    assert len(json.loads(both.stdout)) == 2
    newest = invoke("ls", "-n", "1", "--format", "json")
    assert [r["name"] for r in json.loads(newest.stdout)] == ["beta-run"]
    none = invoke("ls", "-e", "no-such-experiment")
    assert (none.exit_code, none.stdout, none.stderr) == (0, "", "no runs\n")


def test_ls_csv_is_exact(two_runs: dict[str, str], in_repo: Path) -> None:
    result = invoke("ls", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [*SUMMARY, "metrics.r2", "metrics.rmse", "params.alpha", "params.model"]
    by_name = {r["name"]: r for r in rows}
    alpha, beta = by_name["alpha-run"], by_name["beta-run"]
    assert alpha["id"] == two_runs["alpha-run"]  # full ids
    assert beta["id"] == two_runs["beta-run"]
    assert alpha["commit"] == head(in_repo)  # full SHA
    assert alpha["start"].endswith("Z") and len(alpha["start"]) == len("2026-01-01T00:00:00.000Z")
    assert float(alpha["duration"]) >= 0
    assert (alpha["params.alpha"], alpha["params.model"], alpha["metrics.rmse"]) == ("0.1", "ridge", "6.5")
    assert (beta["params.model"], beta["metrics.rmse"], beta["metrics.r2"]) == ("", "", "0.25")


def test_ls_json_is_exact(two_runs: dict[str, str], in_repo: Path) -> None:
    result = invoke("ls", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    alpha, beta = rows["alpha-run"], rows["beta-run"]
    assert alpha["id"] == two_runs["alpha-run"]
    assert alpha["commit"] == head(in_repo)
    assert alpha["status"] == "FINISHED"
    assert alpha["experiment"] == "exp-a"
    assert isinstance(alpha["duration"], float)
    assert (alpha["params.alpha"], alpha["params.model"], alpha["metrics.rmse"]) == (0.1, "ridge", 6.5)
    assert beta["metrics.rmse"] is None  # NaN
    assert beta["params.model"] is None  # never logged
    assert beta["metrics.r2"] == 0.25


def test_ls_csv_and_json_keep_int_params_exact(in_repo: Path) -> None:
    # An int param logged in one run only must stay an int (5, not 5.0): csv/json are lossless.
    with mlflow.start_run(run_name="with-depth"):
        mlflow.log_params({"max_depth": 5, "flag": True})
    with mlflow.start_run(run_name="without"):
        mlflow.log_param("other", "x")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(invoke("ls", "--format", "csv").stdout))}
    assert rows["with-depth"]["params.max_depth"] == "5"
    assert rows["without"]["params.max_depth"] == ""
    records = {r["name"]: r for r in json.loads(invoke("ls", "--format", "json").stdout)}
    assert records["with-depth"]["params.max_depth"] == 5
    assert type(records["with-depth"]["params.max_depth"]) is int
    assert records["with-depth"]["params.flag"] is True


def test_ls_markdown(two_runs: dict[str, str]) -> None:
    result = invoke("ls", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("|") and line.endswith("|") for line in lines)
    assert [c.strip() for c in lines[0].strip("|").split("|")][:2] == ["id", "name"]
    assert set(lines[1]) <= {"|", "-", ":", " "}
    assert "alpha-run" in result.stdout and "beta-run" in result.stdout


def test_ls_columns(two_runs: dict[str, str]) -> None:
    result = invoke("ls", "--columns", "params.alpha,metrics.rmse", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # exactly the columns asked for, after the id and name (which are filled in)
    assert list(rows[0]) == ["id", "name", "params.alpha", "metrics.rmse"]
    assert [(r["id"], r["name"], r["params.alpha"]) for r in rows] == [
        (two_runs["beta-run"], "beta-run", "0.5"),
        (two_runs["alpha-run"], "alpha-run", "0.1"),
    ]
    shown = invoke("ls", "--columns", "id,status,metrics.r2, experiment")
    assert shown.exit_code == 0, shown.stderr
    names, cells = table(shown.stdout)
    assert names == ["id", "name", "status", "metrics.r2", "experiment"]
    assert [c[1:] for c in cells] == [
        ["beta-run", "FINISHED", "0.25", "exp-b"],
        ["alpha-run", "FINISHED", "", "exp-a"],
    ]


def test_ls_columns_unknown_is_a_usage_error_naming_the_near_miss(two_runs: dict[str, str]) -> None:
    result = invoke("ls", "--columns", "params.alpha,metrics.rsme")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --columns: no run has 'metrics.rsme'; did you mean 'metrics.rmse'?\n"
    # in scope: exp-b's only run logged r2, and exp-a's none
    scoped = invoke("ls", "-e", "exp-a", "--columns", "metrics.r2")
    assert (scoped.exit_code, scoped.stdout) == (2, "")
    assert scoped.stderr == (
        "Error: --columns: no run in experiment 'exp-a' has 'metrics.r2'; known: metrics.rmse, "
        "params.alpha, params.model, branch, commit, duration, experiment, id, ...\n"
    )
    status = invoke("ls", "--columns", "stauts")
    assert status.stderr == "Error: --columns: no run has 'stauts'; did you mean 'status'?\n"


def test_ls_experiment_shows_only_the_columns_of_its_runs(two_runs: dict[str, str]) -> None:
    result = invoke("ls", "-e", "exp-a", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    summary = "id,name,experiment,status,start,duration,commit"
    assert result.stdout.splitlines()[0] == f"{summary},metrics.rmse,params.alpha,params.model"
    other = invoke("ls", "-e", "exp-b", "--format", "csv")
    assert other.stdout.splitlines()[0] == f"{summary},metrics.r2,params.alpha"


# -- show ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["full id", "prefix", "name"])
def test_show_by_id_prefix_and_name(two_runs: dict[str, str], in_repo: Path, how: str) -> None:
    run_id = two_runs["alpha-run"]
    ref = {"full id": run_id, "prefix": run_id[:-2], "name": "alpha-run"}[how]
    result = invoke("show", ref)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"run         {run_id}  (alpha-run)"
    assert "experiment  exp-a" in lines
    assert "status      FINISHED" in lines
    assert f"git         {head(in_repo)} on main" in lines
    assert f"  reproduce: git checkout {head(in_repo)}" in lines
    assert any(line.split() == ["alpha", "0.1"] for line in lines)
    assert any(line.split()[:3] == ["rmse", "last", "6.5"] for line in lines)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_show_machine_formats_parse_back(two_runs: dict[str, str], in_repo: Path, fmt: str) -> None:
    result = invoke("show", two_runs["beta-run"], "--format", fmt)
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout) if fmt == "json" else yamlio.load(result.stdout)
    assert info["run_id"] == two_runs["beta-run"]
    assert info["name"] == "beta-run"
    assert info["experiment"] == "exp-b"
    assert info["status"] == "FINISHED"
    assert info["params"] == {"alpha": 0.5}
    assert info["git"]["commit"] == head(in_repo)
    assert info["metrics"]["r2"] == {"last": 0.25, "min": 0.25, "max": 0.25, "count": 1, "step": 0}
    rmse = info["metrics"]["rmse"]
    assert rmse["last"] != rmse["last"]  # NaN survives
    assert info["path"] == str(in_repo / ".runs" / two_runs["beta-run"])


def test_show_unknown_run_is_one_error_line(in_repo: Path) -> None:
    with mlflow.start_run():
        pass
    result = invoke("show", "no-such-run")
    line = assert_one_error_line(result, "Error: no run matches 'no-such-run'")
    assert str(in_repo / ".runs") in line


def test_show_ambiguous_prefix_lists_candidates(two_runs: dict[str, str]) -> None:
    first, second = two_runs.values()
    prefix = first[: next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)]
    assert prefix  # both ids start with the date
    result = invoke("show", prefix)
    line = assert_one_error_line(result, f"Error: {prefix!r} matches 2 runs")
    for run_id in two_runs.values():
        assert run_id in line


def test_show_by_name_with_a_damaged_sibling_warns_once_and_works(two_runs: dict[str, str],
                                                                  in_repo: Path) -> None:  # fmt: skip
    broken = in_repo / ".runs" / two_runs["beta-run"] / "meta.yaml"
    broken.write_text("status: [\n")
    result = invoke("show", "alpha-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["run_id"] == two_runs["alpha-run"]
    assert result.stderr == ""  # the damaged file cannot hold the name: it is not read
    broken.write_text("name: alpha-run\nstatus: [\n")  # it could be the run named: say so
    result = invoke("show", "alpha-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["run_id"] == two_runs["alpha-run"]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith("Warning: ") and str(broken) in warnings[0]


def test_show_with_store_option(two_runs: dict[str, str], in_repo: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)  # outside the repository: only --store finds the runs
    result = invoke("--store", str(in_repo / ".runs"), "show", "alpha-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["run_id"] == two_runs["alpha-run"]


# -- real processes --------------------------------------------------------------------------


HEAVY = ("pandas", "numpy", "git", "jinja2", "tabulate", "gittrack.git", "gittrack.query.search")


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from gittrack.cli import main\n"
        "sys.argv = ['gittrack', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('heavy:', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    done = run_python(tmp_path, code)
    assert done.returncode == 0, done.stderr
    assert "Usage: gittrack" in done.stdout
    assert done.stdout.splitlines()[-1] == "heavy: []"


def test_python_dash_m_gittrack(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gittrack", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"gittrack, version {__version__}\n"


def test_gittrack_does_not_touch_the_git_index(two_runs: dict[str, str], in_repo: Path) -> None:
    # Listing and showing runs never stages or commits anything.
    before = git(in_repo, "status", "--porcelain=v2", "--branch")
    invoke("ls")
    invoke("show", "alpha-run")
    assert git(in_repo, "status", "--porcelain=v2", "--branch") == before
    assert git(in_repo, "diff", "--cached", "--name-only") == ""
