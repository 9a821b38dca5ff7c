// Package thumb draws images in a terminal: as truecolor half-block
// characters (two pixels a cell, every terminal with colour), as a
// luminance ramp of plain characters (NO_COLOR), or in the terminal's own
// image protocol (Kitty graphics, iTerm2 inline images, sixel) where one
// is detected. It knows nothing of runs or training.
package thumb
