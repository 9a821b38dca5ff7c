package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/maskdash/maskdash/runs"
	"github.com/spf13/cobra"
)

// submissionsCmd lists the runs folder's record of submissions (every
// predictions file predict, ensemble and the dashboard wrote), with the
// leaderboard scores given for them and how well validation foretold
// them; its score command gives a file its score.
func (a *app) submissionsCmd() *cobra.Command {
	var runsDir string
	var asJSON, wide bool
	cmd := &cobra.Command{
		Use:   "submissions",
		Short: "the predictions files written, with their leaderboard scores, against validation",
		Long: `submissions lists every predictions file maskdash wrote from the runs in
the runs folder (predict --out, ensemble --out, the dashboard's x and E),
oldest first: when, which runs and weights, their validation macro F1, and
the leaderboard's scores that 'maskdash submissions score FILE --f1 F1'
recorded. With three or more scored submissions that have a validation
figure it says how well validation foretold the leaderboard: Spearman's
rank correlation (near 1, a better validation score meant a better
leaderboard one) and the mean gap between them.`,
		Args: noArgs,
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&wide, "wide", false, "every column whole on a terminal narrower than the table (by default the runs and weights are cut there; piped, nothing is)")
	cmd.RunE = func(*cobra.Command, []string) error {
		all, err := runs.ReadSubmissions(runsDir)
		if err != nil {
			return err
		}
		if asJSON {
			return submissionsJSON(a.out, all)
		}
		if len(all) == 0 {
			fmt.Fprintf(a.out, "no submissions in %s yet: predict --out and ensemble --out record theirs\n", runsDir)
			return nil
		}
		printSubmissions(a.out, runsDir, all, a.tableWidth(wide))
		return nil
	}
	cmd.AddCommand(a.submissionsScoreCmd())
	return cmd
}

