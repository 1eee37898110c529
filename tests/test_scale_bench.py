"""bench/scale.py end to end at 20 runs, so the scale benchmark cannot rot.

The numbers mean nothing at this size (and are not checked: speed lives in bench/); what is
checked is that every measurement ran, that the store the benchmark builds is one
``gittrack check`` accepts, that its runs are the seeded ones, and that the report renders.
MLflow's part runs only when bench/.venv exists (``bash bench/setup.sh``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
import scale_data  # noqa: E402


def test_scale_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    stores = tmp_path / "stores"
    cmd = [sys.executable, str(BENCH / "scale.py"), "--runs", "20", "--stores", str(stores)]
    cmd += ["--out", str(out), "--repeats", "1", "--timeout", "300", "--workers", "2", "--label", "test"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    subprocess.run(cmd, check=True, env=env, cwd=tmp_path, timeout=1200)

    result = json.loads(out.read_text(encoding="utf-8"))
    measured = result["gittrack"]["20"]
    expected = {"commit", "git_add_commit", "ls_cold", "ls_warm", "ls_filter_warm", "ls_rev", "diff", "check"}
    expected |= {"search_filter", "search_top20", "search_all", "ui"}
    assert set(measured) == expected
    for name, entry in measured.items():
        assert entry["status"] == "ok", (name, entry)
        assert entry["samples"], name
    assert measured["search_all"]["median"]["rows"] == 20
    assert measured["search_top20"]["median"]["rows"] == 20
    # meta, params, tags, 4 metrics; the environment is stored once for all (.runs/environments/)
    assert 7 <= result["sizes"]["20"]["files_per_run"] < 8
    assert result["meta"]["machine"]["cores"] and result["meta"]["gittrack_commit"]

    (home,) = stores.iterdir()  # n20-seed0-<format>: built once, reused by the next invocation
    runs = sorted(p.name for p in (home / "committed" / ".runs").iterdir() if p.name[0].isdigit())
    assert runs == sorted(scale_data.run_id(0, i) for i in range(20))
    diff_runs = [p for p in (home / "diff" / ".runs").iterdir() if p.name[0].isdigit()]
    assert len(diff_runs) == 40

    mlflow = result["mlflow"].get("20")
    if mlflow is not None:  # the same runs in MLflow's store: the same rows match
        for kind in ("filter", "top20", "all"):
            key = f"search_{kind}"
            assert mlflow[key]["status"] == "ok", mlflow[key]
            assert mlflow[key]["median"]["rows"] == measured[key]["median"]["rows"]

    report = subprocess.run(
        [sys.executable, str(BENCH / "scale_report.py"), str(out), str(out), "--plot-dir", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "#### 20 runs" in report.stdout
    assert "`gittrack commit --all-finished` (N new runs)" in report.stdout
    assert "(timeout)" not in report.stdout  # no command timed out
    assert (tmp_path / "scale-plot-test.png").stat().st_size > 10_000


def test_run_specs_are_a_function_of_seed_and_index() -> None:
    a, b = scale_data.run_spec(7, 13), scale_data.run_spec(7, 13)
    assert a == b
    assert a.run_id != scale_data.run_spec(8, 13).run_id
    assert len(a.params) == 5 and len(a.tags) == 3
    assert {k: len(v) for k, v in a.metrics.items()} == dict.fromkeys(scale_data.METRICS, 20)
    assert a.parent == 10 and scale_data.run_spec(7, 10).parent is None
    slices = scale_data.chunks(0, 1000, 8)
    assert slices[0][0] == 0 and slices[-1][1] == 1000
    assert all(start % scale_data.FAMILY == 0 for start, _ in slices)
