#!/usr/bin/env bash
# Set up gittrack and run the demo: a throwaway git repo, four training runs with
# different params, committed with the code, then `gittrack ls` and `gittrack show`.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"

DEMO="$(mktemp -d "${TMPDIR:-/tmp}/gittrack-demo.XXXXXX")"
cd "$DEMO"
git init -q -b main
git config user.name "gittrack demo" && git config user.email "demo@example.com"
cp "$ROOT/examples/train.py" .
gittrack init
git add -A && git commit -q -m "Add training script"

for args in "0.05 40" "0.1 40" "0.3 40" "0.3 80"; do
  python train.py $args
done
git add .runs && git commit -q -m "Runs: learning-rate sweep"

echo "== demo repo: $DEMO"
echo "== git log"; git log --oneline
echo "== gittrack ls"; gittrack ls --columns params.lr,params.epochs,metrics.rmse
echo "== gittrack show (best run)"; gittrack show "$(gittrack ls -s 'metrics.rmse ASC' -n 1 --format csv --columns metrics.rmse | sed -n 2p | cut -d, -f1)"
