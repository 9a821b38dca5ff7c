#!/usr/bin/env bash
# The cuda build on a machine without a GPU: it starts (Gorgonia's cu
# package would exit in its init; models/cudaprobe keeps the failure
# instead), --device auto trains on the CPU, and --device cuda says why it
# cannot in one sentence. Uses ../shared/gpu/sdk.sh (CUDA 13 and cuDNN 9
# headers and stub libraries: every CUDA call fails, as without a GPU).
# Usage: scripts/cuda-nogpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sdk=../shared/gpu/sdk.sh
[ -f "$sdk" ] || { echo "no $sdk: nothing to check"; exit 0; }
# shellcheck disable=SC1090
source "$sdk"
bin=$(mktemp -d)/maskdash-cuda
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -tags cuda -o "$bin" .
out=$("$bin" bench --model cnn-s --steps 2 2>&1) || { echo "FAIL: the cuda build does not run without a GPU:"; echo "$out"; exit 1; }
echo "$out" | grep -q "own ops on cpu" || { echo "FAIL: --device auto did not train on the CPU:"; echo "$out"; exit 1; }
if out=$("$bin" bench --model cnn-s --steps 2 --device cuda 2>&1); then
  echo "FAIL: --device cuda without a GPU was accepted:"; echo "$out"; exit 1
fi
echo "$out" | grep -q "device cuda: cuInit failed" || { echo "FAIL: --device cuda without a GPU: $out"; exit 1; }
echo "cuda build without a GPU: starts, auto trains on the CPU, cuda refused with: $(echo "$out" | tail -1)"
