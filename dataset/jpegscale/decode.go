package jpegscale

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrUnsupported is a JPEG of a kind Decode does not read (progressive,
// arithmetic-coded, 12-bit, CMYK or RGB), or one it would not scale down.
var ErrUnsupported = errors.New("jpegscale: a JPEG of a kind this decoder does not read")

// Image is a decoded, scaled-down image.
type Image struct {
	W, H         int     // its size: the full size times Scale/8, rounded up
	Pix          []uint8 // RGB, 3 bytes a pixel, row by row
	FullW, FullH int     // the size the file gives
	Scale        int     // pixels per 8 of the full size: 1, 2 or 4
}

// Decode decodes JPEG bytes at the smallest of 1/8, 1/4 and 1/2 scale
// that is at least need(fullW, fullH) in both directions. A size that
// only the full one covers is ErrUnsupported.
func Decode(b []byte, need func(w, h int) (int, int)) (Image, error) {
	var d decoder
	if err := d.readHeaders(b); err != nil {
		return Image{}, err
	}
	minW, minH := need(d.w, d.h)
	k := 0
	for _, s := range []int{1, 2, 4} {
		if scaled(d.w, s) >= minW && scaled(d.h, s) >= minH {
			k = s
			break
		}
	}
	if k == 0 {
		return Image{}, ErrUnsupported
	}
	if err := d.decodeScan(k); err != nil {
		return Image{}, err
	}
	img := Image{W: scaled(d.w, k), H: scaled(d.h, k), FullW: d.w, FullH: d.h, Scale: k}
	img.Pix = d.toRGB(img.W, img.H, k)
	return img, nil
}

// scaled is n pixels at k pixels per 8, rounded up (as libjpeg sizes a
// scaled output).
func scaled(n, k int) int { return (n*k + 7) / 8 }

// component is one colour component of the frame.
type component struct {
	id     byte
	h, v   int // sampling factors
	tq     int // quantisation table
	td, ta int // DC and AC Huffman tables (from the scan)
	// kx×ky pixels a block, made by reduce from the coefficients kept.
	kx, ky int
	reduce *reducer
	kept   kept
	// plane holds the component's decoded pixels, padded to whole MCUs:
	// stride pixels a row.
	plane  []uint8
	stride int
}

// decoder is a JPEG file read up to its scan.
type decoder struct {
	w, h       int
	comps      []component
	hmax, vmax int
	qt         [4][64]float32 // dequantisation, in zigzag order
	qtSet      [4]bool
	dc, ac     [4]huffman
	restart    int    // MCUs between restart markers (0: none)
	adobe      bool   // an Adobe APP14 segment,
	transform  byte   // …and its colour transform (0: RGB or CMYK)
	scan       []byte // the entropy-coded data onwards
	scanComps  []int  // the components of the scan, by index
	frameFound bool
}

// readHeaders reads the markers up to the first scan's header.
func (d *decoder) readHeaders(b []byte) error {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return errors.New("jpegscale: not a JPEG file")
	}
	p := 2
	for {
		// A marker: 0xFF, any fill 0xFFs, then its code.
		if p >= len(b) || b[p] != 0xFF {
			return errors.New("jpegscale: a marker was expected")
		}
		for p < len(b) && b[p] == 0xFF {
			p++
		}
		if p >= len(b) {
			return errors.New("jpegscale: the file ends in a marker")
		}
		m := b[p]
		p++
		if m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			continue // no segment
		}
		if m == 0xD9 {
			return errors.New("jpegscale: no scan before the end")
		}
		if p+2 > len(b) {
			return errors.New("jpegscale: a segment is cut short")
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if n < 2 || p+n > len(b) {
			return errors.New("jpegscale: a segment is cut short")
		}
		seg := b[p+2 : p+n]
		p += n
		var err error
		switch m {
		case 0xC0, 0xC1: // baseline, extended sequential (Huffman)
			err = d.readFrame(seg)
		case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			return ErrUnsupported // progressive, lossless, hierarchical, arithmetic
		case 0xC4:
			err = d.readHuffman(seg)
		case 0xDB:
			err = d.readQuant(seg)
		case 0xDD:
			if len(seg) != 2 {
				return errors.New("jpegscale: a DRI segment of the wrong length")
			}
			d.restart = int(binary.BigEndian.Uint16(seg))
		case 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.transform = true, seg[11]
			}
		case 0xDA:
			if err := d.readScanHeader(seg); err != nil {
				return err
			}
			d.scan = b[p:]
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readFrame reads a start-of-frame segment.
func (d *decoder) readFrame(seg []byte) error {
	if d.frameFound {
		return errors.New("jpegscale: two frames")
	}
	d.frameFound = true
	if len(seg) < 6 {
		return errors.New("jpegscale: a short frame header")
	}
	if seg[0] != 8 {
		return ErrUnsupported // 12-bit samples
	}
	d.h, d.w = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
	n := int(seg[5])
	if d.w == 0 || d.h == 0 {
		return ErrUnsupported // the height in a DNL segment
	}
	if (n != 1 && n != 3) || len(seg) != 6+3*n {
		return ErrUnsupported // CMYK, or something odder
	}
	for i := 0; i < n; i++ {
		c := seg[6+3*i:]
		cp := component{id: c[0], h: int(c[1] >> 4), v: int(c[1] & 15), tq: int(c[2])}
		if cp.h < 1 || cp.h > 4 || cp.v < 1 || cp.v > 4 || cp.tq > 3 {
			return fmt.Errorf("jpegscale: component %d's sampling or table is out of range", i)
		}
		d.hmax, d.vmax = max(d.hmax, cp.h), max(d.vmax, cp.v)
		d.comps = append(d.comps, cp)
	}
	for _, c := range d.comps {
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return ErrUnsupported // sampling factors that do not divide
		}
	}
	if n == 1 { // one component: its blocks are the MCUs, whatever it says
		d.comps[0].h, d.comps[0].v, d.hmax, d.vmax = 1, 1, 1, 1
	}
	return nil
}

// readQuant reads a DQT segment: one or more tables.
func (d *decoder) readQuant(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return errors.New("jpegscale: a bad quantisation table")
		}
		size := 64 << pq
		if len(seg) < 1+size {
			return errors.New("jpegscale: a short quantisation table")
		}
		for i := 0; i < 64; i++ {
			if pq == 0 {
				d.qt[tq][i] = float32(seg[1+i])
			} else {
				d.qt[tq][i] = float32(binary.BigEndian.Uint16(seg[1+2*i:]))
			}
		}
		d.qtSet[tq] = true
		seg = seg[1+size:]
	}
	return nil
}

