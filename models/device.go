package models

import "fmt"

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

// DeviceFor resolves --device and --engine together: every device runs
// package ops's ops (EngineOwn, the default), on the GPU through cuDNN,
// cuBLAS and the project's kernels (gpu_*_cuda.go); EngineGorgonia,
// Gorgonia's own ops, is a CPU reference and always trains on the CPU
// (auto then means cpu, cuda is refused). The error is one sentence.
func DeviceFor(device, engine string) (Device, string, error) {
	if engine == EngineGorgonia {
		if device == "cuda" {
			return 0, "", fmt.Errorf("--engine gorgonia is a CPU reference: it does not train on the GPU (use --device cpu or auto)")
		}
		return DeviceCPU, engine, nil
	}
	if engine == "" {
		engine = EngineOwn
	}
	dev, err := ParseDevice(device)
	return dev, engine, err
}
