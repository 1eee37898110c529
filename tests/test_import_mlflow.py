"""``gittrack import mlflow`` on the committed MLflow-written stores (no MLflow needed).

After importing each store, what gittrack's public API reports (``MlflowClient``: runs,
params, tags, metric histories, artifacts, datasets, experiments, the registry) is compared
with what MLflow's own client reported for it (``tests/fixtures/mlflow/expected/<store>.json``),
and every difference is one the import documents (docs/import.md): negative steps are not
stored (the report lists them), the run id is gittrack's (MLflow's is the tag
``mlflow.importedRunId``), a parent is named by its gittrack id, logged models are in the run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gittrack.interop.importer import import_mlflow
from gittrack.interop.report import ImportReport
from gittrack.store.reader import IMPORTED_RUN_ID_TAG

FIXTURES = Path(__file__).parent / "fixtures" / "mlflow"
STORES = ("filestore", "sqlite", "course")


def source_of(store: str) -> str:
    if store == "filestore":
        return str(FIXTURES / "filestore" / "mlruns")
    return f"sqlite:///{(FIXTURES / store / 'mlflow.db').resolve()}"


def expected(store: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "expected" / f"{store}.json").read_text(encoding="utf-8"))


def manifest(store: str) -> dict[str, Any]:
    return json.loads((FIXTURES / store / "manifest.json").read_text(encoding="utf-8"))


def number(value: Any) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, value)  # type: ignore[no-any-return]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def store_hash(store: Path) -> str:
    """Every committed file of the store (the git-ignored .cache left out), names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(store.rglob("*")):
        relative = path.relative_to(store).as_posix()
        if path.is_file() and not relative.startswith(".cache/"):
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="module", params=STORES)
def imported(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, ImportReport]:
    name: str = request.param
    store = tmp_path_factory.mktemp(name) / ".runs"
    report = import_mlflow(store, source_of(name))
    return name, store, report


def client(store: Path) -> Any:
    from gittrack import MlflowClient

    return MlflowClient(tracking_uri=str(store))


def runs_by_mlflow_id(store: Path) -> dict[str, Any]:
    from gittrack.entities import ViewType

    c = client(store)
    names = [e.name for e in c.search_experiments(view_type=ViewType.ALL)]
    found = c.search_runs(names, run_view_type=ViewType.ALL, max_results=1000)
    return {r.data.tags[IMPORTED_RUN_ID_TAG]: r for r in found}


def test_every_run_is_imported_with_its_info(imported: tuple[str, Path, ImportReport]) -> None:
    name, store, report = imported
    want = expected(name)
    runs = runs_by_mlflow_id(store)
    assert sorted(runs) == sorted(r["run_id"] for r in want["runs"])
    assert report.runs == len(want["runs"]) and not report.skipped
    experiments = {e["experiment_id"]: e["name"] for e in want["experiments"]}
    for run in want["runs"]:
        got = runs[run["run_id"]]
        assert got.info.run_name == run["run_name"]
        assert got.info.status == run["status"]
        assert (got.info.start_time, got.info.end_time) == (run["start_time"], run["end_time"])
        assert got.info.lifecycle_stage == run["lifecycle_stage"]
        assert got.info.user_id == run["user_id"]
        assert got.info.experiment_id == experiments[run["experiment_id"]]
        assert got.info.run_id.endswith("-" + run["run_id"][:12])


def test_params_and_tags_are_mlflows_strings(imported: tuple[str, Path, ImportReport]) -> None:
    name, store, _report = imported
    runs = runs_by_mlflow_id(store)
    for run in expected(name)["runs"]:
        got = runs[run["run_id"]]
        assert got.data.params == run["params"], run["run_name"]
        tags = dict(run["tags"])
        if "mlflow.parentRunId" in tags:  # a parent is named by its gittrack id
            tags["mlflow.parentRunId"] = runs[tags["mlflow.parentRunId"]].info.run_id
        assert got.data.tags == tags | {IMPORTED_RUN_ID_TAG: run["run_id"]}, run["run_name"]


def test_metric_histories_are_mlflows_but_negative_steps(imported: tuple[str, Path, ImportReport]) -> None:
    name, store, report = imported
    c = client(store)
    runs = runs_by_mlflow_id(store)
    negative = []
    for run in expected(name)["runs"]:
        got = runs[run["run_id"]]
        for key, history in run["metric_history"].items():
            want = [(p["step"], p["timestamp"], number(p["value"])) for p in history]
            negative += [(run["run_id"], key, p) for p in want if p[0] < 0]
            kept = [p for p in want if p[0] >= 0]
            have = [(m.step, m.timestamp, m.value) for m in c.get_metric_history(got.info.run_id, key)]
            assert len(have) == len(kept), (run["run_name"], key)
            assert all(a[:2] == b[:2] and same(a[2], b[2]) for a, b in zip(have, kept, strict=True)), key
            if kept:  # the latest value: the one at the highest step, as MLflow picks it
                assert same(got.data.metrics[key], number(run["metrics"][key])), (run["run_name"], key)
    lost = [u for u in report.unrepresented if u.kind == "negative step"]
    assert len(lost) == len(negative)
    assert report.metric_points == sum(
        len(h) for r in expected(name)["runs"] for h in r["metric_history"].values()
    ) - len(negative)


