//go:build cuda || gpuemu

package models

import (
	"errors"

	"github.com/maskdash/maskdash/models/gpu"
)

// errNoAverage is the error of an average used before startAverage.
var errNoAverage = errors.New("the GPU keeps no average of the weights: StartAverage first")

// The moving average of the weights (training's --ema) kept on the GPU
// beside them: every weight and running statistic has an average buffer
// (gpuNet.avg), which md_ema moves toward it after a step with nothing
// downloaded, and md_swap exchanges with it while the average stands in
// for the weights (validation, a checkpoint).

// startAverage makes the average the weights now (allocating it the
// first time).
func (g *gpuNet) startAverage(n *Net) error {
	if g.avg == nil {
		g.avg = map[*Param]gpu.Buffer{}
	}
	for _, p := range n.stateParams() {
		if _, ok := g.avg[p]; !ok {
			b, err := g.dev.Alloc(len(p.Data))
			if err != nil {
				return err
			}
			g.avg[p] = b
		}
		if err := g.dev.Copy(g.avg[p], g.weights[p], len(p.Data)); err != nil {
			return err
		}
	}
	return nil
}

// averageMissing is the error of an average used before startAverage.
func (g *gpuNet) averageMissing() error {
	if g.avg == nil {
		return errNoAverage
	}
	return nil
}

// updateAverage queues avg += k·(w − avg) for every tensor.
func (g *gpuNet) updateAverage(n *Net, k float32) error {
	if err := g.averageMissing(); err != nil {
		return err
	}
	for _, p := range n.stateParams() {
		if err := g.dev.Launch("md_ema", len(p.Data), len(p.Data), g.avg[p], g.weights[p], k); err != nil {
			return err
		}
	}
	return nil
}

// swapAverage exchanges the weights and their average on the device.
func (g *gpuNet) swapAverage(n *Net) error {
	if err := g.averageMissing(); err != nil {
		return err
	}
	for _, p := range n.stateParams() {
		if err := g.dev.Launch("md_swap", len(p.Data), len(p.Data), g.weights[p], g.avg[p]); err != nil {
			return err
		}
	}
	return nil
}

// averageToHost downloads the average buffers into dst, one slice a
// tensor in stateParams' order.
func (g *gpuNet) averageToHost(n *Net, dst [][]float32) error {
	if err := g.averageMissing(); err != nil {
		return err
	}
	for i, p := range n.stateParams() {
		if err := gpu.Download(g.dev, dst[i], g.avg[p]); err != nil {
			return err
		}
	}
	return nil
}
