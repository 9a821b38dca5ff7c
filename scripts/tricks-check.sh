#!/usr/bin/env bash
# Measures the competition winners' training tricks against plain runs on
# images no run saw: a synthetic set with 4,000 labelled eval images;
# cnn-s at 32×32 for EPOCHS epochs (default 15), three seeds a variant,
# each scored by `eval` on the eval images. A measurement, not a test
# (about a minute a run on two cores).
#
#   scripts/tricks-check.sh [cutmix|mixup|pairs|erase|valtrain|schedule|ema|optim|losses|augment|winners|ages|pseudo] [EXTRA TRAIN FLAGS...]
#
# cutmix (the default): no CutMix, the 2022 winners' half box at 0.3 and
# Yun et al.'s random box at 0.5. mixup: none, Mixup at 0.5 (α 0.2 and
# 1), and half CutMix, half Mixup (timm's switch). pairs: intra-class
# mixing (--mix-pairs class) beside balanced sampling. erase: random
# erasing at 0.25 and 0.5, and at 0.5 beside CutMix 0.3. valtrain: the
# last 1 and 3 epochs on the validation images too (--val-train; such a
# run is scored with its last checkpoint, the one its best.json names,
# and its val F1 is its held-out epochs' best). schedule: the 2021
# winners' step schedule (×0.5 every 5 epochs), cosine and the plateau
# schedule (×0.5 after 3 epochs without a gain) against a constant rate.
# ema: the weights' moving average (--ema 0.99 and 0.995, each run scored
# with the average, its checkpoint's weights), at a constant rate and
# with the cosine schedule. optim: Adam (the default) against RAdam, AdamW
# and AdamP at the same rate, and SGD at ten times it. losses: cross
# entropy against the logit-adjusted loss (--loss la), focal loss and the
# two class-balancing samplers (balance, weighted), then la at τ 0.5 and 2,
# focal at γ 1 and 3 (--focal-gamma; 2 is the default) and label
# smoothing at 0.1 (the default) and 0.2 (--smoothing), and cross entropy
# with class weights of 1/n and 1/√n (--class-weights), and the balance
# sampler with 1/√n weights (both corrections at once). augment: the
# default recipe (flips, colour jitter 0.1, rotation ±10°) against none
# (--augmentation off, not even the random crop), light (flips) and
# strong (jitter 0.3, ±20°). winners: the 2021 winning configuration's tricks on
# this net (step schedule every 5 epochs, the last 3 epochs on the
# validation images, CutMix 0.3 on the half box, ages 27-29 and 57-59
# left out), with cross-entropy and with their F1 loss, then the
# cross-entropy recipe without each of its last three parts. ages: the official labels, without the
# ages 27-29 and 57-59 in training, training "60+" from 58
# (--train-age-bins 30,58), and both. pseudo: the plain run of each seed
# predicts the eval images, and a second run of that seed trains on them
# too (--pseudo-labels), scored on the same eval images (transductive,
# as pseudo-labelling a competition's test set is); then each seed trains
# on the soft vote of all the plain runs (a stronger teacher), then on the
# images that vote gives 0.9 or more (--pseudo-min-prob).
# ONLY ("1 3") runs only those variants, by their place in the list.
# MASKDASH names the binary (default: go build into a temporary folder);
# EPOCHS and SEEDS ("1 2 3") change the runs; DATA trains on another data
# folder than the synthetic set (its own test images score the runs),
# such as DATA=/usr/share/datasets/fashion-mnist with --format idx.
set -euo pipefail
set_name=${1:-cutmix}
[ $# -gt 0 ] && shift
case $set_name in
cutmix) variants=("off|" "cutmix 0.3 half|--cutmix 0.3 --cutmix-box half" "cutmix 0.5 random|--cutmix 0.5 --cutmix-box random") ;;
mixup) variants=("off|" "mixup 0.5|--mixup 0.5" "mixup 0.5 a=1|--mixup 0.5 --mixup-alpha 1" "cutmix+mixup|--cutmix 0.3 --mixup 0.3") ;;
pairs) variants=("off|" "balance|--sampler balance" "balance+cutmix in class|--sampler balance --cutmix 0.5 --mix-pairs class"
	"mixup in class|--mixup 0.5 --mix-pairs class") ;;
