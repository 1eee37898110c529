"""The MLflow-compatible fluent API (gittrack.tracking.fluent), in process and in real subprocesses."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git, invoke, load_yaml, only_run, run_dirs, run_python, tree_snapshot

import gittrack as mlflow
from gittrack.errors import (
    ArtifactNotFoundError,
    GittrackWarning,
    InvalidArtifactPathError,
    InvalidNameError,
    InvalidValueError,
    ParamConflictError,
    RunNotFoundError,
    RunStateError,
)
from gittrack.store import yamlio
from gittrack.store.reader import read_run

pytestmark = pytest.mark.usefixtures("clean_api")


def run_dir_of(active: mlflow.ActiveRun) -> Path:
    return Path(active._writer.run_dir)


# -- where runs go ------------------------------------------------------------------------------


def test_tracking_uri_defaults_to_runs_at_the_top_of_the_work_tree(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = in_repo / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert mlflow.get_tracking_uri() == str((in_repo / ".runs").resolve())
    with mlflow.start_run() as run:
        pass
    assert run_dir_of(run).parent == (in_repo / ".runs").resolve()


def test_set_tracking_uri_with_a_path(in_repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "elsewhere"
    mlflow.set_tracking_uri(str(store))
    assert mlflow.get_tracking_uri() == str(store.resolve())
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    assert only_run(store).name == run.info.run_id
    assert not (in_repo / ".runs").exists()


def test_set_tracking_uri_with_a_relative_path_is_taken_from_the_current_directory(
    in_repo: Path,
) -> None:
    mlflow.set_tracking_uri("my-runs")
    assert mlflow.get_tracking_uri() == str((in_repo / "my-runs").resolve())


def test_set_tracking_uri_with_a_file_uri(in_repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "uri store"
    mlflow.set_tracking_uri(store.as_uri())  # file:///.../uri%20store
    assert mlflow.get_tracking_uri() == str(store)
    with mlflow.start_run() as run:
        pass
    assert only_run(store).name == run.info.run_id


@pytest.mark.parametrize("uri", ["sqlite:///mlflow.db", "http://localhost:5000", "databricks"])
def test_server_tracking_uris_warn_and_keep_the_git_store(in_repo: Path, uri: str) -> None:
    before = mlflow.get_tracking_uri()
    with pytest.warns(GittrackWarning, match="ignores tracking URI") as record:
        mlflow.set_tracking_uri(uri)
    assert len(record) == 1
    assert repr(uri) in str(record[0].message)
    assert mlflow.get_tracking_uri() == before == str(in_repo / ".runs")
    with mlflow.start_run() as run:
        pass
    assert only_run(in_repo / ".runs").name == run.info.run_id
    assert not (in_repo / "mlflow.db").exists()


def test_gittrack_dir_environment_variable_chooses_the_store(
    in_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITTRACK_DIR", str(tmp_path / "env-store"))
    assert mlflow.get_tracking_uri() == str(tmp_path / "env-store")
    mlflow.set_tracking_uri(str(tmp_path / "explicit"))  # an explicit call wins
    assert mlflow.get_tracking_uri() == str(tmp_path / "explicit")


# -- experiments --------------------------------------------------------------------------------


def test_set_experiment_returns_the_same_experiment_every_time(in_repo: Path) -> None:
    first = mlflow.set_experiment("nyc-taxi")
    second = mlflow.set_experiment("nyc-taxi")
    assert first.experiment_id == first.name == "nyc-taxi"
    assert second.experiment_id == first.experiment_id
    assert first.artifact_location == (in_repo / ".runs").as_uri()
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == "nyc-taxi"
    assert load_yaml(run_dir_of(run) / "meta.yaml")["experiment"] == "nyc-taxi"


def test_runs_go_to_the_default_experiment(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == "Default"


# -- run lifecycle -----------------------------------------------------------------------------


def test_context_manager_finishes_the_run(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        assert mlflow.active_run() is run
        assert run.info.status == "RUNNING"
        assert mlflow.get_run(run.info.run_id).info.status == "RUNNING"
    assert mlflow.active_run() is None
    assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"
    assert load_yaml(run_dir_of(run) / "meta.yaml")["status"] == "FINISHED"


def test_exception_fails_the_run_and_propagates(in_repo: Path) -> None:
    with pytest.raises(ZeroDivisionError), mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
        1 / 0  # noqa: B018
    assert mlflow.active_run() is None
    assert mlflow.get_run(run.info.run_id).info.status == "FAILED"


def test_keyboard_interrupt_kills_the_run(in_repo: Path) -> None:
    with pytest.raises(KeyboardInterrupt), mlflow.start_run() as run:
        raise KeyboardInterrupt
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"


def test_run_info_fields(in_repo: Path) -> None:
    with mlflow.start_run(run_name="info-run") as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_param("depth", 3)
        mlflow.log_param("none", None)
        mlflow.log_param("flag", False)
        mlflow.log_metric("rmse", 6.5)
        live = run.info
        assert live.end_time is None
        assert run.data.params == {"alpha": "0.5", "depth": "3", "none": "None", "flag": "False"}
        assert run.data.metrics == {"rmse": 6.5}
    got = mlflow.get_run(run.info.run_id)
    info = got.info
    assert info.run_id == info.run_uuid == live.run_id == run_dir_of(run).name
    assert info.run_name == "info-run"
    assert info.status == "FINISHED"
    assert type(info.start_time) is int and type(info.end_time) is int
    assert info.start_time == live.start_time
    assert 1_600_000_000_000 < info.start_time <= info.end_time
    assert info.artifact_uri == (run_dir_of(run) / "artifacts").as_uri()
    assert info.artifact_uri.startswith("file:///") and info.artifact_uri.endswith("/artifacts")
    assert live.artifact_uri == info.artifact_uri
    assert info.lifecycle_stage == "active"
    assert got.data.params == {"alpha": "0.5", "depth": "3", "none": "None", "flag": "False"}
    assert all(type(v) is str for v in got.data.params.values())
    assert got.data.metrics == {"rmse": 6.5}
    assert got.data.tags["mlflow.runName"] == "info-run"


def test_second_run_without_nested_is_refused_and_creates_nothing(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        before = run_dirs(in_repo / ".runs")
        with pytest.raises(RunStateError, match=f"run {run.info.run_id} is already active"):
            mlflow.start_run()
        assert run_dirs(in_repo / ".runs") == before
        assert mlflow.active_run() is run


def test_nested_run_records_its_parent(in_repo: Path) -> None:
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            assert mlflow.active_run() is child
            mlflow.log_metric("inner", 1.0)
        assert mlflow.active_run() is parent
    child_run = mlflow.get_run(child.info.run_id)
    assert load_yaml(run_dir_of(child) / "meta.yaml")["parent_run_id"] == parent.info.run_id
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child_run.data.metrics == {"inner": 1.0}
    assert mlflow.get_run(parent.info.run_id).data.metrics == {}
    assert mlflow.get_run(parent.info.run_id).info.status == "FINISHED"


def test_start_run_with_run_id_resumes_the_run(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 1.0)
        mlflow.log_metric("loss", 0.8)
        mlflow.log_param("lr", 0.1)
    with mlflow.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert mlflow.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_metric("loss", 0.5)
        mlflow.log_param("lr", 0.1)  # same value again: still a no-op
    assert run_dirs(in_repo / ".runs") == [run_dir_of(run)]
    history = read_run(run_dir_of(run)).histories()["loss"]
    assert [(r.step, r.value) for r in history] == [(0, 1.0), (1, 0.8), (2, 0.5)]
    got = mlflow.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"loss": 0.5}
    assert got.data.params == {"lr": "0.1"}


def test_resume_by_unknown_id_raises_and_creates_nothing(in_repo: Path) -> None:
    with pytest.raises(RunNotFoundError, match="no-such-run"):
        mlflow.start_run(run_id="no-such-run")
    assert mlflow.active_run() is None
    assert run_dirs(in_repo / ".runs") == []


def test_active_run_and_last_active_run(in_repo: Path) -> None:
    assert mlflow.active_run() is None
    assert mlflow.last_active_run() is None
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 2.0)
        assert mlflow.active_run() is run
        live = mlflow.last_active_run()
        assert live is not None and live.info.run_id == run.info.run_id
        assert live.info.status == "RUNNING"
    assert mlflow.active_run() is None
    last = mlflow.last_active_run()
    assert last is not None
    assert last.info.run_id == run.info.run_id
    assert last.info.status == "FINISHED"
    assert last.data.metrics == {"m": 2.0}


def test_end_run_with_a_status(in_repo: Path) -> None:
    run = mlflow.start_run()
    mlflow.end_run(status="KILLED")
    assert mlflow.active_run() is None
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"
    mlflow.end_run()  # nothing active: no-op


def test_end_run_inside_the_with_block_is_not_overridden_on_exit(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.end_run(status="FAILED")
        assert mlflow.active_run() is None
    assert mlflow.get_run(run.info.run_id).info.status == "FAILED"


def test_exception_in_a_nested_run_fails_only_the_child(in_repo: Path) -> None:
    with mlflow.start_run() as parent:
        with pytest.raises(ValueError, match="inner"), mlflow.start_run(nested=True) as child:
            raise ValueError("inner")
        assert mlflow.active_run() is parent
    assert mlflow.get_run(child.info.run_id).info.status == "FAILED"
    assert mlflow.get_run(parent.info.run_id).info.status == "FINISHED"


def test_log_without_active_run_starts_one(in_repo: Path) -> None:
    assert mlflow.active_run() is None
    mlflow.log_metric("m", 1.0)
    active = mlflow.active_run()
    assert active is not None
    mlflow.log_param("p", 1)
    mlflow.set_tag("t", "x")
    assert mlflow.active_run() is active  # the same implicit run, not one per call
    mlflow.end_run()
    assert run_dirs(in_repo / ".runs") == [run_dir_of(active)]
    got = mlflow.get_run(active.info.run_id)
    assert (got.data.metrics, got.data.params, got.data.tags["t"]) == ({"m": 1.0}, {"p": "1"}, "x")


def test_start_run_tags_and_description(in_repo: Path) -> None:
    with mlflow.start_run(tags={"team": "ml", "n": 3}, description="baseline, no tuning") as run:
        pass
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["team"] == "ml"
    assert tags["n"] == "3"
    assert tags["mlflow.note.content"] == "baseline, no tuning"


def test_get_run_by_id_and_by_prefix(in_repo: Path) -> None:
    with mlflow.start_run(run_name="one") as run:
        pass
    run_id = run.info.run_id
    assert mlflow.get_run(run_id).info.run_name == "one"
    assert mlflow.get_run(run_id[:10]).info.run_id == run_id
    with pytest.raises(RunNotFoundError, match="'nope' not found"):
        mlflow.get_run("nope")


# -- params: same value no-op, different value refused ------------------------------------------


def test_log_param_same_value_twice_is_a_no_op(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.1)
        path = run_dir_of(run) / "params.yaml"
        before = path.read_bytes()
        assert mlflow.log_param("alpha", 0.1) == 0.1
        mlflow.log_params({"alpha": 0.1})
        assert path.read_bytes() == before


def test_log_param_different_value_raises_and_leaves_the_file_unchanged(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.1)
        path = run_dir_of(run) / "params.yaml"
        before = path.read_bytes()
        with pytest.raises(ParamConflictError) as caught:
            mlflow.log_param("alpha", 0.2)
        message = str(caught.value)
        assert "'alpha'" in message and "0.1" in message and "0.2" in message
        assert run.info.run_id in message
        assert path.read_bytes() == before
        assert run.data.params == {"alpha": "0.1"}
    assert mlflow.get_run(run.info.run_id).data.params == {"alpha": "0.1"}


@pytest.mark.parametrize(("first", "second"), [(True, 1), (0, False)])
def test_param_bool_and_int_are_different_values(in_repo: Path, first: object, second: object) -> None:
    # YAML `true` vs `1`, str "True" vs "1" (what MLflow compares): the second value differs
    # from what is stored, so re-logging it must not be silently dropped.
    with mlflow.start_run() as run:
        mlflow.log_param("flag", first)
        before = (run_dir_of(run) / "params.yaml").read_bytes()
        with pytest.raises(ParamConflictError):
            mlflow.log_param("flag", second)
        assert (run_dir_of(run) / "params.yaml").read_bytes() == before


def test_log_params_with_one_conflict_writes_none_of_the_keys(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.1)
        path = run_dir_of(run) / "params.yaml"
        before = path.read_bytes()
        with pytest.raises(ParamConflictError, match="'alpha'"):
            mlflow.log_params({"beta": 1, "alpha": 0.5, "gamma": 2})
        assert path.read_bytes() == before
        mlflow.log_params({"beta": 3})  # beta was never logged, so a new value is fine
    assert mlflow.get_run(run.info.run_id).data.params == {"alpha": "0.1", "beta": "3"}


def test_log_params_with_one_bad_name_writes_nothing(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        with pytest.raises(InvalidNameError, match="'bad:name'"):
            mlflow.log_params({"good": 1, "bad:name": 2})
        with pytest.raises(InvalidNameError):
            mlflow.set_tags({"fine": "x", "../up": "y"})
        assert not (run_dir_of(run) / "params.yaml").exists()
        assert not (run_dir_of(run) / "tags.yaml").exists()


# -- metrics: bad input writes nothing ------------------------------------------------------------


def metric_files(run_dir: Path) -> dict[str, bytes]:
    return tree_snapshot(run_dir / "metrics")


def test_log_metrics_with_one_bad_value_writes_none(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("a", 1.0)
        before = metric_files(run_dir_of(run))
        with pytest.raises(InvalidValueError, match="'b'"):
            mlflow.log_metrics({"a": 2.0, "b": "high", "c": 3.0})
        with pytest.raises(InvalidNameError):
            mlflow.log_metrics({"a": 2.0, "c/": 3.0})
        assert metric_files(run_dir_of(run)) == before
        mlflow.log_metric("a", 5.0)  # the failed calls consumed no step
    assert [r.step for r in read_run(run_dir_of(run)).histories()["a"]] == [0, 1]


@pytest.mark.parametrize("value", [True, "x", None, [1.0]], ids=repr)
def test_bad_metric_value_names_the_key_and_writes_nothing(in_repo: Path, value: object) -> None:
    with mlflow.start_run() as run:
        with pytest.raises(InvalidValueError) as caught:
            mlflow.log_metric("val_loss", value)  # type: ignore[arg-type]
        assert "'val_loss'" in str(caught.value)
        assert repr(value) in str(caught.value)
        assert metric_files(run_dir_of(run)) == {}


@pytest.mark.parametrize("step", [-1, 1.5, 2.0, True], ids=repr)
def test_bad_step_is_refused_and_writes_nothing(in_repo: Path, step: object) -> None:
    with mlflow.start_run() as run:
        with pytest.raises(InvalidValueError, match=r"^metric 'loss': step"):
            mlflow.log_metric("loss", 1.0, step=step)  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError):
            mlflow.log_metrics({"loss": 1.0, "acc": 0.5}, step=step)  # type: ignore[arg-type]
        assert metric_files(run_dir_of(run)) == {}


# -- artifacts ------------------------------------------------------------------------------


def test_log_artifact_copies_the_file(in_repo: Path) -> None:
    source = in_repo / "model.bin"
    source.write_bytes(b"\x00\x01weights")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source))
        mlflow.log_artifact(source, artifact_path="models/v1")
    artifacts = run_dir_of(run) / "artifacts"
    assert tree_snapshot(artifacts) == {
        "model.bin": b"\x00\x01weights", "models/v1/model.bin": b"\x00\x01weights",
    }  # fmt: skip


def test_log_artifact_missing_file_raises_with_the_path_and_writes_nothing(in_repo: Path) -> None:
    missing = in_repo / "nope" / "model.pkl"
    with mlflow.start_run() as run:
        before = tree_snapshot(run_dir_of(run))
        with pytest.raises(ArtifactNotFoundError) as caught:
            mlflow.log_artifact(str(missing), artifact_path="models")
        assert str(missing) in str(caught.value)
        assert isinstance(caught.value, FileNotFoundError)
        with pytest.raises(ArtifactNotFoundError, match="is a directory"):
            mlflow.log_artifact(str(in_repo))
        with pytest.raises(ArtifactNotFoundError, match="nope"):
            mlflow.log_artifacts(str(in_repo / "nope"))
        assert tree_snapshot(run_dir_of(run)) == before
        assert not (run_dir_of(run) / "artifacts").exists()


@pytest.mark.parametrize("artifact_path", ["../x", "a/../../x", "/etc", "C:x", "a\\b"])
def test_log_artifact_escaping_path_raises_and_writes_nothing(in_repo: Path, artifact_path: str) -> None:
    source = in_repo / "train.py"
    with mlflow.start_run() as run:
        before = tree_snapshot(in_repo)
        with pytest.raises(InvalidArtifactPathError) as caught:
            mlflow.log_artifact(str(source), artifact_path=artifact_path)
        assert repr(artifact_path) in str(caught.value)
        with pytest.raises(InvalidArtifactPathError):
            mlflow.log_artifacts(str(in_repo), artifact_path=artifact_path)
        with pytest.raises(InvalidArtifactPathError):
            mlflow.log_text("x", artifact_path + "/f.txt")
        assert tree_snapshot(in_repo) == before
        assert not (run_dir_of(run) / "artifacts").exists()


def test_log_artifacts_copies_a_tree(in_repo: Path) -> None:
    source = in_repo / "out"
    (source / "sub" / "deeper").mkdir(parents=True)
    (source / "a.txt").write_text("A")
    (source / "sub" / "b.bin").write_bytes(b"\xffB")
    (source / "sub" / "deeper" / "c.txt").write_text("C")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(source))
        mlflow.log_artifacts(source, artifact_path="copy")
    artifacts = run_dir_of(run) / "artifacts"
    tree = tree_snapshot(source)
    assert tree_snapshot(artifacts) == {**tree, **{f"copy/{k}": v for k, v in tree.items()}}


def test_log_text_and_log_dict_read_back(in_repo: Path) -> None:
    data = {"b": [1, 2.5, "x"], "a": {"nested": True, "none": None}, "u": "ünï"}
    with mlflow.start_run() as run:
        mlflow.log_text("line 1\nünïcode\n", "notes/readme.txt")
        mlflow.log_dict(data, "config.json")
        mlflow.log_dict(data, "cfg/config.yaml")
        mlflow.log_dict(data, "config.yml")
    artifacts = run_dir_of(run) / "artifacts"
    assert (artifacts / "notes" / "readme.txt").read_text(encoding="utf-8") == "line 1\nünïcode\n"
    assert json.loads((artifacts / "config.json").read_text(encoding="utf-8")) == data
    assert yamlio.load((artifacts / "cfg" / "config.yaml").read_bytes()) == data
    assert yamlio.load((artifacts / "config.yml").read_bytes()) == data


def test_get_artifact_uri(in_repo: Path) -> None:
    with mlflow.start_run() as run:
        assert mlflow.get_artifact_uri() == run.info.artifact_uri
        assert mlflow.get_artifact_uri("models") == run.info.artifact_uri + "/models"
        with pytest.raises(InvalidArtifactPathError):
            mlflow.get_artifact_uri("../up")


# -- real processes: exit handler, SIGKILL, an MLflow script ---------------------------------


def committed_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    for name, text in files.items():
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def test_script_that_never_ends_its_run_finishes_it_at_exit(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "r", {"train.py": "print('x')\n"})
    done = run_python(repo, "import gittrack as m\nm.start_run()\nm.log_metric('x', 1.0)\n")
    assert done.returncode == 0, done.stderr
    meta = load_yaml(only_run(repo / ".runs") / "meta.yaml")
    assert meta["status"] == "FINISHED"
    assert meta["metrics"]["x"]["last"] == 1.0


def test_script_with_uncaught_exception_fails_its_run(tmp_path: Path) -> None:
    repo = committed_repo(tmp_path / "r", {"train.py": "print('x')\n"})
    code = "import gittrack as m\nm.log_metric('x', 1.0)\nraise RuntimeError('boom')\n"
    done = run_python(repo, code)
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr
    assert load_yaml(only_run(repo / ".runs") / "meta.yaml")["status"] == "FAILED"


KILLED_CHILD = """
import gittrack as mlflow
run = mlflow.start_run(run_name="doomed")
print("run", run.info.run_id, flush=True)
step = 0
while True:
    mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    print(step, flush=True)  # printed only once the row is written
    step += 1
