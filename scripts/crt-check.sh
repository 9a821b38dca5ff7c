#!/usr/bin/env bash
# Measures classifier re-training (cRT; Kang et al., "Decoupling
# Representation and Classifier for Long-Tailed Recognition", 2020) on
# the synthetic mask set, whose classes are as unequal as the
# competition's (the 60+ ones about 2% of the images): does a fresh
# output layer trained alone on a finished run's features, with a
# class-balanced sampler, raise macro F1 more than training the whole
# net on? A measurement, not a test (a few minutes on two cores).
#
#   scripts/crt-check.sh [EXTRA TRAIN FLAGS...]
#
# The parent: MODEL (default cnn-s) at 32×32 trained for PARENT_EPOCHS
# (default 10) on a synthetic set of PROFILES people (default 900, seed
# 5; 4,000 eval images no run trains on). Then EPOCHS more epochs
# (default 3) from its best checkpoint, each with seeds SEEDS ("1 2 3"):
# the whole net on (the same sampler, then --sampler weighted), and the
# output layer alone, started fresh (--fresh-head --freeze-epochs
# EPOCHS), with the same sampler, --sampler weighted and --sampler
# balance. Each run is scored by `eval` on the eval images; the last
# column is how long the child took (its validations included). MASKDASH
# names the binary (default: go build into a temporary folder).
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
model=${MODEL:-cnn-s} epochs=${EPOCHS:-3}
data=$work/data runs=$work/runs
"$bin" synth --out "$data" --size 64x64 --profiles "${PROFILES:-900}" --eval 4000 --seed 5 >/dev/null
"$bin" train --headless --data "$data" --runs "$runs" --model "$model" --img 32x32 --epochs "${PARENT_EPOCHS:-10}" --seed 1 \
	--name parent "$@" >/dev/null 2>&1
f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
secs() { "$bin" runs --runs "$runs" --json | python3 -c 'import json,sys; print("%.1f" % [r for r in json.load(sys.stdin) if r["id"].endswith("-"+sys.argv[1])][0]["duration_s"])' "$1"; }
echo "parent: $model, ${PARENT_EPOCHS:-10} epochs; eval macro F1 $("$bin" eval parent --runs "$runs" --json | f1)"
printf '%-34s %-5s %-10s %s\n' variant seed "eval F1" "seconds"
for v in "whole net on|" "whole net on, weighted|--sampler weighted" \
	"head alone (fresh)|--fresh-head --freeze-epochs $epochs" \
	"head alone, weighted (cRT)|--fresh-head --freeze-epochs $epochs --sampler weighted" \
	"head alone, balance|--fresh-head --freeze-epochs $epochs --sampler balance"; do
	label=${v%%|*}
	read -ra flags <<<"${v#*|}"
	evs=()
	for seed in ${SEEDS:-1 2 3}; do
		name="$(echo "$label" | tr -c 'a-z0-9\n' -)-s$seed"
		"$bin" train --headless --runs "$runs" --from parent --epochs "$epochs" --seed "$seed" --name "$name" \
			"${flags[@]}" >/dev/null 2>&1
		ev=$("$bin" eval "$name" --runs "$runs" --json | f1)
		printf '%-34s %-5s %-10s %s\n' "$label" "$seed" "$ev" "$(secs "$name")"
		evs+=("$ev")
	done
	python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[2:]]; print("%-34s mean eval F1 %.4f (sd %.4f)" % (sys.argv[1], s.mean(v), s.stdev(v) if len(v) > 1 else 0))' "$label" "${evs[@]}"
done
