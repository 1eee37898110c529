#!/usr/bin/env bash
# The differential suite in one command: gittrack against MLflow 3.17 on the same scenario.
#
#   bash scripts/differential.sh              # set up, re-record expected.json, run gittrack, print counts
#   bash scripts/differential.sh --no-record  # keep the committed expected.json (no MLflow needed)
#   bash scripts/differential.sh --details    # also print every disagreement
#   bash scripts/differential.sh --plugin     # also the second pass: MLflow's client over gittrack:
#
# 1. bench/setup.sh makes bench/.venv (MLflow pinned; BENCH_VENV overrides the place),
# 2. tests/differential/record.py re-records MLflow's answers (file store, SQLite store
#    flagged where it differs) into tests/differential/expected.json,
# 3. tests/differential/report.py builds the scenario with gittrack (project .venv) and
#    prints how many cases agree and how many disagree, by category, with date and versions,
# 4. pytest tests/test_differential.py checks that pending.yaml is in step (xfail strict),
# 5. with --plugin, tests/differential/plugin.py runs every case again with MLflow's own client
#    over gittrack's store plugin (MLFLOW_TRACKING_URI=gittrack:<repo>) in bench/.venv and prints
#    how many agree with MLflow's file store (pending-plugin.yaml lists those that do not).
set -euo pipefail
record=1
plugin=0
details=()
for arg in "$@"; do
  case "$arg" in
    --no-record) record=0 ;;
    --details) details=(--details) ;;
    --plugin) plugin=1 ;;
    *) echo "usage: bash scripts/differential.sh [--no-record] [--details] [--plugin]" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh" "[dev]"
cd "$ROOT"
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"
if [ "$record" = 1 ]; then
  bash "$ROOT/bench/setup.sh" >&2
  BENCH_PYTHON="${BENCH_VENV:-$ROOT/bench/.venv}/bin/python"
  MLFLOW_ALLOW_FILE_STORE=true MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
    "$BENCH_PYTHON" -m differential.record 2> >(grep -v ' INFO \| WARNING mlflow' >&2)
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
python -m pytest tests/test_differential.py -q >"$log" 2>&1 || status=$?
python -m differential.report "${details[@]}"
echo "  pytest tests/test_differential.py: $(tail -n 1 "$log")"
if [ "$status" != 0 ]; then
  grep -E '^(FAILED|ERROR|XPASS)' "$log" >&2 || tail -n 30 "$log" >&2
fi
if [ "$plugin" = 1 ]; then
  [ "$record" = 1 ] || bash "$ROOT/bench/setup.sh" >&2
  BENCH_PYTHON="${BENCH_VENV:-$ROOT/bench/.venv}/bin/python"
  "$BENCH_PYTHON" -m differential.plugin "${details[@]}" || status=$?
fi
exit "$status"
