package models

import (
	"slices"

	"github.com/maskdash/maskdash/models/pth"
)

// Source is a tensor of a file (a checkpoint, a PyTorch state_dict) that
// may start one of a net's: its shape, and how to copy its values into
// the net's tensor.
type Source struct {
	Shape []int
	Fill  func(dst []float32) error
}

// Taken is what Take did: the net's tensors it filled, those it left
// fresh (not in the file, or of another shape) and the file's it did not
// use.
type Taken struct {
	Took, Fresh, Unused []string
}

// Take fills every tensor of the net (parameters and BatchNorm
// statistics) that src has by name and shape, but the output layer's
// unless keepOutput; the others keep their fresh values. It does not copy
// them to a GPU (WeightsToDevice).
func (n *Net) Take(src map[string]Source, keepOutput bool) (Taken, error) {
	var x Taken
	have := map[string]bool{}
	for _, p := range append(append([]*Param(nil), n.params...), n.buffers...) {
		have[p.Name] = true
		s, ok := src[p.Name]
		if !ok || !slices.Equal(s.Shape, p.Shape) || (p.Output && !keepOutput) {
			x.Fresh = append(x.Fresh, p.Name)
			continue
		}
		if err := s.Fill(p.Data); err != nil {
			return Taken{}, err
		}
		x.Took = append(x.Took, p.Name)
	}
	for name := range src {
		if !have[name] {
			x.Unused = append(x.Unused, name)
		}
	}
	slices.Sort(x.Unused)
	return x, nil
}

// TorchSources are a PyTorch state_dict's tensors as Sources, by name: a
// tensor of two axes (nn.Linear's weight, [out, in]) turned to this
// package's dense layers' [in, out].
func TorchSources(ts []pth.Tensor) map[string]Source {
	src := map[string]Source{}
	for _, t := range ts {
		shape, data := t.Shape, t.Data
		if len(shape) == 2 {
			r, c := shape[0], shape[1]
			shape, data = []int{c, r}, make([]float32, len(t.Data))
			for i := range r {
				for j := range c {
					data[j*r+i] = t.Data[i*c+j]
				}
			}
		}
		src[t.Name] = Source{Shape: shape, Fill: func(dst []float32) error {
			copy(dst, data)
			return nil
		}}
	}
	return src
}
