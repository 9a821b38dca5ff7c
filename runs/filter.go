package runs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Setting reads a setting of a run for filters and groups: run.json's
// own fields first, then its config, by its key there or as the train
// flag spells it (val-train for val_train); "" when the run has no such
// setting.
func Setting(i Info, k string) string {
	switch k {
	case "id", "run":
		return i.ID
	case "status":
		return string(i.Status)
	case "model":
		return i.Model
	case "loss":
		return i.Loss
	case "optim":
		return i.Optim
	case "lr":
		return fmt.Sprintf("%g", i.LR)
	case "parent":
		return i.Parent
	case "note":
		return i.Note
	}
	if v, ok := i.Config[k]; ok {
		return fmt.Sprint(v)
	}
	if v, ok := i.Config[strings.ReplaceAll(k, "-", "_")]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// FilterFigures are the figures a filter word can compare, as Aim's and
// MLflow's run searches compare metrics (f1>0.3), beside the settings:
// each name with what it reads. A run without the figure (no epoch
// validated, no leaderboard score) matches no comparison with it.
var FilterFigures = []struct {
	Name, Means string
	read        func(Info) (float64, bool)
}{
	{"f1", "best validation macro F1", func(i Info) (float64, bool) { return i.Best.MacroF1, i.EpochsDone > 0 }},
	{"acc", "accuracy at the best epoch", func(i Info) (float64, bool) { return i.Best.Accuracy, i.EpochsDone > 0 }},
	{"last-f1", "the last epoch's macro F1", func(i Info) (float64, bool) { return i.LastF1, i.EpochsDone > 0 }},
	{"mask-f1", "mask macro F1 at the best epoch", taskFigure("mask")},
	{"gender-f1", "gender macro F1 at the best epoch", taskFigure("gender")},
	{"age-f1", "age macro F1 at the best epoch", taskFigure("age")},
	{"public", "the best public leaderboard macro F1 of its submissions", func(i Info) (float64, bool) {
		if i.Public == nil {
			return 0, false
		}
		return *i.Public, true
	}},
	{"epochs-done", "epochs trained (epochs is how many it was to train)", func(i Info) (float64, bool) { return float64(i.EpochsDone), true }},
	{"ips", "training images a second", func(i Info) (float64, bool) { return i.IPS, i.IPS > 0 }},
	{"minutes", "wall time", func(i Info) (float64, bool) { return i.Duration().Minutes(), !i.Start.IsZero() }},
}

func taskFigure(task string) func(Info) (float64, bool) {
	return func(i Info) (float64, bool) {
		v, ok := i.Best.Tasks[task]
		return v, ok
	}
}

// figure reads the filter figure named k; known is false when k names
// none (it is a setting).
func figure(i Info, k string) (v float64, has, known bool) {
	for _, f := range FilterFigures {
		if f.Name == k {
			v, has = f.read(i)
			return v, has && !math.IsNaN(v), true
		}
	}
	return 0, false, false
}

// A Filter is the words the runs table and maskdash runs take: a run
// must match every one. A word is a comparison key OP value, with OP one
// of = != < <= > >= and key a setting (Setting) or a figure
// (FilterFigures), or else text to find in the run's id, status, model,
// losses, optimizer, parent, note and alerts (case does not matter).
type Filter struct {
	words []filterWord
}

type filterWord struct {
	key, op, val string
	num          float64 // val as a number, for < <= > >=
	isNum        bool
}

// filterOps are the comparisons, longest first so that >= is not read
// as > with a value "=…".
var filterOps = []string{">=", "<=", "!=", ">", "<", "="}

// ParseFilter reads a filter; a comparison by order (< <= > >=) with a
// value that is not a number is an error that names the word. Words are
// split at spaces outside double quotes: note="two words" compares a
// value with a space, and a word that starts with a quote is text to
// find ("age<30" finds the text, where age<30 compares the setting).
func ParseFilter(s string) (Filter, error) {
	var f Filter
	toks, err := filterTokens(s)
	if err != nil {
		return Filter{}, err
	}
	for _, tok := range toks {
		word := tok.text
		w := filterWord{val: word}
		if at := strings.IndexAny(word, "<>!="); at > 0 && !tok.literal {
			for _, op := range filterOps {
				if strings.HasPrefix(word[at:], op) {
					w = filterWord{key: strings.ToLower(word[:at]), op: op, val: word[at+len(op):]}
					break
				}
			}
		}
		if w.op != "" {
			n, err := strconv.ParseFloat(w.val, 64)
			w.num, w.isNum = n, err == nil && !math.IsNaN(n)
			if !w.isNum && w.op != "=" && w.op != "!=" {
				return Filter{}, fmt.Errorf("the filter's %q compares %s with %q, which is not a number", word, w.key, w.val)
			}
		}
		f.words = append(f.words, w)
	}
	return f, nil
}

// Matches applies a filter string (ParseFilter); a filter that does not
// parse matches no run.
func Matches(i Info, filter string) bool {
	f, err := ParseFilter(filter)
	return err == nil && f.Matches(i)
}

// Matches reports whether the run matches every word. A setting matches
// by any value it had: the one it started with or one it was changed to
// while training (loss=focal finds a run switched to focal, lr<1e-4 one
// whose rate was cut below it); != by none of them.
func (f Filter) Matches(i Info) bool {
	for _, w := range f.words {
		if w.op == "" {
			if !hasText(i, w.val) {
				return false
			}
			continue
		}
		if v, has, known := figure(i, w.key); known {
			if !has || !w.compare(strconv.FormatFloat(v, 'g', -1, 64)) {
				return false
			}
			continue
		}
		if w.op == "!=" {
			if w.hadValue(i) {
				return false
			}
			continue
		}
		if !w.hadValue(i) {
			return false
		}
	}
	return true
}

// hadValue reports whether setting w.key satisfied the word at the run's
// start or after any change while training (for != it asks whether the
// setting ever was the value).
func (w filterWord) hadValue(i Info) bool {
	eq := w
	if w.op == "!=" {
		eq.op = "="
	}
	if eq.compare(Setting(i, w.key)) {
		return true
	}
	for _, c := range i.Changes {
		if c.Setting == w.key && eq.compare(c.Value) {
			return true
		}
	}
	return false
}

// compare holds value v against the word: as numbers where both are
// (lr=1e-3 finds 0.001), else as text without case.
func (w filterWord) compare(v string) bool {
	n, err := strconv.ParseFloat(v, 64)
	if isNum := err == nil && !math.IsNaN(n); isNum && w.isNum {
		switch w.op {
		case "=":
			return n == w.num
		case "!=":
			return n != w.num
		case "<":
			return n < w.num
		case "<=":
			return n <= w.num
		case ">":
			return n > w.num
		case ">=":
			return n >= w.num
		}
	}
	switch w.op {
	case "=":
		return strings.EqualFold(v, w.val)
	case "!=":
		return !strings.EqualFold(v, w.val)
	}
	return false // an order needs two numbers
}

// hasText reports whether word is in the run's text.
func hasText(i Info, word string) bool {
	row := strings.ToLower(i.ID + " " + string(i.Status) + " " + i.Model + " " + i.Loss + " " + i.Optim + " " + i.Parent + " " + i.Note + " " + strings.Join(i.Alerts, " "))
	for _, c := range i.Changes {
		row += " " + strings.ToLower(c.Value)
	}
	return strings.Contains(row, strings.ToLower(word))
}

// filterToken is a word of a filter, its quotes taken out; literal: it
// started with a quote, so it is text to find, never a comparison.
type filterToken struct {
	text    string
	literal bool
}

// filterTokens splits s at spaces outside double quotes; a quote left
// open is an error.
func filterTokens(s string) ([]filterToken, error) {
	var out []filterToken
	var cur strings.Builder
	in, started, literal := false, false, false
	end := func() {
		if started {
			out = append(out, filterToken{cur.String(), literal})
		}
		cur.Reset()
		started, literal = false, false
	}
	for _, r := range s {
		switch {
		case r == '"':
			if !started {
				literal = true
			}
			in, started = !in, true
		case !in && unicode.IsSpace(r):
			end()
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if in {
		return nil, fmt.Errorf("the filter %q opens a quote it does not close", s)
	}
	end()
	return out, nil
}
