#!/usr/bin/env bash
# The local sweep backend's overhead: 8 trainings as a sweep with
# --parallel 1 against the same 8 trainings run one after another, one
# right after the other on the same machine. Prints both times and their
# ratio (the goal: at most 1.05).
# Usage: scripts/bench-sweep.sh [path/to/maskdash]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
  bin="$work/maskdash"
  (cd "$here" && go build -o "$bin" .)
fi
"$bin" synth --out "$work/data" --profiles 80 --size 96x128 --eval 10 >/dev/null
args=(--data "$work/data" --img 64x64 --batch 32 --epochs 4)
t0=$(date +%s.%N)
for s in 1 2 3 4 5 6 7 8; do
  "$bin" train --headless --runs "$work/seq" --seed "$s" "${args[@]}" >/dev/null 2>&1
done
t1=$(date +%s.%N)
"$bin" sweep --runs "$work/sw" --seeds 8 --parallel 1 --wait "${args[@]}" >/dev/null
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { s = b - a; w = c - b; printf "8 runs one after another: %.1f s\nsweep of 8, --parallel 1: %.1f s\nratio sweep/sequential: %.3f\n", s, w, w / s }'
