package runs

import (
	"math"
	"sort"
)

// PRCurve is one class's precision-recall curve over a run's validation
// images, the class against the rest (TensorBoard's PR curves,
// scikit-learn's precision_recall_curve): at each threshold, from the
// highest probability of the class down, the share of the images at or
// above it that are of the class (precision) and the share of the
// class's images at or above it (recall). It is here, beside Scores,
// because it is read from a run folder's kept predictions (ValPreds)
// and export's page, which reads run folders only, gives it too.
type PRCurve struct {
	Class   int
	Support int // the class's images
	// Threshold, Precision and Recall: a point per distinct probability,
	// highest threshold (lowest recall) first.
	Threshold, Precision, Recall []float64
	// AP is the average precision, Σ (Rₙ − Rₙ₋₁)·Pₙ over the points
	// (scikit-learn's average_precision_score): the area under the curve
	// without interpolation. NaN without images of the class.
	AP float64
	// At the argmax prediction, the run's own: the precision and recall
	// of the images predicted as the class (NaN precision when none is).
	ArgmaxPrecision, ArgmaxRecall float64
}

// ClassPR is class c's PRCurve in p, of the images that could be read.
func ClassPR(p *ValPreds, c int) PRCurve {
	p = p.WithoutUnread()
	n := p.Len()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.Prob(order[a], c) > p.Prob(order[b], c) })
	pr := PRCurve{Class: c, AP: math.NaN(), ArgmaxPrecision: math.NaN(), ArgmaxRecall: math.NaN()}
	predicted, right := 0, 0
	for i := range n {
		if p.Truth[i] == c {
			pr.Support++
		}
		if p.Pred[i] == c {
			predicted++
			if p.Truth[i] == c {
				right++
			}
		}
	}
	if pr.Support == 0 {
		return pr
	}
	pr.ArgmaxRecall = float64(right) / float64(pr.Support)
	if predicted > 0 {
		pr.ArgmaxPrecision = float64(right) / float64(predicted)
	}
	tp, ap, lastRecall := 0, 0.0, 0.0
	for k, i := range order {
		if p.Truth[i] == c {
			tp++
		}
		th := float64(p.Prob(i, c))
		if k+1 < n && float64(p.Prob(order[k+1], c)) == th {
			continue // ties are one threshold
		}
		prec, rec := float64(tp)/float64(k+1), float64(tp)/float64(pr.Support)
		pr.Threshold = append(pr.Threshold, th)
		pr.Precision = append(pr.Precision, prec)
		pr.Recall = append(pr.Recall, rec)
		ap += (rec - lastRecall) * prec
		lastRecall = rec
	}
	pr.AP = ap
	return pr
}

// MacroAP is the mean AP over the classes that have images (NaN when
// none has).
func MacroAP(curves []PRCurve) float64 {
	sum, n := 0.0, 0
	for _, c := range curves {
		if !math.IsNaN(c.AP) {
			sum, n = sum+c.AP, n+1
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
