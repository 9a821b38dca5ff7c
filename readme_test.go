package main

import (
	"context"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestREADMEFlagsExist: every command README.md shows (in a code span or
// a shell block, as "maskdash CMD …" or, in a span, "CMD …" for a
// command of maskdash's own) names only flags that command has, so that
// a renamed or removed flag cannot stay in the documentation. A flag
// after a word that is no command of this program's (sbatch's
// --requeue inside a --slurm-args value, a script's options) is not
// checked: the command's words end at the first that is not one.
func TestREADMEFlagsExist(t *testing.T) {
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot(context.Background(), io.Discard, io.Discard)
	var lines []string
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(string(text), -1) {
		lines = append(lines, m[1])
	}
	inBlock := false
	joined := ""
	for _, l := range strings.Split(string(text), "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			inBlock = !inBlock
		case inBlock:
			joined += strings.TrimSuffix(l, "\\")
			if !strings.HasSuffix(l, "\\") {
				lines = append(lines, joined)
				joined = ""
			}
		}
	}
	checked := 0
	for _, l := range lines {
		l, _, _ = strings.Cut(l, "#")       // a shell comment
		l = quoted.ReplaceAllString(l, "V") // a quoted value: another program's flags
		words := strings.Fields(l)
		i := 0
		for i < len(words) && words[i] != "maskdash" {
			i++
		}
		if i == len(words) {
			// a span that starts with one of maskdash's commands
			if len(words) == 0 || subcommand(root, words[0]) == nil || !strings.HasPrefix(l, words[0]+" --") {
				continue
			}
			i = -1
		}
		cmd := root
		j := i + 1
		for ; j < len(words); j++ {
			sub := subcommand(cmd, words[j])
			if sub == nil {
				break
			}
			cmd = sub
		}
		for _, w := range words[j:] {
			if !strings.HasPrefix(w, "--") {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(w, "-[("), "=")
			name = strings.TrimRight(name, "]),.;:'\"")
			if name == "" {
				continue
			}
			checked++
			if name != "help" && cmd.Flag(name) == nil { // its own flags and those it inherits
				t.Errorf("README: %q: %s has no flag --%s", strings.TrimSpace(l), cmd.CommandPath(), name)
			}
		}
	}
	if checked < 80 {
		t.Errorf("only %d flags of README's commands checked: the test no longer reads README as it should", checked)
	}
	t.Logf("%d flags in README's commands checked", checked)
}

var quoted = regexp.MustCompile(`'[^']*'|"[^"]*"`)

// subcommand is cmd's command called name (or by an alias), or nil.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}
