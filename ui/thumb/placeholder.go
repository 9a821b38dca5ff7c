package thumb

import (
	"fmt"
	"image"
	"strings"
)

// Kitty's Unicode placeholders let a full-screen program such as the
// dashboard show pictures as text: the picture is sent once as a virtual
// placement (U=1) with an id, and each cell it covers is the character
// U+10EEEE followed by two combining marks that number its row and
// column, in a foreground colour that carries the id. The program's
// renderer moves, redraws and clears those cells like any text, so no
// picture is left behind when the screen changes.

// placeholder is the character of a picture cell.
const placeholder = "\U0010EEEE"

// rowCol are the combining marks that number rows and columns 0, 1, 2…
// (the first of the kitty protocol's list).
var rowCol = []rune{0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D, 0x033E, 0x033F,
	0x0346, 0x034A, 0x034B, 0x034C, 0x0350, 0x0351, 0x0352, 0x0357,
	0x035B, 0x0363, 0x0364, 0x0365, 0x0366, 0x0367, 0x0368, 0x0369, 0x036A, 0x036B}

// MaxPlaceholderCells is the most rows or columns a placeholder picture
// may have here.
var MaxPlaceholderCells = len(rowCol)

// KittyPlaceholder returns img as a Kitty virtual placement with id (1 to
// 2^24−1) covering cols×rows cells: transmit, the escape sequence that
// sends it (zero cells wide; send it before or with the first line), and
// the rows lines of placeholder cells that show it.
func KittyPlaceholder(img image.Image, id uint32, cols, rows int) (transmit string, lines []string, err error) {
	if id == 0 || id >= 1<<24 || cols < 1 || rows < 1 || cols > len(rowCol) || rows > len(rowCol) {
		return "", nil, fmt.Errorf("kitty placeholder: id %d and %d×%d cells out of range", id, cols, rows)
	}
	transmit, err = kittySend(img, fmt.Sprintf("a=T,U=1,f=100,q=2,i=%d,c=%d,r=%d", id, cols, rows))
	if err != nil {
		return "", nil, err
	}
	fg := fmt.Sprintf("\x1b[38;2;%d;%d;%dm", id>>16&0xff, id>>8&0xff, id&0xff)
	lines = make([]string, rows)
	for r := range rows {
		var l strings.Builder
		l.WriteString(fg)
		for c := range cols {
			l.WriteString(placeholder)
			l.WriteRune(rowCol[r])
			l.WriteRune(rowCol[c])
		}
		l.WriteString("\x1b[39m")
		lines[r] = l.String()
	}
	return transmit, lines, nil
}
