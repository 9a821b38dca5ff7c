package thumb

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"strings"
)

// Kitty returns img as a Kitty graphics command: the PNG sent in base64
// chunks of 4096 bytes (the protocol's limit), shown at once in cols×rows
// cells (a=T, f=100), followed by a newline.
func Kitty(img image.Image, cols, rows int) (string, error) {
	s, err := kittySend(img, fmt.Sprintf("a=T,f=100,q=2,c=%d,r=%d", cols, rows))
	if err != nil {
		return "", err
	}
	return s + "\n", nil
}

// kittySend is the Kitty graphics command that sends img as PNG with the
// first chunk's keys: base64 in chunks of 4096 bytes (the protocol's
// limit), m=1 on all but the last.
func kittySend(img image.Image, keys string) (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("kitty image: %w", err)
	}
	data := base64.StdEncoding.EncodeToString(buf.Bytes())
	var sb strings.Builder
	for i := 0; i < len(data); i += 4096 {
		end := min(i+4096, len(data))
		more := 0
		if end < len(data) {
			more = 1
		}
		if i == 0 {
			fmt.Fprintf(&sb, "\x1b_G%s,m=%d;%s\x1b\\", keys, more, data[i:end])
		} else {
			fmt.Fprintf(&sb, "\x1b_Gm=%d;%s\x1b\\", more, data[i:end])
		}
	}
	return sb.String(), nil
}

// ITerm2 returns img as an iTerm2 inline image (OSC 1337 File=) of
// cols×rows cells, followed by a newline.
func ITerm2(img image.Image, cols, rows int) (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("iTerm2 image: %w", err)
	}
	return fmt.Sprintf("\x1b]1337;File=inline=1;size=%d;width=%d;height=%d;preserveAspectRatio=1:%s\a\n",
		buf.Len(), cols, rows, base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}
