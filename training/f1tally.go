package training

// f1Tally keeps each class's true positives, false positives and false
// negatives, and macro F1 over the classes present (scikit-learn's
// default, as Confusion.MacroF1) up to date as predictions change one
// image at a time: the class offsets' sweep moves thousands of images a
// class, and a full recount each time would cost a pass over the classes.
type f1Tally struct {
	tp, fp, fn []int
	sum        float64 // the F1s of the classes present
	present    int     // classes in the truth or the predictions
}

func newF1Tally(classes int) f1Tally {
	return f1Tally{tp: make([]int, classes), fp: make([]int, classes), fn: make([]int, classes)}
}

func (t *f1Tally) reset() {
	clear(t.tp)
	clear(t.fp)
	clear(t.fn)
	t.sum, t.present = 0, 0
}

// f1 is class k's F1, 2tp/(2tp+fp+fn) (0 with no true positive), and
// whether the class occurs at all.
func (t *f1Tally) f1(k int) (float64, bool) {
	tp, fp, fn := t.tp[k], t.fp[k], t.fn[k]
	if tp+fp+fn == 0 {
		return 0, false
	}
	return 2 * float64(tp) / float64(2*tp+fp+fn), true
}

// with adds (sign 1) or takes out (sign -1) class k's share of the sum.
func (t *f1Tally) with(k int, sign float64) {
	if f, ok := t.f1(k); ok {
		t.sum += sign * f
		t.present += int(sign)
	}
}

// count adds one image of class truth predicted as pred.
func (t *f1Tally) count(truth, pred int) { t.move(truth, -1, pred) }

// move changes an image of class truth from prediction from (-1: none
// yet) to prediction to.
func (t *f1Tally) move(truth, from, to int) {
	if from == to {
		return
	}
	touched := [3]int{truth, from, to}
	for j, k := range touched {
		if k >= 0 && (j == 0 || k != truth) && (j < 2 || k != from) {
			t.with(k, -1)
		}
	}
	switch {
	case from < 0:
		t.fn[truth]++ // not yet predicted; the case below takes it back if right
	case from == truth:
		t.tp[truth]--
		t.fn[truth]++
	default:
		t.fp[from]--
	}
	if to == truth {
		t.tp[truth]++
		t.fn[truth]--
	} else {
		t.fp[to]++
	}
	for j, k := range touched {
		if k >= 0 && (j == 0 || k != truth) && (j < 2 || k != from) {
			t.with(k, 1)
		}
	}
}

// macro is the macro F1 over the classes present.
func (t *f1Tally) macro() float64 {
	if t.present == 0 {
		return 0
	}
	return t.sum / float64(t.present)
}
