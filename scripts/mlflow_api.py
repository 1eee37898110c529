"""Write tests/data/mlflow_api.json: MLflow's public functions and MlflowClient methods.

Run with MLflow's interpreter (bench/.venv, made by bench/setup.sh):
    bench/.venv/bin/python scripts/mlflow_api.py
docs/mlflow-compat.md must list every name (tests/test_mlflow_compat.py checks it).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import mlflow
from mlflow import MlflowClient

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "mlflow_api.json"


def main() -> None:
    public = [getattr(mlflow, n, None) for n in mlflow.__all__]
    names = dict(zip(mlflow.__all__, public, strict=True))
    api = {
        "mlflow": mlflow.__version__,
        "functions": sorted(n for n, v in names.items() if callable(v) and inspect.isfunction(v)),
        "classes": sorted(n for n, v in names.items() if inspect.isclass(v)),
        "modules": sorted(n for n, v in names.items() if inspect.ismodule(v)),
        "client_methods": sorted(
            n
            for n, v in inspect.getmembers(MlflowClient)
            if not n.startswith("_") and (callable(v) or isinstance(v, property))
        ),
    }
    OUT.write_text(json.dumps(api, indent=1) + "\n", encoding="utf-8")
    counts = f"{len(api['functions'])} functions, {len(api['client_methods'])} methods"
    print(f"{OUT}: MLflow {api['mlflow']}, {counts}")


if __name__ == "__main__":
    main()
