"""``gittrack.MlflowClient``: MLflow's client surface over the git store, on a real repo."""

from __future__ import annotations

import contextlib
import io
import math
import re
import warnings
from pathlib import Path

import pytest

import gittrack
from gittrack import MlflowClient
from gittrack.errors import FilterError, GittrackWarning, MlflowException, RunNotFoundError
from gittrack.store import layout, yamlio
from gittrack.tracking.entities import Experiment, Metric, ViewType


def log_run(experiment: str, rmse: float, **params: object) -> str:
    gittrack.set_experiment(experiment)
    with gittrack.start_run() as run:
        gittrack.log_params(params)
        gittrack.log_metric("rmse", rmse + 1)
        gittrack.log_metric("rmse", rmse)
        gittrack.set_tag("dev", "alice")
        return run.info.run_id


@pytest.fixture
def runs(repo: Path) -> dict[float, str]:
    """Four taxi runs and one run of another experiment, by rmse."""
    found = {
        rmse: log_run("nyc-taxi-experiment", rmse, max_depth=depth, model="xgb")
        for rmse, depth in ((6.2, 4), (7.5, 8), (5.9, 16), (6.8, 32))
    }
    found[1.0] = log_run("other", 1.0, max_depth=1)
    return found


# -- names MLflow code imports ------------------------------------------------------------------


def test_client_is_importable_where_mlflow_code_looks() -> None:
    import gittrack.tracking
    from gittrack.tracking.client import Client

    assert gittrack.MlflowClient is Client
    assert gittrack.Client is Client
    assert gittrack.tracking.MlflowClient is Client
    assert [v.name for v in ViewType] == ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]
    assert [int(v) for v in ViewType] == [1, 2, 3]


def test_a_foreign_tracking_uri_warns_and_keeps_the_git_store(repo: Path) -> None:
    with pytest.warns(GittrackWarning, match=r"ignores tracking URI 'sqlite:///mlflow.db'") as warned:
        client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
    assert warned[0].filename == __file__  # points at the caller's line
    run_id = log_run("exp", 1.0)
    assert (repo / ".runs" / run_id / layout.META).is_file()
    assert not (repo / "mlflow.db").exists()
    assert [r.info.run_id for r in client.search_runs("exp")] == [run_id]


def test_a_path_tracking_uri_is_the_clients_store_only(repo: Path, tmp_path: Path) -> None:
    """As in MLflow, a client's tracking URI is its own: the fluent API keeps the default store."""
    store = tmp_path / "elsewhere"
    client = MlflowClient(tracking_uri=str(store))
    run = client.create_run("exp", run_name="from-client")
    client.log_metric(run.info.run_id, "m", 1.0)
    client.set_terminated(run.info.run_id)
    assert (store / run.info.run_id / layout.META).is_file()
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    fluent_run = log_run("exp", 1.0)
    assert (repo / ".runs" / fluent_run).is_dir()
    assert not (store / fluent_run).exists()


# -- the course pattern ----------------------------------------------------------------------------


