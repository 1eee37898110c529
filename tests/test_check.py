"""``gittrack check`` on the damaged-store corpus, and readers that survive every case.

Each ``tests/data/damaged/<case>/`` is a tiny store: two good runs (``…aaaaaa``,
``…cccccc``) and one damaged run (``…bbbbbb``), with ``expected.txt`` holding the exact
``gittrack check`` output.  Tests work on a copy named ``.runs`` in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from click.testing import Result

from gittrack.cli import cli
from gittrack.errors import GittrackWarning
from gittrack.maintenance.check import check
from gittrack.store import yamlio
from gittrack.store.metric_csv import read_history, summarize
from gittrack.store.reader import read_run

CORPUS = Path(__file__).parent / "data" / "damaged"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
GOOD = ("20260101-000000-aaaaaa", "20260101-000002-cccccc")
DAMAGED = "20260101-000001-bbbbbb"

# The file a reader names when it skips the damaged run; cases missing here are runs a
# reader can still list (their damage is in a metric CSV or a leftover file it never parses).
SKIPPED_FOR = {
    "binary-meta": "meta.yaml",
    "conflict-params": "params.yaml",
    "empty-meta": "meta.yaml",
    "format-version-99": "meta.yaml",
    "missing-meta": "meta.yaml",
    "params-list": "params.yaml",
    "truncated-meta": "meta.yaml",
    "wrong-types": "meta.yaml",
}
CLEAN_AFTER_FIX = {"empty-params", "orphan-tmp", "torn-csv"}


def store_copy(case: str, tmp_path: Path) -> Path:
    store = tmp_path / ".runs"
    shutil.copytree(CORPUS / case, store, ignore=shutil.ignore_patterns("expected.txt"))
    return store


def gittrack(store: Path, *args: str) -> Result:
    from click.testing import CliRunner

    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, ["--store", str(store), *args], env={"COLUMNS": "200"})


def expected(case: str) -> str:
    return (CORPUS / case / "expected.txt").read_text(encoding="utf-8")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the store but its git-ignored cache (check remembers its clean runs there)."""
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in files
        if ".cache" not in p.relative_to(root).parts
    }


def test_corpus_has_every_required_case() -> None:
    required = {
        "binary-meta", "conflict-csv", "conflict-params", "empty-meta", "empty-params",
        "format-version-99", "malformed-csv-row", "missing-meta", "orphan-tmp", "params-list",
        "torn-csv", "truncated-meta", "wrong-types",
    }  # fmt: skip
    assert required <= set(CASES)


# -- check on the corpus ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_check_reports_exactly_the_expected_problems(case: str, tmp_path: Path) -> None:
    store = store_copy(case, tmp_path)
    before = snapshot(store)
    result = gittrack(store, "check")
    assert result.stdout == expected(case)
    assert result.exit_code == (0 if expected(case).endswith("no problems\n") else 1)
    assert snapshot(store) == before  # without --fix nothing is touched
    report = check(store)
    assert report.lines() == expected(case).splitlines()
    assert all(item.path.startswith(f".runs/{DAMAGED}/") for item in report.items)


@pytest.mark.parametrize("case", CASES)
def test_fix_repairs_only_what_needs_no_guessing(case: str, tmp_path: Path) -> None:
    store = store_copy(case, tmp_path)
    before = snapshot(store)
    fixed = gittrack(store, "check", "--fix")
    again = gittrack(store, "check")
    if case in CLEAN_AFTER_FIX:
        assert fixed.exit_code == 0, fixed.stdout
        assert again.stdout == "checked 3 runs: no problems\n"
        assert again.exit_code == 0
    else:  # nothing could be fixed: same report, and not one byte changed
        assert fixed.stdout == expected(case)
        assert fixed.exit_code == again.exit_code == 1
        assert again.stdout == expected(case)
        assert snapshot(store) == before


def test_fix_output_says_what_it_did(tmp_path: Path) -> None:
    store = store_copy("torn-csv", tmp_path)
    result = gittrack(store, "check", "--fix")
    assert result.stdout == (
        f".runs/{DAMAGED}/metrics/loss.csv:5: incomplete last line '3,17672256' (a write cut short):"
        " fixed, dropped it\n"
        "checked 3 runs: 0 problems, 1 fixed\n"
    )
    rows, problems = read_history(store / DAMAGED / "metrics" / "loss.csv")
    assert [r.step for r in rows] == [0, 1, 2] and problems == []


