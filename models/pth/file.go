package pth

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strings"
)

// Tensor is one named floating-point tensor of a file, as float32.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// storage is a tensor's storage as the pickle names it: its type
// (FloatStorage…), its key in the file and how many elements it has;
// offset is a legacy view's start in its root storage.
type storage struct {
	typ    string
	key    string
	numel  int64
	offset int64
}

// tensorRef is a tensor the pickle built: a view of a storage.
type tensorRef struct {
	st     *storage
	offset int64
	size   []int
	stride []int
}

// storageTypes are the bytes of one element of each storage type, and
// whether it holds floating-point values (the others, integers and
// booleans such as a BatchNorm's num_batches_tracked, are left out).
var storageTypes = map[string]struct {
	size     int
	floating bool
}{
	"FloatStorage": {4, true}, "DoubleStorage": {8, true}, "HalfStorage": {2, true}, "BFloat16Storage": {2, true},
	"LongStorage": {8, false}, "IntStorage": {4, false}, "ShortStorage": {2, false},
	"ByteStorage": {1, false}, "CharStorage": {1, false}, "BoolStorage": {1, false},
}

// elemSize is the bytes of one element of a floating storage type; 0 for
// the others.
func elemSize(typ string) int {
	if t := storageTypes[typ]; t.floating {
		return t.size
	}
	return 0
}

