#!/usr/bin/env bash
# Checks maskdash's learning-rate advice against training at a scan of
# rates: lrfind's suggestion, and the layers view's update/|w| (median over
# the run's measures after its first, per weight tensor), beside each
# rate's best validation macro F1. One seed a rate; a measurement, not a
# test (about 8 minutes on two cores with the defaults).
#
#   scripts/lr-check.sh [DATA [FORMAT [IMG [EPOCHS]]]]
#
# Defaults: Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist),
# idx, 32x32, 3 epochs; cnn-s with Adam and SGD. MASKDASH names the binary
# (default: go build into a temporary folder).
set -euo pipefail
data=${1:-/usr/share/datasets/fashion-mnist}
format=${2:-idx}
img=${3:-32x32}
epochs=${4:-3}
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
runs=$work/runs
flags=(--data "$data" --format "$format" --img "$img" --model cnn-s)
for optim in adam sgd; do
	echo "== $optim: $("$bin" lrfind "${flags[@]}" --optim "$optim" --runs "$runs" 2>/dev/null | grep '^suggested')"
	printf '%-6s %-8s %-8s %s\n' lr "best F1" epochs "median update/|w| per weight tensor"
	for lr in 1e-4 3e-4 1e-3 3e-3 1e-2 3e-2 1e-1; do
		"$bin" train --headless "${flags[@]}" --optim "$optim" --lr "$lr" --epochs "$epochs" --runs "$runs" --name "$optim-$lr" >/dev/null 2>&1 || true
		"$bin" export "$optim-$lr" --runs "$runs" --out "$work/csv" >/dev/null
		id=$("$bin" runs --runs "$runs" --filter "$optim-$lr" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
		"$bin" runs --runs "$runs" --filter "$optim-$lr" --json | python3 -c '
import csv, json, statistics, sys
r = json.load(sys.stdin)[0]
rows = list(csv.DictReader(open(sys.argv[2])))
first = rows[0]["step"] if rows else None
by = {}
for row in rows:
    if row["step"] != first and row["rank"] not in ("", "1"):
        by.setdefault(row["tensor"], []).append(float(row["update_ratio"]))
med = "  ".join("%s %.1e" % (k, statistics.median(v)) for k, v in by.items())
print("%-6s %-8.4f %-8s %s" % (sys.argv[1], r["best_macro_f1"], r.get("epochs_done"), med))
' "$lr" "$work/csv/$id-layers.csv"
	done
done
