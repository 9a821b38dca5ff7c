//go:build cuda && !gpuemu

package gpu

/*
#include "dev.h"
*/
import "C"

// BatchNorm is one layer's per-channel BatchNorm (cuDNN's spatial mode):
// x's description, the channels' ([1, C, 1, 1]), and the batch mean and
// inverse standard deviation the forward pass saves for the backward.
type BatchNorm struct {
	X, Ch         *Tensor
	Mean, InvStd  Buffer
	Momentum, Eps float64
	// Persistent asks for cuDNN's SPATIAL_PERSISTENT mode in training
	// (faster on some shapes, may overflow on extreme values).
	Persistent bool
}

// BatchNormTrain queues y = γ·x̂ + β with the batch's statistics and
// folds them into the running ones (PyTorch's rule: momentum on the new
// value, unbiased variance; cuDNN's exponentialAverageFactor is the same).
func (d *Device) BatchNormTrain(bn *BatchNorm, x, y, gamma, beta, runMean, runVar Buffer) error {
	return d.check(C.mdg_bn_train(d.d, cbool(bn.Persistent), bn.X.t, bn.Ch.t, x.p, y.p, gamma.p, beta.p, C.double(bn.Momentum), runMean.p,
		runVar.p, C.double(bn.Eps), bn.Mean.p, bn.InvStd.p))
}

// BatchNormInfer queues y from the running statistics.
func (d *Device) BatchNormInfer(bn *BatchNorm, x, y, gamma, beta, runMean, runVar Buffer) error {
	return d.check(C.mdg_bn_infer(d.d, bn.X.t, bn.Ch.t, x.p, y.p, gamma.p, beta.p, runMean.p, runVar.p, C.double(bn.Eps)))
}

// BatchNormBackward queues dx, dγ and dβ from x, dy and the saved
// statistics of the last BatchNormTrain.
func (d *Device) BatchNormBackward(bn *BatchNorm, x, dy, dx, gamma, dgamma, dbeta Buffer) error {
	return d.check(C.mdg_bn_bwd(d.d, cbool(bn.Persistent), bn.X.t, bn.Ch.t, x.p, dy.p, dx.p, gamma.p, dgamma.p, dbeta.p, C.double(bn.Eps),
		bn.Mean.p, bn.InvStd.p))
}