// Read returns the floating-point tensors of the state_dict that
// torch.save wrote to path, in the file's order. A checkpoint that keeps
// its state_dict under "state_dict", "model_state_dict" or "model" (as
// training scripts save one) is read there; names saved from
// nn.DataParallel lose their "module." prefix. Integer tensors (a
// BatchNorm's num_batches_tracked) are left out.
func Read(path string) ([]Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var ts []Tensor
	if zr, zerr := zip.NewReader(f, fi.Size()); zerr == nil {
		ts, err = readZip(zr)
	} else {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		ts, err = readLegacy(bufio.NewReader(f))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// readZip reads torch.save's zip archive: <name>/data.pkl and a file a
// storage, <name>/data/<key>.
func readZip(zr *zip.Reader) ([]Tensor, error) {
	var pkl *zip.File
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
		if strings.HasSuffix(f.Name, "data.pkl") && (pkl == nil || len(f.Name) < len(pkl.Name)) {
			pkl = f
		}
	}
	if pkl == nil {
		return nil, errors.New("a zip without data.pkl: not a file torch.save wrote")
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	rc, err := pkl.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close() //nolint:errcheck // read-only
	root, err := unpickle(bufio.NewReader(rc), func(pid tuple) (*storage, error) {
		// ('storage', storage_type, key, location, numel)
		if len(pid) < 5 {
			return nil, fmt.Errorf("%w: a storage id of %d parts", errPickle, len(pid))
		}
		return newStorage(pid[1], pid[2], pid[4])
	})
	if err != nil {
		return nil, err
	}
	read := func(st *storage) ([]byte, error) {
		f, ok := files[prefix+"data/"+st.key]
		if !ok {
			return nil, fmt.Errorf("storage %s is not in the archive", st.key)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close() //nolint:errcheck // read-only
		return io.ReadAll(io.LimitReader(rc, st.numel*int64(elemSize(st.typ))+1))
	}
	return tensors(root, read)
}

// readLegacy reads torch.save's stream before the zip: five pickles (a
// magic number, the protocol, the machine's sizes, the object, its
// storages' keys), then each storage as its element count and its bytes.
func readLegacy(r *bufio.Reader) ([]Tensor, error) {
	magic, err := unpickle(r, nil)
	if err != nil {
		return nil, fmt.Errorf("neither a zip nor torch.save's legacy stream: %w", err)
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, errors.New("not a file torch.save wrote (no magic number)")
	}
	for range 2 { // the protocol, the sizes
		if _, err := unpickle(r, nil); err != nil {
			return nil, err
		}
	}
	views := map[string]*storage{}
	root, err := unpickle(r, func(pid tuple) (*storage, error) {
		// ('storage', storage_type, root_key, location, numel, view_metadata)
		if len(pid) < 6 {
			return nil, fmt.Errorf("%w: a storage id of %d parts", errPickle, len(pid))
		}
		st, err := newStorage(pid[1], pid[2], pid[4])
		if err != nil {
			return nil, err
		}
		if v, ok := pid[5].(tuple); ok && len(v) == 3 { // (view_key, offset, view_size)
			off, _ := v[1].(int64)
			view := *st
			view.offset = off
			views[st.key] = st
			return &view, nil
		}
		views[st.key] = st
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	keysV, err := unpickle(r, nil)
	if err != nil {
		return nil, err
	}
	keys, ok := keysV.(*list)
	if !ok {
		return nil, fmt.Errorf("%w: the storage keys are a %T", errPickle, keysV)
	}
	data := map[string][]byte{}
	for _, k := range keys.items {
		key, _ := k.(string)
		st, ok := views[key]
		if !ok {
			return nil, fmt.Errorf("storage %q is listed but no tensor has it", key)
		}
		var n int64
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("storage %s: %w", key, err)
		}
		size := int64(storageTypes[st.typ].size)
		if size == 0 {
			return nil, fmt.Errorf("storage %s is of type %s, which torch.save does not write", key, st.typ)
		}
		if n < 0 || n > 1<<33 {
			return nil, fmt.Errorf("storage %s: %d elements", key, n)
		}
		// Read as it comes, so that a count the file does not hold costs
		// no more memory than the file.
		var b bytes.Buffer
		if _, err := io.CopyN(&b, r, n*size); err != nil {
			return nil, fmt.Errorf("storage %s: %w", key, err)
		}
		data[key] = b.Bytes()
	}
	return tensors(root, func(st *storage) ([]byte, error) { return data[st.key], nil })
}

func newStorage(typ, key, numel any) (*storage, error) {
	g, ok1 := typ.(global)
	k, ok2 := key.(string)
	n, ok3 := numel.(int64)
	if !ok1 || !ok2 || !ok3 || n < 0 {
		return nil, fmt.Errorf("%w: a storage id (%v, %v, %v)", errPickle, typ, key, numel)
	}
	return &storage{typ: g.name, key: k, numel: n}, nil
}

// legacyMagic is the legacy stream's first pickle.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// unpickle runs one pickle from r; storage makes a persistent id into a
// storage (nil: the pickle has none).
func unpickle(r *bufio.Reader, storageOf func(tuple) (*storage, error)) (any, error) {
	m := &machine{r: r}
	m.persistent = func(pid any) (any, error) {
		t, ok := pid.(tuple)
		if !ok || storageOf == nil || len(t) == 0 || t[0] != "storage" {
			return nil, fmt.Errorf("%w: a persistent id %v", errPickle, pid)
		}
		return storageOf(t)
	}
	m.reduce = rebuild
	return m.run()
}

// rebuild is the calls a state_dict's pickle makes: a tensor from a
// storage, a parameter from its tensor, an OrderedDict. It calls nothing.
func rebuild(fn global, args tuple) (any, error) {
	switch fn {
	case global{"collections", "OrderedDict"}:
		return newDict(), nil
	case global{"torch._utils", "_rebuild_tensor_v2"}, global{"torch._utils", "_rebuild_tensor"}:
		// (storage, storage_offset, size, stride, …)
		if len(args) < 4 {
			return nil, fmt.Errorf("%w: a tensor of %d arguments", errPickle, len(args))
		}
		st, ok := args[0].(*storage)
		off, ok2 := args[1].(int64)
		size, err1 := ints(args[2])
		stride, err2 := ints(args[3])
		if !ok || !ok2 || err1 != nil || err2 != nil || len(size) != len(stride) {
			return nil, fmt.Errorf("%w: a tensor of %v", errPickle, args)
		}
		return &tensorRef{st: st, offset: off, size: size, stride: stride}, nil
	case global{"torch._utils", "_rebuild_parameter"}, global{"torch._utils", "_rebuild_parameter_with_state"}:
		if len(args) == 0 {
			return nil, fmt.Errorf("%w: a parameter with no tensor", errPickle)
		}
		return args[0], nil
	}
	return nil, fmt.Errorf("the file calls %s.%s, which a state_dict does not: it is not one (maskdash reads state_dicts only, and runs no code from a file)", fn.module, fn.name)
}

func ints(v any) ([]int, error) {
	t, ok := v.(tuple)
	if !ok {
		return nil, fmt.Errorf("%w: %v is not a tuple", errPickle, v)
	}
	out := make([]int, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%w: %v", errPickle, x)
		}
		out[i] = int(n)
	}
	return out, nil
}

// tensors finds the state_dict in root and reads its floating tensors.
func tensors(root any, read func(*storage) ([]byte, error)) ([]Tensor, error) {
	d, ok := root.(*dict)
	if !ok {
		return nil, fmt.Errorf("the file holds a %s, not a state_dict (a dict of tensors)", kind(root))
	}
	for _, k := range []string{"state_dict", "model_state_dict", "model"} {
		if inner, ok := d.vals[k].(*dict); ok {
			d = inner
			break
		}
	}
	cache := map[string][]byte{}
	var out []Tensor
	for _, k := range d.keys {
		name, _ := k.(string)
		ref, ok := d.vals[k].(*tensorRef)
		if !ok || name == "" || elemSize(ref.st.typ) == 0 {
			continue
		}
		b, ok := cache[ref.st.key]
		if !ok {
			var err error
			if b, err = read(ref.st); err != nil {
				return nil, err
			}
			cache[ref.st.key] = b
		}
		data, err := ref.values(b)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", name, err)
		}
		out = append(out, Tensor{Name: strings.TrimPrefix(name, "module."), Shape: ref.size, Data: data})
	}
	if len(out) == 0 {
		return nil, errors.New("no floating-point tensor in the file: not a model's state_dict")
	}
	return out, nil
}

func kind(v any) string {
	switch v.(type) {
	case *tensorRef:
		return "tensor"
	case *list:
		return "list"
	case tuple:
		return "tuple"
	}
	return fmt.Sprintf("%T", v)
}

// values reads the view's elements, in row order, from its storage's
// bytes as float32.
func (t *tensorRef) values(b []byte) ([]float32, error) {
	size := elemSize(t.st.typ)
	n := 1
	for _, d := range t.size {
		n *= d
	}
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	base := t.st.offset + t.offset
	last := base
	for i, d := range t.size {
		last += int64(d-1) * int64(t.stride[i])
	}
	if base < 0 || (last+1)*int64(size) > int64(len(b)) {
		return nil, fmt.Errorf("its view runs past its storage (%d bytes)", len(b))
	}
	idx := make([]int, len(t.size))
	for k := range out {
		at := base
		for i, j := range idx {
			at += int64(j) * int64(t.stride[i])
		}
		out[k] = element(b[at*int64(size):], t.st.typ)
		for i := len(idx) - 1; i >= 0; i-- { // the next index, last axis fastest
			if idx[i]++; idx[i] < t.size[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

// element is the float32 at the start of b, of the storage type's kind.
func element(b []byte, typ string) float32 {
	switch typ {
	case "DoubleStorage":
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case "HalfStorage":
		return half(binary.LittleEndian.Uint16(b))
	case "BFloat16Storage":
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b))
}

// half is IEEE 754 binary16 as float32.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // infinity, NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac·2⁻²⁴
		v := float32(frac) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}
