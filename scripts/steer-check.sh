#!/usr/bin/env bash
# Steers a headless training run from outside, as a person with a second
# terminal would (`maskdash control`): pause, learning rate, loss,
# CutMix, Mixup, checkpoint, prediction, resume, stop; then checks the run folder for
# each. The same on the CPU and on a GPU, which is the point: gpu-check.sh
# runs it with --device cuda.
#
#   scripts/steer-check.sh [path/to/maskdash] [--device cpu|cuda]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin="" device=cpu
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2;;
    *) bin=$1; shift;;
  esac
done
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
if [ -z "$bin" ]; then
  bin="$work/maskdash"
  (cd "$here" && go build -o "$bin" .)
fi
fail() { echo "FAIL ($device): $*"; echo "--- log:"; tail -20 "$work/log" || true; exit 1; }
"$bin" synth --out "$work/data" --profiles 40 --size 96x128 --eval 30 >/dev/null
"$bin" train --headless --device "$device" --data "$work/data" --runs "$work/runs" --img 32x32 --epochs 100000 >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do run=$(ls "$work/runs" 2>/dev/null | head -1 || true); [ -n "$run" ] && [ -f "$work/runs/$run/metrics.jsonl" ] && break; sleep 0.1; done
[ -n "${run:-}" ] || fail "no run folder"
ctl() { "$bin" control "$run" "$@" --runs "$work/runs" >/dev/null; }
waitlog() { # waitlog TEXT: the run's own log (metrics.jsonl) or its progress lines
  for _ in $(seq 1 300); do grep -qF -- "$1" "$work/runs/$run/metrics.jsonl" "$work/log" 2>/dev/null && return 0; sleep 0.1; done
  fail "did not see '$1'"
}
ctl pause; waitlog '"paused"'
ctl lr 0.002; waitlog '"setting":"lr"'
ctl loss focal; waitlog '"setting":"loss"'
ctl cutmix 0.5 random; waitlog '"setting":"cutmix","value":"0.5 random"'
ctl mixup 0.3 0.4; waitlog '"setting":"mixup","value":"0.3 alpha=0.4"'
ctl checkpoint; waitlog 'checkpoint saved'
ctl predict; waitlog 'prediction written'
ctl resume; waitlog '"running"'
ctl stop
wait "$pid" || fail "the run exited with an error"
pid=""
grep -q '"status": "stopped"' "$work/runs/$run/run.json" || fail "not stopped"
ls "$work/runs/$run/predictions/"*-probs.csv >/dev/null 2>&1 || fail "no prediction CSV with its class probabilities"
[ -f "$work/runs/$run/checkpoints/latest.json" ] || fail "no checkpoint"
latest=$(sed -n 's/.*"checkpoint": *"\([^"]*\)".*/\1/p' "$work/runs/$run/checkpoints/latest.json")
grep -q '"cutmix": *"0.5 random"' "$work/runs/$run/checkpoints/$(basename "$latest")" || fail "the checkpoint does not keep CutMix's change"
grep -q '"mixup": *"0.3 alpha=0.4"' "$work/runs/$run/checkpoints/$(basename "$latest")" || fail "the checkpoint does not keep Mixup's change"
grep -q '"setting": *"cutmix"' "$work/runs/$run/run.json" || fail "run.json's changes lack CutMix's"
grep -q '"setting": *"mixup"' "$work/runs/$run/run.json" || fail "run.json's changes lack Mixup's"
echo "steering a $device run from outside: pause, lr, loss, cutmix, mixup, checkpoint, predict, resume, stop all took effect ($run)"
