package models

import "fmt"

// EngineFor returns the engine that trains on device ("cpu" or "cuda"),
// or one sentence saying why this binary cannot: a cuda device needs a
// binary built with Gorgonia's CUDA support (scripts/build-cuda.sh, build
// tag cuda), which runs the EngineGorgonia graph on the GPU.
func EngineFor(device string) (string, error) {
	switch device {
	case "", "cpu":
		return EngineOwn, nil
	case "cuda":
		if CUDA {
			return EngineGorgonia, nil
		}
		return "", fmt.Errorf("device cuda: this maskdash was built without GPU support; build it with scripts/build-cuda.sh on a machine with CUDA 12 or 13 and cuDNN 9")
	}
	return "", fmt.Errorf("device %q is unknown; use cpu or cuda", device)
}