def test_the_course_pattern_works_unchanged(runs: dict[float, str]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore", GittrackWarning)
        # -- as in the course, verbatim --
        from gittrack import MlflowClient
        from gittrack.tracking.entities import ViewType

        client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
        exp = client.get_experiment_by_name("nyc-taxi-experiment")
        runs_found = client.search_runs(
            experiment_ids=exp.experiment_id,
            filter_string="metrics.rmse < 7",
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=5,
            order_by=["metrics.rmse ASC"],
        )
        for run in runs_found:
            print(f"run id: {run.info.run_id}, rmse: {run.data.metrics['rmse']:.4f}", run.data.params)
    lines = out.getvalue().splitlines()
    assert lines == [
        f"run id: {runs[5.9]}, rmse: 5.9000 {{'max_depth': '16', 'model': 'xgb'}}",
        f"run id: {runs[6.2]}, rmse: 6.2000 {{'max_depth': '4', 'model': 'xgb'}}",
        f"run id: {runs[6.8]}, rmse: 6.8000 {{'max_depth': '32', 'model': 'xgb'}}",
    ]


# -- experiments -----------------------------------------------------------------------------------


def test_get_experiment_by_name(runs: dict[float, str]) -> None:
    client = MlflowClient()
    exp = client.get_experiment_by_name("nyc-taxi-experiment")
    assert isinstance(exp, Experiment)
    assert exp.experiment_id == exp.name == "nyc-taxi-experiment"
    assert client.get_experiment_by_name("no-such-experiment") is None
    assert client.get_experiment("other").name == "other"
    with pytest.raises(MlflowException, match="no-such-experiment") as caught:
        client.get_experiment("no-such-experiment")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_experiment("0").name == "Default"  # MLflow's id of the default experiment


def test_search_experiments_lists_each_once_newest_first(runs: dict[float, str]) -> None:
    gittrack.set_experiment("fresh")  # created now, no run yet
    names = [e.name for e in MlflowClient().search_experiments()]
    assert names == ["fresh", "other", "nyc-taxi-experiment", "Default"]
    assert [e.name for e in MlflowClient().search_experiments(max_results=1)] == ["fresh"]
    fresh = MlflowClient().get_experiment("fresh")
    assert fresh.creation_time is not None and fresh.last_update_time == fresh.creation_time


@pytest.mark.parametrize(
    ("filter_string", "order_by", "expected"),
    [
        ("name = 'other'", None, ["other"]),
        ("attributes.name != 'other'", ["name"], ["Default", "nyc-taxi-experiment"]),
        ("name LIKE 'nyc-%'", None, ["nyc-taxi-experiment"]),
        ("name ILIKE '%TAXI%' AND name != 'x'", None, ["nyc-taxi-experiment"]),
        ("name LIKE '%'", ["name DESC"], ["other", "nyc-taxi-experiment", "Default"]),
        ("", ["name ASC"], ["Default", "nyc-taxi-experiment", "other"]),
        ("", ["creation_time ASC"], ["Default", "nyc-taxi-experiment", "other"]),
        ("tags.team = 'a'", None, ["other"]),
        ("tags.team IS NULL", ["name"], ["Default", "nyc-taxi-experiment"]),
        ("name = 'nope'", None, []),
    ],
)
def test_search_experiments_filters_and_orders(
    runs: dict[float, str], filter_string: str, order_by: list[str] | None, expected: list[str]
) -> None:
    MlflowClient().set_experiment_tag("other", "team", "a")
    found = MlflowClient().search_experiments(filter_string=filter_string, order_by=order_by)
    assert [e.name for e in found] == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filter_string": "metrics.rmse < 1"}, "at column 1: unknown prefix 'metrics' for experiments"),
        ({"filter_string": "name = 'a' OR"}, "at column 14"),
        ({"order_by": ["attributes.start_time DESC"]}, "unknown attribute 'start_time' of experiments"),
    ],
)
def test_search_experiments_refuses_what_it_cannot_answer(
    repo: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(FilterError, match=re.escape(message)):
        MlflowClient().search_experiments(**kwargs)  # type: ignore[arg-type]


def test_search_experiments_in_an_empty_store_has_default(repo: Path) -> None:
    assert [e.name for e in MlflowClient().search_experiments()] == ["Default"]
    assert MlflowClient().get_experiment_by_name("Default") is not None
    assert not (repo / ".runs").exists()


def test_experiment_lifecycle(runs: dict[float, str], repo: Path) -> None:
    client = MlflowClient()
    assert client.create_experiment("new", tags={"team": "a"}) == "new"
    with pytest.raises(MlflowException, match="already exists") as caught:
        client.create_experiment("new")
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    client.set_experiment_tag("new", "owner", "bob")
    client.delete_experiment_tag("new", "team")
    assert client.get_experiment("new").tags == {"owner": "bob"}
    client.delete_experiment("other")
    assert client.get_experiment("other").lifecycle_stage == "deleted"
    assert "other" not in [e.name for e in client.search_experiments()]
    assert [e.name for e in client.search_experiments(ViewType.DELETED_ONLY)] == ["other"]
    assert client.search_runs("other") == []  # its runs leave the active view with it
    assert client.get_run(runs[1.0]).info.lifecycle_stage == "deleted"
    assert [r.info.run_id for r in client.search_runs("other", run_view_type=ViewType.ALL)] == [runs[1.0]]
    with pytest.raises(MlflowException, match="deleted experiment"):
        gittrack.set_experiment("other")
    client.restore_experiment("other")
    assert [r.info.run_id for r in client.search_runs("other")] == [runs[1.0]]


def test_rename_experiment_moves_its_runs(runs: dict[float, str]) -> None:
    client = MlflowClient()
    client.set_experiment_tag("other", "team", "a")
    client.rename_experiment("other", "renamed")
    assert client.get_experiment_by_name("other") is None
    renamed = client.get_experiment("renamed")
    assert renamed.tags == {"team": "a"}
    assert client.get_run(runs[1.0]).info.experiment_id == "renamed"
    assert [r.info.run_id for r in client.search_runs("renamed")] == [runs[1.0]]


def test_experiment_files_merge_as_one_file_per_change(runs: dict[float, str], repo: Path) -> None:
    client = MlflowClient()
    client.set_experiment_tag("other", "a", "1")
    client.set_experiment_tag("other", "b", "2")
    files = sorted((repo / ".runs" / "experiments" / "other").iterdir())
    assert len(files) == 3  # created by set_experiment, then two tags: one file each
    assert yamlio.load(files[-1].read_text())["tags"] == {"b": "2"}


# -- runs ------------------------------------------------------------------------------------------


def test_search_runs_returns_runs(runs: dict[float, str]) -> None:
    client = MlflowClient()
    found = client.search_runs(["nyc-taxi-experiment"], order_by=["metrics.rmse DESC"])
    assert [r.info.run_id for r in found] == [runs[7.5], runs[6.8], runs[6.2], runs[5.9]]
    assert found.token is None
    assert [r.info.run_id for r in client.search_runs("other")] == [runs[1.0]]
    assert len(client.search_runs()) == 5
    assert len(client.search_runs(max_results=2)) == 2
    best = client.search_runs("nyc-taxi-experiment", "params.max_depth >= 16", order_by=["metrics.rmse"])
    assert [r.info.run_id for r in best] == [runs[5.9], runs[6.8]]


def test_get_run(runs: dict[float, str]) -> None:
    run = MlflowClient().get_run(runs[6.2])
    assert run.info.run_id == runs[6.2]
    assert run.info.experiment_id == "nyc-taxi-experiment"
    assert run.info.status == "FINISHED"
    assert run.info.lifecycle_stage == "active"
    assert run.data.params == {"max_depth": "4", "model": "xgb"}
    assert run.data.metrics == {"rmse": 6.2}
    assert run.data.tags["dev"] == "alice"
    assert run.data.tags["mlflow.runName"] == run.info.run_name
    prefix = runs[6.2][:22]  # the time and 6 of 12 random hex digits: unique among these runs
    assert MlflowClient().get_run(prefix).info.run_id == runs[6.2]
    with pytest.raises(RunNotFoundError):
        MlflowClient().get_run("19990101-000000-000000")


def test_get_metric_history(repo: Path) -> None:
    with gittrack.start_run() as run:
        gittrack.log_metric("loss", 1.0, step=0, timestamp=1_000)
        gittrack.log_metric("loss", 0.5, step=1, timestamp=2_000)
        gittrack.log_metric("loss", float("nan"), step=2, timestamp=3_000)
        gittrack.log_metric("val/loss", 0.75, timestamp=4_000)
    client = MlflowClient()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert all(isinstance(m, Metric) for m in history)
    assert [(m.key, m.step, m.timestamp) for m in history] == [
        ("loss", 0, 1_000),
        ("loss", 1, 2_000),
        ("loss", 2, 3_000),
    ]
    assert [m.value for m in history][:2] == [1.0, 0.5]
    assert math.isnan(history[2].value)
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "val/loss")] == [(0, 0.75)]
    assert client.get_metric_history(run.info.run_id, "never-logged") == []
    with pytest.raises(RunNotFoundError):
        client.get_metric_history("19990101-000000-000000", "loss")


