package thumb

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/muesli/termenv"
)

// Blocks draws img in cols×rows cells with the upper half block '▀':
// its foreground is the upper pixel, its background the lower, in 24-bit
// colour. Each line ends by resetting the colours.
func Blocks(img image.Image, cols, rows int) []string {
	return BlocksIn(termenv.TrueColor, img, cols, rows)
}

// BlocksIn is Blocks in a terminal's colour profile: the nearest of 256
// or 16 colours where the terminal has no more (an SSH client's TERM
// says which). Ascii draws Plain.
func BlocksIn(profile termenv.Profile, img image.Image, cols, rows int) []string {
	if profile == termenv.Ascii {
		return Plain(img, cols, rows)
	}
	p := Fit(img, cols, 2*rows)
	seq := func(c color.RGBA, bg bool) string {
		return profile.Color(fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)).Sequence(bg)
	}
	lines := make([]string, rows)
	var sb strings.Builder
	for r := range rows {
		sb.Reset()
		for c := range cols {
			fmt.Fprintf(&sb, "\x1b[%sm\x1b[%sm▀", seq(p.RGBAAt(c, 2*r), false), seq(p.RGBAAt(c, 2*r+1), true))
		}
		sb.WriteString("\x1b[0m")
		lines[r] = sb.String()
	}
	return lines
}

// ramp runs from dark to light.
const ramp = " .:-=+*#%@"

// Plain draws img in cols×rows cells of plain characters by luminance,
// for terminals without colour (NO_COLOR).
func Plain(img image.Image, cols, rows int) []string {
	p := Fit(img, cols, rows)
	lines := make([]string, rows)
	for r := range rows {
		b := make([]byte, cols)
		for c := range cols {
			px := p.RGBAAt(c, r)
			y := (299*int(px.R) + 587*int(px.G) + 114*int(px.B)) / 1000
			b[c] = ramp[y*len(ramp)/256]
		}
		lines[r] = string(b)
	}
	return lines
}
