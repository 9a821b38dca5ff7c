#!/usr/bin/env bash
# The GPU engine on the GPU emulator (build tag gpuemu; models/gpu's
# emu_*.go): every GPU test of models, training, models/cudakern and
# models/gpu, run on the CPU with package gpu's calls emulated, so that
# the engine's own logic (the graph walk, the buffers and the memory plan,
# every op's GPU form, the bf16 path, the kernels' arguments, the device
# loss, the optimizers) is checked on every commit without a GPU. CI runs
# it; what it cannot check (CUDA, cuDNN and cuBLAS themselves, speed)
# waits for scripts/gpu-check.sh on a GPU machine; then the binary itself
# on the emulated GPU (the command line's tests, steer-check.sh). About 7
# minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -tags gpuemu -count=1 -timeout 20m \
  -run 'TestGPU|TestBF16KernelsOnTheGPU|TestKernelsOnTheGPU|TestBatchNormOnTheGPU|TestEmulated' \
  ./models ./models/gpu ./models/cudakern ./training
# The same steps with each pinned upload run at once (a copy stream racing
# ahead, MASKDASH_EMU_EAGER_COPY=1): three steps on three batches must
# still move the weights as the CPU does.
MASKDASH_EMU_EAGER_COPY=1 go test -tags gpuemu -count=1 -run 'TestGPUOptimizersMatchCPU|TestGPUHeldBatch' ./models ./training
# A CutMix or Mixup batch's loss is its two labels' mix, on the host, with
# the loss on the device for plain batches (the default), also when CutMix
# is switched on after plain batches (TestCutMixChangedWhileTraining
# crashed so before the twenty-fourth session's fix); and with the loss on
# the host throughout (MASKDASH_GPU_LOSS=0). The moving average of the
# weights (--ema), which brings the GPU's weights down to average them and
# puts the average up to validate: its run and its resume; and
# --clip-grad's counts of an epoch stopped midway, after a resume.
go test -tags gpuemu -count=1 -run 'TestMixedBatchLossIsTheMix|TestCutMixChangedWhileTraining|TestEMAInARun|TestResumeRepeatsTheSameSteps|TestClipCountsOutliveAResume' ./training
MASKDASH_GPU_LOSS=0 go test -tags gpuemu -count=1 -run 'TestMixedBatchLossIsTheMix|TestCutMixChangedWhileTraining' ./training
# The binary on the emulated GPU, as a user drives it: every test of the
# command line (main_test.go, the dashboard's tmux smoke test included)
# with the binary built for the emulator, where --device auto picks the
# emulated GPU; and steering a cuda run from outside.
MASKDASH_TEST_TAGS=gpuemu go test -tags gpuemu -count=1 -timeout 20m .
# The same with each step queued before the step before's results are
# read (MASKDASH_GPU_PIPELINE=1): the trainer's figures a step late, its
# commands, stops and mixed batches after the step in flight is read
# (about 2 minutes).
MASKDASH_GPU_PIPELINE=1 MASKDASH_TEST_TAGS=gpuemu go test -tags gpuemu -count=1 -timeout 20m .
bin=$(mktemp -d)/maskdash-gpuemu
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -tags gpuemu -o "$bin" .
scripts/steer-check.sh "$bin" --device cuda
MASKDASH_GPU_PIPELINE=1 scripts/steer-check.sh "$bin" --device cuda
