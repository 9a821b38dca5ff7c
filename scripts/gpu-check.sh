#!/usr/bin/env bash
# The one script to run on a GPU machine (CUDA 12/13, cuDNN 9, no Go, no
# network). Prepare it here (about 45 s):
#
#   ../shared/gpu/pack-go.sh                     # Go, vendor/, Gorgonia's .cu into .gpu/
#   tar -cf - vendor | xz -T2 > .gpu/vendor.tar.xz && cp ../shared/bench/torch_ref.py .gpu/
#   mkdir -p .gpu/tmux && cp /usr/bin/tmux /lib/x86_64-linux-gnu/libutempter.so.0 \
#     /lib/x86_64-linux-gnu/libevent_core-2.1.so.7 .gpu/tmux/   # the H200 machine has no tmux
#
# then run it there with the device tool: carry [".gpu"], command
#   scripts/gpu-check.sh
#
# It builds the cuda binary (scripts/build-cuda.sh), runs the GPU checks
# (models: one training step of cnn-s, vgg-s, resnet-s and vgg-s-mh on the
# GPU against the CPU from the same weights — loss, logits, every gradient,
# the running statistics and every evaluation op; weights trained on the
# GPU predicting the same on the CPU; cudakern: every kernel against its C
# form; training: 200 steps of vgg-s against the CPU's curve), then
# `maskdash bench --device cuda` and PyTorch's torch_ref.py at batch 64,
# 256 and 1024, one after the other, with the GPU's utilisation sampled by
# nvidia-smi during each, and both sides' GPU memory. Everything it prints
# goes to $OUT/gpu-check.log; the table to $OUT/gpu-table.txt.
#
# GPU_CHECK names the parts to run. The default, "build tests train bench
# memory dashboard profile", fits in five minutes of device time (measured on the
# H200: build 32 s, tests 62 s, train 12 s, bench 90 s; dashboard is
# tmux-smoke.sh on a cuda run, with a tmux carried in .gpu/tmux where the
# machine has none). bench runs maskdash with the batch held on the GPU, as
# torch_ref.py holds its own, then --precision bf16 against PyTorch's
# channels-last bf16 autocast (scripts/torch-bf16-ref.py) for vgg-s at 256
# and 1024 and cnn-s at 256; profile (every op of a vgg-s step timed,
# MASKDASH_GPU_PROFILE=1, in float32 and bf16, and of a cnn-s step, each
# with cuDNN's picks for every convolution, bf16's profile again and two
# pairs of benches with its input gradients as forward convolutions
# (MASKDASH_BF16_DX_FORWARD=1) against cuDNN's backward-data ones (=0;
# unset, the default rows, picks each convolution's by the search), and
# cuDNN's spatial against persistent BatchNorm: 15 s before the bf16
# pairs). Two more parts: extra (two steps in
# flight, bench --pipeline, against one at a time for cnn-s at 256 and
# 1024 and vgg-s at 256, each with the GPU's busy share: 20 s; the
# training curve with the defaults' alternatives, and bench with strict
# float32, tf32, the batch uploaded every step as training does, without
# the memory plan, cuDNN's BatchNorm and the fused one one after the
# other at 256 and 1024, with the max pools by
# md_pool2k_* (MASKDASH_GPU_POOL=1), resnet18 at 224×224 against PyTorch's
# (scripts/torch_resnet18.py), and the loss on the host
# against the loss on the GPU, torch.compile's bf16 figure, bf16 without
# the memory plan, with cuDNN's BatchNorm (MASKDASH_BF16_CUDNN_BN=1),
# bf16 with and without its padded first layer (MASKDASH_BF16_PAD) and
# bf16's per-op profile: 90 s measured before the bf16 runs were added),
# cli (every command-line test of
# main_test.go with the cuda binary, as scripts/gpuemu-check.sh runs them
# on the emulator, where they take 60 s on two cores). Measured on the
# H100 (twenty-fourth session): the default parts but profile 274 s
# (build 27, tests 56, train 21, bench 146, memory 12, dashboard 9),
# extra and profile 169 s. With little device time left, GPU_CHECK="build
# profile" shows in under a minute whether bf16's convolutions run as
# fast as their search timed them. The GPU engine's
# switches (models/gpu_switches_cuda.go: 1 on, 0 off): MASKDASH_GPU_PLAN
# (the memory plan, on), MASKDASH_BN_PERSISTENT (cuDNN's persistent
# BatchNorm, on), MASKDASH_GPU_FUSED_BN (the fused BatchNorm + ReLU
# kernels, off), MASKDASH_GPU_LOSS (the loss computed on the GPU, on),
# MASKDASH_BF16_CUDNN_BN (bf16's BatchNorm through cuDNN, off),
# MASKDASH_BF16_PAD (bf16's batch padded from 3 to 8 channels for the
# first convolution, on), MASKDASH_GPU_POOL (the max pools by
# md_pool2k_*, off), MASKDASH_BF16_DX_FORWARD (bf16's input gradients as
# forward convolutions of dy with the kernels turned: 1 always, 0 never,
# unset each convolution's faster form by cuDNN's search times; the
# profile lists each choice),
# MASKDASH_GPU_PIPELINE (the trainer's two steps in flight, off).
# Each go test's whole output is kept in $OUT/test-*.log.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$here}
exec > >(tee "$out/gpu-check.log") 2>&1
cd "$here" || exit 1
step() { echo; echo "== $(date +%T) $*"; }
parts=" ${GPU_CHECK:-build tests train bench memory dashboard profile} "
want() { [[ "$parts" == *" $1 "* ]]; }
[ -d vendor ] || { [ -f .gpu/vendor.tar.xz ] && tar -xJf .gpu/vendor.tar.xz; }
[ -f .gpu/env.sh ] && source .gpu/env.sh
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
go version || { echo "no Go: run ../shared/gpu/pack-go.sh here first"; exit 1; }
bin=/tmp/maskdash-cuda
# A second run on a machine still warm from the first may leave "build"
# out of GPU_CHECK: the binary and its PTX from the first are used.
if want build || [ ! -x $bin ] || [ ! -f $bin.kernels.ptx ]; then
  step build
  time scripts/build-cuda.sh -o $bin || { echo "FAILED: build"; exit 1; }
