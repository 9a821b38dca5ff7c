#!/usr/bin/env bash
# Checks calibrate's held-out estimate of the class offsets' gain against
# their gain on images no fit saw: a synthetic set with 4,000 labelled
# eval images, five runs of different settings, each calibrated on its
# validation predictions and scored on the eval images without and with
# the offsets (eval --offsets, where calibrate kept them). One seed a run;
# a measurement, not a test (about 6 minutes on two cores).
#
#   scripts/offsets-check.sh
#
# MASKDASH names the binary (default: go build into a temporary folder).
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
data=$work/synth runs=$work/runs
"$bin" synth --out "$data" --size 64x64 --eval 4000 --seed 3 >/dev/null
f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
printf '%-10s %-6s %-17s %-26s %s\n' run epoch "val F1 (fitted)" "held-out gain (halves)" "eval F1: plain → offsets"
for spec in "ce6 --epochs 6" "focal6 --epochs 6 --loss focal" "weighted6 --epochs 6 --sampler weighted" \
	"cos20 --epochs 20 --schedule cosine" "vgg8 --epochs 8 --model vgg-s"; do
	read -r name flags <<<"$spec"
	# shellcheck disable=SC2086 # flags are words
	"$bin" train --headless --data "$data" --runs "$runs" --img 32x32 --name "$name" $flags >/dev/null 2>&1
	cal=$("$bin" calibrate "$name" --runs "$runs" --json)
	plain=$("$bin" eval "$name" --runs "$runs" --json | f1)
	with="not kept"
	if grep -q '"saved": true' <<<"$cal"; then
		with=$("$bin" eval "$name" --runs "$runs" --offsets --json | f1)
	fi
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print("%-10s %-6d %.4f → %.4f    %+.4f ± %.4f (%d of %d)    %s → %s" % (sys.argv[2], d["epoch"], d["val_macro_f1"],
      d["val_macro_f1_with_offsets"], d["held_out_gain"], d["held_out_gain_sd"], d["held_out_halves_improved"],
      d["held_out_halves"], sys.argv[3], sys.argv[4]))' "$cal" "$name" "$plain" "$with"
done
