package models

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
)

// Layer is one op of a net's evaluation graph, as a summary lists it
// (torchinfo's rows): what it is, what it gives an image, what it learns.
type Layer struct {
	Op     string `json:"op"`
	Name   string `json:"name,omitempty"` // its parameters' prefix (b1.conv); "" for an op without any
	Out    []int  `json:"output"`         // its output for one image
	Params int    `json:"params"`         // the learnable values it reads
	// MACs are its multiply-adds for one image (convolutions and dense
	// layers).
	MACs float64 `json:"macs"`
}

// Summary lists the ops of the net's evaluation graph for one image, in
// the order they run: each op's output shape, the learnable values it
// reads and its multiply-adds. The shapes show what each layer hands the
// next (how many values cnn-s's dense layer reads from its flattened
// map, say). The net's weights are not touched.
func (n *Net) Summary() ([]Layer, error) {
	gr, err := n.build(1, false, nil, nil)
	if err != nil {
		return nil, err
	}
	sorted, err := G.Sort(gr.g)
	if err != nil {
		return nil, fmt.Errorf("summary of %s: %w", n.Spec.Name, err)
	}
	var out []Layer
	for i := len(sorted) - 1; i >= 0; i-- { // Sort puts the output first
		nd := sorted[i]
		if nd.Op() == nil {
			continue
		}
		l := Layer{Op: nd.Op().String(), Out: append([]int(nil), nd.Shape()[1:]...)}
		for _, in := range graphChildren(nd) {
			p, ok := n.byName[in.Name()]
			if !ok || in.Op() != nil {
				continue
			}
			l.Params += len(p.Data)
			if l.Name == "" {
				l.Name = strings.TrimSuffix(strings.TrimSuffix(p.Name, ".weight"), ".bias")
			}
			switch len(p.Shape) {
			case 4: // cout × cin × k × k, at every output position
				l.MACs += float64(len(p.Data) * l.Out[1] * l.Out[2])
			case 2: // in × out
				l.MACs += float64(len(p.Data))
			}
		}
		out = append(out, l)
	}
	return out, nil
}
