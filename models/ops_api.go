package models

import "github.com/maskdash/maskdash/models/ops"

// LossFunc computes a loss from logits [n, k] (row-major) and writes its
// gradient with respect to the logits into grad: what Net.SetLoss takes
// (the loss op in package ops calls it each step).
type LossFunc = ops.LossFunc

// Workers reports how many goroutines run the ops' parallel sections: the
// compute threads a benchmark should compare with another library's.
func Workers() int { return ops.Workers() }

// SetWinograd turns the Winograd convolutions (package ops) on or off for
// the networks built after it; they are on by default.
func SetWinograd(on bool) { ops.Winograd = on }

// BLASName names the matrix-product library of this build (for bench).
func BLASName() string { return ops.BLASName }

// KernelsName names how this build's inner loops are compiled (for bench).
func KernelsName() string { return ops.KernelsName }
