"""``gittrack export``: the runs table and the long metrics table, as Parquet (read back by
DuckDB) and as CSV, from a store imported from the committed MLflow fixture."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gittrack.cli import cli
from gittrack.interop.export import export
from gittrack.interop.importer import import_mlflow

try:  # the dev extra has both; an install without them skips the Parquet tests
    import duckdb
    import pyarrow
except ImportError:
    duckdb = pyarrow = None

FIXTURES = Path(__file__).parent / "fixtures" / "mlflow"
needs_parquet = pytest.mark.skipif(
    duckdb is None or pyarrow is None, reason="needs duckdb and pyarrow (dev extra)"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("export") / ".runs"
    import_mlflow(runs, f"sqlite:///{(FIXTURES / 'sqlite' / 'mlflow.db').resolve()}")
    return runs


def histories(store: Path, view: str = "active") -> int:
    from gittrack import MlflowClient
    from gittrack.entities import ViewType

    client = MlflowClient(tracking_uri=str(store))
    names = [e.name for e in client.search_experiments(view_type=ViewType.ALL)]
    kind = {"active": ViewType.ACTIVE_ONLY, "all": ViewType.ALL}[view]
    runs = client.search_runs(names, run_view_type=kind, max_results=1000)
    return sum(len(client.get_metric_history(r.info.run_id, k)) for r in runs for k in r.data.metrics)


@needs_parquet
def test_duckdb_reads_the_parquet_export_with_the_same_row_counts(store: Path, tmp_path: Path) -> None:
    written = export(store, tmp_path, fmt="parquet", view="all")
    runs, metrics = (str(written[t][0]) for t in ("runs", "metrics"))
    assert duckdb.sql(f"SELECT count(*) FROM '{runs}'").fetchall()[0] == (16,)
    assert duckdb.sql(f"SELECT count(*) FROM '{metrics}'").fetchall()[0] == (histories(store, "all"),)
    assert written["metrics"][1] == histories(store, "all")
    # types survive: numbers are numbers, times are timestamps, a NaN logged stays NaN, missing is NULL
    best = duckdb.sql(
        f"""SELECT r.run_name, max(m.value) FROM '{metrics}' m JOIN '{runs}' r USING (run_id)
            WHERE m.key = 'accuracy' GROUP BY r.run_name ORDER BY 2 DESC, 1 LIMIT 1"""
    ).fetchall()[0]
    assert best == ("tagged-experiment-run", pytest.approx(0.9667, abs=1e-4))
    row = duckdb.sql(
        f"""SELECT "params.int", "params.bool", "params.dict", "metrics.nan_last", "metrics.one",
                   year(start_time) FROM '{runs}' WHERE run_name = 'param-and-metric-values'"""
    ).fetchall()[0]
    assert row[:3] == (42, True, "{'a': 1, 'b': 'two'}")
    assert math.isnan(row[3]) and row[4] is None and row[5] == 2026


@needs_parquet
def test_the_export_takes_ls_selection(store: Path, tmp_path: Path) -> None:
    written = export(
        store, tmp_path, fmt="parquet", experiments=["plain-experiment"], filter_string="metrics.accuracy > 0"
    )
    names = duckdb.sql(f"SELECT run_name FROM '{written['runs'][0]}' ORDER BY 1").fetchall()
    assert names == [("rf-model-v1",), ("rf-model-v2",)]


def test_csv_export_needs_no_extra_and_keeps_values_exact(store: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--store", str(store), "export", "--format", "csv", "-o", str(tmp_path), "--all"]
    )
    assert result.exit_code == 0, result.output
    assert f"metrics: {histories(store, 'all')} rows" in result.stderr
    with open(tmp_path / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == histories(store, "all")
    assert list(rows[0]) == ["run_id", "key", "step", "timestamp", "value"]
    inf = [r for r in rows if r["key"] == "inf"]
    assert [r["value"] for r in inf] == ["1.7976931348623157e+308", "-1.7976931348623157e+308"]
    assert inf[0]["timestamp"] == "2026-01-01T00:00:00.000Z"
    with open(tmp_path / "runs.csv", newline="") as handle:
        runs = {r["run_name"]: r for r in csv.DictReader(handle)}
    values = runs["param-and-metric-values"]
    assert (values["params.float"], values["params.none"], values["metrics.nan_last"]) == (
        "0.001",
        "None",
        "nan",
    )
    assert runs["default-experiment-run"]["parent_run_id"] == ""


def test_parquet_without_pyarrow_says_what_to_install(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = CliRunner().invoke(cli, ["--store", str(store), "export", "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "pip install 'gittrack[parquet]'" in result.stderr


@needs_parquet
def test_the_readme_duckdb_query_runs_on_an_export(in_repo: Path) -> None:
    import gittrack

    for lr, losses in ((0.1, [0.9, 0.5, 0.6]), (0.01, [0.8, 0.7, 0.65])):
        with gittrack.start_run(run_name=f"lr{lr}"):
            gittrack.log_param("lr", lr)
            for step, loss in enumerate(losses):
                gittrack.log_metric("val/loss", loss, step=step)
    export(in_repo / ".runs", in_repo / "export", fmt="parquet")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    query = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    assert duckdb.sql(query).fetchall() == [("lr0.1", 0.1, 0.5, 1), ("lr0.01", 0.01, 0.65, 2)]