def test_sqlite_clamped_infinities_are_kept_and_reported(imported: tuple[str, Path, ImportReport]) -> None:
    name, _store, report = imported
    if name != "sqlite":
        pytest.skip("only MLflow's SQLite store clamps infinities")
    clamped = [r for r in expected(name)["raw_sqlite"]["nan_and_clamped_metric_rows"] if not r["is_nan"]]
    assert clamped and len(report.kept_as_stored) == 1
    assert f"{len(clamped)} metric values are +-1.7976931348623157e308" in report.kept_as_stored[0]


def artifact_listing(c: Any, run_id: str, path: str | None = None) -> set[tuple[str, bool, int | None]]:
    found = set()
    for info in c.list_artifacts(run_id, path):
        found.add((info.path, info.is_dir, None if info.is_dir else info.file_size))
        if info.is_dir:
            found |= artifact_listing(c, run_id, info.path)
    return found


def test_artifacts_and_logged_models_are_copied_into_the_run(
    imported: tuple[str, Path, ImportReport],
) -> None:
    name, store, report = imported
    want = expected(name)
    c = client(store)
    runs = runs_by_mlflow_id(store)
    models: dict[str, list[dict[str, Any]]] = {}
    for model in want["logged_models"]:
        models.setdefault(model["source_run_id"], []).append(model)
    for run in want["runs"]:
        listing = {
            (a["path"], a["is_dir"], None if a["is_dir"] else a["file_size"])
            for a in run["artifacts_at_build_root"]
        }
        for model in models.get(run["run_id"], []):
            listing.add((model["name"], True, None))
            listing |= {
                (f"{model['name']}/{a['path']}", a["is_dir"], None if a["is_dir"] else a["file_size"])
                for a in model["artifacts_at_build_root"]
            }
        if name == "filestore" and run["run_id"] == manifest(name)["runs"]["in_deleted_experiment"]:
            # MLflow looks for them where the experiment was before it moved to .trash and
            # lists none; gittrack copies them from the run's folder in .trash
            assert not listing
            listing = {("note.txt", False, 23)}
        assert artifact_listing(c, runs[run["run_id"]].info.run_id) == listing, run["run_name"]
    # only a run whose experiment's artifact folder is nowhere here is warned about
    assert all("default-experiment-run" in w for w in report.warnings)


def test_datasets_are_the_runs_inputs(imported: tuple[str, Path, ImportReport]) -> None:
    name, store, _report = imported
    c = client(store)
    runs = runs_by_mlflow_id(store)
    for run in expected(name)["runs"]:
        want = {
            (
                d["name"],
                d["digest"],
                d["source_type"],
                d["source"],
                d["schema"],
                d["profile"],
                json.dumps(d["tags"], sort_keys=True),
            )
            for d in run["inputs"]["datasets"]
        }
        have = {
            (
                d.dataset.name,
                d.dataset.digest,
                d.dataset.source_type,
                d.dataset.source,
                d.dataset.schema,
                d.dataset.profile,
                json.dumps({t.key: t.value for t in d.tags}, sort_keys=True),
            )
            for d in c.get_dataset_inputs(runs[run["run_id"]].info.run_id)
        }
        assert have == want, run["run_name"]


def test_experiments_keep_name_tags_stage_and_creation_time(imported: tuple[str, Path, ImportReport]) -> None:
    from gittrack.entities import ViewType

    name, store, _report = imported
    have = {e.name: e for e in client(store).search_experiments(view_type=ViewType.ALL)}
    for experiment in expected(name)["experiments"]:
        got = have[experiment["name"]]
        assert got.lifecycle_stage == experiment["lifecycle_stage"]
        assert dict(got.tags) == experiment["tags"]
        assert got.creation_time == experiment["creation_time"]


