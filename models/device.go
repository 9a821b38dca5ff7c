package models

import "fmt"

// EngineFor returns the engine that trains on device ("auto", "cpu" or
// "cuda"), or one sentence saying why this binary cannot: every device
// runs this package's ops (EngineOwn), on the GPU through cuDNN, cuBLAS
// and the project's kernels (gpu_*_cuda.go), which needs a binary built
// with scripts/build-cuda.sh (build tag cuda) and a GPU that answers.
func EngineFor(device string) (string, error) {
	_, err := ParseDevice(device)
	return EngineOwn, err
}

// ParseDevice resolves a device name: auto (or "") is cuda when a GPU
// answers in a cuda build, else cpu; cuda without one is an error that
// says why.
func ParseDevice(device string) (Device, error) {
	switch device {
	case "cpu":
		return DeviceCPU, nil
	case "", "auto":
		if GPUProblem() == "" {
			return DeviceCUDA, nil
		}
		return DeviceCPU, nil
	case "cuda":
		if p := GPUProblem(); p != "" {
			return 0, fmt.Errorf("device cuda: %s (--device auto trains on the CPU then)", p)
		}
		return DeviceCUDA, nil
	}
	return 0, fmt.Errorf("device %q is unknown; use auto, cpu or cuda", device)
}

// DeviceFor resolves a device name (see ParseDevice) and returns its
// name and engine.
func DeviceFor(device string) (resolved, engine string, err error) {
	d, err := ParseDevice(device)
	if err != nil {
		return "", "", err
	}
	return d.String(), EngineOwn, nil
}
