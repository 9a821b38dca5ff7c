//go:build cuda || gpuemu

package models

import (
	"math"

	"github.com/maskdash/maskdash/models/gpu"
)

// clipGrads queues gradient clipping's sum and decision (PyTorch's
// clip_grad_norm_) with no synchronisation: md_clip_sumsq adds each
// trained tensor's g·g into g.clip[0], md_clip_decide turns it into the
// coefficient g.clip[1] and counts the step; update then scales each
// gradient by it (md_clip_scale) before its rule. The counts stay on the
// device until clipCounts.
func (g *gpuNet) clipGrads(n *Net, limit float64) error {
	d := g.dev
	if g.clip.Nil() {
		var err error
		if g.clip, err = d.Alloc(12); err != nil { // six float64
			return err
		}
		if err := d.Zero(g.clip); err != nil {
			return err
		}
	}
	for i, p := range n.params {
		if p.Frozen {
			continue
		}
		size := len(p.Data)
		chunks := min(size, 1024)
		if err := d.Launch("md_clip_sumsq", chunks, size, chunks, g.train.buf[n.train.grads[i]], g.clip); err != nil {
			return err
		}
	}
	return d.Launch("md_clip_decide", 1, limit, g.clip)
}

// clipCounts downloads the clipping counted since the last call, and
// zeroes the counts.
func (g *gpuNet) clipCounts() (ClipCounts, error) {
	if g.clip.Nil() {
		return ClipCounts{}, nil
	}
	var raw [12]float32
	if err := gpu.Download(g.dev, raw[:], g.clip); err != nil {
		return ClipCounts{}, err
	}
	v := func(k int) float64 {
		return math.Float64frombits(uint64(math.Float32bits(raw[2*k])) | uint64(math.Float32bits(raw[2*k+1]))<<32)
	}
	c := ClipCounts{Steps: int(v(2)), Clipped: int(v(3)), NormSum: v(4), NormMax: v(5)}
	return c, g.dev.Zero(g.clip)
}
