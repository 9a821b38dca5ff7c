#!/usr/bin/env bash
# The one script to run on a GPU machine (CUDA 12/13, cuDNN 9, no Go, no
# network), after ../shared/gpu/pack-go.sh packed Go, vendor/ and
# Gorgonia's .cu sources here:
#
#   run (carry [".gpu","vendor"]): source .gpu/env.sh && scripts/gpu-check.sh
#
# It builds the cuda binary (scripts/build-cuda.sh), runs the GPU checks
# (the Gorgonia-ops engine on the GPU against this project's CPU ops from
# the same weights: loss, logits, gradients, running statistics, and the
# trained weights predicting the same on the CPU), then `maskdash bench
# --device cuda` and PyTorch's torch_ref.py --device cuda for cnn-s and
# vgg-s at batch 64 and 256, one after the other. Everything it prints
# also goes to $OUT/gpu-check.log (or ./gpu-check.log).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$here}
log="$out/gpu-check.log"
exec > >(tee "$log") 2>&1
cd "$here"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
go version || { echo "no Go: run ../shared/gpu/pack-go.sh here first and source .gpu/env.sh"; exit 1; }
step() { echo; echo "== $*"; }
step build
time scripts/build-cuda.sh -o /tmp/maskdash-cuda --test 'GorgoniaEngine|GorgoniaWeights|EngineFor|KernelsOnTheGPU' || echo "FAILED: build or GPU checks"
[ -x /tmp/maskdash-cuda ] || exit 1
ref=""
for r in "$here/../shared/bench/torch_ref.py" "$here/shared/bench/torch_ref.py"; do [ -f "$r" ] && ref=$r; done
for b in 64 256; do
  step "batch $b"
  timeout 120 /tmp/maskdash-cuda bench --device cuda --model cnn-s,vgg-s --batch "$b" --seconds 10 --json || echo "FAILED: maskdash bench --device cuda --batch $b"
  if [ -n "$ref" ]; then
    timeout 120 python3 "$ref" --device cuda --batch "$b" --seconds 10 || echo "FAILED: torch_ref.py"
  else
    echo "torch_ref.py not found: PyTorch side skipped"
  fi
done
step "GPU memory after"
nvidia-smi --query-gpu=memory.used --format=csv,noheader || true
