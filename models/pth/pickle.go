package pth

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
)

// global is a class or function a pickle names (GLOBAL): module and name.
type global struct{ module, name string }

// tuple, list and dict are the pickle's containers; a dict keeps its
// keys' order (a state_dict's order is its model's).
type (
	tuple []any
	list  struct{ items []any }
	dict  struct {
		keys []any
		vals map[any]any
	}
)

func newDict() *dict { return &dict{vals: map[any]any{}} }

func (d *dict) set(k, v any) error {
	switch k.(type) {
	case string, int64, bool, nil:
	default:
		return fmt.Errorf("a dict key of type %T", k)
	}
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
	return nil
}

// mark is the MARK opcode's place on the stack.
type mark struct{}

// machine runs a pickle: persistent turns a persistent id (a tensor's
// storage) into a value, and reduce a REDUCE into one (a tensor, an
// OrderedDict) or an error.
type machine struct {
	r          *bufio.Reader
	stack      []any
	memo       map[uint32]any
	persistent func(pid any) (any, error)
	reduce     func(fn global, args tuple) (any, error)
}

var errPickle = errors.New("not a pickle torch.save writes")

func (m *machine) push(v any) { m.stack = append(m.stack, v) }

func (m *machine) pop() (any, error) {
	if len(m.stack) == 0 {
		return nil, fmt.Errorf("%w: the stack is empty", errPickle)
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	if _, ok := v.(mark); ok {
		return nil, fmt.Errorf("%w: a mark where a value was due", errPickle)
	}
	return v, nil
}

// popMark returns the values above the topmost mark, and drops them and it.
func (m *machine) popMark() ([]any, error) {
	for i := len(m.stack) - 1; i >= 0; i-- {
		if _, ok := m.stack[i].(mark); ok {
			vals := append([]any(nil), m.stack[i+1:]...)
			m.stack = m.stack[:i]
			return vals, nil
		}
	}
	return nil, fmt.Errorf("%w: no mark", errPickle)
}

func (m *machine) read(n int) ([]byte, error) {
	if n < 0 || n > 1<<30 {
		return nil, fmt.Errorf("%w: a length of %d", errPickle, n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(m.r, b)
	return b, err
}

func (m *machine) u8() (int, error) {
	b, err := m.r.ReadByte()
	return int(b), err
}

func (m *machine) u32() (uint32, error) {
	b, err := m.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (m *machine) line() (string, error) {
	s, err := m.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return s[:len(s)-1], nil
}

// run reads one pickle, to its STOP, and returns its value.
func (m *machine) run() (any, error) {
	if m.memo == nil {
		m.memo = map[uint32]any{}
	}
	for {
		op, err := m.r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: it ends before its STOP", errPickle)
		}
		if err := m.step(op); err != nil {
			if errors.Is(err, errStop) {
				return m.pop()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: it ends inside opcode %#x", errPickle, op)
			}
			return nil, err
		}
	}
}

var errStop = errors.New("stop")

// step runs one opcode.
func (m *machine) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		_, err := m.u8()
		return err
	case 0x95: // FRAME (protocol 4): its length only
		_, err := m.read(8)
		return err
	case '.': // STOP
		return errStop
	case '(': // MARK
		m.push(mark{})
	case '}': // EMPTY_DICT
		m.push(newDict())
	case ']': // EMPTY_LIST
		m.push(&list{})
	case ')': // EMPTY_TUPLE
		m.push(tuple{})
	case 'N':
		m.push(nil)
	case 0x88, 0x89: // NEWTRUE, NEWFALSE
		m.push(op == 0x88)
	case 'K': // BININT1
		v, err := m.u8()
		m.push(int64(v))
		return err
	case 'M': // BININT2
		b, err := m.read(2)
		if err != nil {
			return err
		}
		m.push(int64(binary.LittleEndian.Uint16(b)))
	case 'J': // BININT
		v, err := m.u32()
		m.push(int64(int32(v)))
		return err
	case 0x8a: // LONG1
		n, err := m.u8()
		if err != nil {
			return err
		}
		b, err := m.read(n)
		if err != nil {
			return err
		}
		m.push(long(b))
	case 'G': // BINFLOAT
		b, err := m.read(8)
		if err != nil {
			return err
		}
		m.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X', 'T': // BINUNICODE, BINSTRING
		n, err := m.u32()
		if err != nil {
			return err
		}
		b, err := m.read(int(n))
		m.push(string(b))
		return err
	case 0x8c, 'U': // SHORT_BINUNICODE, SHORT_BINSTRING
		n, err := m.u8()
		if err != nil {
			return err
		}
		b, err := m.read(n)
		m.push(string(b))
		return err
	case 'c': // GLOBAL
		mod, err := m.line()
		if err != nil {
			return err
		}
		name, err := m.line()
		m.push(global{mod, name})
		return err
	case 't': // TUPLE
		vals, err := m.popMark()
		m.push(tuple(vals))
		return err
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		n := int(op-0x85) + 1
		if len(m.stack) < n {
			return fmt.Errorf("%w: a tuple of %d from a stack of %d", errPickle, n, len(m.stack))
		}
		t := append(tuple(nil), m.stack[len(m.stack)-n:]...)
		m.stack = m.stack[:len(m.stack)-n]
		m.push(t)
	case 'q', 'r': // BINPUT, LONG_BINPUT
		k, err := m.memoKey(op == 'r')
		if err != nil || len(m.stack) == 0 {
			return errors.Join(err, fmt.Errorf("%w: a put with no value", errPickle))
		}
		m.memo[k] = m.stack[len(m.stack)-1]
	case 0x94: // MEMOIZE
		if len(m.stack) == 0 {
			return fmt.Errorf("%w: a memoize with no value", errPickle)
		}
		m.memo[uint32(len(m.memo))] = m.stack[len(m.stack)-1]
	case 'h', 'j': // BINGET, LONG_BINGET
		k, err := m.memoKey(op == 'j')
		if err != nil {
			return err
		}
		v, ok := m.memo[k]
		if !ok {
			return fmt.Errorf("%w: memo %d is not set", errPickle, k)
		}
		m.push(v)
	case 'a': // APPEND
		v, err := m.pop()
		if err != nil {
			return err
		}
		return m.appendItems(v)
	case 'e': // APPENDS
		vals, err := m.popMark()
		if err != nil {
			return err
		}
		return m.appendItems(vals...)
	case 's': // SETITEM
		v, err := m.pop()
		if err != nil {
			return err
		}
		k, err := m.pop()
		if err != nil {
			return err
		}
		return m.setItems([]any{k, v})
	case 'u': // SETITEMS
		vals, err := m.popMark()
		if err != nil {
			return err
		}
		return m.setItems(vals)
	case 'b': // BUILD: an object's state (an OrderedDict's _metadata); kept aside
		_, err := m.pop()
		return err
	case 'Q': // BINPERSID
		pid, err := m.pop()
		if err != nil {
			return err
		}
		v, err := m.persistent(pid)
		m.push(v)
		return err
	case 'R': // REDUCE
		args, err := m.pop()
		if err != nil {
			return err
		}
		fn, err := m.pop()
		if err != nil {
			return err
		}
		g, ok1 := fn.(global)
		a, ok2 := args.(tuple)
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: a call of %v with %T", errPickle, fn, args)
		}
		v, err := m.reduce(g, a)
		m.push(v)
		return err
	default:
		return fmt.Errorf("%w: opcode %#x", errPickle, op)
	}
	return nil
}

