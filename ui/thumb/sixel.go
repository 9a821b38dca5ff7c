package thumb

import (
	"fmt"
	"image"
	"strings"
)

// level maps a channel to the nearest of the six levels of the colour
// cube the sixel palette holds (0, 51, … 255).
func level(v uint8) int { return (int(v) + 25) / 51 }

// Sixel returns img in DEC sixel graphics with a 216-colour palette (the
// 6×6×6 cube), run-length encoded, followed by a newline.
func Sixel(img *image.RGBA) string {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	idx := make([]uint8, w*h)
	used := [216]bool{}
	for y := range h {
		for x := range w {
			p := img.RGBAAt(b.Min.X+x, b.Min.Y+y)
			i := uint8(level(p.R)*36 + level(p.G)*6 + level(p.B))
			idx[y*w+x] = i
			used[i] = true
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\x1bPq\"1;1;%d;%d", w, h)
	for i, u := range used {
		if u {
			// Palette entries are in percent.
			fmt.Fprintf(&sb, "#%d;2;%d;%d;%d", i, i/36*20, i/6%6*20, i%6*20)
		}
	}
	row := make([]byte, w)
	for y0 := 0; y0 < h; y0 += 6 {
		var inBand [216]bool
		for y := y0; y < min(y0+6, h); y++ {
			for x := range w {
				inBand[idx[y*w+x]] = true
			}
		}
		first := true
		for c := range 216 {
			if !inBand[c] {
				continue
			}
			if !first {
				sb.WriteByte('$') // back to the band's start for the next colour
			}
			first = false
			for x := range w {
				var bits byte
				for k := range 6 {
					if y := y0 + k; y < h && idx[y*w+x] == uint8(c) {
						bits |= 1 << k
					}
				}
				row[x] = 63 + bits
			}
			fmt.Fprintf(&sb, "#%d", c)
			writeRuns(&sb, row)
		}
		sb.WriteByte('-') // next band
	}
	sb.WriteString("\x1b\\\n")
	return sb.String()
}

// writeRuns writes sixel characters with repeats as !n (for runs over 3).
func writeRuns(sb *strings.Builder, row []byte) {
	for i := 0; i < len(row); {
		j := i
		for j < len(row) && row[j] == row[i] {
			j++
		}
		if n := j - i; n > 3 {
			fmt.Fprintf(sb, "!%d%c", n, row[i])
		} else {
			sb.WriteString(strings.Repeat(string(row[i]), n))
		}
		i = j
	}
}
