"""Saving and loading models: serialization formats, signatures and input examples, custom
PythonModels, replacing a logged model, and what ``import gittrack`` does not import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression

from gittrack.errors import InvalidModelError
from gittrack.store import yamlio


def fitted_forest() -> tuple[RandomForestClassifier, pd.DataFrame]:
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    return RandomForestClassifier(n_estimators=2, random_state=0).fit(X, [0, 1, 0, 1]), X


def test_skops_needs_the_trusted_types_a_forest_uses(tmp_path: Path) -> None:
    import gittrack as mlflow

    model, X = fitted_forest()
    with pytest.raises(InvalidModelError, match="skops does not trust these types"):
        mlflow.sklearn.save_model(model, tmp_path / "refused", serialization_format="skops")
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    mlflow.sklearn.save_model(
        model, tmp_path / "ok", serialization_format="skops", skops_trusted_types=trusted
    )
    loaded = mlflow.sklearn.load_model(str(tmp_path / "ok"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle"])
def test_pickle_formats_and_the_default(tmp_path: Path, fmt: str) -> None:
    import gittrack as mlflow

    model, _ = fitted_forest()
    mlflow.sklearn.save_model(model, tmp_path / fmt, serialization_format=fmt)
    conf = yamlio.load((tmp_path / fmt / "MLmodel").read_bytes())["flavors"]["sklearn"]
    assert conf["serialization_format"] == fmt
    with open(tmp_path / fmt / "model.pkl", "rb") as handle:  # what the format says it is
        assert type(cloudpickle.load(handle)).__name__ == "RandomForestClassifier"
    mlflow.sklearn.save_model(model, tmp_path / "default")
    assert yamlio.load((tmp_path / "default" / "MLmodel").read_bytes())["flavors"]["sklearn"][
        "serialization_format"
    ] == ("cloudpickle")
    with pytest.raises(InvalidModelError, match="already exists"):
        mlflow.sklearn.save_model(model, tmp_path / "default")


def test_signature_and_input_example_are_inferred_and_enforced(tmp_path: Path) -> None:
    import gittrack as mlflow

    model, X = fitted_forest()
    mlflow.sklearn.save_model(model, tmp_path / "m", input_example=X.head(2))
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    assert loaded.metadata.get_input_schema().input_names() == ["a", "b"]
    pd.testing.assert_frame_equal(loaded.input_example, X.head(2))
    swapped = X[["b", "a"]]  # columns in another order are put back in the signature's
    np.testing.assert_array_equal(loaded.predict(swapped), model.predict(X))
    np.testing.assert_array_equal(loaded.predict(X.to_numpy()), model.predict(X))
    with pytest.raises(InvalidModelError, match="missing the column"):
        loaded.predict(X[["a"]])
    signature = mlflow.models.infer_signature(X, model.predict(X))
    outputs = '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    assert signature.to_dict()["outputs"] == outputs


def test_a_python_model_with_artifacts(in_repo: Path, tmp_path: Path) -> None:
    import gittrack as mlflow

    class AddFromFile(mlflow.pyfunc.PythonModel):
        def load_context(self, context):  # type: ignore[no-untyped-def]
            self.n = float(Path(context.artifacts["n"]).read_text())

        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return model_input + self.n

    (tmp_path / "n.txt").write_text("3")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="adder", python_model=AddFromFile(), artifacts={"n": str(tmp_path / "n.txt")}
        )
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(np.array([1.0, 2.0])), [4.0, 5.0])
    assert isinstance(loaded.unwrap_python_model(), AddFromFile)


def test_logging_again_replaces_the_model(in_repo: Path) -> None:
    import gittrack as mlflow

    X, y = np.arange(6.0).reshape(3, 2), np.array([1.0, 2.0, 3.0])
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(LinearRegression().fit(X, y), name="model")
        second = LinearRegression(fit_intercept=False).fit(X, y)
        mlflow.sklearn.log_model(second, name="model")
    folder = in_repo / ".runs" / run.info.run_id / "artifacts"
    assert [p.name for p in folder.iterdir()] == ["model"]
    assert mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model").fit_intercept is False


def test_import_gittrack_stays_light() -> None:
    code = (
        "import sys, gittrack\n"
        "gittrack.sklearn, gittrack.pyfunc, gittrack.models, gittrack.data, gittrack.artifacts\n"
        "gittrack.autolog, gittrack.register_model, gittrack.MlflowClient\n"
        "heavy = [m for m in ('sklearn', 'numpy', 'pandas', 'xgboost', 'matplotlib') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
