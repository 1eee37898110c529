#!/usr/bin/env bash
# Set up everything and run the whole test suite (what CI runs): lint, types, tests.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" "[dev]"
# The browser tests drive Debian's Chromium through Playwright (never Playwright's own download).
if [ ! -x /usr/bin/chromium ]; then
  source "$ROOT/scripts/apt_get.sh"  # waits for a lock another install holds
  apt_get update && apt_get install -y chromium
fi
cd "$ROOT"
# MLflow itself (pinned) in bench/.venv, with gittrack editable from this checkout: the MLflow
# store plugin tests, the models cross-load tests and the benchmarks drive real MLflow there.
bash "$ROOT/bench/setup.sh"
# ruff and mypy are pinned in the dev extra, so a new release cannot turn main red
python -m ruff check src tests bench scripts
python -m ruff format --check --quiet src tests bench scripts
python -m mypy
python -m pytest "$@"
