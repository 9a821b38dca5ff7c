package ui

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
)

// TestEnsemblePickedRuns: E with two picked runs votes with their best
// checkpoints on their data's eval set, writes the predictions under
// <runs>/ensembles/ and says the vote's macro F1 beside each run's; with
// fewer than two picked it says what to do.
// twoRuns trains two tiny runs, a and b, on a synthetic set with 14
// labelled eval images, and returns their runs folder.
func twoRuns(t *testing.T) string { return twoRunsSeeded(t, false) }

// twoRunsSeeded is twoRuns; with oneSplit both runs take seed 7, so they
// validate on the same images.
func twoRunsSeeded(t *testing.T, oneSplit bool) string {
	data, rd := t.TempDir(), t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: data, Profiles: 12, W: 24, H: 32, Eval: 14, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		cfg := training.Config{Data: data, Runs: rd, Model: "cnn-s", Batch: 8, W: 16, H: 16, Epochs: 1, Name: name, Seed: uint64(len(name) + int(name[0])), StepEvery: time.Hour}
		if oneSplit {
			cfg.Seed, cfg.LR = 7, 0.001*float64(1+int(name[0]-'a'))
		}
		if err := training.NewManager(cfg, training.NewHub()).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return rd
}

func TestEnsemblePickedRuns(t *testing.T) {
	rd := twoRuns(t)
	m := runsViewModel(t, rd, 120, 40)
	m = feed(t, m, "E")
	if v := m.View(); !strings.Contains(v, "pick two runs or more") {
		t.Errorf("E with nothing picked:\n%s", v)
	}
	m, _ = press(m, "enter", "down", "enter")
	m, cmds := press(m, "E")
	if v := m.View(); !strings.Contains(v, "voting with 2 runs") {
		t.Errorf("E does not say it is voting:\n%s", v)
	}
	m2, _ := press(m, "E")
	if v := m2.View(); !strings.Contains(v, "a vote is running") {
		t.Errorf("a second E while voting:\n%s", v)
	}
	// esc stops a vote; nothing is written, and E works again after.
	m3, _ := press(m, "esc")
	if v := m3.View(); !strings.Contains(v, "stopping the vote") {
		t.Errorf("esc during a vote:\n%s", v)
	}
	if m4, _ := press(m3, "E"); !strings.Contains(m4.View(), "a vote is running") {
		t.Errorf("E while the stopped vote winds down:\n%s", m4.View())
	}
	m3 = voted(t, m3, cmds[0])
	checkStopped(t, m3, rd, "a vote stopped with esc")
	m, cmds = press(m3, "E")
	m = voted(t, m, cmds[0])
	v := m.View()
	if !strings.Contains(v, "ensemble of 2 runs: macro F1") || !strings.Contains(v, "(alone ") {
		t.Fatalf("after the vote:\n%s", v)
	}
	// Seeds 98 and 99 split the people differently, with some in both
	// validation splits: no offsets can be fitted (maskdash ensemble
	// --offsets refuses them too).
	flat := strings.Join(strings.Fields(v), " ") // the answer wraps
	if !strings.Contains(flat, "no class offsets: the runs' validation splits overlap") || strings.Contains(flat, "validation images they share") ||
		!strings.Contains(flat, "no weights: the runs validated on different images") {
		t.Errorf("the vote of overlapping splits does not say why it has no offsets:\n%s", v)
	}
	files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*-2runs.csv"))
	if len(files) != 1 {
		t.Fatalf("ensemble files: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil || !strings.HasPrefix(string(b), "ImageID,ans\n") || strings.Count(string(b), "\n") != 15 {
		t.Errorf("%s: %v\n%s", files[0], err, b)
	}
	// The vote is in the runs folder's record of submissions.
	if subs, err := runs.ReadSubmissions(rd); err != nil || len(subs) != 1 || len(subs[0].Runs) != 2 || subs[0].File != files[0] || subs[0].ValF1 != nil || subs[0].Rows != 14 {
		t.Errorf("the vote's record: %v %+v", err, subs)
	}
	// The vote's class probabilities beside it: the same classes, each
	// image's most probable, for --pseudo-labels with --pseudo-min-prob.
	classes, _, err := dataset.ReadPseudoLabels(files[0])
	if err != nil {
		t.Fatal(err)
	}
	probs, skips, err := dataset.ReadPseudoLabels(training.ProbsPath(files[0]))
	if err != nil || len(skips) > 0 || !probs.Probs || len(probs.ByImage) != len(classes.ByImage) {
		t.Fatalf("the vote's probabilities: %v, %d skips, %d images of %d", err, len(skips), len(probs.ByImage), len(classes.ByImage))
	}
	for id, c := range classes.ByImage {
		if p := probs.ByImage[id]; p.Class != c.Class || !(p.Prob > 0) {
			t.Errorf("%s: class %d, probabilities say %+v", id, c.Class, p)
		}
	}
	if a := m.runs.answer; !strings.Contains(a, filepath.Base(files[0])+" and their class probabilities (-probs.csv)") {
		t.Errorf("the answer does not say where the probabilities went: %s", a)
	}
}

// msgsOf runs a command, and the commands of a batch it returns, and
// returns their messages.
func msgsOf(c tea.Cmd) []tea.Msg {
	if c == nil {
		return nil
	}
	msg := c()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, sub := range b {
			out = append(out, msgsOf(sub)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// TestEnsembleStopsWithTheSession: a vote started from a session (an
// operator over SSH) stops when the session ends (Options.Context), and
// writes nothing.
func TestEnsembleStopsWithTheSession(t *testing.T) {
	rd := twoRuns(t)
	ctx, end := context.WithCancel(context.Background())
	m := runsViewOf(t, New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: rd, Context: ctx}), 120, 40)
	m, _ = press(m, "enter", "down", "enter")
	m, cmds := press(m, "E")
	end()
	checkStopped(t, voted(t, m, cmds[0]), rd, "a vote whose session ended")
}

// voted runs a vote's command (waited for: settle gives a command 50 ms,
// and under -race a vote takes longer) and hands its messages to m.
func voted(t *testing.T, m Model, vote tea.Cmd) Model {
	t.Helper()
	done := make(chan []tea.Msg, 1)
	go func() { done <- msgsOf(vote) }()
	select {
	case msgs := <-done:
		for _, msg := range msgs {
			nm, _ := m.Update(msg)
			m = nm.(Model)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("the vote took over five minutes")
	}
	return m
}

// checkStopped: the view says the vote stopped, and nothing is in the
// runs folder's ensembles/.
func checkStopped(t *testing.T, m Model, rd, what string) {
	t.Helper()
	if v := m.View(); !strings.Contains(v, "ensemble: stopped; nothing was written") {
		t.Errorf("after %s:\n%s", what, v)
	}
	if files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*")); len(files) != 0 {
		t.Errorf("%s wrote %v", what, files)
	}
}

// TestEnsembleWithClassOffsets: E with two runs of one validation split
// also fits class offsets on the vote of their validation predictions;
// the vote with them is written beside the plain one exactly when the
// view says so, which is when held-out halves said they help.
func TestEnsembleWithClassOffsets(t *testing.T) {
	rd := twoRunsSeeded(t, true)
	m := runsViewModel(t, rd, 200, 40)
	m, _ = press(m, "enter", "down", "enter")
	m, cmds := press(m, "E")
	v := voted(t, m, cmds[0]).View()
	// The runs share a split: the view gives the vote on it, and the
	// record has it as the vote's validation figure.
	prs := make([]training.RunPredictor, 0, 2)
	for _, name := range []string{"a", "b"} {
		pr, err := training.OpenRunPredictor(runs.NewStore(rd), name, "best")
		if err != nil {
			t.Fatal(err)
		}
		prs = append(prs, pr)
	}
	val, err := training.VoteOnValidation(prs)
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(v), " ") // the answer wraps
	if want := fmt.Sprintf("on the %d validation images they share: %.4f, %+.4f on the best alone", val.Images, val.Vote.MacroF1, val.Vote.MacroF1-val.BestAlone()); !strings.Contains(flat, want) {
		t.Errorf("the view lacks %q:\n%s", want, v)
	}
	if subs, err := runs.ReadSubmissions(rd); err != nil || len(subs) == 0 || subs[0].ValF1 == nil || *subs[0].ValF1 != val.Vote.MacroF1 {
		t.Errorf("the vote's record: %v %+v", err, subs)
	}
	// The weights, as ensemble --weights fits them: the weighted vote is
	// written (and recorded with them) when they help on held-out halves.
	fit, err := training.FitVoteWeights(prs)
	if err != nil {
		t.Fatal(err)
	}
	weighted, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*-2runs-weighted.csv"))
	if fit.Worth() != (len(weighted) == 1) || fit.Worth() != strings.Contains(flat, "· weighted") ||
		!fit.Worth() && !strings.Contains(flat, fmt.Sprintf("no weights: %+.4f on held-out halves", fit.HeldOut.Gain)) {
		t.Errorf("the weights (worth it: %v, %+v), the files %v:\n%s", fit.Worth(), fit.HeldOut, weighted, v)
	}
	if fit.Worth() {
		subs, _ := runs.ReadSubmissions(rd)
		if len(subs) < 2 || !slices.Equal(subs[len(subs)-1].VoteWeights, fit.Weights) {
			t.Errorf("the weighted vote's record: %+v", subs)
		}
	}
	files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*-2runs-offsets.csv"))
	with := strings.Contains(v, "with class offsets")
	if with != (len(files) == 1) || !with && !strings.Contains(v, "on held-out halves, ") {
		t.Fatalf("the view says with=%v, the files: %v:\n%s", with, files, v)
	}
	if with {
		b, err := os.ReadFile(files[0])
		if err != nil || !strings.HasPrefix(string(b), "ImageID,ans\n") || strings.Count(string(b), "\n") != 15 {
			t.Errorf("%s: %v\n%s", files[0], err, b)
		}
	}
}

// TestOffsetVoteWritesTheVoteWithOffsets: given validation predictions
// of a net that under-predicts class 3 (600 images, one split), E's
// offsets step fits offsets that help on held-out halves and writes the
// vote with them, which predicts class 3 more often than the plain vote.
func TestOffsetVoteWritesTheVoteWithOffsets(t *testing.T) {
	rd := t.TempDir()
	r, err := runs.NewStore(rd).Create(runs.Info{Model: "cnn-s", Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const k, n = 4, 600
	p := &runs.ValPreds{Epoch: 2, Classes: k, Names: []string{"a", "b", "c", "d"}}
	set := &dataset.Set{Classes: p.Names}
	var vote [][]float64
	for i := range n {
		y := min(rng.IntN(7), 3) // class 3 as often as each other one, and under-predicted:
		score := make([]float64, k)
		var sum float64
		for c := range score {
			score[c] = math.Exp(rng.NormFloat64() + 2*b2f(c == y) - 1.5*b2f(c == 3))
			sum += score[c]
		}
		row := make([]float64, k)
		for c := range score {
			p.Probs = append(p.Probs, float32(score[c]/sum))
			row[c] = math.Log(score[c] / sum)
		}
		name := fmt.Sprintf("i%03d", i)
		p.Truth, p.Pred, p.Loss = append(p.Truth, y), append(p.Pred, training.Argmax(row)), append(p.Loss, float32(-row[y]))
		p.Items = append(p.Items, runs.ValItem{Name: name, Mem: i, Label: y})
		set.Samples = append(set.Samples, dataset.Sample{Name: name, Mem: i, Label: y})
		vote = append(vote, row)
	}
	if err := r.WriteValPreds(p); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	pr := training.RunPredictor{Predictor: &training.Predictor{Meta: training.CkptMeta{Epoch: 2, Classes: p.Names}}, RunDir: r.Dir}
	out := filepath.Join(rd, "vote-offsets.csv")
	o, err := offsetVote(context.Background(), []training.RunPredictor{pr, pr}, training.Ensemble{Set: set, Vote: vote}, nil, out)
	if err != nil || o.path != out || o.score == nil || !o.cal.Worth() {
		t.Fatalf("offsetVote: %+v %v", o, err)
	}
	// Fitted for a weighted vote, they are the weighted vote's, and the
	// answer says so.
	w := []float64{0.75, 0.25}
	ow, err := offsetVote(context.Background(), []training.RunPredictor{pr, pr}, training.Ensemble{Set: set, Vote: vote}, w, filepath.Join(rd, "vote-weighted-offsets.csv"))
	want, cerr := training.CalibrateWeightedVote(context.Background(), []training.RunPredictor{pr, pr}, false, w)
	if err != nil || cerr != nil || !slices.Equal(ow.weights, w) || !slices.Equal(ow.cal.Offsets, want.Offsets) {
		t.Errorf("offsets of a weighted vote: %+v (%v), want offsets %v (%v)", ow, err, want.Offsets, cerr)
	}
	if said, _ := (ensembledMsg{path: filepath.Join(rd, "vote.csv"), e: training.Ensemble{Set: set, Score: &training.Metrics{}}, ids: []string{"a", "b"}, offsets: ow}).said(); !strings.Contains(said, "weighted, with class offsets") {
		t.Errorf("said %q", said)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	plain := 0
	for _, row := range vote {
		if training.Argmax(row) == 3 {
			plain++
		}
	}
	if with := strings.Count(string(b), ",3\n"); with <= plain {
		t.Errorf("class 3 predicted %d times with offsets, %d plain", with, plain)
	}
	if said, _ := (ensembledMsg{path: filepath.Join(rd, "vote.csv"), e: training.Ensemble{Set: set, Score: &training.Metrics{}}, ids: []string{"a", "b"}, offsets: o}).said(); !strings.Contains(said, "with class offsets") || !strings.Contains(said, "vote.csv and vote-offsets.csv") {
		t.Errorf("said %q", said)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestEnsembleOfTaskRuns: E with a run of each task (--task) votes them
// into the 18 classes, scores each on its task, writes the submission,
// and fits class offsets for the vote.
func TestEnsembleOfTaskRuns(t *testing.T) {
	data, rd := t.TempDir(), t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: data, Profiles: 12, W: 24, H: 32, Eval: 14, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	for _, task := range []string{"mask", "gender", "age"} {
		cfg := training.Config{Data: data, Runs: rd, Model: "cnn-s", Batch: 8, W: 16, H: 16, Epochs: 1, Task: task, StepEvery: time.Hour}
		if err := training.NewManager(cfg, training.NewHub()).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	m := runsViewModel(t, rd, 200, 40)
	m, _ = press(m, "enter", "down", "enter", "down", "enter")
	m, cmds := press(m, "E")
	m = voted(t, m, cmds[0])
	a := m.runs.answer
	for _, want := range []string{"ensemble of 3 runs: macro F1", " mask", " gender", " age"} {
		if !strings.Contains(a, want) {
			t.Errorf("the answer lacks %q: %s", want, a)
		}
	}
	// The runs share a split: offsets are fitted, and kept or not as
	// held-out halves say.
	if !strings.Contains(a, "with class offsets") && !strings.Contains(a, "on held-out halves, ") {
		t.Errorf("the answer says nothing of class offsets: %s", a)
	}
	files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*-3runs.csv"))
	if len(files) != 1 {
		t.Fatalf("ensemble files: %v (%s)", files, a)
	}
	if b, err := os.ReadFile(files[0]); err != nil || !strings.HasPrefix(string(b), "ImageID,ans\n") {
		t.Errorf("%s: %v %.30q", files[0], err, b)
	}
}

// TestWeightVoteWritesTheWeightedVote: of two runs that validated on the
// same 600 images, one good and one that guesses with confidence, E's
// weights step finds weights worth it (the guesser all but left out),
// writes the vote with them, and says so beside the plain file.
func TestWeightVoteWritesTheWeightedVote(t *testing.T) {
	rd := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	const k, n = 4, 600
	names := []string{"a", "b", "c", "d"}
	set := &dataset.Set{Classes: names}
	truth := make([]int, n)
	for i := range truth {
		truth[i] = rng.IntN(k)
		set.Samples = append(set.Samples, dataset.Sample{Name: fmt.Sprintf("i%03d", i), Mem: i, Label: truth[i]})
	}
	var prs []training.RunPredictor
	var each [][][]float64
	for m, skill := range []float64{2, 0} {
		r, err := runs.NewStore(rd).Create(runs.Info{Model: "cnn-s", Start: time.Now(), Name: names[m]})
		if err != nil {
			t.Fatal(err)
		}
		p := &runs.ValPreds{Epoch: 2, Classes: k, Names: names}
		var lp [][]float64
		for i, y := range truth {
			score := make([]float64, k)
			var sum float64
			for c := range score {
				score[c] = math.Exp((1 + 3*b2f(skill == 0)) * (rng.NormFloat64() + skill*b2f(c == y))) // the guesser's noise sharpened
				sum += score[c]
			}
			row := make([]float64, k)
			for c := range score {
				p.Probs = append(p.Probs, float32(score[c]/sum))
				row[c] = math.Log(max(score[c]/sum, 0.5/65535))
			}
			p.Truth, p.Pred, p.Loss = append(p.Truth, y), append(p.Pred, training.Argmax(row)), append(p.Loss, float32(-row[y]))
			p.Items = append(p.Items, runs.ValItem{Name: set.Samples[i].Name, Mem: i, Label: y})
			lp = append(lp, row)
		}
		if err := r.WriteValPreds(p); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(runs.StatusDone, nil); err != nil {
			t.Fatal(err)
		}
		prs = append(prs, training.RunPredictor{Predictor: &training.Predictor{Meta: training.CkptMeta{Epoch: 2, Classes: names}}, RunDir: r.Dir})
		each = append(each, lp)
	}
	out := filepath.Join(rd, "vote-weighted.csv")
	wv, err := weightVote(prs, training.EnsembleOf(set, each, nil), out)
	if err != nil || wv.path != out || wv.score == nil || !wv.fit.Worth() || wv.fit.Weights[1] > 0.2 {
		t.Fatalf("weightVote: %+v %v", wv, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		if strings.HasSuffix(line, fmt.Sprintf(",%d", truth[i])) {
			right++
		}
	}
	plain := 0
	for i, row := range training.SoftVote(each) {
		if training.Argmax(row) == truth[i] {
			plain++
		}
	}
	if right <= plain {
		t.Errorf("the weighted vote has %d of %d right, the plain one %d", right, n, plain)
	}
	if said, _ := (ensembledMsg{path: filepath.Join(rd, "vote.csv"), e: training.Ensemble{Set: set, Score: &training.Metrics{}}, ids: []string{"a", "b"}, weighted: wv}).said(); !strings.Contains(said, "· weighted ") || !strings.Contains(said, "vote.csv and vote-weighted.csv") {
		t.Errorf("said %q", said)
	}
}

// TestFoldVoteSaysItsOutOfFoldFigure: E's answer for a vote of the folds
// of a K-fold split gives its out-of-fold figure where a vote of one
// split gives its figure on the images its runs share.
func TestFoldVoteSaysItsOutOfFoldFigure(t *testing.T) {
	m := ensembledMsg{path: filepath.Join("runs", EnsemblesDir, "v.csv"), e: training.Ensemble{Set: &dataset.Set{}}, ids: []string{"t000", "t001", "t002"}, start: time.Now(),
		oof: &training.OutOfFold{Images: 168, Splits: 3, Vote: training.Metrics{MacroF1: 0.3182}}}
	if s, bad := m.said(); bad || !strings.Contains(s, "ensemble of 3 runs · out of fold (168 images of 3 splits): 0.3182") {
		t.Errorf("E's answer for a fold vote: %q", s)
	}
}

// TestVoteSaysItsGuessedRows: E's answer for a vote whose data had
// images no run could read says how many rows are guesses, right after
// its scores (before the files, which a narrow screen cuts).
func TestVoteSaysItsGuessedRows(t *testing.T) {
	m := ensembledMsg{path: filepath.Join("runs", EnsemblesDir, "v.csv"), ids: []string{"a", "b"}, start: time.Now(),
		e: training.Ensemble{Set: &dataset.Set{}, Unread: []bool{false, true, true, false}, Score: &training.Metrics{MacroF1: 0.25},
			Members: []training.EnsembleMember{{Alone: &training.Metrics{MacroF1: 0.2}}, {Alone: &training.Metrics{MacroF1: 0.22}}}}}
	s, bad := m.said()
	i, j := strings.Index(s, "2 images could not be read: their rows are guesses"), strings.Index(s, "v.csv")
	if bad || i < 0 || j < i || !strings.Contains(s, "macro F1 0.2500") {
		t.Errorf("E's answer for a vote with unreadable images: %q", s)
	}
	m.e.Unread = nil
	if s, _ := m.said(); strings.Contains(s, "could not be read") {
		t.Errorf("E's answer for a vote that read every image: %q", s)
	}
}

// TestEnsembleKeepsTheEvalImages: the runs view's vote reads and keeps
// the eval images in the store of prepared images the dashboard was
// given; a damaged pack is said in the vote's answer, and the vote is
// the same.
func TestEnsembleKeepsTheEvalImages(t *testing.T) {
	rd, prep := twoRuns(t), t.TempDir()
	vote := func() (string, string) {
		t.Helper()
		m := runsViewOf(t, New(Options{Snapshot: script(), Ctrl: &fakeCtrl{}, Renderer: asciiRenderer(), RunsDir: rd, Prepared: dataset.PreparedStore{Dir: prep}}), 120, 40)
		m, _ = press(m, "enter", "down", "enter")
		m, cmds := press(m, "E")
		m = voted(t, m, cmds[0])
		files, _ := filepath.Glob(filepath.Join(rd, EnsemblesDir, "*-2runs.csv"))
		slices.Sort(files)
		b, _ := os.ReadFile(files[len(files)-1])
		return string(b), m.runs.answer
	}
	first, _ := vote()
	packs, _ := filepath.Glob(filepath.Join(prep, "*.pack"))
	if len(packs) == 0 {
		t.Fatal("the vote kept no prepared images")
	}
	for _, p := range packs {
		if err := os.Truncate(p, 10); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the next vote's file has another second in its name
	again, answer := vote()
	if again != first || !strings.Contains(answer, "prepared images in") {
		t.Errorf("with a damaged pack: the same vote %v; the answer: %s", again == first, answer)
	}
}