// readHuffman reads a DHT segment: one or more tables.
func (d *decoder) readHuffman(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errors.New("jpegscale: a short Huffman table")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return errors.New("jpegscale: a bad Huffman table class or number")
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total > 256 || len(seg) < 17+total {
			return errors.New("jpegscale: a short Huffman table")
		}
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// readScanHeader reads the SOS segment. Only a scan of every component
// (interleaved, or the one of a grayscale file) is read: files that scan
// their components one at a time are left to image/jpeg.
func (d *decoder) readScanHeader(seg []byte) error {
	if !d.frameFound {
		return errors.New("jpegscale: a scan before the frame")
	}
	if len(seg) < 1 {
		return errors.New("jpegscale: a short scan header")
	}
	n := int(seg[0])
	if n != len(d.comps) || len(seg) != 4+2*n {
		return ErrUnsupported
	}
	// Checked here, when every segment before the scan is read (an
	// Adobe segment may come after the frame).
	if c := d.comps; n == 3 && (d.adobe && d.transform == 0 || c[0].id == 'R' && c[1].id == 'G' && c[2].id == 'B') {
		return ErrUnsupported // RGB samples, not YCbCr
	}
	for i := 0; i < n; i++ {
		id, tables := seg[1+2*i], seg[2+2*i]
		k := -1
		for j, c := range d.comps {
			if c.id == id {
				k = j
			}
		}
		if k < 0 {
			return errors.New("jpegscale: a scan of a component the frame does not have")
		}
		c := &d.comps[k]
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 || !d.dc[c.td].ok || !d.ac[c.ta].ok || !d.qtSet[c.tq] {
			return errors.New("jpegscale: a scan names a table that was not given")
		}
		d.scanComps = append(d.scanComps, k)
	}
	ss, se, a := seg[1+2*n], seg[2+2*n], seg[3+2*n]
	if ss != 0 || se != 63 || a != 0 {
		return ErrUnsupported // a progressive scan's spectral selection
	}
	return nil
}
