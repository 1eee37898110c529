#!/usr/bin/env bash
# Create bench/.venv: MLflow (pinned) plus gittrack from this checkout (editable).
# MLflow is never a gittrack dependency; it lives only in this virtualenv.
# Needs only Python 3.11+, git and the package registry.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${BENCH_VENV:-$BENCH/.venv}"
MLFLOW_VERSION="3.17.2"  # pinned (3.18.0 exists but its mlflow-skinny 3.18.0 was not installable here)

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
# scikit-learn (already an MLflow dependency) is pinned for tests/fixtures/mlflow/build.py, whose
# stores hold sklearn models and the versions they were written with, and for
# tests/test_mlflow_crossload.py, which loads gittrack's models with MLflow from this venv.
# LightGBM: a model flavor gittrack does not implement itself, logged and loaded by MLflow
# through the gittrack store plugin (tests/test_mlflow_plugin_lightgbm.py).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "mlflow==$MLFLOW_VERSION" pyinstrument "scikit-learn==1.9.1" "lightgbm==4.7.0"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT"
# W7's browser row only: the playwright package drives /usr/bin/chromium (its own browser
# download, `playwright install`, is never used). Optional: without it that row shows "–".
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "playwright>=1.40" \
  || echo "bench/setup.sh: playwright not installed; W7's browser row will be skipped" >&2
"$VENV/bin/python" - <<'PY'
import mlflow, gittrack
print(f"bench/.venv ready: mlflow {mlflow.__version__}, gittrack {gittrack.__version__}")
PY