# -- changing a finished run ---------------------------------------------------------------------


def test_set_tag_on_a_finished_run_appends_then_compacts(runs: dict[float, str], repo: Path) -> None:
    run_id = runs[6.2]
    run_dir = repo / ".runs" / run_id
    meta_before = (run_dir / layout.META).read_bytes()
    client = MlflowClient()
    client.set_tag(run_id, "stage", "review")
    client.set_tag(run_id, "dev", "bob")
    client.set_tag(run_id, "stage", "approved")
    tags = (run_dir / layout.TAGS).read_text()
    assert tags == "dev: bob\nstage: approved\n"  # canonical: sorted, one line per key
    assert tags == yamlio.dump(yamlio.load(tags), sort_keys=True)
    assert (run_dir / layout.META).read_bytes() == meta_before  # nothing else rewritten
    assert client.get_run(run_id).data.tags["stage"] == "approved"
    found = client.search_runs(filter_string="tags.stage = 'approved'")
    assert [r.info.run_id for r in found] == [run_id]
    assert [r.data.tags["dev"] for r in found] == ["bob"]


def test_set_tag_on_the_active_run_appends_until_it_ends(repo: Path) -> None:
    client = MlflowClient()
    with gittrack.start_run() as run:
        client.set_tag(run.info.run_id, "b", "1")
        client.set_tag(run.info.run_id, "a", "2")
        client.set_tag(run.info.run_id, "b", "3")
        tags_file = repo / ".runs" / run.info.run_id / layout.TAGS
        assert tags_file.read_text() == "b: '1'\na: '2'\nb: '3'\n"  # appended, last wins
        assert client.get_run(run.info.run_id).data.tags["b"] == "3"
    assert tags_file.read_text() == "a: '2'\nb: '3'\n"