def test_the_registry_is_mlflows(imported: tuple[str, Path, ImportReport]) -> None:
    name, store, _report = imported
    c = client(store)
    runs = runs_by_mlflow_id(store)
    logged = {m["model_id"]: m for m in expected(name)["logged_models"]}
    models = {m.name: m for m in c.search_registered_models()}
    assert sorted(models) == sorted(m["name"] for m in expected(name)["registered_models"])
    for model in expected(name)["registered_models"]:
        got = models[model["name"]]
        assert (got.description, dict(got.tags)) == (model["description"], model["tags"])
        assert {k: int(v) for k, v in got.aliases.items()} == {k: int(v) for k, v in model["aliases"].items()}
        versions = {int(v.version): v for v in c.search_model_versions(f"name='{model['name']}'")}
        assert sorted(versions) == [int(v["version"]) for v in model["versions"]]
        for version in model["versions"]:
            got_version = versions[int(version["version"])]
            run_id = runs[version["run_id"]].info.run_id
            path = logged[version["source"].removeprefix("models:/")]["name"]
            assert got_version.source == f"runs:/{run_id}/{path}"
            assert got_version.run_id == run_id
            assert got_version.current_stage == version["current_stage"]
            assert got_version.description == version["description"]
            assert dict(got_version.tags) == version["tags"]
            assert got_version.creation_timestamp == version["creation_timestamp"]
            got_aliases = c.get_model_version(model["name"], version["version"]).aliases
            assert sorted(got_aliases) == sorted(version["aliases_from_get_model_version"])


def test_a_run_is_found_by_its_mlflow_run_id(imported: tuple[str, Path, ImportReport]) -> None:
    from click.testing import CliRunner

    from gittrack.cli import cli

    name, store, _report = imported
    run = expected(name)["runs"][-1]
    got = client(store).get_run(run["run_id"])
    assert got.data.tags[IMPORTED_RUN_ID_TAG] == run["run_id"]
    result = CliRunner().invoke(cli, ["--store", str(store), "show", run["run_id"], "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run_id"] == got.info.run_id


def test_importing_again_changes_no_byte(imported: tuple[str, Path, ImportReport]) -> None:
    name, store, first = imported
    before = store_hash(store)
    again = import_mlflow(store, source_of(name))
    assert store_hash(store) == before
    assert (again.runs, again.already_imported, again.experiments) == (0, first.runs, 0)
    assert (again.model_versions, again.aliases) == (0, 0)


def test_course_champion_loads_after_import(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    import numpy as np

    import gittrack

    store = tmp_path / ".runs"
    import_mlflow(store, source_of("course"))
    gittrack.set_tracking_uri(str(store))
    model = gittrack.pyfunc.load_model("models:/course-model@champion")
    prediction = model.predict(np.zeros((3, 4)))
    assert len(prediction) == 3


def test_dry_run_writes_nothing_and_counts_the_same(tmp_path: Path) -> None:
    store = tmp_path / ".runs"
    dry = import_mlflow(store, source_of("sqlite"), dry_run=True)
    assert not store.exists()
    real = import_mlflow(store, source_of("sqlite"))
    for field in (
        "experiments",
        "runs",
        "metric_points",
        "artifact_files",
        "artifact_bytes",
        "logged_models",
    ):
        assert getattr(dry, field) == getattr(real, field), field
    assert (dry.registered_models, dry.model_versions, dry.aliases) == (
        real.registered_models,
        real.model_versions,
        real.aliases,
    )


def test_experiment_selection_imports_only_those_runs(tmp_path: Path) -> None:
    store = tmp_path / ".runs"
    report = import_mlflow(store, source_of("sqlite"), experiments=["tagged-experiment"])
    runs = runs_by_mlflow_id(store)
    want = expected("sqlite")
    tagged = [e["experiment_id"] for e in want["experiments"] if e["name"] == "tagged-experiment"]
    assert sorted(runs) == sorted(r["run_id"] for r in want["runs"] if r["experiment_id"] in tagged)
    # the registry comes along for the selected runs' versions only
    assert [m.name for m in client(store).search_registered_models()] == ["iris-logreg"]
    assert report.experiments == 1
    rest = import_mlflow(store, source_of("sqlite"))
    assert rest.already_imported == len(runs) and rest.runs == len(want["runs"]) - len(runs)


def test_unknown_experiment_is_an_error(tmp_path: Path) -> None:
    from gittrack.errors import GittrackError

    with pytest.raises(GittrackError, match="no MLflow experiment named 'nope'"):
        import_mlflow(tmp_path / ".runs", source_of("sqlite"), experiments=["nope"])


def test_the_same_filters_find_the_same_runs_as_mlflow(imported: tuple[str, Path, ImportReport]) -> None:
    """The round trip: each filter MLflow answered on its store (``searches`` in expected/,
    recorded by dump_expected.py) finds the same runs in gittrack after the import, in the
    same order when ordered."""
    from gittrack.entities import ViewType

    name, store, _report = imported
    c = client(store)
    names = [e.name for e in c.search_experiments(view_type=ViewType.ALL)]
    searches = expected(name)["searches"]
    assert searches
    for search in searches:
        found = c.search_runs(
            names,
            search["filter"],
            run_view_type=ViewType.ALL,
            max_results=50_000,
            order_by=search["order_by"],
        )
        got = [r.data.tags[IMPORTED_RUN_ID_TAG] for r in found]
        if search["order_by"]:
            assert got == search["run_ids"], search
        else:
            assert sorted(got) == sorted(search["run_ids"]), search


MLFLOW_PYTHON = Path(
    os.environ.get(
        "GITTRACK_MLFLOW_PYTHON",
        Path(__file__).resolve().parent.parent / "bench" / ".venv" / "bin" / "python",
    )
)
_THROUGH_CLIENT = """
import sys
from pathlib import Path
from gittrack.interop import importer
from gittrack.interop.mlflow_client import ClientStore
from gittrack.interop.report import summary

importer.open_store = lambda source, artifact_roots=(): ClientStore(source, artifact_roots=artifact_roots)
report = importer.import_mlflow(Path(sys.argv[1]), sys.argv[2], artifact_roots=[Path(sys.argv[3])])
print(summary(report))
"""


@pytest.mark.skipif(
    not MLFLOW_PYTHON.exists(), reason=f"MLflow's virtualenv {MLFLOW_PYTHON} is missing: bash bench/setup.sh"
)
def test_mlflows_client_reads_the_same_store_into_the_same_files(tmp_path: Path) -> None:
    """The reader for any tracking URI (a server's, through MLflow's client) writes what the
    SQLite reader writes for the same store (artifacts found with --artifact-root)."""
    src = Path(__file__).resolve().parent.parent / "src"
    copy = tmp_path / "sqlite"  # MLflow's client may write to a database it opens
    shutil.copytree(FIXTURES / "sqlite", copy)
    uri = f"sqlite:///{copy / 'mlflow.db'}"
    through_client, direct = tmp_path / "client" / ".runs", tmp_path / "direct" / ".runs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITTRACK_", "MLFLOW_"))}
    env |= {"PYTHONPATH": str(src), "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", _THROUGH_CLIENT, str(through_client), uri, str(copy)],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    import_mlflow(direct, source_of("sqlite"))
    runs = [p.name for p in direct.iterdir() if p.name[0].isdigit()]
    assert sorted(runs) == sorted(p.name for p in through_client.iterdir() if p.name[0].isdigit())
    for run in runs:
        for path in sorted((direct / run).rglob("*")):
            if path.is_file() and path.name != "inputs.yaml":  # datasets: same entries, in another order
                assert (
                    through_client / run / path.relative_to(direct / run)
                ).read_bytes() == path.read_bytes(), path
    assert client(through_client).search_registered_models() == client(direct).search_registered_models()


