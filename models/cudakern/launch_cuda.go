//go:build cuda

package cudakern

import (
	"fmt"
	"os"
	"unsafe"

	"gorgonia.org/cu"
)

// Module is kernels.cu's PTX loaded into the current CUDA context.
type Module struct {
	fn map[string]cu.Function
}

// Load reads the PTX at path into the current context and finds every
// kernel.
func Load(path string) (*Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the GPU kernels: %w (scripts/build-cuda.sh writes them beside the binary)", err)
	}
	mod, err := cu.LoadData(string(b))
	if err != nil {
		return nil, fmt.Errorf("the GPU kernels %s: %w", path, err)
	}
	m := &Module{fn: map[string]cu.Function{}}
	for _, n := range Names {
		f, err := mod.Function(n)
		if err != nil {
			return nil, fmt.Errorf("the GPU kernels %s: no %s: %w", path, n, err)
		}
		m.fn[n] = f
	}
	return m, nil
}

// Launch runs kernel name over n elements (rows, for md_softmax_ce) with
// the given arguments, each a pointer to the argument's value as the
// kernel declares it (a C long is an int64, a device pointer a
// cu.DevicePtr), and waits for it.
func (m *Module) Launch(name string, n int, args ...unsafe.Pointer) error {
	f, ok := m.fn[name]
	if !ok {
		return fmt.Errorf("no GPU kernel %s", name)
	}
	const block = 256
	grid := max(1, min((n+block-1)/block, 65535))
	return f.LaunchAndSync(grid, 1, 1, block, 1, 1, 0, cu.Stream{}, args)
}
