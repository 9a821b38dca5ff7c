#!/usr/bin/env bash
# Measures CutMix (--cutmix) against plain batches on images no run saw: a
# synthetic set with 4,000 labelled eval images; cnn-s at 32×32 for
# EPOCHS epochs (default 15), three seeds each of no CutMix, the 2022
# winners' half box at 0.3 and Yun et al.'s random box at 0.5, each scored
# by `eval` on the eval images. A measurement, not a test (about 5 minutes
# on two cores).
#
#   scripts/cutmix-check.sh [EXTRA TRAIN FLAGS...]
#
# MASKDASH names the binary (default: go build into a temporary folder);
# EPOCHS and SEEDS ("1 2 3") change the runs.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${MASKDASH:-}
if [ -z "$bin" ]; then
	bin=$work/maskdash
	go build -o "$bin" "$(dirname "$0")/.."
fi
data=$work/synth runs=$work/runs
"$bin" synth --out "$data" --size 64x64 --eval 4000 --seed 3 >/dev/null
f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
printf '%-12s %-5s %-12s %s\n' cutmix seed "val F1" "eval F1 (4,000 unseen)"
for mix in "off" "0.3 half" "0.5 random"; do
	sum=0
	for seed in ${SEEDS:-1 2 3}; do
		flags=()
		if [ "$mix" != off ]; then
			read -r p box <<<"$mix"
			flags=(--cutmix "$p" --cutmix-box "$box")
		fi
		name="m${mix// /-}-s$seed"
		"$bin" train --headless --data "$data" --runs "$runs" --img 32x32 --epochs "${EPOCHS:-15}" --seed "$seed" \
			--name "$name" "${flags[@]}" "$@" >/dev/null 2>&1
		val=$("$bin" runs --runs "$runs" --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["id"].endswith(sys.argv[1]): print("%.4f" % r["best_macro_f1"])' "$name")
		ev=$("$bin" eval "$name" --runs "$runs" --json | f1)
		printf '%-12s %-5s %-12s %s\n' "$mix" "$seed" "$val" "$ev"
		sum=$(python3 -c "print($sum + $ev)")
	done
	python3 -c "import sys; print('%-12s mean eval F1 %.4f' % (sys.argv[1], $sum / len(sys.argv[2].split())))" "$mix" "${SEEDS:-1 2 3}"
done
