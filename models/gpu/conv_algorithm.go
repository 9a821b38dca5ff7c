package gpu

import "fmt"

// ConvAlgorithm is one pass of a convolution as cuDNN runs it: the
// algorithm its search picked (cuDNN's number), the math type the pick
// was timed and runs in (cuDNN's cudnnMathType_t: 0 default, 1 tensor
// cores, 2 tensor cores with down-conversion, 3 float32 FMA only) and
// the workspace bytes it needs; SearchMs is its time in the search, to
// set beside what the profile measures it at when it runs.
type ConvAlgorithm struct {
	Algo, Math int
	Workspace  int64
	SearchMs   float64
}

// ConvAlgorithms are a convolution's three passes. Searched is false
// in the emulator, which searches nothing.
type ConvAlgorithms struct {
	Forward, InputGrad, KernelGrad ConvAlgorithm
	Searched                       bool
}

// String reads "algo 1 math 1 ws 4.0 MiB 0.120 ms".
func (a ConvAlgorithm) String() string {
	return fmt.Sprintf("algo %d math %d ws %.1f MiB %.3f ms", a.Algo, a.Math, float64(a.Workspace)/(1<<20), a.SearchMs)
}