else
  step "build: skipped, using $bin from the last run"
fi
export MASKDASH_KERNELS=$bin.kernels.ptx
# The tests link as build-cuda.sh does: the compatibility headers first,
# the driver through CUDA's link stub (the real one loads at run time).
cuda=${CUDA_HOME:-/usr/local/cuda}
cudnn=${CUDNN_HOME:-$(python3 -c 'import nvidia.cudnn as m; print(m.__path__[0])' 2>/dev/null || echo /usr)}
mkdir -p /tmp/cudalib && ln -sf "$cudnn/lib/libcudnn.so.9" /tmp/cudalib/libcudnn.so
export CGO_CFLAGS="-I$here/gpu/include -I$cuda/include -I$cudnn/include"
export CGO_LDFLAGS="-L/tmp/cudalib -L$cudnn/lib -L$cuda/lib64 -L$cuda/lib64/stubs"
export LD_LIBRARY_PATH="$cudnn/lib:$cuda/lib64:${LD_LIBRARY_PATH:-}"
tags="cuda"
# -timeout: a test that hangs prints every goroutine's stack and ends (a
# hang in the training curve ate a whole run once, with nothing to show).
# Each test's whole output goes to $OUT/test-*.log (a hang's goroutine
# dump with it); the log here gets its tail.
gotest() { local name=$1; shift; go test -tags "$tags" -count=1 "$@" > "$out/test-$name.log" 2>&1; local rc=$?; grep -v '^=== RUN' "$out/test-$name.log" | tail -150; return $rc; }
if want tests; then
step "GPU checks"
gotest models -timeout 180s -v -run 'TestGPU|TestDeviceFor' ./models || echo "FAILED: models GPU checks"
gotest gpu -timeout 60s -v -run 'TestBatchNormOnTheGPU' ./models/gpu || echo "FAILED: BatchNorm on the GPU"
gotest kernels -timeout 60s -v -run 'TestKernelsOnTheGPU|TestBF16KernelsOnTheGPU|TestFusedBNReLU' ./models/cudakern || echo "FAILED: kernels on the GPU"
gotest training -timeout 150s -v -run 'TestGPU' ./training || echo "FAILED: training curve"
# A CutMix or Mixup batch's loss is its two labels' mix on the GPU too, with the
# loss on the device for plain batches (the default) and on the host.
gotest cutmix -timeout 90s -v -run 'TestMixedBatchLossIsTheMix|TestCutMixChangedWhileTraining' ./training || echo "FAILED: a mixed batch's loss on the GPU"
MASKDASH_GPU_LOSS=0 gotest cutmix-host -timeout 60s -v -run 'TestMixedBatchLossIsTheMix' ./training || echo "FAILED: a mixed batch's loss on the GPU, the host loss"
fi
if want extra; then
step "the training curve with the defaults' alternatives"
# …with the fused BatchNorm, and without the memory plan with cuDNN's
# spatial BatchNorm (the alternatives to the defaults).
MASKDASH_GPU_FUSED_BN=1 gotest training-fused -timeout 90s -v -run 'TestGPU' ./training || echo "FAILED: training curve with the fused BatchNorm"
MASKDASH_GPU_PLAN=0 MASKDASH_BN_PERSISTENT=0 gotest training-spatial -timeout 90s -v -run 'TestGPU' ./training || echo "FAILED: training curve, no plan, spatial BatchNorm"
# …and bf16's curve with its input gradients as forward convolutions
# (MASKDASH_BF16_DX_FORWARD=1), before the profile part's speed says
# whether to turn them on.
MASKDASH_BF16_DX_FORWARD=1 gotest training-dxfwd -timeout 90s -v -run 'TestGPUTrainingCurveMatchesCPU' ./training || echo "FAILED: training curve, bf16's input gradients forward"
fi
if want cli; then
step "every command-line test with the cuda binary (--device auto picks the GPU)"
MASKDASH_TEST_TAGS="$tags" gotest cli -timeout 600s . || echo "FAILED: command-line tests on the GPU"
fi
if want train; then
step "maskdash train --device cuda (synthetic set), resume, eval on the CPU"
runs=/tmp/gpu-runs
rm -rf $runs
timeout 120 $bin train --headless --device cuda --model vgg-s --epochs 2 --runs $runs --name gpu 2>&1 | grep -v "^step" | tail -6 || echo "FAILED: train --device cuda"
run=""; for d in "$runs"/*/; do [ -f "$d/run.json" ] && run=$(basename "$d") && break; done
timeout 120 $bin resume "$run" --runs $runs --epochs 3 --headless 2>&1 | grep -v "^step" | tail -3 || echo "FAILED: resume --device cuda"
timeout 60 $bin eval "$run" --runs $runs 2>&1 | tail -4 || echo "FAILED: eval on the CPU"
# The layers measured on the GPU (weights and gradients brought down every 5 s).
timeout 30 $bin layers "$run" --runs $runs 2>&1 | head -8 || echo "FAILED: layers of a cuda run"
timeout 150 scripts/steer-check.sh $bin --device cuda || echo "FAILED: steering a cuda run"
# The same training with each step queued before the step before's
# results are read (MASKDASH_GPU_PIPELINE=1): its figures beside the run
# above's, within their last digits, and its speed in its step lines.
MASKDASH_GPU_PIPELINE=1 timeout 120 $bin train --headless --device cuda --model vgg-s --epochs 2 --runs $runs --name gpu-pipeline 2>&1 | grep -v "^step" | tail -6 || echo "FAILED: train with MASKDASH_GPU_PIPELINE=1"
# bf16, validating a moving average of the weights kept on the GPU
# (--ema: md_ema each step, md_swap around the validation; the epoch's
# line gives the training weights' F1 beside the average's).
timeout 120 $bin train --headless --device cuda --precision bf16 --ema 0.99 --model vgg-s --epochs 1 --runs $runs --name gpu-bf16 2>&1 | grep -v "^step" | tail -4 || echo "FAILED: train --precision bf16 --ema 0.99"
# A child for one task on the GPU: the parent's tensors frozen for an
# epoch (the training graph laid out again without their backward pass,
# the update kernels skip them, then count their own steps), then at a
# tenth of the rate with b1 fixed throughout (laid out again once more);
# and the class maps of the cuda run, on the CPU.
timeout 120 $bin train --headless --device cuda --from "$run" --runs $runs --task age --freeze-epochs 1 --from-lr-scale 0.1 --freeze-layers b1 --epochs 2 --name gpu-age 2>&1 | grep -v "^step" | tail -4 || echo "FAILED: a child run of other classes on the GPU"
timeout 60 $bin errors "$run" --runs $runs --top 2 --cam pred --images plain --size 4 2>&1 | tail -6 || echo "FAILED: class maps of a cuda run"
# The range test on the GPU: the rate changes every step (the update
# kernels take it as an argument); its suggestion beside the CPU's.
for d in cuda cpu; do timeout 90 $bin lrfind --device $d --model cnn-s --steps 60 2>/dev/null | grep "^suggested" | sed "s/^/$d: /" || echo "FAILED: lrfind --device $d"; done
fi
ref=""
for r in "$here/.gpu/torch_ref.py" "$here/../shared/bench/torch_ref.py"; do [ -f "$r" ] && ref=$r && break; done
# GPU utilisation, sampled every 100 ms with nvidia-smi's timestamps.
# busy: the mean of the non-zero samples (PyTorch's side, whose timed
# steps are not marked); window: the mean over maskdash bench's timed
# steps alone (timed_from_unix_ms to timed_to_unix_ms in its JSON), the
# set-up and cuDNN's algorithm search left out.
sample() { nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 100 > "$1" 2>/dev/null & echo $!; }
busy() { awk -F, '$2>0 {s+=$2; n++} END {if (n) printf "%.0f", s/n; else printf "?"}' "$1"; }
window() { # window SAMPLES JSON
  python3 - "$1" "$2" <<'PY' 2>/dev/null || printf "?"
import datetime, json, sys
j = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
lo, hi = j["timed_from_unix_ms"], j["timed_to_unix_ms"]
u = []
for line in open(sys.argv[1]):
    f = [x.strip() for x in line.split(",")]
    t = datetime.datetime.strptime(f[0], "%Y/%m/%d %H:%M:%S.%f").timestamp() * 1000
    if lo <= t <= hi:
        u.append(float(f[1]))
print("%.0f" % (sum(u) / len(u)) if u else "?", end="")
PY
}
table="$out/gpu-table.txt"
if want bench; then
echo "model batch precision maskdash_img_s gpu_busy_pct busy_timed_pct torch_img_s torch_busy_pct ratio host_wait_pct host_queue_pct" > "$table"
# row MODEL BATCH PRECISION: maskdash bench, then PyTorch's same step
# (torch_ref.py for fp32; for bf16 channels-last bf16 autocast,
# scripts/torch-bf16-ref.py), one after the other, into the table.
row() {
  local m=$1 b=$2 p=$3 md th="" tb="?" pid ratio wait queue
  step "bench $m batch $b $p"
  pid=$(sample /tmp/u-md.csv)
  timeout 60 $bin bench --device cuda --model $m --batch $b --seconds 2 --precision $p --json > /tmp/md.json
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  cat /tmp/md.json
  md=$(sed -n 's/.*"images_per_s":\([0-9.]*\).*/\1/p' /tmp/md.json)
  # The share of the timed steps the host sat waiting for the GPU (bench's
  # gpu_wait_pct): near 100 the GPU sets the pace; far below, the host's
  # queueing of a step does, and the GPU idles for part of it.
  wait=$(sed -n 's/.*"gpu_wait_pct":\([0-9.]*\).*/\1/p' /tmp/md.json | awk '{printf "%.0f", $1}')
  # The share it spent queueing the step's work (gpu_queue_pct); bench's
  # stderr, in this log, has it by call ("host time per step").
  queue=$(sed -n 's/.*"gpu_queue_pct":\([0-9.]*\).*/\1/p' /tmp/md.json | awk '{printf "%.0f", $1}')
  if [ -n "$ref" ]; then
    pid=$(sample /tmp/u-th.csv)
    if [ "$p" = bf16 ]; then
      th=$(timeout 120 python3 scripts/torch-bf16-ref.py --ref "$(dirname "$ref")" --models $m --batch $b --seconds 2 | tee /dev/stderr | sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p')
    else
      th=$(timeout 120 python3 "$ref" --device cuda --models $m --batch $b --seconds 2 | tee /dev/stderr | sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p')
    fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    tb=$(busy /tmp/u-th.csv)
  fi
  ratio=$(awk -v a="${md:-0}" -v b="${th:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')
  echo "$m $b $p ${md:-FAILED} $(busy /tmp/u-md.csv) $(window /tmp/u-md.csv /tmp/md.json) ${th:-?} $tb $ratio ${wait:-?} ${queue:-?}" | tee -a "$table"
}
for b in 64 256 1024; do
  for m in cnn-s vgg-s; do row $m $b fp32; done
done
for mb in "vgg-s 256" "vgg-s 1024" "cnn-s 256"; do row $mb bf16; done
step table
column -t "$table" 2>/dev/null || cat "$table"
step "issue 13's goals, read from the table"
# met / not met for each goal the table measures: vgg-s and cnn-s at 256
# against PyTorch fp32 (1.0x), bf16 against PyTorch's channels-last bf16
# (1.0x) and 65,000 images/s, and the GPU 90% busy over the timed steps.
awk 'NR > 1 {
  m = $1 " " $2 " " $3
  if ($9 == "?" || $4 == "FAILED") { printf "%-18s no ratio (maskdash %s, PyTorch %s)\n", m, $4, $7; next }
  if ($2 == 256 && $3 == "fp32") printf "%-18s %6.2fx PyTorch fp32 (goal 1.0x): %s\n", m, $9, ($9 + 0 >= 1.0 ? "met" : "NOT met")
  if ($2 == 256 && $3 == "bf16" && $1 == "vgg-s") printf "%-18s %6.2fx PyTorch bf16 (goal 1.0x): %s; %.0f images/s (goal 65,000): %s\n", m, $9, ($9 + 0 >= 1.0 ? "met" : "NOT met"), $4, ($4 + 0 >= 65000 ? "met" : "NOT met")
  why = ($10 + 0 >= 50 ? "the GPU sets the pace: gaps inside the step" : ($11 != "?" && $11 + 0 >= 50 ? "the host queueing the step sets the pace: its calls are timed in the log, \"host time per step\"" : "neither wait nor queueing fills the step: the bench loop or locks"))
  if ($6 != "?") printf "%-18s GPU %s%% busy over the timed steps (goal 90%%): %s%s\n", m, $6, ($6 + 0 >= 90 ? "met" : "NOT met"), ($6 + 0 < 90 && $10 != "?" ? sprintf("; the host waited for it %s%% of the time and queued its work %s%% (%s)", $10, $11, why) : "")
}' "$table"
fi
if want extra; then
step "two steps in flight (bench --pipeline: each step and its update queued before the step before's results are read) against one at a time, with the GPU's busy share over the timed steps"
for mb in "cnn-s 256" "vgg-s 256" "cnn-s 1024"; do
  set -- $mb
  for p in "" --pipeline; do
    pid=$(sample /tmp/u-pipe.csv)
    timeout 60 $bin bench --device cuda --model $1 --batch $2 --seconds 3 $p --json > /tmp/pipe.json || echo "FAILED: bench $p"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    echo "${p:-one at a time}: busy $(window /tmp/u-pipe.csv /tmp/pipe.json)% $(cat /tmp/pipe.json)"
  done
done
step "strict float32 and tf32, and the batch uploaded every step, vgg-s batch 256"
for p in strict tf32; do timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 3 --precision $p --json || echo "FAILED: --precision $p"; done
for m in vgg-s cnn-s; do timeout 60 $bin bench --device cuda --model $m --batch 256 --seconds 3 --upload --json || echo "FAILED: --upload"; done
step "without the memory plan (MASKDASH_GPU_PLAN=0), and with the fused BatchNorm (MASKDASH_GPU_FUSED_BN=1): gpu_mib and speed"
for b in 256 1024; do MASKDASH_GPU_PLAN=0 timeout 60 $bin bench --device cuda --model vgg-s,cnn-s --batch $b --seconds 3 --json | sed 's/^/no plan: /' || echo "FAILED: no plan"; done
for b in 256 1024; do
  timeout 60 $bin bench --device cuda --model vgg-s --batch $b --seconds 3 --json | sed 's/^/cuDNN BN: /' || echo "FAILED: cuDNN BN"
  MASKDASH_GPU_FUSED_BN=1 timeout 60 $bin bench --device cuda --model vgg-s --batch $b --seconds 3 --json | sed 's/^/fused: /' || echo "FAILED: fused"
done
step "bf16: PyTorch's torch.compile (the issue's second goal), and the bf16 training curve's alternatives"
[ -n "$ref" ] && timeout 180 python3 scripts/torch-bf16-ref.py --ref "$(dirname "$ref")" --models vgg-s --batch 256 --seconds 3 --compile || echo "FAILED: torch.compile"
MASKDASH_GPU_PLAN=0 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 3 --precision bf16 --json | sed 's/^/bf16, no plan: /' || echo "FAILED: bf16 no plan"
for p in 1 0; do MASKDASH_BF16_CUDNN_BN=1 MASKDASH_BN_PERSISTENT=$p timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 3 --precision bf16 --json | sed "s/^/bf16, cuDNN BatchNorm (persistent $p): /" || echo "FAILED: bf16 cuDNN BatchNorm"; done
MASKDASH_GPU_PROFILE=1 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --steps 20 --precision bf16 || echo "FAILED: bf16 profile"
step "bf16: the batch's colours padded to 8 channels (the default) and not (MASKDASH_BF16_PAD=0), one after the other"
for p in 1 0; do MASKDASH_BF16_PAD=$p timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 3 --precision bf16 --json | sed "s/^/bf16, pad $p: /" || echo "FAILED: bf16 pad $p"; done
step "max pooling by cuDNN and by md_pool2k_* (MASKDASH_GPU_POOL=1), one after the other"
for b in 256 1024; do
  timeout 60 $bin bench --device cuda --model vgg-s --batch $b --seconds 3 --json | sed 's/^/cuDNN pool:   /' || echo "FAILED: cuDNN pool"
  MASKDASH_GPU_POOL=1 timeout 60 $bin bench --device cuda --model vgg-s --batch $b --seconds 3 --json | sed 's/^/pool kernels: /' || echo "FAILED: pool kernels"
done
step "resnet18 (its subsample and 3x3 pool by md_subsample*, md_maxpool3*) at 224x224, batch 64: maskdash, then PyTorch's (scripts/torch_resnet18.py)"
timeout 90 $bin bench --device cuda --model resnet18 --img 224x224 --batch 64 --seconds 3 --json || echo "FAILED: resnet18"
timeout 90 python3 scripts/torch_resnet18.py --device cuda --img 224 --batch 64 --seconds 3 || echo "FAILED: PyTorch's resnet18"
step "the loss on the host (MASKDASH_GPU_LOSS=0) and on the GPU (the default), one after the other"
for mb in "vgg-s 256" "cnn-s 1024"; do
  set -- $mb
  MASKDASH_GPU_LOSS=0 timeout 60 $bin bench --device cuda --model $1 --batch $2 --seconds 3 --json | sed 's/^/host loss:   /' || echo "FAILED: host loss"
  MASKDASH_GPU_LOSS=1 timeout 60 $bin bench --device cuda --model $1 --batch $2 --seconds 3 --json | sed 's/^/device loss: /' || echo "FAILED: device loss"
done
fi
if want profile; then
step "profile: every op timed (vgg-s 256, cnn-s 1024); spatial against persistent BatchNorm"
MASKDASH_GPU_PROFILE=1 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --steps 20 || echo "FAILED: profile"
MASKDASH_GPU_PROFILE=1 timeout 60 $bin bench --device cuda --model cnn-s --batch 1024 --steps 20 || echo "FAILED: profile"
MASKDASH_GPU_PROFILE=1 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --steps 20 --precision bf16 || echo "FAILED: bf16 profile"
MASKDASH_BF16_DX_FORWARD=1 MASKDASH_GPU_PROFILE=1 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --steps 20 --precision bf16 | sed 's/^/input gradients forward: /' || echo "FAILED: bf16 profile, input gradients forward"
for p in 0 1 0 1; do MASKDASH_BF16_DX_FORWARD=$p timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 2 --precision bf16 --json | sed "s/^/bf16, input gradients forward $p: /" || echo "FAILED: bf16, input gradients forward $p"; done
MASKDASH_BN_PERSISTENT=0 MASKDASH_GPU_FUSED_BN=0 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 2 --json | sed "s/^/spatial:    /"
MASKDASH_BN_PERSISTENT=1 timeout 60 $bin bench --device cuda --model vgg-s --batch 256 --seconds 2 --json | sed 's/^/persistent: /'
fi
if want memory; then
step "GPU memory (PyTorch's peak per batch)"
[ -n "$ref" ] && timeout 120 python3 scripts/torch-gpu-memory.py --ref "$(dirname "$ref")" || echo "FAILED: torch memory"
fi
if want dashboard; then
step "the dashboard's keys on a cuda run (scripts/tmux-smoke.sh: --device auto picks the GPU)"
if ! command -v tmux >/dev/null && [ -x .gpu/tmux/tmux ]; then
  export PATH="$here/.gpu/tmux:$PATH" LD_LIBRARY_PATH="$here/.gpu/tmux:$LD_LIBRARY_PATH"
fi
if command -v tmux >/dev/null && tmux -V; then
  timeout 240 scripts/tmux-smoke.sh $bin || echo "FAILED: the dashboard on a cuda run"
else
  echo "no tmux that runs on this machine (none installed, none carried in .gpu/tmux): the dashboard's keys were not tried"
fi
fi
step "summary"
grep -E "^(--- FAIL|FAIL|FAILED|panic:)" "$out/gpu-check.log" | grep -v "^step" || echo "no failures"
