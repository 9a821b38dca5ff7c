package models

import "github.com/maskdash/maskdash/models/gpu"

// dxForwardFaster decides, when the GPU engine is left to choose
// (MASKDASH_BF16_DX_FORWARD unset), whether a bfloat16 convolution's
// input gradient runs as the forward convolution of dy with the turned
// kernels: when cuDNN's search timed that form's pick (fwd) under 90% of
// the backward-data pick (bwd). The turn itself is a copy of the kernels,
// microseconds beside either. Without both times (the emulator searches
// nothing) it is the backward-data convolution, cuDNN's own way.
func dxForwardFaster(bwd, fwd gpu.ConvAlgorithm) bool {
	return bwd.SearchMs > 0 && fwd.SearchMs > 0 && fwd.SearchMs < 0.9*bwd.SearchMs
}