erase) variants=("off|" "erase 0.25|--erase 0.25" "erase 0.5|--erase 0.5" "erase 0.5+cutmix|--erase 0.5 --cutmix 0.3") ;;
valtrain) variants=("off|" "val-train 1|--val-train 1" "val-train 3|--val-train 3") ;;
schedule) variants=("off|" "step 5|--schedule step --lr-step 5" "cosine|--schedule cosine" "plateau 2|--schedule plateau --lr-patience 2") ;;
optim) variants=("adam|" "radam|--optim radam" "adamw|--optim adamw" "adamp|--optim adamp" "sgd, lr 0.01|--optim sgd --lr 0.01") ;;
ema) variants=("off|" "ema 0.99|--ema 0.99" "ema 0.995|--ema 0.995" "cosine|--schedule cosine" "cosine+ema 0.99|--schedule cosine --ema 0.99") ;;
winners) variants=("off|" "recipe, ce|--schedule step --lr-step 5 --val-train 3 --cutmix 0.3 --skip-train-ages 27-29,57-59"
	"recipe, f1 loss|--schedule step --lr-step 5 --val-train 3 --cutmix 0.3 --skip-train-ages 27-29,57-59 --loss f1"
	"without val-train|--schedule step --lr-step 5 --cutmix 0.3 --skip-train-ages 27-29,57-59"
	"without cutmix|--schedule step --lr-step 5 --val-train 3 --skip-train-ages 27-29,57-59"
	"without skipped ages|--schedule step --lr-step 5 --val-train 3 --cutmix 0.3") ;;
losses) variants=("ce|" "la|--loss la" "focal|--loss focal" "balance|--sampler balance" "weighted|--sampler weighted"
	"la, tau 0.5|--loss la --la-tau 0.5" "la, tau 2|--loss la --la-tau 2"
	"focal, gamma 1|--loss focal --focal-gamma 1" "focal, gamma 3|--loss focal --focal-gamma 3"
	"smooth 0.1|--loss smooth" "smooth 0.2|--loss smooth --smoothing 0.2"
	"ce, inverse weights|--class-weights inverse" "ce, sqrt weights|--class-weights sqrt"
	"balance+sqrt weights|--sampler balance --class-weights sqrt") ;;
augment) variants=("default|" "off|--augmentation off" "light|--augmentation light" "strong|--augmentation strong") ;;
ages) variants=("off|" "skip 27-29,57-59|--skip-train-ages 27-29,57-59" "train ages 30,58|--train-age-bins 30,58"
	"both|--skip-train-ages 27-29,57-59 --train-age-bins 30,58") ;;
pseudo) variants=("off|" "pseudo-labels|--pseudo-labels @TEACHER" "pseudo (vote)|--pseudo-labels @VOTE"
	"pseudo (vote>=0.9)|--pseudo-labels @PROBS --pseudo-min-prob 0.9") ;;
*) echo "tricks-check.sh: unknown set $set_name; use cutmix, mixup, pairs, erase, valtrain, schedule, ema, optim, losses, augment, winners, ages or pseudo" >&2; exit 2 ;;
esac
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
data=${DATA:-$work/synth} runs=$work/runs
[ -n "${DATA:-}" ] || "$bin" synth --out "$data" --size 64x64 --eval 4000 --seed 3 >/dev/null
f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
printf '%-18s %-5s %-12s %s\n' variant seed "val F1" "eval F1 (unseen images)"
n=0
for v in "${variants[@]}"; do
	label=${v%%|*}
	n=$((n + 1))
	if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $n "* ]]; then continue; fi
	evs=()
	for seed in ${SEEDS:-1 2 3}; do
		# @TEACHER: the first variant's run of this seed, its predictions.
		read -ra flags <<<"${v#*|}"
		flags=("${flags[@]/@TEACHER/$work/teacher-s$seed.csv}")
		flags=("${flags[@]/@VOTE/$work/teacher-vote.csv}")
		flags=("${flags[@]/@PROBS/$work/teacher-vote-probs.csv}")
		name="v$n-s$seed"
		"$bin" train --headless --data "$data" --runs "$runs" --img 32x32 --epochs "${EPOCHS:-15}" --seed "$seed" \
			--name "$name" "${flags[@]}" "$@" >/dev/null 2>&1
		val=$("$bin" runs --runs "$runs" --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["id"].endswith(sys.argv[1]): print("%.4f" % r["best_macro_f1"])' "$name")
		ev=$("$bin" eval "$name" --runs "$runs" --json | f1)
		if [ "$n" = 1 ] && [ "$set_name" = pseudo ]; then
			"$bin" predict "$name" --runs "$runs" --out "$work/teacher-s$seed.csv" >/dev/null
		fi
		printf '%-18s %-5s %-12s %s\n' "$label" "$seed" "$val" "$ev"
		evs+=("$ev")
	done
	if [ "$n" = 1 ] && [ "$set_name" = pseudo ]; then
		votes=()
		for seed in ${SEEDS:-1 2 3}; do votes+=(--run "v1-s$seed"); done
		vote=$("$bin" ensemble "${votes[@]}" --runs "$runs" --out "$work/teacher-vote.csv" --probs "$work/teacher-vote-probs.csv" | sed -n 's/^ensemble: .*macro F1 \([0-9.]*\).*/\1/p')
		printf '%-18s %-5s %-12s %s\n' "(the vote)" all - "$vote"
	fi
	python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[2:]]; print("%-18s mean eval F1 %.4f (sd %.4f)" % (sys.argv[1], s.mean(v), s.stdev(v) if len(v) > 1 else 0))' "$label" "${evs[@]}"
done
