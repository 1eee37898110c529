"""The MLflow-written fixture stores are whole and agree with their ``expected/*.json`` (no MLflow needed).

Regenerate them with ``tests/fixtures/mlflow/build.py`` then ``dump_expected.py`` (see the README there).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "mlflow"
STORES = ("filestore", "sqlite", "course")


def load_json(path: Path) -> Any:
    def no_bare_constants(name: str) -> None:
        raise ValueError(f"{path}: bare {name}; NaN and infinities must be strings")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_bare_constants)


def local_path(uri: str) -> str:
    """The filesystem path of an artifact location: MLflow writes both plain paths and ``file://`` URIs."""
    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def in_store(store: str, uri: str, build_root: str) -> Path:
    """Where a location recorded at build time lies in the moved store."""
    path = local_path(uri)
    assert path.startswith(build_root + "/"), f"{uri} is not under the build root {build_root}"
    return FIXTURES / store / path[len(build_root) + 1 :]


def sql(db: Path, query: str) -> set[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as con:
        return set(con.execute(query).fetchall())


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name: str = request.param
    manifest = load_json(FIXTURES / name / "manifest.json")
    expected = load_json(FIXTURES / "expected" / f"{name}.json")
    assert manifest["store"] == expected["store"] == name
    assert manifest["build_root"] == expected["build_root"]
    return name, manifest, expected


def test_manifest_roles_are_in_expected(store: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    _name, manifest, expected = store
    run_ids = {run["run_id"] for run in expected["runs"]}
    assert set(manifest["runs"].values()) <= run_ids
    assert set(manifest["experiments"].values()) <= {e["experiment_id"] for e in expected["experiments"]}
    assert {m["model_id"] for m in expected["logged_models"]} and expected["registered_models"]
    for run in expected["runs"]:
        assert set(run["metric_history"]) == set(run["metrics"]), run["run_name"]


def test_runs_experiments_and_versions_are_in_the_store(
    store: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    name, _manifest, expected = store
    runs = {(r["experiment_id"], r["run_id"]) for r in expected["runs"]}
    experiments = {(e["experiment_id"], e["lifecycle_stage"]) for e in expected["experiments"]}
    versions = {(m["name"], int(v["version"])) for m in expected["registered_models"] for v in m["versions"]}
    if name == "filestore":
        root = FIXTURES / name / "mlruns"
        on_disk = {
            (meta.parent.parent.name, meta.parent.name)
            for meta in [*root.glob("*/*/meta.yaml"), *root.glob(".trash/*/*/meta.yaml")]
            if meta.parent.parent.name not in ("models", ".trash")
        }
        assert on_disk == runs
        for experiment_id, stage in experiments:
            folder = root / ".trash" if stage == "deleted" else root
            assert (folder / experiment_id / "meta.yaml").is_file(), experiment_id
        registry = {
            (p.parent.parent.name, int(p.parent.name[8:])) for p in root.glob("models/*/version-*/meta.yaml")
        }
        assert registry == versions
    else:
        db = FIXTURES / name / "mlflow.db"
        assert sql(db, "SELECT CAST(experiment_id AS TEXT), run_uuid FROM runs") == runs
        assert sql(db, "SELECT CAST(experiment_id AS TEXT), lifecycle_stage FROM experiments") == experiments
        assert sql(db, "SELECT name, CAST(version AS INTEGER) FROM model_versions") == versions


def test_listed_artifacts_were_moved_with_the_store(
    store: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    name, manifest, expected = store
    owners = [(r["artifact_uri"], r) for r in expected["runs"]]
    owners += [(m["artifact_location"], m) for m in expected["logged_models"]]
    assert expected["artifacts_at_build_root_available"]
    listed = 0
    for location, owner in owners:
        for artifact in owner["artifacts_at_build_root"]:
            path = in_store(name, location, manifest["build_root"]) / artifact["path"]
            assert path.is_dir() if artifact["is_dir"] else path.is_file(), path
            listed += 1
    assert listed > 0


def test_fixtures_stay_small() -> None:
    size = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    assert size < 2_500_000, f"tests/fixtures/mlflow holds {size} bytes"
