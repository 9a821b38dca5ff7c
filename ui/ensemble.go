package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// The runs view's E: the soft vote of the picked runs (their best
// checkpoints) on the first one's data, as maskdash ensemble does,
// written to <runs>/ensembles/ for a submission.

// EnsemblesDir is the folder, in the runs folder, that E writes to.
const EnsemblesDir = "ensembles"

// vote is a running vote: how to stop it (esc in the runs view). The
// view stays voting until the vote's command answers, so a second E
// cannot start beside a vote that is still winding down.
type vote struct {
	cancel    context.CancelFunc
	cancelled bool
}

// ensembledMsg reports a vote: where it went and how it scored.
type ensembledMsg struct {
	path  string
	e     training.Ensemble
	ids   []string
	err   error
	start time.Time
	// cancelled: esc stopped the vote; nothing was written.
	cancelled bool
	offsets   votedOffsets
	// unrecorded: the votes are written, but the runs folder's record of
	// submissions could not take them.
	unrecorded error
	// cacheNote is what the store of prepared images said (it could not
	// be read or written: the images were decoded), or "".
	cacheNote string
	// val is the vote on the validation images the runs share (nil:
	// they do not share them).
	val *training.VoteValidation
	oof *training.OutOfFold // a vote of folds: its out-of-fold figure (val is nil)
	// weighted is the vote with weights (maskdash ensemble --weights),
	// written beside the plain one when held-out halves say they help.
	weighted votedWeights
}

// votedWeights is the weighted vote: where it went, the fit and its
// score; why says why there is none.
type votedWeights struct {
	path  string
	fit   training.VoteWeights
	vote  training.Ensemble // the weighted vote (when path is set)
	score *training.Metrics
	why   string
}

// votedOffsets is the vote with class offsets (maskdash ensemble
// --offsets), written beside the plain one when held-out halves say they
// help; why says why not otherwise.
type votedOffsets struct {
	path    string
	cal     training.VoteCalibration
	weights []float64 // the vote's weights the offsets were fitted on; nil: an equal vote
	score   *training.Metrics
	why     string
}

// ensemble votes with the picked runs in a command (it predicts every
// image with every run: seconds to minutes).
func (r runsModel) ensemble() (runsModel, tea.Cmd) {
	switch {
	case r.voting != nil:
		r.answer, r.answerBad = "ensemble: a vote is running (esc stops it); its result comes here", true
		return r, nil
	case len(r.selected) < 2:
		r.answer, r.answerBad = "ensemble: pick two runs or more with enter first", true
		return r, nil
	}
	var dirs, ids []string
	for _, i := range r.pickedInfos() {
		dirs, ids = append(dirs, i.Dir), append(ids, i.ID)
	}
	out := filepath.Join(r.dir, EnsemblesDir, time.Now().Format("20060102-150405")+fmt.Sprintf("-%druns.csv", len(dirs)))
	r.answer, r.answerBad = fmt.Sprintf("ensemble: voting with %d runs (every image through every run; esc stops)…", len(dirs)), false
	ctx, cancel := context.WithCancel(r.ctx)
	r.voting = &vote{cancel: cancel}
	prepared := r.prepared
	return r, func() tea.Msg {
		defer cancel()
		start := time.Now()
		var cacheNote string // the first thing the store of prepared images said
		say := func(msg string) {
			if cacheNote == "" {
				cacheNote = msg
			}
		}
		var prs []training.RunPredictor
		for _, d := range dirs {
			pr, err := training.OpenRunPredictor(runs.NewStore(filepath.Dir(d)), d, "best")
			if err != nil {
				return ensembledMsg{err: fmt.Errorf("%s: %w", filepath.Base(d), err)}
			}
			pr.Prepared, pr.Say = prepared, say
			prs = append(prs, pr)
		}
		e, err := training.SoftVoteRuns(ctx, prs, nil, false, nil)
		if ctx.Err() != nil {
			return ensembledMsg{cancelled: true}
		}
		if err != nil {
			return ensembledMsg{err: err}
		}
		if err := mkdirParent(out); err != nil {
			return ensembledMsg{err: err}
		}
		if err := training.WriteBoth(out, e.Set, e.Vote); err != nil {
			return ensembledMsg{err: err}
		}
		weighted, err := weightVote(prs, e, strings.TrimSuffix(out, ".csv")+"-weighted.csv")
		if err != nil {
			return ensembledMsg{err: err}
		}
		// Class offsets are fitted for the vote that is used: the
		// weighted one when its weights help (as ensemble --weights
		// --offsets does), the plain one otherwise.
		offsets, err := offsetVote(ctx, prs, e, nil, strings.TrimSuffix(out, ".csv")+"-offsets.csv")
		if weighted.path != "" {
			offsets, err = offsetVote(ctx, prs, weighted.vote, weighted.fit.Weights, strings.TrimSuffix(out, ".csv")+"-weighted-offsets.csv")
		}
		if err != nil {
			return ensembledMsg{err: err}
		}
		// The votes go into the runs folder's record of submissions,
		// for the leaderboard's scores (maskdash submissions).
		var unrecorded error
		if e.Set.Task == "" {
			for _, v := range []struct {
				path    string
				offsets bool
				weights []float64
			}{{out, false, nil}, {offsets.path, true, offsets.weights}, {weighted.path, false, weighted.fit.Weights}} {
				if v.path == "" {
					continue
				}
				home, sub := training.SubmissionFrom(r.dir, prs, false, v.offsets)
				sub.VoteWeights = v.weights
				if err := runs.RecordSubmission(home, v.path, sub); err != nil && unrecorded == nil {
					unrecorded = err
				}
			}
		}
		msg := ensembledMsg{path: out, e: e, ids: ids, start: start, offsets: offsets, weighted: weighted, unrecorded: unrecorded, cacheNote: cacheNote}
		if v, err := training.VoteOnValidation(prs); err == nil {
			msg.val = &v
		} else if o, err := training.VoteOutOfFold(prs); err == nil {
			msg.oof = &o
		}
		return msg
	}
}

