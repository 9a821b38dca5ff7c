package thumb

import (
	"fmt"
	"image"
	"strings"
)

// Protocol is how a terminal is sent pictures.
type Protocol string

// Protocols.
const (
	ProtoBlocks Protocol = "blocks" // truecolor half blocks: every colour terminal
	ProtoPlain  Protocol = "plain"  // characters by luminance: no colour
	ProtoKitty  Protocol = "kitty"  // the Kitty graphics protocol (kitty, WezTerm, Ghostty, Konsole)
	ProtoITerm2 Protocol = "iterm2" // iTerm2's inline images (iTerm2, WezTerm, mintty)
	ProtoSixel  Protocol = "sixel"  // DEC sixel graphics (foot, mlterm, xterm -ti vt340, Windows Terminal)
)

// Protocols lists them all, for flags and help.
var Protocols = []Protocol{ProtoBlocks, ProtoPlain, ProtoKitty, ProtoITerm2, ProtoSixel}

// ParseProtocol reads a protocol name; "auto" and "" are Detect's answer.
func ParseProtocol(s string, env func(string) string) (Protocol, error) {
	if s == "" || s == "auto" {
		return Detect(env), nil
	}
	for _, p := range Protocols {
		if string(p) == s {
			return p, nil
		}
	}
	names := make([]string, len(Protocols))
	for i, p := range Protocols {
		names[i] = string(p)
	}
	return "", fmt.Errorf("image protocol %q is not one of auto, %s", s, strings.Join(names, ", "))
}

// Detect guesses the terminal's best protocol from its environment
// (os.Getenv, or an SSH session's): MASKDASH_IMAGES when set, then what
// the terminal announces of itself. Inside tmux or screen, which do not
// pass pictures on by default, and when unsure, it answers blocks; with
// NO_COLOR set, plain.
func Detect(env func(string) string) Protocol {
	if p := Protocol(env("MASKDASH_IMAGES")); p != "" {
		for _, q := range Protocols {
			if p == q {
				return p
			}
		}
	}
	if env("NO_COLOR") != "" {
		return ProtoPlain
	}
	term, prog := env("TERM"), env("TERM_PROGRAM")
	if env("TMUX") != "" || strings.HasPrefix(term, "screen") || strings.HasPrefix(term, "tmux") {
		return ProtoBlocks
	}
	switch {
	case env("KITTY_WINDOW_ID") != "" || term == "xterm-kitty" || term == "xterm-ghostty" || prog == "ghostty":
		return ProtoKitty
	case prog == "iTerm.app" || prog == "WezTerm" || env("LC_TERMINAL") == "iTerm2":
		return ProtoITerm2
	case strings.HasPrefix(term, "foot") || strings.HasPrefix(term, "mlterm") || env("WT_SESSION") != "":
		return ProtoSixel
	}
	return ProtoBlocks
}

// Draw returns what shows img in cols×rows cells with protocol p. For the
// character protocols it is rows lines; for the picture protocols, one
// escape sequence that leaves the cursor below the picture.
func Draw(p Protocol, img image.Image, cols, rows int) (string, error) {
	switch p {
	case ProtoKitty:
		return Kitty(img, cols, rows)
	case ProtoITerm2:
		return ITerm2(img, cols, rows)
	case ProtoSixel:
		// A terminal cell is about 10×20 pixels.
		return Sixel(Fit(img, cols*10, rows*20)), nil
	case ProtoPlain:
		return strings.Join(Plain(img, cols, rows), "\n") + "\n", nil
	default:
		return strings.Join(Blocks(img, cols, rows), "\n") + "\n", nil
	}
}