def test_json_format(tmp_path: Path) -> None:
    store = store_copy("wrong-types", tmp_path)
    result = gittrack(store, "check", "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert [(i["path"], i["line"], i["fixed"]) for i in items] == [
        (f".runs/{DAMAGED}/meta.yaml", 5, False),
        (f".runs/{DAMAGED}/meta.yaml", 7, False),
        (f".runs/{DAMAGED}/meta.yaml", 20, False),
    ]
    assert all(set(i) == {"path", "line", "message", "fixed"} for i in items)
    assert "checked 3 runs: 3 problems" in result.stderr


def test_json_format_with_fix(tmp_path: Path) -> None:
    store = store_copy("orphan-tmp", tmp_path)
    result = gittrack(store, "check", "--fix", "--format", "json")
    assert result.exit_code == 0
    [item] = json.loads(result.stdout)
    assert item["fixed"] is True and item["line"] == 0
    assert not (store / DAMAGED / ".tmp-meta.yaml.abcd1234").exists()


def test_missing_store_is_clean(tmp_path: Path) -> None:
    result = gittrack(tmp_path / "nowhere", "check")
    assert (result.exit_code, result.stdout) == (0, "checked 0 runs: no problems\n")


# -- readers skip the damaged run and list the others -------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_ls_lists_every_good_run(case: str, tmp_path: Path) -> None:
    store = store_copy(case, tmp_path)
    result = gittrack(store, "ls", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    listed = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    if case in SKIPPED_FOR:
        assert listed == [GOOD[1], GOOD[0]]
        damaged_file = store / DAMAGED / SKIPPED_FOR[case]
        assert result.stderr.count("Warning:") == 1
        assert f"Warning: skipping run {DAMAGED}: {damaged_file}" in result.stderr
    else:
        assert listed == [GOOD[1], DAMAGED, GOOD[0]]
        assert "Warning" not in result.stderr


@pytest.mark.parametrize("case", CASES)
def test_search_runs_lists_every_good_run(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gittrack

    store = store_copy(case, tmp_path)
    monkeypatch.setenv("GITTRACK_DIR", str(store))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = gittrack.search_runs()
    found = sorted(frame["run_id"])
    skipped = [str(w.message) for w in caught if issubclass(w.category, GittrackWarning)]
    if case in SKIPPED_FOR:
        assert found == list(GOOD)
        assert len(skipped) == 1 and str(store / DAMAGED / SKIPPED_FOR[case]) in skipped[0]
    else:
        assert found == sorted([*GOOD, DAMAGED])
        assert skipped == []


@pytest.mark.parametrize("case", sorted(SKIPPED_FOR))
def test_compare_skips_a_damaged_run(case: str, tmp_path: Path) -> None:
    store = store_copy(case, tmp_path)
    result = gittrack(store, "compare", GOOD[0], DAMAGED, GOOD[1], "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert str(store / DAMAGED / SKIPPED_FOR[case]) in result.stderr
    header = result.stdout.splitlines()[0]
    assert "good-first" in header and "good-last" in header and "damaged" not in header


@pytest.mark.parametrize("case", sorted(set(CASES) - set(SKIPPED_FOR)))
def test_compare_includes_a_readable_damaged_run(case: str, tmp_path: Path) -> None:
    store = store_copy(case, tmp_path)
    result = gittrack(store, "compare", GOOD[0], DAMAGED, GOOD[1], "--format", "csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert all(name in header for name in ("good-first", "damaged", "good-last"))


# -- meta values that used to crash or fool readers -----------------------------------------------


def running_meta(store: Path, run_id: str, pid: object) -> Path:
    """A RUNNING run on this host owned by ``pid``, copied from a good corpus run."""
    shutil.copytree(CORPUS / "empty-params" / GOOD[0], store / run_id)
    path = store / run_id / "meta.yaml"
    data = yamlio.load(path.read_bytes())
    data.update(run_id=run_id, status="RUNNING", host=socket.gethostname(), pid=pid, metrics={})
    path.write_text(yamlio.dump(data))
    return path


@pytest.mark.parametrize("pid", [float("inf"), 99_999_999_999, 0, -1])
def test_readers_survive_impossible_pids(pid: object, tmp_path: Path) -> None:
    store = tmp_path / ".runs"
    shutil.copytree(CORPUS / "empty-params" / GOOD[0], store / GOOD[0])
    running_meta(store, DAMAGED, pid)
    result = gittrack(store, "ls", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert GOOD[0] in result.stdout
    if DAMAGED in result.stdout:  # a readable run whose owner cannot exist is not RUNNING
        assert "KILLED" in result.stdout and "RUNNING" not in result.stdout
    report = check(store)
    assert (12, "bad-field") in [(i.line, i.kind) for i in report.items]


# -- runs whose process died, and live runs ---------------------------------------------------------


DIE_WHILE_RUNNING = """
import os, gittrack
gittrack.set_tracking_uri({store!r})
run = gittrack.start_run(run_name="crashed")
gittrack.log_params({{"lr": 0.1, "layers": 3}})
gittrack.set_tag("stage", "one")
gittrack.set_tag("stage", "two")
for step in range(5):
    gittrack.log_metric("loss", 1.0 / (step + 1), step=step)
gittrack.log_metric("val/acc", 0.5)
print(run.info.run_id, flush=True)
os._exit(0)  # no atexit: the run stays RUNNING with a dead owner
"""


def dead_run(store: Path, cwd: Path) -> Path:
    code = textwrap.dedent(DIE_WHILE_RUNNING.format(store=str(store)))
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return store / done.stdout.strip()


def test_dead_running_run_is_reported_and_ended_as_killed(repo: Path) -> None:
    store = repo / ".runs"
    run_dir = dead_run(store, repo)
    with open(run_dir / "params.yaml", "ab") as handle:
        handle.write(b"epochs: 1")  # an append torn by the kill
    assert read_run(run_dir).status == "KILLED"
    report = check(store)
    assert [(i.path, i.line, i.kind) for i in report.items] == [
        (f".runs/{run_dir.name}/meta.yaml", 5, "dead-run"),
        (f".runs/{run_dir.name}/params.yaml", 3, "torn-line"),
    ]
    assert "process" in report.items[0].message and "readers show KILLED" in report.items[0].message

    fixed = check(store, fix=True)
    assert fixed.ok and len(fixed.fixed) == 2
    assert "marked KILLED" in fixed.items[0].message
    record = read_run(run_dir)
    assert (record.meta.status, record.status) == ("KILLED", "KILLED")
    assert record.meta.end_time is not None and record.meta.end_time >= record.meta.start_time
    assert record.params == {"layers": 3, "lr": 0.1}
    assert (run_dir / "params.yaml").read_text() == "layers: 3\nlr: 0.1\n"
    assert (run_dir / "tags.yaml").read_text() == "stage: two\n"
    loss = summarize(read_history(run_dir / "metrics" / "loss.csv")[0])
    assert record.meta.metrics["loss"] == loss and record.meta.metrics["loss"].count == 5
    assert set(record.meta.metrics) == {"loss", "val/acc"}
    assert check(store).summary() == "checked 1 run: no problems"


def test_live_run_is_never_touched(repo: Path) -> None:
    import gittrack

    gittrack.set_tracking_uri(repo / ".runs")
    with gittrack.start_run() as run:
        gittrack.log_metric("loss", 0.5)
        run_dir = repo / ".runs" / run.info.run_id
        (run_dir / ".tmp-meta.yaml.0123abcd").write_text("format_version: 1\n")  # a write in flight
        (run_dir / "metrics" / "acc.csv").write_text("")  # created, header not yet written
        with open(run_dir / "metrics" / "loss.csv", "ab") as handle:
            handle.write(b"1,17")  # an append in flight
        before = snapshot(run_dir)
        report = check(repo / ".runs", fix=True)
        assert report.items == ()
        assert snapshot(run_dir) == before
        (run_dir / ".tmp-meta.yaml.0123abcd").unlink()
        (run_dir / "metrics" / "acc.csv").unlink()
        with open(run_dir / "metrics" / "loss.csv", "r+b") as handle:
            handle.truncate(len(before["metrics/loss.csv"]) - 4)


def test_empty_metric_file_of_a_dead_run_is_removed(repo: Path) -> None:
    store = repo / ".runs"
    run_dir = dead_run(store, repo)
    (run_dir / "metrics" / "acc.csv").write_text("")  # killed between open() and the header
    report = check(store, fix=True)
    assert [(i.path, i.kind, i.fixed) for i in report.items] == [
        (f".runs/{run_dir.name}/meta.yaml", "dead-run", True),
        (f".runs/{run_dir.name}/metrics/acc.csv", "empty-file", True),
    ]
    assert not (run_dir / "metrics" / "acc.csv").exists()
    assert check(store).ok


def test_conflict_markers_in_free_text_files_only_in_blocks(tmp_path: Path) -> None:
    store = store_copy("empty-params", tmp_path)
    run_dir = store / GOOD[0]
    (run_dir / "git.diff").write_text("diff --git a/x b/x\n=======\n+=======\n")
    (run_dir / "output.log").write_text("epoch 1\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> main\ndone\n")
    report = check(store)
    assert [(i.path, i.line) for i in report.items] == [
        (f".runs/{GOOD[0]}/output.log", 2),
        (f".runs/{GOOD[0]}/output.log", 4),
        (f".runs/{GOOD[0]}/output.log", 6),
    ]


def test_run_id_that_does_not_match_its_directory(tmp_path: Path) -> None:
    store = store_copy("empty-params", tmp_path)
    shutil.copytree(store / GOOD[0], store / "20260101-000009-eeeeee")
    [item] = check(store).items
    assert str(item) == (
        ".runs/20260101-000009-eeeeee/meta.yaml:2: run_id '20260101-000000-aaaaaa' does not match"
        " the directory name '20260101-000009-eeeeee'; two runs claim run id '20260101-000000-aaaaaa'"
        " (also in 20260101-000000-aaaaaa): an id collision. Fix: give this run a new id: rename its"
        " directory to a fresh id (same start time, new random part) and set run_id in meta.yaml to it"
    )
    shutil.rmtree(store / "20260101-000009-eeeeee")
    (store / GOOD[0]).rename(store / "20260101-000000-bbbbbb")  # the only claim, of a free name
    messages = [i.message for i in check(store).items]
    assert any(
        m.endswith(
            "; fix: rename the directory to '20260101-000000-aaaaaa',"
            " or set run_id to '20260101-000000-bbbbbb'"
        )
        for m in messages
    ), messages


def test_check_rereads_only_runs_changed_since_its_last_clean_pass(tmp_path: Path) -> None:
    """The cached pass gives the report a full pass gives, after every kind of change."""
    store = store_copy("empty-params", tmp_path)
    assert check(store).ok and (store / ".cache" / "check.json").is_file()
    assert check(store) == check(store, full=True)
    run = store / GOOD[0]
    (run / "params.yaml").write_text("a: [unclosed\n")  # changed in place
    assert not check(store).ok
    assert check(store) == check(store, full=True)
    (run / "params.yaml").write_text("a: 1\n")
    assert check(store).ok
    (run / ".tmp-x").write_text("")  # a new file
    assert [i.kind for i in check(store).items] == ["orphan-temp"]
    assert check(store) == check(store, full=True)
    (run / ".tmp-x").unlink()
    (store / ".cache" / "check.json").write_text("{damaged")
    assert check(store) == check(store, full=True)


def test_staging_directory_of_a_dead_start_is_removed_and_a_live_one_kept(tmp_path: Path) -> None:
    store = store_copy("empty-params", tmp_path)
    code = "import os; print(os.getpid())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dead = store / f".tmp-20260101-000005-dddddd.{int(done.stdout)}"  # its process has exited
    live = store / f".tmp-20260101-000006-eeeeee.{os.getpid()}"
    for staging in (dead, live):
        staging.mkdir()
        (staging / "meta.yaml").write_text("format_version: 1\nrun_id: 2026")
    report = check(store, fix=True)
    assert [str(i) for i in report.items] == [
        f".runs/{dead.name}:0: orphan temporary directory of a process killed while starting a run:"
        " fixed, removed it"
    ]
    assert not dead.exists() and live.exists()
    assert report.runs == 3  # staging directories are not runs


def test_two_runs_merged_into_one_directory_are_reported_with_the_fix(repo: Path) -> None:
    """Two branches log a run under the same id; the merge conflicts in meta.yaml and check
    names the collision (not just the conflict markers) and how to separate the runs."""
    import gittrack as api

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    def log(name: str, rmse: float) -> str:
        with api.start_run(run_name=name) as run:
            api.log_metric("rmse", rmse)
        return run.info.run_id

    api.set_experiment("exp")
    git("add", "-A")
    git("commit", "-q", "-m", "experiment", "--allow-empty")
    git("checkout", "-q", "-b", "other")
    theirs = log("theirs", 0.5)
    git("add", "-A")
    git("commit", "-q", "-m", "their run")
    git("checkout", "-q", "main")
    ours = log("ours", 0.25)
    (repo / ".runs" / ours).rename(repo / ".runs" / theirs)  # the same id drawn on both branches
    meta = repo / ".runs" / theirs / "meta.yaml"
    meta.write_text(meta.read_text().replace(ours, theirs))
    git("add", "-A")
    git("commit", "-q", "-m", "our run")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True)  # conflicts
    items = check(repo / ".runs").items
    [claim] = [i for i in items if i.kind == "id-collision"]
    assert claim.path == f".runs/{theirs}/meta.yaml"
    assert claim.message.startswith(f"two runs claim this directory (run id '{theirs}'): 'ours' and 'theirs'")
    assert "git checkout --ours or --theirs" in claim.message
    assert any(i.kind == "conflict" for i in items)