// offsetVote fits class offsets for the vote e, of weights w (nil: an
// equal vote), as ensemble [--weights] --offsets does, and, when they
// help on held-out halves, writes the vote with them to out.
func offsetVote(ctx context.Context, prs []training.RunPredictor, e training.Ensemble, w []float64, out string) (votedOffsets, error) {
	cal, err := training.CalibrateWeightedVote(ctx, prs, false, w)
	switch {
	case errors.Is(err, training.ErrSplitsOverlap):
		return votedOffsets{why: "the runs' validation splits overlap"}, nil
	case err != nil:
		return votedOffsets{why: err.Error()}, nil
	case !cal.Worth():
		return votedOffsets{cal: cal, why: fmt.Sprintf("%+.4f on held-out halves, %d of %d gained", cal.HeldOut.Gain, cal.HeldOut.Improved, cal.HeldOut.Halves)}, nil
	}
	v := e.WithOffsets(cal.Offsets)
	if err := training.WriteBoth(out, v.Set, v.Vote); err != nil {
		return votedOffsets{}, err
	}
	return votedOffsets{path: out, cal: cal, weights: w, score: v.Score}, nil
}

// sayBeside adds to a vote's answer s a vote written beside the plain
// one at path (named what: with class offsets, weighted), with its score
// and held-out gain, and its file to files; or why there is none.
func sayBeside(s, files *string, what, none, path string, score *training.Metrics, gain float64, why string) {
	switch {
	case path != "":
		*s += " · " + what
		if score != nil {
			*s += fmt.Sprintf(" %.4f", score.MacroF1)
		}
		*s += fmt.Sprintf(" (%+.4f on held-out halves)", gain)
		*files += " and " + filepath.Base(path)
	case why != "":
		*s += " · " + none + ": " + why
	}
}

// weightVote fits the vote's weights (as ensemble --weights) and, when
// they help on held-out halves, writes the vote with them to out.
func weightVote(prs []training.RunPredictor, e training.Ensemble, out string) (votedWeights, error) {
	fit, err := training.FitVoteWeights(prs)
	switch {
	case errors.Is(err, training.ErrNoSharedValidation), errors.Is(err, training.ErrSplitsOverlap):
		return votedWeights{why: "the runs validated on different images"}, nil
	case err != nil:
		return votedWeights{why: err.Error()}, nil
	case !fit.Worth():
		return votedWeights{fit: fit, why: fmt.Sprintf("%+.4f on held-out halves, %d of %d gained", fit.HeldOut.Gain, fit.HeldOut.Improved, fit.HeldOut.Halves)}, nil
	}
	w, err := e.WithWeights(fit.Weights)
	if err != nil {
		return votedWeights{}, err
	}
	if err := training.WriteBoth(out, w.Set, w.Vote); err != nil {
		return votedWeights{}, err
	}
	return votedWeights{path: out, fit: fit, vote: w, score: w.Score}, nil
}

// said is what the view answers to a finished vote: the scores first,
// then where the predictions went (in the runs folder's ensembles/).
func (m ensembledMsg) said() (string, bool) {
	if m.cancelled {
		return "ensemble: stopped; nothing was written", false
	}
	if m.err != nil {
		return "ensemble: " + m.err.Error(), true
	}
	s := fmt.Sprintf("ensemble of %d runs", len(m.ids))
	if m.e.Score != nil {
		var alone []string
		for _, a := range m.e.Members {
			if a.Alone == nil {
				continue
			}
			s := fmt.Sprintf("%.4f", a.Alone.MacroF1)
			if a.Task != "" {
				s += " " + a.Task
			}
			alone = append(alone, s)
		}
		s += fmt.Sprintf(": macro F1 %.4f (alone %s)", m.e.Score.MacroF1, strings.Join(alone, ", "))
	}
	if n := training.CountUnread(m.e.Unread); n > 0 {
		// Early in the line, which a narrow screen cuts.
		s += fmt.Sprintf(" · %d images could not be read: their rows are guesses, left out of the scores", n)
	}
	if v := m.val; v != nil {
		s += fmt.Sprintf(" · on the %d validation images they share: %.4f, %+.4f on the best alone", v.Images, v.Vote.MacroF1, v.Vote.MacroF1-v.BestAlone())
	}
	if o := m.oof; o != nil {
		s += fmt.Sprintf(" · out of fold (%d images of %d splits): %.4f", o.Images, o.Splits, o.Vote.MacroF1)
	}
	files := filepath.Join(EnsemblesDir, filepath.Base(m.path))
	o, w := m.offsets, m.weighted
	sayBeside(&s, &files, "weighted", "no weights", w.path, w.score, w.fit.HeldOut.Gain, w.why)
	what := "with class offsets"
	if o.weights != nil {
		what = "weighted, with class offsets"
	}
	sayBeside(&s, &files, what, "no class offsets", o.path, o.score, o.cal.HeldOut.Gain, o.why)
	s += fmt.Sprintf(" · %d predictions → %s and their class probabilities (-probs.csv) (%s)", m.e.Set.Len(), files, time.Since(m.start).Round(time.Second))
	if m.cacheNote != "" {
		s += " · " + m.cacheNote
	}
	if m.unrecorded != nil {
		return s + " · not recorded among the submissions: " + m.unrecorded.Error(), true
	}
	return s, false
}
