package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Param is one setting of a grid with the values it takes.
type Param struct {
	Name   string
	Values []string
}

// distKind says how a random setting is drawn.
type distKind int

const (
	distList  distKind = iota // one of the values, evenly
	distRange                 // uniform in [Lo, Hi]
	distLog                   // log-uniform in [Lo, Hi]
)

// Dist is one setting drawn at random.
type Dist struct {
	Name   string
	Kind   distKind
	Values []string // distList
	Lo, Hi float64  // distRange, distLog
	Int    bool     // draw whole numbers (both bounds were whole)
}

// Space is what a sweep searches: every combination of Grid, each with
// Draws random draws of Random (one draw when Random is empty), each on
// Folds folds (0: no folds) and Seeds seeds (0 or 1: the train seed).
type Space struct {
	Grid   []Param
	Random []Dist
	Draws  int
	Folds  int
	Seeds  int
	Seed   uint64 // of the random draws
}

// KV is a setting and its value in a trial.
type KV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParseGrid reads "lr=0.001,0.0003;loss=ce,focal".
func ParseGrid(s string) ([]Param, error) {
	var out []Param
	for _, part := range splitParts(s) {
		name, vals, err := nameValues(part, "--grid")
		if err != nil {
			return nil, err
		}
		var vs []string
		for _, v := range strings.Split(vals, ",") {
			if v = strings.TrimSpace(v); v != "" {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("--grid: %s has no values", name)
		}
		out = append(out, Param{Name: name, Values: vs})
	}
	return out, nil
}

// ParseRandom reads "lr=log:1e-4..1e-2;dropout=0..0.5;batch=16,32": a log
// range, a range (whole numbers when both ends are), or a list.
func ParseRandom(s string) ([]Dist, error) {
	var out []Dist
	for _, part := range splitParts(s) {
		name, spec, err := nameValues(part, "--random")
		if err != nil {
			return nil, err
		}
		d := Dist{Name: name}
		body, isLog := strings.CutPrefix(spec, "log:")
		if lo, hi, ok := strings.Cut(body, ".."); ok {
			d.Kind = distRange
			if isLog {
				d.Kind = distLog
			}
			if d.Lo, err = strconv.ParseFloat(strings.TrimSpace(lo), 64); err != nil {
				return nil, fmt.Errorf("--random: %s's low end %q is not a number", name, lo)
			}
			if d.Hi, err = strconv.ParseFloat(strings.TrimSpace(hi), 64); err != nil {
				return nil, fmt.Errorf("--random: %s's high end %q is not a number", name, hi)
			}
			if !(d.Lo < d.Hi) || math.IsInf(d.Hi, 0) {
				return nil, fmt.Errorf("--random: %s's range %s is empty (low must be below high)", name, body)
			}
			if isLog && d.Lo <= 0 {
				return nil, fmt.Errorf("--random: %s's log range %s must be above 0", name, body)
			}
			d.Int = !isLog && d.Lo == math.Trunc(d.Lo) && d.Hi == math.Trunc(d.Hi) && !strings.ContainsAny(lo+hi, ".eE")
		} else {
			if isLog {
				return nil, fmt.Errorf("--random: %s's log: wants a range low..high", name)
			}
			for _, v := range strings.Split(spec, ",") {
				if v = strings.TrimSpace(v); v != "" {
					d.Values = append(d.Values, v)
				}
			}
			if len(d.Values) == 0 {
				return nil, fmt.Errorf("--random: %s has no values", name)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func splitParts(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func nameValues(part, flag string) (string, string, error) {
	name, vals, ok := strings.Cut(part, "=")
	name = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "--"))
	if !ok || name == "" {
		return "", "", fmt.Errorf("%s: %q is not name=values", flag, part)
	}
	return name, strings.TrimSpace(vals), nil
}

// Ends lists the values d can give at its extremes: every value of a
// list, a range's two bounds (as draw writes numbers). A setting that
// takes both ends takes what lies between, for the settings train has.
func (d Dist) Ends() []string {
	switch {
	case d.Kind == distList:
		return d.Values
	case d.Int:
		return []string{strconv.Itoa(int(d.Lo)), strconv.Itoa(int(d.Hi))}
	}
	return []string{strconv.FormatFloat(d.Lo, 'g', 4, 64), strconv.FormatFloat(d.Hi, 'g', 4, 64)}
}

// draw picks one value.
func (d Dist) draw(r *rand.Rand) string {
	switch d.Kind {
	case distList:
		return d.Values[r.IntN(len(d.Values))]
	case distLog:
		return strconv.FormatFloat(math.Exp(math.Log(d.Lo)+r.Float64()*(math.Log(d.Hi)-math.Log(d.Lo))), 'g', 4, 64)
	case distRange:
	}
	if d.Int {
		return strconv.Itoa(int(d.Lo) + r.IntN(int(d.Hi-d.Lo)+1))
	}
	return strconv.FormatFloat(d.Lo+r.Float64()*(d.Hi-d.Lo), 'g', 4, 64)
}

// Expand lists the trials of the space, in a fixed order: grid points
// (the last setting varying fastest), then draws, then seeds, then folds.
func (sp Space) Expand() ([]Trial, error) {
	seen := map[string]bool{}
	for _, p := range sp.Grid {
		seen[p.Name] = true
	}
	for _, d := range sp.Random {
		if seen[d.Name] {
			return nil, fmt.Errorf("%s is in both --grid and --random", d.Name)
		}
		seen[d.Name] = true
	}
	points := [][]KV{nil}
	for _, p := range sp.Grid {
		var next [][]KV
		for _, pt := range points {
			for _, v := range p.Values {
				next = append(next, append(append([]KV(nil), pt...), KV{p.Name, v}))
			}
		}
		points = next
	}
	draws := max(sp.Draws, 1)
	if len(sp.Random) == 0 {
		draws = 1
	}
	r := rand.New(rand.NewPCG(sp.Seed, 0x5eeb))
	seeds := max(sp.Seeds, 1)
	folds := max(sp.Folds, 1)
	var out []Trial
	for _, pt := range points {
		for range draws {
			kv := append([]KV(nil), pt...)
			for _, d := range sp.Random {
				kv = append(kv, KV{d.Name, d.draw(r)})
			}
			for s := range seeds {
				for f := range folds {
					t := Trial{Index: len(out), Params: kv}
					if sp.Seeds > 1 {
						t.Seed = uint64(s + 1)
					}
					if sp.Folds > 1 {
						t.Fold, t.Folds = f+1, sp.Folds
					}
					t.RunID = fmt.Sprintf("t%03d", t.Index)
					out = append(out, t)
				}
			}
		}
	}
	if len(out) > 10000 {
		return nil, fmt.Errorf("the space has %d trials; more than 10,000 is surely a mistake", len(out))
	}
	return out, nil
}
