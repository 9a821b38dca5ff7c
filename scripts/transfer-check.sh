#!/usr/bin/env bash
# Measures child runs of other classes (train --from RUN with another
# --task): does a trunk trained on one data set's 18 classes help a task
# learnt from a small set of other people? A measurement, not a test
# (a few minutes on two cores).
#
#   scripts/transfer-check.sh [EXTRA TRAIN FLAGS...]
#
# The parent: MODEL (default cnn-s) at 32×32 trained for PARENT_EPOCHS
# (default 10) on the 18 classes of a synthetic set of PARENT_PROFILES
# people (default 900, seed 5). The task TASK (default age) is then learnt
# for EPOCHS epochs (default 8) on another synthetic set of PROFILES
# people (default 60, seed 3) three ways, each with seeds SEEDS ("1 2
# 3"): from scratch, from the parent (its head fresh), from the parent
# with its tensors fixed for the first FREEZE epochs (default 2), and
# from the parent with its tensors at a tenth of the rate, and from the
# parent with its first layers fixed for the whole run (--freeze-layers
# EARLY: default conv1 for cnn-s, b1,b2 for vgg-s, stem,s1 for
# resnet-s). Each run
# is scored by `eval` on the small set's 4,000 eval images, which no run
# saw. PARENT_DATA trains the parent on another data folder instead, of
# its own classes (PARENT_FLAGS adds its flags, such as
# PARENT_DATA=/usr/share/datasets/fashion-mnist PARENT_FLAGS='--format
# idx --limit 20000'). MASKDASH names the binary (default: go build into
# a temporary folder).
set -euo pipefail
# shellcheck source=scripts/measure-lib.sh
. "$(dirname "$0")/measure-lib.sh"
model=${MODEL:-cnn-s} task=${TASK:-age}
case $model in
vgg-s*) early=${EARLY:-b1,b2} ;;
resnet-s*) early=${EARLY:-stem,s1} ;;
*) early=${EARLY:-conv1} ;;
esac
big=$work/big small=$work/small runs=$work/runs
if [ -n "${PARENT_DATA:-}" ]; then
	big=$PARENT_DATA
else
	"$bin" synth --out "$big" --size 64x64 --profiles "${PARENT_PROFILES:-900}" --eval -1 --seed 5 >/dev/null
fi
read -ra parent_flags <<<"${PARENT_FLAGS:-}"
"$bin" synth --out "$small" --size 64x64 --profiles "${PROFILES:-60}" --eval 4000 --seed 3 >/dev/null
"$bin" train --headless --data "$big" --runs "$runs" --model "$model" --img 32x32 --epochs "${PARENT_EPOCHS:-10}" --seed 1 \
	--name parent "${parent_flags[@]}" "$@" >/dev/null 2>&1
pf1=$("$bin" runs --runs "$runs" --json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)[0]["best_macro_f1"])')
echo "parent: $model on $big ${PARENT_FLAGS:-}, val macro F1 $pf1"
f1() { python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["metrics"]["macro_f1"])'; }
printf '%-22s %-5s %s\n' variant seed "eval F1 (unseen images)"
for v in "scratch|" "from the parent|--from parent" "frozen ${FREEZE:-2} epochs|--from parent --freeze-epochs ${FREEZE:-2}" \
	"parent at 0.1 rate|--from parent --from-lr-scale 0.1" "$early fixed|--from parent --freeze-layers $early"; do
	label=${v%%|*}
	read -ra flags <<<"${v#*|}"
	evs=()
	for seed in ${SEEDS:-1 2 3}; do
		name="$(echo "$label" | tr -c 'a-z0-9\n' -)-s$seed"
		"$bin" train --headless --data "$small" --runs "$runs" --model "$model" --img 32x32 --task "$task" --epochs "${EPOCHS:-8}" \
			--seed "$seed" --name "$name" "${flags[@]}" "$@" >/dev/null 2>&1
		ev=$("$bin" eval "$name" --runs "$runs" --json | f1)
		printf '%-22s %-5s %s\n' "$label" "$seed" "$ev"
		evs+=("$ev")
	done
	python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[2:]]; print("%-22s mean eval F1 %.4f (sd %.4f)" % (sys.argv[1], s.mean(v), s.stdev(v) if len(v) > 1 else 0))' "$label" "${evs[@]}"
done
