//go:build cuda || gpuemu

package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/maskdash/maskdash/models/gpu"
)

// The dense layer's GPU forms: cuBLAS's products and a bias kernel. Its
// values are float32; under bf16 only its input may be bfloat16 NHWC (a
// dense layer on a four-dimensional value: cnn-s), flattened in the
// float32 graph's order into scratch memory first.

// GPUDo computes x·w + b (inputs x [N, K], w [K, O], b [O]).
func (op *LinearOp) GPUDo(r GPURun, nd *G.Node) error {
	x, w := r.Inputs(nd)[0].Shape(), r.Inputs(nd)[1].Shape()
	return linear(r, nd, x[0], w[0], w[1], inBuf(r, nd, 0))
}

// GPUDoHalf flattens bfloat16 NHWC x, then computes GPUDo's product.
func (op *LinearOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	s, w := r.Inputs(nd)[0].Shape(), r.Inputs(nd)[1].Shape()
	flat := r.Scratch().Flat
	if err := r.Device().Launch("md_to_nchw_f", s.TotalSize(), s[0], s[1], s[2]*s[3], inBuf(r, nd, 0), flat); err != nil {
		return err
	}
	return linear(r, nd, s[0], w[0], w[1], flat)
}

func linear(r GPURun, nd *G.Node, n, k, o int, x gpu.Buffer) error {
	d, out := r.Device(), r.Buf(nd)
	if err := d.Gemm(false, false, n, o, k, 1, x, inBuf(r, nd, 1), 0, out); err != nil {
		return err
	}
	return d.Launch("md_bias_add", n*o, n, o, 1, out, inBuf(r, nd, 2))
}

// GPUDo computes dx, dw or db by Which (inputs x, w and dy).
func (op *LinGradOp) GPUDo(r GPURun, nd *G.Node) error {
	d, out := r.Device(), r.Buf(nd)
	w := r.Inputs(nd)[1].Shape()
	k, o := w[0], w[1]
	n := r.Inputs(nd)[2].Shape()[0]
	switch op.Which {
	case 0:
		return d.Gemm(false, true, n, k, o, 1, inBuf(r, nd, 2), inBuf(r, nd, 1), 0, out)
	case 1:
		return d.Gemm(true, false, k, o, n, 1, inBuf(r, nd, 0), inBuf(r, nd, 2), 0, out)
	}
	ones, err := r.Ones(n)
	if err != nil {
		return err
	}
	return d.ColSums(n, o, inBuf(r, nd, 2), ones, out)
}

// GPUDoHalf is GPUDo where x is bfloat16 NHWC: dx goes through the
// float32 flattening into bfloat16, dw reads x flattened; db reads dy
// alone and is GPUDo's.
func (op *LinGradOp) GPUDoHalf(r GPURun, nd *G.Node) error {
	d, out, flat := r.Device(), r.Buf(nd), r.Scratch().Flat
	w := r.Inputs(nd)[1].Shape()
	k, o := w[0], w[1]
	s := r.Inputs(nd)[0].Shape()
	n, c, hw := s[0], s[1], s[2]*s[3]
	switch op.Which {
	case 0:
		if err := d.Gemm(false, true, n, k, o, 1, inBuf(r, nd, 2), inBuf(r, nd, 1), 0, flat); err != nil {
			return err
		}
		return d.Launch("md_to_nhwc_h", nd.Shape().TotalSize(), n, c, hw, flat, out)
	case 1:
		if err := d.Launch("md_to_nchw_f", n*c*hw, n, c, hw, inBuf(r, nd, 0), flat); err != nil {
			return err
		}
		return d.Gemm(true, false, k, o, n, 1, flat, inBuf(r, nd, 2), 0, out)
	}
	return op.GPUDo(r, nd)
}