"""


def test_sigkill_keeps_every_logged_row_and_reads_as_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = committed_repo(tmp_path / "r", {"train.py": "print('x')\n"})
    with subprocess.Popen([sys.executable, "-c", KILLED_CHILD], cwd=repo, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as child:  # fmt: skip
        assert child.stdout is not None
        try:
            first = child.stdout.readline().split()
            assert first[:1] == ["run"], first
            run_id = first[1]
            reported: list[int] = []
            while len(reported) < 200:
                line = child.stdout.readline()
                assert line, "the child stopped before logging 200 rows"
                reported.append(int(line))
            child.send_signal(signal.SIGKILL)
            child.wait()
            reported += [int(line) for line in child.stdout.read().split()]
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == -signal.SIGKILL
    assert reported == list(range(len(reported)))

    run_dir = repo / ".runs" / run_id
    rows = read_run(run_dir).histories()["loss"]
    assert [r.step for r in rows][: len(reported)] == reported  # nothing lost...
    assert len(rows) <= len(reported) + 1  # ...and at most the row being printed at the kill
    assert all(r.value == 1.0 / (r.step + 1) for r in rows)

    monkeypatch.chdir(repo)
    run = mlflow.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.metrics["loss"] == rows[-1].value
    result = invoke("ls", "--format", "json")
    assert result.exit_code == 0, result.stderr
    [listed] = json.loads(result.stdout)
    assert (listed["id"], listed["name"], listed["status"]) == (run_id, "doomed", "KILLED")


MLFLOW_COURSE_SCRIPT = """\
import gittrack as mlflow
from pathlib import Path
mlflow.set_tracking_uri("sqlite:///mlflow.db")
mlflow.set_experiment("nyc-taxi-experiment")
with mlflow.start_run():
    mlflow.set_tag("developer", "cristian")
    mlflow.log_param("train-data-path", "./data/green_tripdata_2021-01.csv")
    mlflow.log_param("valid-data-path", "./data/green_tripdata_2021-02.csv")
    alpha = 0.1
    mlflow.log_param("alpha", alpha)
    mlflow.log_params({"max_depth": 5, "objective": "reg:linear"})
    rmse = 6.5
    mlflow.log_metric("rmse", rmse)
    Path("models").mkdir(exist_ok=True); Path("models/lin_reg.bin").write_bytes(b"\\x00model")
    mlflow.log_artifact(local_path="models/lin_reg.bin", artifact_path="models_pickle")
