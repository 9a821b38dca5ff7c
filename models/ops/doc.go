// Package ops is maskdash's Gorgonia operations and the CPU loops under
// them: each op a G.Op with its gradient ops (SymDiff), float32
// throughout, with buffers reused across steps, and in a cuda or gpuemu
// build each op's GPU forms. Package models puts them in a network's
// graph (apply.go has the functions it calls) and, on a GPU, walks the
// graph calling each op's GPUDo (GPUDoHalf on bfloat16 values).
//
// Files: ops.go holds what every op shares, crew.go the goroutines that
// run their parallel sections and arena.go the backward pass's borrowed
// buffers; conv.go, winograd*.go (forward and input gradient in
// winograd.go, kernel gradient in winograd_dw.go), norm.go, pool.go,
// act.go, dense.go, bias.go and add.go are the ops (subsample.go and
// maxpool3.go too, resnet18's stride 2 and 3×3 pool), concat.go the
// multi-head logits' join, loss_op.go carries the loss into the graph;
// plan.go is the memory plan of a training graph on the CPU; kernels*.go
// and gemm*.go are the inner loops (Go, assembly written by models/asmgen
// in the default build on x86-64, and C with OpenBLAS in the openblas
// build). The GPU forms sit beside the CPU ones in *_gpu.go (conv_gpu.go
// beside conv.go, ...; tags cuda or gpuemu), queueing cuDNN, cuBLAS and
// models/cudakern's kernels through package gpu; gpu_form.go says what
// they ask of the run (GPURun). emu_gemm.go lends the GPU emulator this
// package's SGEMM. opstest holds what the tests here and in package
// models share.
package ops
