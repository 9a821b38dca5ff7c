package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/maskdash/maskdash/runs"
	"github.com/spf13/cobra"
)

// noteCmd prints or sets a run's note (runs.NoteFile).
func (a *app) noteCmd() *cobra.Command {
	var runsDir string
	var clear bool
	cmd := &cobra.Command{
		Use:   "note RUN [TEXT… | -]",
		Short: "print or set a run's note: what it tried, what came of it",
		Long: `note prints a run's note, or with TEXT sets it (the words are joined with
spaces; - reads it, lines and all, from standard input; --clear removes
it). The runs table (maskdash runs, the
dashboard's runs view, where N edits it) shows its first line and the
filter (/) searches it. A run may start with one: train --note TEXT.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("note needs a run id; see '%s --help'", cmd.CommandPath())
			}
			return nil
		},
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&clear, "clear", false, "remove the run's note")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		info, err := runs.NewStore(runsDir).Info(args[0])
		if err != nil {
			return err
		}
		text := strings.Join(args[1:], " ")
		if len(args) == 2 && args[1] == "-" {
			b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), runs.MaxNote+1))
			if err != nil {
				return fmt.Errorf("note from standard input: %w", err)
			}
			if text = string(b); strings.TrimSpace(text) == "" {
				return fmt.Errorf("standard input held no note; --clear removes one")
			}
		}
		switch {
		case clear && text != "":
			return fmt.Errorf("note takes either TEXT or --clear, not both")
		case clear:
			if err := runs.WriteNote(info.Dir, ""); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "removed the note of %s\n", info.ID)
		case strings.TrimSpace(text) != "":
			if err := runs.WriteNote(info.Dir, text); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "noted on %s\n", info.ID)
		case info.Note == "":
			fmt.Fprintf(a.out, "%s has no note; 'maskdash note %s TEXT' writes one\n", info.ID, args[0])
		default:
			fmt.Fprintln(a.out, info.Note)
		}
		return nil
	}
	return cmd
}
