#!/usr/bin/env bash
# Set up everything and run the whole test suite (what CI runs).
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" "[dev]"
cd "$ROOT"
python -m pytest "$@"
