package models

import "fmt"

// EngineFor returns the engine that trains on device ("auto", "cpu" or
// "cuda"), or one sentence saying why this binary cannot: a cuda device
// needs a binary built with Gorgonia's CUDA support (scripts/build-cuda.sh,
// build tag cuda), which runs the EngineGorgonia graph on the GPU, and a
// GPU that answers. auto picks the GPU when there is one, else the CPU.
func EngineFor(device string) (string, error) {
	switch device {
	case "cpu":
		return EngineOwn, nil
	case "", "auto":
		if GPUProblem() == "" {
			return EngineGorgonia, nil
		}
		return EngineOwn, nil
	case "cuda":
		if p := GPUProblem(); p != "" {
			return "", fmt.Errorf("device cuda: %s (--device auto trains on the CPU then)", p)
		}
		return EngineGorgonia, nil
	}
	return "", fmt.Errorf("device %q is unknown; use auto, cpu or cuda", device)
}

// DeviceFor resolves a device name: auto (or "") is cuda when a GPU
// answers in a cuda build, else cpu. It returns the device and its engine.
func DeviceFor(device string) (resolved, engine string, err error) {
	engine, err = EngineFor(device)
	if err != nil {
		return "", "", err
	}
	resolved = device
	if device == "" || device == "auto" {
		resolved = "cpu"
		if engine == EngineGorgonia {
			resolved = "cuda"
		}
	}
	return resolved, engine, nil
}
