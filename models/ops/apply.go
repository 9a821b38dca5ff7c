package ops

import (
	G "gorgonia.org/gorgonia"
)

// The functions here add one of this package's ops to a graph, as a
// network's builder uses them. Each returns the op's output node.

// Conv is a K×K stride-1 "same" convolution of x by the weights w
// (without bias). Its gradient ops borrow their buffers from arena (nil:
// their own); when x is the network's input no input gradient is made.
func Conv(x, w *G.Node, k int, arena *GradArena) (*G.Node, error) {
	op := newConv2dOp(k, k/2)
	op.NoDx = x.Op() == nil
	op.Arena = arena
	return G.ApplyOp(op, x, w)
}

// ChanBias adds a per-channel bias b to x, then a ReLU when relu is set.
func ChanBias(x, b *G.Node, relu bool) (*G.Node, error) {
	return G.ApplyOp(&ChanBiasOp{opBase: newBase("bias"), ReLU: relu}, x, b)
}

// BatchNorm normalises x per channel (the batch's statistics in a
// training graph, st's running ones otherwise, which training moves),
// scales by gamma and shifts by beta, then a ReLU when relu is set.
func BatchNorm(x, gamma, beta *G.Node, st *BNStats, train, relu bool) (*G.Node, error) {
	return G.ApplyOp(&BNOp{opBase: newBase("batchnorm"), Stats: st, Train: train, ReLU: relu}, x, gamma, beta)
}

// Residual is y + x, a residual connection.
func Residual(y, x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&AddOp{opBase: newBase("residual"), rank: y.Dims()}, y, x)
}

// NewGradSum is the op that adds two gradients of the same node (own_graph
// in package models puts it where Gorgonia's autodiff put its own "+").
func NewGradSum(rank int) *AddOp { return &AddOp{opBase: newBase("gradSum"), rank: rank} }

// MaxPool2 is 2×2 max pooling, stride 2; its gradient borrows from arena.
func MaxPool2(x *G.Node, arena *GradArena) (*G.Node, error) {
	return G.ApplyOp(&MaxPool2Op{opBase: newBase("maxpool2"), arena: arena}, x)
}

// GlobalAvgPool is the mean of each channel's plane: [N, C, H, W] → [N, C].
func GlobalAvgPool(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&GAPOp{opBase: newBase("gap")}, x)
}

// ReLU is max(x, 0).
func ReLU(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&ReLUOp{opBase: newBase("relu"), rank: x.Dims()}, x)
}

// Linear is x (flattened past its first axis) times w plus the bias b.
func Linear(x, w, b *G.Node) (*G.Node, error) {
	return G.ApplyOp(&LinearOp{opBase: newBase("linear"), xdims: x.Dims()}, x, w, b)
}

// Dropout zeroes each value with probability p in a training graph (the
// others scaled by 1/(1−p)), its masks drawn from seed (DropMask); it
// passes x through in an evaluation graph.
func Dropout(x *G.Node, p float64, train bool, seed uint64) (*G.Node, error) {
	return G.ApplyOp(&DropoutOp{opBase: newBase("dropout"), P: p, Train: train, rank: x.Dims(), seed: seed}, x)
}

// ConcatCols joins [N, k_i] matrices side by side into [N, Σk_i].
func ConcatCols(outs ...*G.Node) (*G.Node, error) {
	return G.ApplyOp(&ConcatColsOp{opBase: newBase("concat"), n: len(outs)}, outs...)
}

// NewLoss is the op that ends a training graph: the loss fn points at,
// read at each step (so that the loss can change between steps).
func NewLoss(fn *LossFunc) *LossOp { return &LossOp{opBase: newBase("loss"), Fn: fn} }

// Subsample keeps every second row and column of x, from the first: after
// a stride-1 same convolution, that convolution with stride 2.
func Subsample(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&SubsampleOp{opBase: newBase("subsample")}, x)
}

// MaxPool3 is 3×3 max pooling, stride 2, padding 1 (torchvision's ResNet
// stem).
func MaxPool3(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(&MaxPool3Op{opBase: newBase("maxpool3")}, x)
}
