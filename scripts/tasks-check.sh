#!/usr/bin/env bash
# Measures task runs (--task) against one model of the 18 classes, on
# images no run saw: the synthetic set of tricks-check.sh (4,000 labelled
# eval images), cnn-s at 32×32 for EPOCHS epochs (default 15), seeds
# SEEDS ("1 2 3"). For each seed: the 18-class cnn-s, the multi-head
# cnn-s-mh, and three cnn-s task runs (mask, gender, age) combined by
# `ensemble`, and again with class offsets (--offsets, fitted on the
# three runs' validation predictions); then the vote of the seeds'
# 18-class runs (the same compute as three task runs). Each is scored on the eval images. A measurement,
# not a test (about a minute a run on two cores).
#
#   scripts/tasks-check.sh [EXTRA TRAIN FLAGS...]
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
data=$work/synth runs=$work/runs
"$bin" synth --out "$data" --size 64x64 --eval 4000 --seed 3 >/dev/null
train() { # train NAME FLAGS...
	local name=$1
	shift
	"$bin" train --headless --data "$data" --runs "$runs" --img 32x32 --epochs "${EPOCHS:-15}" --name "$name" "$@" >/dev/null 2>&1
}
evalf1() { "$bin" eval "$1" --runs "$runs" --json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
votef1() { sed -n 's/^ensemble: .*macro F1 \([0-9.]*\).*/\1/p'; }
printf '%-5s %-9s %-9s %-9s %-10s %s\n' seed 18-class mh "tasks" "+offsets" "each task alone (mask, gender, age)"
declare -A col
plains=()
for seed in ${SEEDS:-1 2 3}; do
	train "plain-s$seed" --seed "$seed" "$@"
	train "mh-s$seed" --seed "$seed" --model cnn-s-mh "$@"
	for task in mask gender age; do train "$task-s$seed" --seed "$seed" --task "$task" "$@"; done
	out=$("$bin" ensemble --run "mask-s$seed" --run "gender-s$seed" --run "age-s$seed" --runs "$runs" --out "$work/tasks-s$seed.csv")
	alone=$(sed -n 's/.*alone: .*macro F1 \([0-9.]*\) of the \(.*\) task/\2 \1/p' <<<"$out" | tr '\n' ' ')
	o=$("$bin" ensemble --run "mask-s$seed" --run "gender-s$seed" --run "age-s$seed" --offsets --runs "$runs" --out "$work/tasks-off-s$seed.csv" | votef1)
	p=$(evalf1 "plain-s$seed") m=$(evalf1 "mh-s$seed") v=$(votef1 <<<"$out")
	col[plain]="${col[plain]:-} $p" col[mh]="${col[mh]:-} $m" col[tasks]="${col[tasks]:-} $v" col[offsets]="${col[offsets]:-} $o"
	plains+=(--run "plain-s$seed")
	printf '%-5s %-9s %-9s %-9s %-10s %s\n' "$seed" "$p" "$m" "$v" "$o" "$alone"
done
for k in plain mh tasks offsets; do
	# shellcheck disable=SC2086 # the scores are words
	python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[2:]]; print("%-7s mean eval F1 %.4f (sd %.4f)" % (sys.argv[1], s.mean(v), s.stdev(v) if len(v) > 1 else 0))' "$k" ${col[$k]}
done
echo "the vote of the 18-class runs: $("$bin" ensemble "${plains[@]}" --runs "$runs" --out "$work/plains.csv" | votef1)"
