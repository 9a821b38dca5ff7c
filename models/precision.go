package models

import "fmt"

// Device is where a net's ops run.
type Device int

// The devices.
const (
	DeviceCPU  Device = iota // package ops's ops on the cores
	DeviceCUDA               // the same graph on an NVIDIA GPU (a cuda build)
)

// String is the device's name as flags and reports spell it.
func (d Device) String() string {
	if d == DeviceCUDA {
		return "cuda"
	}
	return "cpu"
}

// Precision is the GPU's arithmetic. The CPU computes in float32
// throughout whatever it says.
type Precision int

const (
	// PrecisionFP32 is float32 with TF32 tensor cores allowed in the
	// convolutions: PyTorch's default on the GPU.
	PrecisionFP32 Precision = iota
	// PrecisionTF32 allows TF32 in the dense layers' products too.
	PrecisionTF32
	// PrecisionStrict is float32 everywhere, no TF32: what the GPU checks
	// compare with the CPU.
	PrecisionStrict
	// PrecisionBF16 is bfloat16 activations and activation gradients in
	// NHWC order with float32 master weights, BatchNorm statistics, heads
	// and loss (gpu_half_cuda.go); its kernels are checked on the CPU, the
	// whole path has not yet run on a GPU (NOTES.md).
	PrecisionBF16
)

// PrecisionNames are the names ParsePrecision takes.
var PrecisionNames = []string{"fp32", "tf32", "strict", "bf16"}

// ParsePrecision reads a precision's name ("" is fp32).
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "", "fp32":
		return PrecisionFP32, nil
	case "tf32":
		return PrecisionTF32, nil
	case "strict":
		return PrecisionStrict, nil
	case "bf16":
		return PrecisionBF16, nil
	}
	return 0, fmt.Errorf("precision %q is unknown; use fp32, tf32, strict or bf16", s)
}

// String is the precision's name.
func (p Precision) String() string { return PrecisionNames[p] }

// CPUPrecisionNote is the warning for a run on the CPU that asked for p:
// the precision is the GPU's; the CPU computes in float32.
func CPUPrecisionNote(p Precision) string {
	return fmt.Sprintf("--precision %s is the GPU's arithmetic: on the CPU this computes in float32", p)
}
