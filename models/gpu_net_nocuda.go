//go:build !cuda && !gpuemu

package models

import (
	"errors"
	"time"
)

// gpuNet is empty without the cuda tag: no net can be on a GPU.
type gpuNet struct{ dev noDevice }

type noDevice struct{}

func (noDevice) Lock() error { return errNoCUDA }
func (noDevice) Unlock()     {}
func (noDevice) Sync() error { return errNoCUDA }

var errNoCUDA = errors.New("device cuda: this binary was built without GPU support (scripts/build-cuda.sh builds one)")

func openGPU(*Net) (*gpuNet, error) { return nil, errNoCUDA }

func (*gpuNet) close() error                                          { return nil }
func (*gpuNet) toHost(*Net) error                                     { return errNoCUDA }
func (*gpuNet) toDevice(*Net) error                                   { return errNoCUDA }
func (*gpuNet) gradsToHost(*Net) error                                { return errNoCUDA }
func (*gpuNet) retrain(*Net) error                                    { return errNoCUDA }
func (*gpuNet) update(*Net, Update) error                             { return errNoCUDA }
func (*gpuNet) clipCounts() (ClipCounts, error)                       { return ClipCounts{}, errNoCUDA }
func (*gpuNet) startAverage(*Net) error                               { return errNoCUDA }
func (*gpuNet) updateAverage(*Net, float32) error                     { return errNoCUDA }
func (*gpuNet) swapAverage(*Net) error                                { return errNoCUDA }
func (*gpuNet) averageToHost(*Net, [][]float32) error                 { return errNoCUDA }
func (*gpuNet) slotsToHost() (map[string][][]float32, error)          { return nil, errNoCUDA }
func (*gpuNet) slotsToDevice(*Net, map[string][][]float32) error      { return errNoCUDA }
func (*gpuNet) hold([]float32) error                                  { return errNoCUDA }
func (*gpuNet) queueStep(*Net, []float32) error                       { return errNoCUDA }
func (*gpuNet) result() (float64, []float32, error)                   { return 0, nil, errNoCUDA }
func (*gpuNet) inputBatch() []float32                                 { return nil }
func (*gpuNet) profileText() string                                   { return "" }
func (*gpuNet) resetProfile()                                         {}
func (*gpuNet) waitedTime() time.Duration                             { return 0 }
func (*gpuNet) hostQueued() time.Duration                             { return 0 }
func (*gpuNet) hostText() string                                      { return "" }
func (*gpuNet) bytes() int64                                          { return 0 }
func (*gpuNet) trainStep(*Net, []float32) (float64, []float32, error) { return 0, nil, errNoCUDA }
func (*gpuNet) forward(*Net, []float32, int) ([]float32, error)       { return nil, errNoCUDA }
