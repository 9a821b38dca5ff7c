#!/usr/bin/env bash
# Measures TPE against random search on the product: REPEATS times (default
# 3), a sweep by each of METHODS (default: random, tpe, tpe-independent;
# the TPE ones draw 4 settings at random first) of the same space and
# budget, one trial at a time, each trial
# cnn-s at 32×32 on 3,000 synthetic training images for EPOCHS epochs
# (default 4). Prints each search's best validation macro F1 and, per
# method, the mean. A measurement, not a test (a few minutes a search on
# two cores).
#
#   scripts/search-check.sh [REPEATS] [EXTRA SWEEP FLAGS...]
#
# SPACE (default a wide learning rate, the loss and dropout) and TRIALS
# (default 12) change the search.
set -euo pipefail
repeats=${1:-3}
[ $# -gt 0 ] && shift
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
space=${SPACE:-lr=log:1e-5..1e-1;loss=ce,focal,smooth;dropout=0..0.5}
best() { # best SWEEP-NAME: the best trial's macro F1
	"$bin" sweep status "$1" --runs "$work/runs" --json | python3 -c '
import json, sys
print("%.4f" % max(t.get("best_macro_f1") or 0 for t in json.load(sys.stdin)["trials"]))'
}
printf '%-16s %-7s %s\n' method repeat "best macro F1 of ${TRIALS:-12} settings"
declare -A all
read -r -a methods <<<"${METHODS:-random tpe tpe-independent}"
for r in $(seq 1 "$repeats"); do
	for method in "${methods[@]}"; do
		flags=()
		[ "$method" != random ] && flags=(--search "$method" --startup 4)
		"$bin" sweep --runs "$work/runs" --name "$method-$r" --random "$space" --trials "${TRIALS:-12}" "${flags[@]}" --wait \
			--img 32x32 --limit 3000 --epochs "${EPOCHS:-4}" "$@" >/dev/null
		b=$(best "$method-$r")
		all[$method]="${all[$method]:-} $b"
		printf '%-16s %-7s %s\n' "$method" "$r" "$b"
	done
done
for method in "${methods[@]}"; do
	# shellcheck disable=SC2086 # the scores are words
	python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[2:]]; print("%-16s mean %.4f (sd %.4f)" % (sys.argv[1], s.mean(v), s.stdev(v) if len(v) > 1 else 0))' "$method" ${all[$method]}
done
