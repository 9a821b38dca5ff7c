package models

import "github.com/maskdash/maskdash/models/cudaprobe"

// GPUProblem says why no GPU can be used here ("" when one answers).
func GPUProblem() string { return cudaprobe.Problem() }