func (a *app) submissionsScoreCmd() *cobra.Command {
	var runsDir string
	var f1, acc float64
	var private bool
	cmd := &cobra.Command{
		Use:   "score FILE --f1 F1 [--acc ACC] [--private]",
		Short: "record the leaderboard's score of a predictions file",
		Long: `score records what the leaderboard said of a predictions file maskdash
wrote: its macro F1 (0 to 1) and, if given, its accuracy (a share or a
percentage, as the leaderboard shows it: 76.5873 or 0.765873). The file is
found by its content, so a renamed copy will do. --private records the
private leaderboard's score instead of the public one's.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("submissions score takes one predictions file, not %d", len(args))
			}
			return nil
		},
	}
	runsFlag(cmd.Flags(), &runsDir, "runs folder")
	cmd.Flags().Float64Var(&f1, "f1", math.NaN(), "the leaderboard's macro F1 (0 to 1)")
	cmd.Flags().Float64Var(&acc, "acc", math.NaN(), "the leaderboard's accuracy (0 to 1, or a percentage)")
	cmd.Flags().BoolVar(&private, "private", false, "the private leaderboard's score")
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		switch {
		case math.IsNaN(f1):
			return errors.New("submissions score needs --f1, the leaderboard's macro F1")
		case f1 < 0 || f1 > 1:
			return fmt.Errorf("--f1 %g is not a macro F1, which is between 0 and 1 (0.7021, not 70.21)", f1)
		case !math.IsNaN(acc) && (acc < 0 || acc > 100):
			return fmt.Errorf("--acc %g is neither a share (0 to 1) nor a percentage (0 to 100)", acc)
		}
		sc := runs.LeaderboardScore{MacroF1: f1, Time: time.Now()}
		if !math.IsNaN(acc) {
			if acc > 1 {
				acc /= 100
			}
			sc.Accuracy = &acc
		}
		scored, err := runs.ScoreSubmission(runsDir, args[0], private, sc)
		if errors.Is(err, runs.ErrNotSubmitted) {
			return fmt.Errorf("%s is not among the predictions files recorded in %s (predict --out and ensemble --out record theirs; --runs names another runs folder)",
				args[0], filepath.Join(runsDir, runs.SubmissionsFile))
		}
		if err != nil {
			return err
		}
		board := "public"
		if private {
			board = "private"
		}
		for _, s := range scored {
			fmt.Fprintf(a.out, "%s (%s, %s): %s leaderboard macro F1 %.4f", filepath.Base(s.File), strings.Join(s.Runs, " + "), s.Time.Format("2006-01-02 15:04"), board, f1)
			if s.ValF1 != nil {
				fmt.Fprintf(a.out, ", %s %.4f (%+.4f)", valWord(s), *s.ValF1, f1-*s.ValF1)
			}
			fmt.Fprintln(a.out)
		}
		all, err := runs.ReadSubmissions(runsDir)
		if err != nil {
			return err
		}
		if line := agreementLine(runs.SubmissionAgreement(all, private), board); line != "" {
			fmt.Fprintln(a.out, line)
		}
		return nil
	}
	return cmd
}

// submissionsGive is how the submissions table gives way on a narrow
// terminal: the weights, then the runs a file came from, are cut.
var submissionsGive = []give{{"WEIGHTS", 8, false}, {"FROM", 14, false}}

// printSubmissions prints the submissions table, fitted to width columns
// (0: whole), and how well validation foretold the leaderboard.
func printSubmissions(out io.Writer, runsDir string, all []runs.Submission, width int) {
	scored := 0
	for _, s := range all {
		if s.Public != nil || s.Private != nil {
			scored++
		}
	}
	fmt.Fprintf(out, "%s in %s, %d scored on a leaderboard\n", plural(len(all), "submission"), runsDir, scored)
	t := table{head: []string{"WRITTEN", "FILE", "FROM", "WEIGHTS", "VAL F1", "PUBLIC F1 (ACC)", "PRIVATE F1 (ACC)"}, give: submissionsGive}
	for _, s := range all {
		from := strings.Join(s.Runs, " + ")
		if len(s.Runs) > 1 { // --json names them all
			from = fmt.Sprintf("vote of %d: %s + %d more", len(s.Runs), s.Runs[0], len(s.Runs)-1)
		}
		weights := s.Ckpt
		var with []string
		if s.TTA {
			with = append(with, "tta")
		}
		if s.Offsets {
			with = append(with, "offsets")
		}
		if s.VoteWeights != nil {
			with = append(with, "weighted")
		}
		if len(with) > 0 {
			weights = strings.TrimPrefix(weights+", "+strings.Join(with, ", "), ", ")
		}
		val := f1Cell(s.ValF1)
		if s.ValOutOfFold && s.ValF1 != nil {
			val += " oof"
		}
		t.rows = append(t.rows, []string{s.Time.Local().Format("2006-01-02 15:04"), filepath.Base(s.File), from, dash(weights),
			val, scoreCell(s.Public), scoreCell(s.Private)})
	}
	t.printFitted(out, width)
	if slices.ContainsFunc(all, func(s runs.Submission) bool { return s.ValOutOfFold && s.ValF1 != nil }) {
		fmt.Fprintln(out, "oof: a vote of the folds of a K-fold split, scored on their out-of-fold predictions (each image voted by the runs that did not train on it)")
	}
	for _, b := range []struct {
		private bool
		name    string
	}{{false, "public"}, {true, "private"}} {
		if line := agreementLine(runs.SubmissionAgreement(all, b.private), b.name); line != "" {
			fmt.Fprintln(out, line)
		}
	}
	if scored < len(all) {
		fmt.Fprintln(out, "score one: maskdash submissions score FILE --f1 F1 [--acc ACC] [--private]")
	}
}

// agreementLine says how well validation foretold the leaderboard; ""
// with no submission that has both.
func agreementLine(a runs.Agreement, board string) string {
	if a.N == 0 {
		return ""
	}
	gap := fmt.Sprintf("the %s leaderboard %.4f %s validation on average", board, math.Abs(a.Gap), map[bool]string{true: "above", false: "below"}[a.Gap >= 0])
	if math.IsNaN(a.Rank) {
		return fmt.Sprintf("%s with both figures: %s (their rank correlation needs 3 with differing figures)", plural(a.N, "submission"), gap)
	}
	return fmt.Sprintf("validation against the %s leaderboard over %s: Spearman ρ %.2f, %s", board, plural(a.N, "submission"), a.Rank, gap)
}

// valWord names a submission's validation figure: out of fold for a vote
// of folds.
func valWord(s runs.Submission) string {
	if s.ValOutOfFold {
		return "validation out of fold"
	}
	return "validation"
}

func f1Cell(v *float64) string {
	if v == nil {
		return "–"
	}
	return prFig(*v)
}

func scoreCell(s *runs.LeaderboardScore) string {
	if s == nil {
		return "–"
	}
	if s.Accuracy == nil {
		return fmt.Sprintf("%.4f", s.MacroF1)
	}
	return fmt.Sprintf("%.4f (%.2f%%)", s.MacroF1, 100**s.Accuracy)
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// submissionsJSON writes the record and the agreements, a figure that
// cannot be had as null.
func submissionsJSON(out io.Writer, all []runs.Submission) error {
	type agreement struct {
		N    int      `json:"submissions"`
		Rank *float64 `json:"spearman"`
		Gap  *float64 `json:"mean_gap"`
	}
	agree := func(private bool) agreement {
		a := runs.SubmissionAgreement(all, private)
		return agreement{N: a.N, Rank: finite(a.Rank), Gap: finite(a.Gap)}
	}
	if all == nil {
		all = []runs.Submission{}
	}
	doc := struct {
		Submissions []runs.Submission `json:"submissions"`
		Public      agreement         `json:"public_agreement"`
		Private     agreement         `json:"private_agreement"`
	}{all, agree(false), agree(true)}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
