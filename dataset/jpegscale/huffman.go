package jpegscale

import "errors"

// lutBits is how many bits the Huffman lookup table decodes at once;
// longer codes (rare in practice) are decoded bit length by bit length.
const lutBits = 9

// huffman is one Huffman table: the codes of up to lutBits bits in a
// lookup table, the longer ones as canonical code ranges.
type huffman struct {
	ok  bool
	lut [1 << lutBits]uint16 // code length<<8 | symbol; 0: not a short code
	// fast holds, for the codes of an AC coefficient short enough that
	// the code and the coefficient's bits fit in lutBits together, the
	// coefficient itself: most of a block's coefficients are read in one
	// lookup, not a code's and then its value's (libjpeg-turbo reads
	// them so too).
	fast    [1 << lutBits]fastAC
	maxCode [17]int32 // the largest code of each length (-1: none)
	offset  [17]int32 // symbol index of a length's code minus that code
	symbols [256]byte
}

// fastAC is a coefficient read whole from lutBits bits: its value, the
// zeros before it (run) and how many bits it takes (0: not a fast one).
type fastAC struct {
	value int16
	run   uint8
	bits  uint8
}

// build makes the table from the DHT segment's counts of codes per length
// and the symbols in code order.
func (t *huffman) build(counts [17]int, symbols []byte) error {
	*t = huffman{ok: true}
	copy(t.symbols[:], symbols)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		t.offset[l] = k - code
		for i := 0; i < counts[l]; i++ {
			if code >= 1<<l {
				return errors.New("jpegscale: a Huffman table with more codes than its lengths allow")
			}
			if l <= lutBits {
				first := int(code) << (lutBits - l)
				for j := 0; j < 1<<(lutBits-l); j++ {
					t.lut[first+j] = uint16(l)<<8 | uint16(symbols[k])
				}
			}
			code++
			k++
		}
		t.maxCode[l] = code - 1
		if counts[l] == 0 {
			t.maxCode[l] = -1
		}
		code <<= 1
	}
	for p := range t.fast {
		e := t.lut[p]
		l, rs := uint(e>>8), byte(e)
		size := uint(rs & 15)
		if e == 0 || size == 0 || l+size > lutBits {
			continue
		}
		v := int32(p>>(lutBits-l-size)) & (1<<size - 1)
		if v < 1<<(size-1) {
			v += -1<<size + 1
		}
		t.fast[p] = fastAC{value: int16(v), run: rs >> 4, bits: uint8(l + size)}
	}
	return nil
}

// bitReader reads the entropy-coded data: the bits, most significant
// first, with the 0x00 stuffed after each 0xFF data byte removed. At a
// marker it stops and feeds zero bytes (a restart marker is passed by
// restart), and past the end of the data too; a scan that uses any of
// them (overrun) is a file cut short or damaged, an error rather than a
// grey bottom.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64 // the bits not yet used, at the top
	n      uint   // how many
	marker bool   // stopped at a marker
	fed    uint   // zero bytes fed since the last restart
}

// fill tops the accumulator up to at least 57 bits.
func (r *bitReader) fill() {
	for r.n <= 56 {
		var c byte
		switch {
		case r.marker || r.pos >= len(r.data):
			r.fed++
		case r.data[r.pos] != 0xFF:
			c = r.data[r.pos]
			r.pos++
		case r.pos+1 < len(r.data) && r.data[r.pos+1] == 0:
			c = 0xFF
			r.pos += 2
		case r.pos+1 >= len(r.data):
			r.fed++
			r.pos++
		default:
			r.marker = true
			r.fed++
		}
		r.acc |= uint64(c) << (56 - r.n)
		r.n += 8
	}
}

// decode reads one Huffman-coded symbol; the accumulator holds at least
// 16 bits.
func (r *bitReader) decode(t *huffman) (byte, error) {
	if e := t.lut[r.acc>>(64-lutBits)]; e != 0 {
		r.acc <<= e >> 8
		r.n -= uint(e >> 8)
		return byte(e), nil
	}
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(r.acc >> (64 - l))
		if code <= t.maxCode[l] {
			r.acc <<= l
			r.n -= uint(l)
			return t.symbols[code+t.offset[l]], nil
		}
	}
	return 0, errors.New("jpegscale: a Huffman code the table does not have")
}

// value reads an s-bit coefficient (s ≤ 16): JPEG's "receive and extend".
func (r *bitReader) value(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := int32(r.acc >> (64 - s))
	r.acc <<= s
	r.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// skip passes over s bits.
func (r *bitReader) skip(s uint) {
	r.acc <<= s
	r.n -= s
}

// overrun says whether the bits used so far reach into the zeros fed
// past a marker or the end of the data.
func (r *bitReader) overrun() bool { return r.fed*8 > r.n }

// restart passes the restart marker that must come next, the bits before
// it (padding) dropped.
func (r *bitReader) restart() error {
	if r.overrun() {
		return errors.New("jpegscale: a restart interval runs past its marker")
	}
	if !r.marker {
		r.fill() // to the marker: only padding was left of the interval
	}
	r.acc, r.n, r.fed = 0, 0, 0
	if !r.marker || r.pos+1 >= len(r.data) || r.data[r.pos+1] < 0xD0 || r.data[r.pos+1] > 0xD7 {
		return errors.New("jpegscale: a restart marker is missing")
	}
	r.pos += 2
	r.marker = false
	return nil
}
