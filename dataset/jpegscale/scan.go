package jpegscale

import "errors"

// zigzag is the natural (row-major) index of each coefficient in the
// order the file gives them: the anti-diagonals of the 8×8 block, walked
// alternately down and up.
var zigzag = func() (z [64]int) {
	i := 0
	for s := 0; s < 15; s++ {
		lo, hi := max(0, s-7), min(s, 7)
		for j := 0; j <= hi-lo; j++ {
			row := lo + j // odd diagonals walk down the rows
			if s%2 == 0 {
				row = hi - j // even ones up
			}
			z[i] = row*8 + (s - row)
			i++
		}
	}
	return z
}()

// kept is which coefficients a component's blocks keep: keep[z] for
// zigzag position z, and until, the position past the last kept one.
type kept struct {
	keep  [64]bool
	until int
}

func keptFor(kx, ky int) kept {
	var k kept
	for z, nat := range zigzag {
		if keeps(kx, ky, nat) {
			k.keep[z], k.until = true, z+1
		}
	}
	return k
}

// decodeScan decodes the scan into each component's plane: k pixels a
// block each way for the most sampled components, and for those sampled
// less (chroma) as many more as make their planes the same size, up to
// 8 (a full decode of their blocks): libjpeg-turbo scales chroma so too,
// rather than repeat each chroma value over 2×2 pixels.
func (d *decoder) decodeScan(k int) error {
	mcuW, mcuH := 8*d.hmax, 8*d.vmax
	mcusX, mcusY := (d.w+mcuW-1)/mcuW, (d.h+mcuH-1)/mcuH
	if len(d.comps) == 1 {
		// A lone component's blocks cover the image, not whole MCUs of
		// a larger sampling.
		mcusX, mcusY = (d.w+7)/8, (d.h+7)/8
	}
	blocks := 0
	for _, c := range d.comps {
		blocks += c.h * c.v
	}
	// Every block takes 2 bits at the least (a DC code, an end of block):
	// a header that claims more blocks than the data can hold is a
	// damaged file, not planes of gigabytes to allocate.
	if blocks*mcusX*mcusY > 4*len(d.scan) {
		return errors.New("jpegscale: the data is too short for the size the header gives")
	}
	for i := range d.comps {
		c := &d.comps[i]
		c.kx, c.ky = blockScale(k*d.hmax/c.h), blockScale(k*d.vmax/c.v)
		c.stride = mcusX * c.h * c.kx
		c.plane = make([]uint8, c.stride*mcusY*c.v*c.ky)
		c.reduce = newReducer(c.kx, c.ky)
		c.kept = keptFor(c.kx, c.ky)
	}
	r := bitReader{data: d.scan}
	var pred [4]int32
	var b coefs
	for m := 0; m < mcusX*mcusY; m++ {
		if d.restart > 0 && m > 0 && m%d.restart == 0 {
			if err := r.restart(); err != nil {
				return err
			}
			pred = [4]int32{}
		}
		mx, my := m%mcusX, m/mcusX
		for _, ci := range d.scanComps {
			c := &d.comps[ci]
			q := &d.qt[c.tq]
			for v := 0; v < c.v; v++ {
				for h := 0; h < c.h; h++ {
					if err := r.block(&d.dc[c.td], &d.ac[c.ta], &pred[ci], q, c, &b); err != nil {
						return err
					}
					bx, by := (mx*c.h+h)*c.kx, (my*c.v+v)*c.ky
					c.reduce.reduce(&b.v, b.rows, c.plane[by*c.stride+bx:], c.stride)
					b.clear()
				}
			}
		}
	}
	if r.overrun() {
		return errors.New("jpegscale: the data ends before the last block")
	}
	return nil
}

// blockScale is the pixels a block gives along one direction for n
// wanted: 1, 2, 4 or 8, the most that is not over n.
func blockScale(n int) int {
	k := 1
	for k*2 <= min(n, 8) {
		k *= 2
	}
	return k
}

// coefs is a block's kept coefficients, dequantised, row-major with 8 a
// row (the others zero), and which are set: a block has few, so they are
// zeroed one by one for the next block rather than all 64.
type coefs struct {
	v    [64]float32
	set  [64]uint8 // the natural indices set, n of them
	n    int
	rows uint8 // bit v: row v holds a coefficient that is not zero
}

// put sets the coefficient at natural index nat.
func (b *coefs) put(nat int, v float32) {
	b.v[nat] = v
	b.set[b.n] = uint8(nat)
	b.n++
	b.rows |= 1 << (nat / 8)
}

// clear zeroes the coefficients set.
func (b *coefs) clear() {
	for _, nat := range b.set[:b.n] {
		b.v[nat] = 0
	}
	b.n, b.rows = 0, 0
}

// block decodes one 8×8 block's coefficients into b, which is clear,
// keeping the ones that c's reduction reads.
func (r *bitReader) block(dc, ac *huffman, pred *int32, q *[64]float32, c *component, b *coefs) error {
	if r.n < 32 {
		r.fill()
	}
	s, err := r.decode(dc)
	if err != nil {
		return err
	}
	if s > 11 {
		return errors.New("jpegscale: a DC difference of more than 11 bits")
	}
	*pred += r.value(uint(s))
	b.put(0, float32(*pred)*q[0])
	for z := 1; z < 64; z++ {
		if r.n < 32 {
			r.fill()
		}
		if f := ac.fast[r.acc>>(64-lutBits)]; f.bits != 0 {
			r.skip(uint(f.bits))
			if z += int(f.run); z > 63 {
				return errors.New("jpegscale: a coefficient past the block's end")
			}
			if c.kept.keep[z] {
				b.put(zigzag[z], float32(f.value)*q[z])
			}
			continue
		}
		rs, err := r.decode(ac)
		if err != nil {
			return err
		}
		run, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if run != 15 {
				break // end of block
			}
			z += 15
			continue
		}
		z += run
		if z > 63 {
			return errors.New("jpegscale: a coefficient past the block's end")
		}
		if c.kept.keep[z] {
			b.put(zigzag[z], float32(r.value(size))*q[z])
		} else {
			r.skip(size)
		}
	}
	return nil
}
