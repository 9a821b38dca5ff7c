package gpu

import (
	"fmt"
	"regexp"
	"strings"
)

// ParamKind is what a kernel parameter takes, as Launch passes it.
type ParamKind int

// The kinds: a device pointer, a C long, a float, a double.
const (
	ParamPointer ParamKind = iota
	ParamLong
	ParamFloat
	ParamDouble
)

// String names the Go value Launch takes for the kind.
func (k ParamKind) String() string {
	return [...]string{"a Buffer", "an int", "a float32", "a float64"}[k]
}

var kernelDef = regexp.MustCompile(`(?m)^KERNEL (md_\w+)\(([^)]*)\)`)

// ParseKernels reads the parameters of the kernels a CUDA C source
// defines (models/cudakern's style: KERNEL name(params) at a line's
// start). The GPU emulator checks each launch's arguments against them in
// order, as a real launch passes them: by position, where a float32 given
// for a double, or a pointer and a long swapped, is garbage.
func ParseKernels(src string) (map[string][]ParamKind, error) {
	out := map[string][]ParamKind{}
	for _, m := range kernelDef.FindAllStringSubmatch(src, -1) {
		var kinds []ParamKind
		for _, p := range strings.Split(m[2], ",") {
			p = strings.TrimSpace(p)
			switch {
			case strings.Contains(p, "*"):
				kinds = append(kinds, ParamPointer)
			case strings.HasPrefix(p, "long "):
				kinds = append(kinds, ParamLong)
			case strings.HasPrefix(p, "float "):
				kinds = append(kinds, ParamFloat)
			case strings.HasPrefix(p, "double "):
				kinds = append(kinds, ParamDouble)
			default:
				return nil, fmt.Errorf("kernel %s: parameter %q is none of a pointer, long, float or double", m[1], p)
			}
		}
		out[m[1]] = kinds
	}
	return out, nil
}
