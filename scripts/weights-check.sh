#!/usr/bin/env bash
# Measures weighted votes (ensemble --weights) against the equal vote and
# the best run alone, on images no run saw: the synthetic set of
# tricks-check.sh (4,000 labelled eval images). For each seed of SEEDS
# ("1 2 3") a random search of TRIALS (6) cnn-s trials at 32×32 for
# EPOCHS (6) epochs over SPACE (the learning rate from 1e-4 to 3e-2, log,
# and the loss, ce or focal), so that some trials are weak; then the vote of every
# trial, equal and with --weights (fitted on the trials' shared
# validation images). Each is scored on the eval images. A measurement,
# not a test (a few minutes on two cores).
#
#   scripts/weights-check.sh [EXTRA TRAIN FLAGS...]
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
data=$work/synth runs=$work/runs
"$bin" synth --out "$data" --size 64x64 --eval 4000 --seed 3 >/dev/null
trials=${TRIALS:-6}
votef1() { sed -n 's/^ensemble: .*macro F1 \([0-9.]*\).*/\1/p'; }
printf '%-5s %-10s %-10s %-10s %-32s %s\n' seed "best alone" "equal vote" "weighted" "weights' held-out gain (halves)" "weights"
declare -A col
for seed in ${SEEDS:-1 2 3}; do
	sw=$("$bin" sweep --data "$data" --runs "$runs" --random "${SPACE:-lr=log:1e-4..3e-2;loss=ce,focal}" --trials "$trials" --parallel 2 \
		--img 32x32 --epochs "${EPOCHS:-6}" --seed "$seed" --wait "$@" 2>&1 | sed -n 's/^sweep \(sweep-[0-9-]*\) .*/\1/p' | head -1)
	equal=$("$bin" ensemble --sweep "$sw" --top "$trials" --runs "$runs" --out "$work/equal-s$seed.csv")
	weighted=$("$bin" ensemble --sweep "$sw" --top "$trials" --weights --runs "$runs" --out "$work/weighted-s$seed.csv")
	# The first run listed is the best by validation F1: its eval F1 alone.
	best=$(sed -n 's/.* alone: .*macro F1 \([0-9.]*\).*/\1/p' <<<"$equal" | head -1)
	e=$(votef1 <<<"$equal") w=$(votef1 <<<"$weighted")
	gain=$(sed -n 's/.*where fitted, \(.* on held-out halves (.* gained)\).*/\1/p' <<<"$weighted")
	used=$(grep -q '^vote weights used' <<<"$weighted" && echo used || echo "not used")
	ws=$(sed -n 's/^vote weights, .*share: \(.*\)/\1/p' <<<"$weighted")
	col[best]="${col[best]:-} $best" col[equal]="${col[equal]:-} $e" col[weighted]="${col[weighted]:-} $w"
	printf '%-5s %-10s %-10s %-10s %-32s %s (%s)\n' "$seed" "$best" "$e" "$w" "$gain" "$ws" "$used"
done
for k in best equal weighted; do
	# shellcheck disable=SC2086 # the scores are words
	python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[2:]]; print("%-9s mean eval F1 %.4f (sd %.4f)" % (sys.argv[1], s.mean(v), s.stdev(v) if len(v) > 1 else 0))' "$k" ${col[$k]}
done
