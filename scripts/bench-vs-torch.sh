#!/usr/bin/env bash
# Runs `maskdash bench` and ../shared/bench/torch_ref.py one after the other
# on this machine (same models, batch, input size and threads) and prints
# the ratio. The PyTorch side is skipped with a message when python3-torch
# is missing.
# With --rounds N it alternates the two N times and prints each round's
# ratio and the median: this machine's speed drifts by ±10% from minute to
# minute, so one pair is one sample.
# With --memory it also measures vgg-s's memory per extra image in the batch
# (peak resident memory at batch B and 2B, both sides; about a minute).
# Usage: scripts/bench-vs-torch.sh [--batch N] [--threads N] [--seconds S] [--tags openblas] [--rounds N] [--memory]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
batch=32 threads=0 seconds=5 tags=openblas memory="" rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --batch) batch=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --seconds) seconds=$2; shift 2;;
    --tags) tags=$2; shift 2;;
    --memory) memory=1; shift;;
    --rounds) rounds=$2; shift 2;;
    *) echo "unknown option $1"; exit 2;;
  esac
done
ref="$here/../shared/bench/torch_ref.py"
[ -f "$ref" ] || ref="$here/shared/bench/torch_ref.py"
bin=$(mktemp -d)/maskdash
if [ -n "$tags" ] && ! (cd "$here" && go build -tags "$tags" -o "$bin" . 2>/dev/null); then
  echo "note: the $tags build failed (is libopenblas-dev installed?); using the pure-Go build"
  tags=""
fi
[ -n "$tags" ] || (cd "$here" && go build -o "$bin" .)
procs=$(nproc)
[ "$threads" -gt 0 ] && procs=$threads
echo "batch $batch, 64x64, $procs threads"
havetorch=""
if /usr/bin/python3 -c "import torch" 2>/dev/null && [ -f "$ref" ]; then
  havetorch=1
else
  echo "PyTorch side skipped: python3-torch is not installed (apt-get install python3-torch) or torch_ref.py is missing"
fi
all=""
for _ in $(seq 1 "$rounds"); do
  ours=$(GOMAXPROCS=$procs "$bin" bench --model cnn-s,vgg-s --batch "$batch" --seconds "$seconds" --json)
  echo "$ours"
  theirs=""
  if [ -n "$havetorch" ]; then
    theirs=$(/usr/bin/python3 "$ref" --device cpu --batch "$batch" --threads "$procs" --seconds "$seconds")
    echo "$theirs"
  fi
  [ -z "$theirs" ] || all+=$(/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = {json.loads(l)["model"]: json.loads(l) for l in sys.argv[1].splitlines() if l.strip()}
theirs = {json.loads(l)["model"]: json.loads(l) for l in sys.argv[2].splitlines() if l.strip()}
for m in ours:
    if m in theirs:
        o, t = ours[m]["images_per_s"], theirs[m]["images_per_s"]
        share = ours[m].get("peak_share")
        share = f", {100*share:.0f}% of the cores' peak" if share else ""
        print(f"{m}: maskdash {o:.1f} images/s ({ours[m]['blas']}{share}), PyTorch {t:.1f}: ratio {o/t:.2f}x, "
              f"peak {ours[m]['peak_mib']:.0f} MiB")
PY
)$'\n'
done
[ -z "$all" ] || printf '%s' "$all"
if [ -n "$all" ] && [ "$rounds" -gt 1 ]; then
  /usr/bin/python3 - "$all" <<'PY'
import re, statistics, sys
r = {}
for m, x in re.findall(r"^(\S+): .* ratio ([0-9.]+)x", sys.argv[1], re.M):
    r.setdefault(m, []).append(float(x))
for m, xs in r.items():
    print(f"{m}: median ratio {statistics.median(xs):.2f}x over {len(xs)} rounds (min {min(xs):.2f}, max {max(xs):.2f})")
PY
fi
[ -n "$memory" ] || exit 0
# Memory per extra image: the difference of two peaks over the difference
# of the batches, so the process's fixed part (runtime, graph, scratch)
# drops out.
b2=$((2 * batch))
m1=$(GOMAXPROCS=$procs "$bin" bench --model vgg-s --batch "$batch" --steps 3 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_mib"])')
m2=$(GOMAXPROCS=$procs "$bin" bench --model vgg-s --batch "$b2" --steps 3 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_mib"])')
echo "vgg-s memory: maskdash $m1 MiB at batch $batch, $m2 at $b2: $(/usr/bin/python3 -c "print(f'{($m2-$m1)/$batch:.2f}')") MiB per extra image"
if [ -z "$havetorch" ]; then
  :
elif [ -x /usr/bin/time ]; then
  t1=$(/usr/bin/time -f %M /usr/bin/python3 "$ref" --device cpu --batch "$batch" --threads "$procs" --seconds 1 --models vgg-s 2>&1 >/dev/null | tail -1)
  t2=$(/usr/bin/time -f %M /usr/bin/python3 "$ref" --device cpu --batch "$b2" --threads "$procs" --seconds 1 --models vgg-s 2>&1 >/dev/null | tail -1)
  echo "vgg-s memory: PyTorch $((t1 / 1024)) MiB at batch $batch, $((t2 / 1024)) at $b2: $(/usr/bin/python3 -c "print(f'{($t2-$t1)/1024/$batch:.2f}')") MiB per extra image"
else
  echo "PyTorch memory skipped: /usr/bin/time is not installed"
fi
