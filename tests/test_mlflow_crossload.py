"""Models cross-load: MLflow's ``mlflow.pyfunc.load_model`` loads a model gittrack logged, and
gittrack loads models MLflow logged.

The MLflow side runs in the benchmark's virtualenv (``bash bench/setup.sh``: MLflow 3.17.2,
never a gittrack dependency) as a subprocess; without it those tests are skipped.  The
models MLflow wrote for ``tests/fixtures/mlflow`` need no MLflow to be loaded here.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import git

pytest.importorskip("sklearn")
ROOT = Path(__file__).resolve().parent.parent
MLFLOW_PYTHON = Path(os.environ.get("GITTRACK_MLFLOW_PYTHON", ROOT / "bench" / ".venv" / "bin" / "python"))
FIXTURES = ROOT / "tests" / "fixtures" / "mlflow"
needs_mlflow = pytest.mark.skipif(
    not MLFLOW_PYTHON.exists(),
    reason=f"MLflow's virtualenv {MLFLOW_PYTHON} is missing: run bash bench/setup.sh",
)


def run_mlflow(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``code`` under MLflow's interpreter; MLflow 3.17 loads pickled models only when allowed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITTRACK_", "MLFLOW_"))}
    env |= {"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [str(MLFLOW_PYTHON), "-c", code], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def forest() -> tuple[object, np.ndarray]:
    from sklearn.datasets import make_regression
    from sklearn.ensemble import RandomForestRegressor

    X, y = make_regression(n_samples=40, n_features=4, random_state=0)
    return RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(X, y), X


@needs_mlflow
@pytest.mark.filterwarnings("ignore:X has feature names")
@pytest.mark.parametrize("fmt", ["cloudpickle", "pickle"])
def test_mlflow_loads_a_model_gittrack_logged(in_repo: Path, fmt: str) -> None:
    import pandas as pd

    import gittrack as mlflow

    model, X = forest()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model", serialization_format=fmt, input_example=frame.head(3))
    path = in_repo / ".runs" / run.info.run_id / "artifacts" / "model"
    np.save(in_repo / "x.npy", X)
    code = (
        "import json, numpy as np, pandas as pd, mlflow.pyfunc, mlflow.sklearn\n"
        f"m = mlflow.pyfunc.load_model({str(path)!r})\n"
        "x = pd.DataFrame(np.load('x.npy'), columns=['a', 'b', 'c', 'd'])\n"
        "inputs = m.metadata.get_input_schema().input_names()\n"
        "print(json.dumps({'pred': m.predict(x).tolist(), 'inputs': inputs,\n"
        f"  'raw': type(mlflow.sklearn.load_model({str(path)!r})).__name__}}))\n"
    )
    done = run_mlflow(code, in_repo)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["inputs"] == ["a", "b", "c", "d"]
    assert found["raw"] == "RandomForestRegressor"
    np.testing.assert_allclose(found["pred"], model.predict(frame))  # type: ignore[attr-defined]


@needs_mlflow
def test_gittrack_loads_a_model_mlflow_logged(tmp_path: Path) -> None:
    import gittrack as mlflow

    _, X = forest()
    np.save(tmp_path / "x.npy", X)
    code = (
        "import os, numpy as np, mlflow, mlflow.sklearn\n"
        "from sklearn.ensemble import RandomForestRegressor\n"
        "from mlflow.models import infer_signature\n"
        "from sklearn.datasets import make_regression\n"
        "X, y = make_regression(n_samples=40, n_features=4, random_state=0)\n"
        "m = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(X, y)\n"
        "mlflow.sklearn.save_model(m, 'saved', serialization_format='cloudpickle',\n"
        "    signature=infer_signature(X, m.predict(X)), input_example=X[:2])\n"
        "np.save('expected.npy', m.predict(X))\n"
    )
    done = run_mlflow(code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "saved"))
    np.testing.assert_allclose(loaded.predict(X), np.load(tmp_path / "expected.npy"))
    assert type(mlflow.sklearn.load_model(str(tmp_path / "saved"))).__name__ == "RandomForestRegressor"
    assert loaded.input_example.shape == (2, 4)


@pytest.mark.parametrize(
    "model_dir",
    sorted(str(p.parent.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*/**/models/m-*/artifacts/MLmodel")),
)
def test_gittrack_loads_the_models_in_mlflow_fixture_stores(model_dir: str) -> None:
    """Models MLflow 3.17.2 logged (cloudpickle, and skops with trusted types) predict here."""
    import gittrack as mlflow

    path = FIXTURES / model_dir
    model = mlflow.pyfunc.load_model(str(path))
    assert model.loader_module == "mlflow.sklearn"
    example = model.input_example
    if example is not None:
        assert len(model.predict(example)) == len(example)
    assert type(mlflow.sklearn.load_model(str(path))).__module__.startswith("sklearn.")


def test_a_registered_gittrack_model_is_an_mlflow_model_directory(in_repo: Path) -> None:
    """What MLflow reads: MLmodel with python_function (loader mlflow.sklearn) and sklearn flavors."""
    import gittrack as mlflow
    from gittrack.store import yamlio

    model, _ = forest()
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, artifact_path="model", registered_model_name="forest")
    assert info.registered_model_version == 1
    path = Path(mlflow.MlflowClient().get_model_version_download_uri("forest", 1))
    meta = yamlio.load((path / "MLmodel").read_bytes())
    assert meta["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert meta["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    assert meta["artifact_path"] == "model" and meta["run_id"] == info.run_id
    assert (path / "requirements.txt").read_text().startswith("scikit-learn==")
    assert git(in_repo, "status", "--porcelain") != ""