"""


def test_mlflow_course_script_runs_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = committed_repo(tmp_path / "course", {"train.py": MLFLOW_COURSE_SCRIPT})
    done = subprocess.run([sys.executable, "train.py"], cwd=repo, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sqlite:///mlflow.db" in done.stderr  # the ignored URI is reported, once
    assert done.stderr.count("GittrackWarning") == 1
    assert not (repo / "mlflow.db").exists()

    run_dir = only_run(repo / ".runs")
    monkeypatch.chdir(repo)
    run = mlflow.get_run(run_dir.name)
    assert run.info.status == "FINISHED"
    assert run.info.experiment_id == "nyc-taxi-experiment"
    assert run.data.params == {
        "train-data-path": "./data/green_tripdata_2021-01.csv",
        "valid-data-path": "./data/green_tripdata_2021-02.csv",
        "alpha": "0.1",
        "max_depth": "5",
        "objective": "reg:linear",
    }
    assert run.data.metrics == {"rmse": 6.5}
    assert run.data.tags["developer"] == "cristian"
    assert run.data.tags["mlflow.source.name"] == "train.py"
    assert run.data.tags["mlflow.source.git.commit"] == git(repo, "rev-parse", "HEAD")
    assert read_run(run_dir).params["max_depth"] == 5
    assert tree_snapshot(run_dir / "artifacts") == {"models_pickle/lin_reg.bin": b"\x00model"}
