#!/usr/bin/env bash
# Measures `maskdash average` (the weights of a run's last epochs
# averaged, BatchNorm's statistics taken again) against the run's best and
# last epochs alone, on images no run saw: a synthetic set with 4,000
# labelled eval images; MODEL (default vgg-s) at 32×32 for EPOCHS epochs
# (default 15), seeds SEEDS ("1 2 3"), each run keeping its last 5
# epochs; EXTRA train flags after the script's name (such as --schedule
# step --lr-step 5). A measurement, not a test (about a minute a seed).
#
#   scripts/average-check.sh [EXTRA TRAIN FLAGS...]
#
# MASKDASH names the binary (default: go build into a temporary folder).
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
data=$work/synth runs=$work/runs model=${MODEL:-vgg-s}
"$bin" synth --out "$data" --size 64x64 --eval 4000 --seed 3 >/dev/null
f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
printf '%-5s %-8s %-8s %-12s %s\n' seed best last "average 3" "average 5"
declare -A sum
for seed in ${SEEDS:-1 2 3}; do
	name="s$seed"
	"$bin" train --headless --data "$data" --runs "$runs" --model "$model" --img 32x32 --epochs "${EPOCHS:-15}" --seed "$seed" \
		--keep-checkpoints 5 --name "$name" "$@" >/dev/null 2>&1
	"$bin" average "$name" --runs "$runs" --last 3 >/dev/null
	"$bin" average "$name" --runs "$runs" --last 5 >/dev/null
	e=$(printf '%03d' "${EPOCHS:-15}")
	row=()
	for ck in best latest "avg-$e-3" "avg-$e-5"; do
		v=$("$bin" eval "$name" --runs "$runs" --ckpt "$ck" --json | f1)
		row+=("$v")
		sum[$ck]=$(python3 -c "print(${sum[$ck]:-0} + $v)")
	done
	printf '%-5s %-8s %-8s %-12s %s\n' "$seed" "${row[@]}"
done
n=$(wc -w <<<"${SEEDS:-1 2 3}")
printf '%-5s' mean
for ck in best latest "avg-$(printf '%03d' "${EPOCHS:-15}")-3" "avg-$(printf '%03d' "${EPOCHS:-15}")-5"; do
	printf ' %-8s' "$(python3 -c "print('%.4f' % (${sum[$ck]} / $n))")"
done
echo
