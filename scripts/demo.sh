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
gittrack commit --all-finished

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
export COLUMNS="${COLUMNS:-160}"
echo; echo "demo repository: $DEMO"
step git log --oneline
step gittrack ls
step gittrack best -m rmse
BEST="$(gittrack best -m rmse --format csv | sed -n 2p | cut -d, -f1)"
step gittrack show "$BEST"
step gittrack compare lr0.05-e40 lr0.3-e80 --only-diff
