//go:build gpuemu && !cuda

package gpu

import (
	"fmt"
	"os"
)

// The emulator's stream: every call a real GPU queues is queued here
// too and runs when something waits for it (Sync, Download, Free,
// Memory), in order; so an upload from pinned memory reads that memory
// when the step gets there, not when it was asked for, and a host that
// reads a result it did not wait for, or changes pinned memory the
// device has not read yet, gets what a GPU would give it. Calls that
// return only a description (NewConv, NewTensor, Alloc) run at once.

// ConvForward queues convForwardNow (see convForwardNow).
func (d *Device) ConvForward(cv *Conv, x, w, y Buffer) error {
	return d.later(func() error { return d.convForwardNow(cv, x, w, y) })
}

// ConvBackwardData queues convBackwardDataNow (see convBackwardDataNow).
func (d *Device) ConvBackwardData(cv *Conv, w, dy, dx Buffer) error {
	return d.later(func() error { return d.convBackwardDataNow(cv, w, dy, dx) })
}

// ConvBackwardFilter queues convBackwardFilterNow (see convBackwardFilterNow).
func (d *Device) ConvBackwardFilter(cv *Conv, x, dy, dw Buffer) error {
	return d.later(func() error { return d.convBackwardFilterNow(cv, x, dy, dw) })
}

// AddBias queues addBiasNow (see addBiasNow).
func (d *Device) AddBias(yt *Tensor, y Buffer, bt *Tensor, b Buffer) error {
	return d.later(func() error { return d.addBiasNow(yt, y, bt, b) })
}

// BiasGrad queues biasGradNow (see biasGradNow).
func (d *Device) BiasGrad(dyt *Tensor, dy Buffer, dbt *Tensor, db Buffer) error {
	return d.later(func() error { return d.biasGradNow(dyt, dy, dbt, db) })
}

// BatchNormTrain queues batchNormTrainNow (see batchNormTrainNow).
func (d *Device) BatchNormTrain(bn *BatchNorm, x, y, gamma, beta, runMean, runVar Buffer) error {
	return d.later(func() error { return d.batchNormTrainNow(bn, x, y, gamma, beta, runMean, runVar) })
}

// BatchNormInfer queues batchNormInferNow (see batchNormInferNow).
func (d *Device) BatchNormInfer(bn *BatchNorm, x, y, gamma, beta, runMean, runVar Buffer) error {
	return d.later(func() error { return d.batchNormInferNow(bn, x, y, gamma, beta, runMean, runVar) })
}

// BatchNormBackward queues batchNormBackwardNow (see batchNormBackwardNow).
func (d *Device) BatchNormBackward(bn *BatchNorm, x, dy, dx, gamma, dgamma, dbeta Buffer) error {
	return d.later(func() error { return d.batchNormBackwardNow(bn, x, dy, dx, gamma, dgamma, dbeta) })
}

// MaxPool2 queues maxPool2Now (see maxPool2Now).
func (d *Device) MaxPool2(xt *Tensor, x Buffer, yt *Tensor, y Buffer) error {
	return d.later(func() error { return d.maxPool2Now(xt, x, yt, y) })
}

// MaxPool2Backward queues maxPool2BackwardNow (see maxPool2BackwardNow).
func (d *Device) MaxPool2Backward(xt *Tensor, x Buffer, yt *Tensor, y, dy, dx Buffer) error {
	return d.later(func() error { return d.maxPool2BackwardNow(xt, x, yt, y, dy, dx) })
}

// Gemm queues gemmNow (see gemmNow).
func (d *Device) Gemm(ta, tb bool, m, n, k int, alpha float32, a, b Buffer, beta float32, c Buffer) error {
	return d.later(func() error { return d.gemmNow(ta, tb, m, n, k, alpha, a, b, beta, c) })
}

// RowSums queues rowSumsNow (see rowSumsNow).
func (d *Device) RowSums(rows, cols int, alpha float32, a, ones, y Buffer) error {
	return d.later(func() error { return d.rowSumsNow(rows, cols, alpha, a, ones, y) })
}

// ColSums queues colSumsNow (see colSumsNow).
func (d *Device) ColSums(rows, cols int, a, ones, y Buffer) error {
	return d.later(func() error { return d.colSumsNow(rows, cols, a, ones, y) })
}

// Axpby queues axpbyNow (see axpbyNow).
func (d *Device) Axpby(n int, alpha float32, a Buffer, beta float32, b, c Buffer) error {
	return d.later(func() error { return d.axpbyNow(n, alpha, a, beta, b, c) })
}

// Copy queues copyNow (see copyNow).
func (d *Device) Copy(dst, src Buffer, n int) error {
	return d.later(func() error { return d.copyNow(dst, src, n) })
}

// CopyColumns queues copyColumnsNow (see copyColumnsNow).
func (d *Device) CopyColumns(dst Buffer, dspan, doff int, src Buffer, sspan, soff, width, rows int) error {
	return d.later(func() error { return d.copyColumnsNow(dst, dspan, doff, src, sspan, soff, width, rows) })
}

// Zero queues zeroNow (see zeroNow).
func (d *Device) Zero(b Buffer) error {
	return d.later(func() error { return d.zeroNow(b) })
}

// UploadPinned queues uploadPinnedNow (see uploadPinnedNow): on a GPU it
// runs on the copy stream, which the step's stream waits for, any time
// between the call and that point. Queued, it runs as late as it can; with
// MASKDASH_EMU_EAGER_COPY=1 as early as it can, at the call, over what
// queued work may still read: run the tests both ways to hold the
// engine's double-buffered batch to both ends.
func (d *Device) UploadPinned(dst Buffer, src Pinned, n, slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("input slot %d: the device has %d", slot, Marks)
	}
	if eagerCopy {
		return d.uploadPinnedNow(dst, src, n)
	}
	return d.later(func() error { return d.uploadPinnedNow(dst, src, n) })
}

var eagerCopy = os.Getenv("MASKDASH_EMU_EAGER_COPY") == "1"

// ReleaseInput is a point in the queue for UploadPinned to wait for: the
// emulator's one stream runs everything in order (with eager copies, an
// upload runs at the call, earlier than a GPU could: the emulator has no
// copy stream to hold back).
func (d *Device) ReleaseInput(slot int) error {
	if slot < 0 || slot >= Marks {
		return fmt.Errorf("input slot %d: the device has %d", slot, Marks)
	}
	return nil
}

// later queues f on the emulated stream.
func (d *Device) later(f func() error) error {
	d.queue = append(d.queue, f)
	return nil
}

// flush runs the queue in order; the first error (an asynchronous
// failure, as CUDA reports it at the next synchronisation) is returned,
// or one kept from a flush that could not return it (settle).
func (d *Device) flush() error {
	q := d.queue
	d.queue = nil
	first := d.pending
	d.pending = nil
	for _, f := range q {
		if err := f(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// settle runs the queue where the caller cannot return an error (Close,
// FreePinned): the error waits for the next flush.
func (d *Device) settle() {
	if err := d.flush(); err != nil {
		d.pending = err
	}
}