def test_log_metric_on_a_finished_run_updates_its_summary(runs: dict[float, str]) -> None:
    client = MlflowClient()
    client.log_metric(runs[7.5], "rmse", 4.0, step=10)
    assert client.get_run(runs[7.5]).data.metrics["rmse"] == 4.0
    assert [r.info.run_id for r in client.search_runs(order_by=["metrics.rmse"], max_results=2)] == [
        runs[1.0],
        runs[7.5],
    ]


# -- deleting ------------------------------------------------------------------------------------


def test_delete_and_restore_a_run(runs: dict[float, str]) -> None:
    client = MlflowClient()
    gone = runs[5.9]
    client.delete_run(gone)

    def listed(view: ViewType) -> list[str]:
        return [r.info.run_id for r in client.search_runs("nyc-taxi-experiment", run_view_type=view)]

    assert gone not in listed(ViewType.ACTIVE_ONLY)
    assert len(listed(ViewType.ACTIVE_ONLY)) == 3
    assert listed(ViewType.DELETED_ONLY) == [gone]
    assert gone in listed(ViewType.ALL)
    assert len(listed(ViewType.ALL)) == 4
    assert gone not in list(gittrack.search_runs(search_all_experiments=True)["run_id"])
    deleted_only = gittrack.search_runs(run_view_type=ViewType.DELETED_ONLY, search_all_experiments=True)
    assert list(deleted_only["run_id"]) == [gone]
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    deleted = client.search_runs(run_view_type=ViewType.DELETED_ONLY)
    assert deleted[0].info.lifecycle_stage == "deleted"
    assert deleted[0].data.metrics == {"rmse": 5.9}  # nothing lost

    client.restore_run(gone)
    assert gone in listed(ViewType.ACTIVE_ONLY)
    assert listed(ViewType.DELETED_ONLY) == []
    assert client.get_run(gone).info.lifecycle_stage == "active"


def test_an_experiment_whose_runs_are_all_deleted_is_still_found(runs: dict[float, str]) -> None:
    client = MlflowClient()
    client.delete_run(runs[1.0])
    assert client.get_experiment_by_name("other") is not None
    assert [e.name for e in client.search_experiments()] == ["other", "nyc-taxi-experiment", "Default"]


def test_delete_an_unknown_run(repo: Path) -> None:
    with pytest.raises(RunNotFoundError, match=re.escape("19990101")):
        MlflowClient().delete_run("19990101-000000-000000")
