package runs

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Importance is what one setting accounts for in the scores of a set
// of runs (a sweep's trials, or any runs: each one's best macro F1),
// read from the runs alone: no model of the settings is fitted, so it
// sees each setting's main effect and not what two settings do together.
//
// The runs are grouped by the setting's value (a number setting with
// more than MaxValueGroups values, as a random search's, into that many
// groups of about equal size by rank), and Share is epsilon squared:
// the part of the scores' spread between the groups, less what chance
// alone gives that many groups of that many runs,
//
//	ε² = (SS_between − (k−1)·SS_within/(N−k)) / SS_total,
//
// about 0 for a setting that does nothing, 1 for one that decides the
// score alone; it is below 0 when the groups differ less than chance
// would make them. Runs over seeds or folds have their share too: what
// noise alone accounts for, the yardstick for the others.
type Importance struct {
	Setting string
	Share   float64
	// Rank is Spearman's rank correlation between a number setting and
	// the score (above 0: higher values scored higher); NaN for a
	// setting that is not a number, and for the seed and the fold.
	Rank float64
	// Best is the value (a group of number values: their range, "lo–hi")
	// whose runs scored highest on average, BestMean that average and
	// BestRuns how many runs it has.
	Best     string
	BestMean float64
	BestRuns int
	Groups   int // the values or ranges the runs were grouped by
	Runs     int // the scored runs
}

// MaxValueGroups is how many groups a number setting's runs are put in
// at most (a grid's few values each keep a group of their own).
const MaxValueGroups = 5

// Scored is one run's settings (by name) and score, for Importances.
type Scored struct {
	Settings map[string]string
	Score    float64
}

// Importances are the named settings that vary among the scored runs
// (a NaN score is left out), the largest share first. A run without a
// setting counts as its value "none". A setting with as many groups as
// scored runs has no share to give: its Share is NaN.
func Importances(names []string, runs []Scored) []Importance {
	var score []float64
	var kept []Scored
	for _, r := range runs {
		if !math.IsNaN(r.Score) {
			kept = append(kept, r)
			score = append(score, r.Score)
		}
	}
	var out []Importance
	for _, name := range names {
		values := make([]string, len(kept))
		for i, r := range kept {
			values[i] = SettingText(r.Settings[name])
		}
		if imp, ok := importanceOf(name, values, score); ok {
			out = append(out, imp)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return HigherFirst(out[a].Share, out[b].Share) })
	return out
}

// notSettings are run.json config keys that say where a run starts from
// or what it keeps rather than how it trains: RunImportances leaves them
// out (DifferingSettings already leaves out the name).
var notSettings = map[string]bool{"from": true, "keep_checkpoints": true}

// NotDrawnAtRandom is the caveat of importances of runs started by hand.
const NotDrawnAtRandom = "runs not drawn at random: a setting's share can be another's that changed with it"

// RunImportances are what each setting that varies among the runs that
// have a score (each run's config as it started: a rate changed while
// training counts as its first) accounts for in their best macro F1,
// the settings named as their train flags are (weight-decay), and how
// many runs had a score.
func RunImportances(infos []Info) ([]Importance, int) {
	var withScore []Info
	for _, in := range infos {
		if in.Best.Epoch > 0 {
			withScore = append(withScore, in)
		}
	}
	if len(withScore) < 2 {
		return nil, len(withScore)
	}
	var names []string
	for _, k := range DifferingSettings(withScore) {
		if !notSettings[k] {
			names = append(names, k)
		}
	}
	scored := make([]Scored, len(withScore))
	for i, in := range withScore {
		set := map[string]string{}
		for _, k := range names {
			if v, ok := in.Config[k]; ok {
				set[k] = fmt.Sprint(v)
			}
		}
		scored[i] = Scored{Settings: set, Score: in.Best.MacroF1}
	}
	imp := Importances(names, scored)
	for i := range imp {
		imp[i].Setting = strings.ReplaceAll(imp[i].Setting, "_", "-")
	}
	return imp, len(withScore)
}

// ChangedWhileTraining counts the runs with a score whose setting (as
// Importance names it: lr, loss, cutmix, mixup) was changed while they
// trained: what RunImportances measured of them is the value they
// started with.
func ChangedWhileTraining(infos []Info, setting string) int {
	n := 0
	for _, in := range infos {
		if in.Best.Epoch > 0 && slices.ContainsFunc(in.Changes, func(c Change) bool { return c.Setting == setting }) {
			n++
		}
	}
	return n
}

// HigherFirst reports whether a sorts before b where the highest come
// first and a missing figure (NaN) last: runs by their best F1, settings
// by their share.
func HigherFirst(a, b float64) bool {
	if math.IsNaN(b) {
		return !math.IsNaN(a)
	}
	return a > b
}

// importanceOf is one setting's Importance; false when every scored
// run has the same value.
func importanceOf(name string, values []string, score []float64) (Importance, bool) {
	groups, labels := valueGroups(values)
	if len(labels) < 2 {
		return Importance{}, false
	}
	imp := Importance{Setting: name, Groups: len(labels), Runs: len(score), Rank: math.NaN()}
	byGroup := make([][]float64, len(labels))
	for i, g := range groups {
		byGroup[g] = append(byGroup[g], score[i])
	}
	imp.Share = Share(byGroup)
	if nums, ok := SettingNumbers(values); ok && name != "seed" && name != "fold" {
		imp.Rank = spearman(nums, score) // a seed's or fold's number is a name, not a size
	}
	for g, in := range byGroup {
		var sum float64
		for _, s := range in {
			sum += s
		}
		if m := sum / float64(len(in)); imp.BestRuns == 0 || m > imp.BestMean {
			imp.Best, imp.BestMean, imp.BestRuns = labels[g], m, len(in)
		}
	}
	return imp, true
}

