package training

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// RunFigures is what a side-by-side comparison shows of one run: its
// validation macro F1 per epoch, and the per-class scores and confusion
// matrix of its best epoch.
type RunFigures struct {
	ID        string        `json:"id"`
	Note      string        `json:"note,omitempty"` // the run's note (runs.NoteFile)
	Classes   []string      `json:"classes"`
	F1        []float64     `json:"macro_f1_per_epoch"`
	BestEpoch int           `json:"best_epoch"`
	BestF1    float64       `json:"best_macro_f1"`
	PerClass  []ClassScores `json:"per_class"`
	Conf      *Confusion    `json:"confusion"`
}

// ReadRunFigures reads them from a run's log.
func ReadRunFigures(runDir string) (*RunFigures, error) {
	info, err := runs.ReadInfo(runDir)
	if err != nil {
		return nil, err
	}
	f := &RunFigures{ID: info.ID, Note: info.Note, BestF1: math.NaN()}
	byEpoch := map[int]Event{}
	err = runs.ReadLogKinds(runDir, []string{string(KindRun), string(KindEpoch)}, func(line []byte) error {
		var e Event
		if json.Unmarshal(line, &e) != nil {
			return nil
		}
		switch {
		case e.Kind == KindRun && e.Settings != nil:
			f.Classes = e.Settings.Classes
		case e.Kind == KindEpoch && e.Val != nil && e.Epoch >= 1 && e.Epoch <= 1<<20:
			byEpoch[e.Epoch] = e // a redone epoch: the later wins
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var eps []int
	for ep := range byEpoch {
		eps = append(eps, ep)
	}
	sort.Ints(eps)
	for _, ep := range eps {
		e := byEpoch[ep]
		for len(f.F1) < ep {
			f.F1 = append(f.F1, math.NaN())
		}
		f.F1[ep-1] = e.Val.MacroF1
		if math.IsNaN(f.BestF1) || e.Val.MacroF1 > f.BestF1 {
			f.BestF1, f.BestEpoch, f.Conf = e.Val.MacroF1, ep, e.Conf
		}
	}
	if f.Conf == nil {
		return nil, fmt.Errorf("run %s has no finished epoch to compare", info.ID)
	}
	f.PerClass = f.Conf.PerClass()
	return f, nil
}

// RunDiff compares two runs, B against A.
type RunDiff struct {
	A, B *RunFigures
	// F1Diff is B's per-class F1 minus A's at their best epochs.
	F1Diff []float64 `json:"f1_diff"`
	// ConfDiff is B's confusion matrix minus A's, as shares of each true
	// class (the runs may have validated different numbers of images).
	ConfDiff [][]float64 `json:"confusion_diff"`
	// Gained and Lost list the classes whose F1 rose or fell most.
	Gained, Lost []int
}

// CompareRuns reads two runs and compares B with A. They must have the
// same classes.
func CompareRuns(dirA, dirB string) (*RunDiff, error) {
	a, err := ReadRunFigures(dirA)
	if err != nil {
		return nil, err
	}
	b, err := ReadRunFigures(dirB)
	if err != nil {
		return nil, err
	}
	if a.Conf.N != b.Conf.N || len(a.Classes) == len(b.Classes) && !slices.Equal(a.Classes, b.Classes) {
		return nil, fmt.Errorf("the runs predict different classes (%s; %s): nothing to compare class by class", classList(a), classList(b))
	}
	d := &RunDiff{A: a, B: b}
	n := a.Conf.N
	type cd struct {
		c int
		d float64
	}
	var all []cd
	for c := range n {
		diff := b.PerClass[c].F1 - a.PerClass[c].F1
		d.F1Diff = append(d.F1Diff, diff)
		all = append(all, cd{c, diff})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d > all[j].d })
	for _, x := range all {
		if x.d > 1e-9 && len(d.Gained) < 3 {
			d.Gained = append(d.Gained, x.c)
		}
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].d < -1e-9 && len(d.Lost) < 3 {
			d.Lost = append(d.Lost, all[i].c)
		}
	}
	share := func(m [][]int, i, j int) float64 {
		row := 0
		for _, v := range m[i] {
			row += v
		}
		if row == 0 {
			return 0
		}
		return float64(m[i][j]) / float64(row)
	}
	d.ConfDiff = make([][]float64, n)
	for i := range n {
		d.ConfDiff[i] = make([]float64, n)
		for j := range n {
			d.ConfDiff[i][j] = share(b.Conf.M, i, j) - share(a.Conf.M, i, j)
		}
	}
	return d, nil
}

// ClassNames names the classes (their numbers when the log did not).
func (d *RunDiff) ClassNames() []string {
	if len(d.A.Classes) == len(d.F1Diff) {
		return d.A.Classes
	}
	names := make([]string, len(d.F1Diff))
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// Describe lists classes with their F1 change ("dog +0.125, cat −0.100"),
// or says "none".
func (d *RunDiff) Describe(classes []int) string {
	names := d.ClassNames()
	var p []string
	for _, c := range classes {
		p = append(p, fmt.Sprintf("%s %+.3f", names[c], d.F1Diff[c]))
	}
	if len(p) == 0 {
		return "none"
	}
	return strings.Join(p, ", ")
}

// classList names a run's classes for a sentence: "3 classes: <30,
// 30-59, 60+" (the first few of many).
func classList(f *RunFigures) string {
	names := f.Classes
	if len(names) == 0 {
		return fmt.Sprintf("%d classes", f.Conf.N)
	}
	s := strings.Join(names[:min(len(names), 4)], ", ")
	if len(names) > 4 {
		s += ", …"
	}
	return fmt.Sprintf("%d classes: %s", len(names), s)
}