func (m *machine) top() any {
	if len(m.stack) == 0 {
		return nil
	}
	return m.stack[len(m.stack)-1]
}

func (m *machine) memoKey(long bool) (uint32, error) {
	if long {
		return m.u32()
	}
	v, err := m.u8()
	return uint32(v), err
}

// appendItems appends vals to the list on top of the stack.
func (m *machine) appendItems(vals ...any) error {
	l, ok := m.top().(*list)
	if !ok {
		return fmt.Errorf("%w: an append to a %T", errPickle, m.top())
	}
	l.items = append(l.items, vals...)
	return nil
}

func (m *machine) setItems(kv []any) error {
	d, ok := m.top().(*dict)
	if !ok || len(kv)%2 != 0 {
		return fmt.Errorf("%w: a set item on a %T", errPickle, m.top())
	}
	for i := 0; i < len(kv); i += 2 {
		if err := d.set(kv[i], kv[i+1]); err != nil {
			return fmt.Errorf("%w: %w", errPickle, err)
		}
	}
	return nil
}

// long decodes LONG1's little-endian two's-complement bytes: an int64,
// or a *big.Int past 64 bits (the legacy stream's magic number).
func long(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	be := make([]byte, len(b))
	for i, v := range b {
		be[len(b)-1-i] = v
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if !v.IsInt64() {
		return v
	}
	return v.Int64()
}