// valueGroups gives each run its group and each group its label: one
// group a value, or for number values with more than MaxValueGroups
// distinct ones, or with most runs alone with their value (a search's
// draws: each its own group leaves no share to measure), MaxValueGroups
// (at most a third of the runs, at least 2) groups of about equal size
// by rank, equal values kept together, labelled by their range.
func valueGroups(values []string) ([]int, []string) {
	distinct := map[string]int{}
	count := map[string]int{}
	var labels []string
	for _, v := range values {
		if _, ok := distinct[v]; !ok {
			distinct[v] = len(labels)
			labels = append(labels, v)
		}
		count[v]++
	}
	alone := 0
	for _, n := range count {
		if n == 1 {
			alone++
		}
	}
	nums, isNum := SettingNumbers(values)
	if !isNum || len(labels) <= MaxValueGroups && 2*alone <= len(values) {
		if isNum { // the groups in the values' order
			sort.Slice(labels, func(a, b int) bool {
				x, _ := strconv.ParseFloat(labels[a], 64)
				y, _ := strconv.ParseFloat(labels[b], 64)
				return x < y
			})
			for i, l := range labels {
				distinct[l] = i
			}
		}
		groups := make([]int, len(values))
		for i, v := range values {
			groups[i] = distinct[v]
		}
		return groups, labels
	}
	k := max(2, min(MaxValueGroups, len(values)/3))
	order := make([]int, len(nums))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return nums[order[a]] < nums[order[b]] })
	groups := make([]int, len(values))
	labels = labels[:0]
	for start, g := 0, 0; start < len(order); g++ {
		end := (g + 1) * len(order) / k
		if g == k-1 {
			end = len(order)
		}
		end = max(end, start+1)
		for end < len(order) && nums[order[end]] == nums[order[end-1]] {
			end++ // equal values in one group
		}
		for _, i := range order[start:end] {
			groups[i] = g
		}
		lo, hi := nums[order[start]], nums[order[end-1]]
		label := strconv.FormatFloat(lo, 'g', 3, 64)
		if hi != lo {
			label += "–" + strconv.FormatFloat(hi, 'g', 3, 64)
		}
		labels = append(labels, label)
		start = end
	}
	return groups, labels
}

// Share is ε² (Importance.Share) of scores in groups: the part of their
// spread between the groups less what chance gives that many groups
// (an empty group does not count); NaN when there are not more scores
// than groups, or every score is the same.
func Share(groups [][]float64) float64 {
	var n, k int
	var mean float64
	for _, g := range groups {
		if len(g) > 0 {
			k++
		}
		for _, s := range g {
			mean += s
			n++
		}
	}
	if n <= k {
		return math.NaN()
	}
	mean /= float64(n)
	var total, between float64
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		var sum float64
		for _, s := range g {
			sum += s
			total += (s - mean) * (s - mean)
		}
		d := sum/float64(len(g)) - mean
		between += float64(len(g)) * d * d
	}
	if total == 0 {
		return math.NaN()
	}
	within := total - between
	return (between - float64(k-1)*within/float64(n-k)) / total
}

// SettingNumbers parses every value of a setting as a number; false if
// one is not (a setting of words, or a missing value). The charts of a
// setting (the sweep view's, a sweep's page) read values as importance
// does.
func SettingNumbers(values []string) ([]float64, bool) {
	out := make([]float64, len(values))
	for i, v := range values {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

// LogAxis reports whether a setting's number values from lo to hi go on
// a logarithmic axis: all positive and spanning more than 20× (a rate
// drawn with log:, a weight decay).
func LogAxis(lo, hi float64) bool { return lo > 0 && hi/lo > 20 }

// spearman is Spearman's rank correlation (ties get their mean rank);
// NaN when either side is constant. Written here, not taken from
// gonum's stat, because package runs imports the standard library only
// (DESIGN.md).
func spearman(x, y []float64) float64 {
	rx, ry := ranks(x), ranks(y)
	n := float64(len(x))
	var mx, my float64
	for i := range rx {
		mx += rx[i]
		my += ry[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mx, ry[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// ranks are 1-based ranks, ties sharing their mean rank.
func ranks(v []float64) []float64 {
	order := make([]int, len(v))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return v[order[a]] < v[order[b]] })
	r := make([]float64, len(v))
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && v[order[end]] == v[order[start]] {
			end++
		}
		mean := float64(start+end+1) / 2 // ranks start+1..end
		for _, i := range order[start:end] {
			r[i] = mean
		}
		start = end
	}
	return r
}

// String is the importance as status prints it after the setting's
// name: "0.62  best 0.003–0.01 (mean 0.5410 over 4)  Spearman +0.81".
func (imp Importance) String() string {
	share := "   -"
	if !math.IsNaN(imp.Share) {
		share = fmt.Sprintf("%.2f", max(imp.Share, 0))
	}
	s := fmt.Sprintf("%s  best %s (mean %.4f over %d)", share, imp.Best, imp.BestMean, imp.BestRuns)
	if !math.IsNaN(imp.Rank) {
		s += fmt.Sprintf("  Spearman %+.2f", imp.Rank)
	}
	return s
}