def invoke(*args: str) -> Any:
    from click.testing import CliRunner

    from gittrack.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_cli_prints_warnings_and_the_summary_and_writes_the_report(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    store = str(tmp_path / ".runs")
    result = invoke("--store", store, "import", "mlflow", source_of("sqlite"), "--report", str(report_file))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    default_run = manifest("sqlite")["runs"]["default_experiment_run"]
    assert f"Warning: run {default_run} (default-experiment-run): artifacts not found" in result.stderr
    assert "Imported from sqlite:///" in result.stderr
    assert "  runs           16\n" in result.stderr
    assert "  registry       2 models, 3 versions, 1 aliases\n" in result.stderr
    assert "  negative step: 1\n" in result.stderr
    assert "Kept as stored: " in result.stderr and "may have been +-inf" in result.stderr
    assert "Importing runs" not in result.stderr  # no bar when stderr is not a terminal
    saved = json.loads(report_file.read_text(encoding="utf-8"))
    assert saved["runs"] == 16 and saved["warnings"] and saved["skipped"] == []
    assert [u["kind"] for u in saved["unrepresented"]] == ["negative step"]
    again = invoke("--store", store, "import", "mlflow", source_of("sqlite"))
    assert "  runs           0 (16 already imported)\n" in again.stderr


def test_cli_progress_bar_on_request(tmp_path: Path) -> None:
    result = invoke("--store", str(tmp_path / ".runs"), "import", "mlflow", source_of("course"), "--progress")
    assert result.exit_code == 0, result.output
    assert "Importing runs [" in result.stderr and "4/4 100%" in result.stderr


def test_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    result = invoke(
        "--store", str(tmp_path / ".runs"), "import", "mlflow", source_of("filestore"), "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert "Would import from" in result.stderr and "(dry run: nothing written)" in result.stderr
    assert "  runs           16\n" in result.stderr
    assert not (tmp_path / ".runs").exists()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    store = str(tmp_path / ".runs")
    result = invoke("--store", store, "import", "mlflow", source_of("sqlite"), "-e", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no MLflow experiment named 'nope'; the store has 'Default'")
    missing = invoke("--store", store, "import", "mlflow", f"sqlite:///{tmp_path / 'none.db'}")
    assert missing.exit_code == 1 and "no such database file" in missing.stderr
