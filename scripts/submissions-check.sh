#!/usr/bin/env bash
# Checks how well the validation split foretells held-out data, through
# maskdash submissions: eight runs of different settings on the built-in
# synthetic set, each predicted on its eval images, whose truth (the
# synthetic set's eval/truth.csv, never trained or validated on) stands
# in for the leaderboard and is recorded with 'submissions score'. Prints
# the record, ending with Spearman's ρ of validation against it. One seed
# a run; a measurement, not a test (about a minute and a half on two
# cores).
#
#   scripts/submissions-check.sh
#
# MASKDASH names the binary (default: go build into a temporary folder).
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
runs=$work/runs
n=0
for flags in "--lr 0.001 --epochs 5" "--lr 0.0003 --epochs 5" "--lr 0.003 --epochs 5" "--lr 0.01 --epochs 5" \
	"--lr 0.001 --epochs 2" "--lr 0.001 --epochs 10" "--loss focal --epochs 5" "--model vgg-s --img 32x32 --epochs 6"; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # flags are words
	"$bin" train --headless --runs "$runs" --name "a$n" $flags >/dev/null 2>&1
	out=$("$bin" predict "a$n" --runs "$runs" --out "$work/subs/a$n.csv")
	read -r acc f1 < <(sed -n 's/.*against the truth beside it: accuracy \([0-9.]*\), macro F1 \([0-9.]*\).*/\1 \2/p' <<<"$out")
	"$bin" submissions score "$work/subs/a$n.csv" --runs "$runs" --f1 "$f1" --acc "$acc" >/dev/null
done
"$bin" submissions --runs "$runs"
