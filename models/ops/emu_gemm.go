//go:build gpuemu && !cuda

package ops

import "github.com/maskdash/maskdash/models/gpu"

// The GPU emulator (models/gpu, tag gpuemu) computes its convolutions and
// matrix products with this package's SGEMM, many times faster than
// gonum's, its default.
func init() { gpu.SetEmulatorGemm(Sgemm) }
