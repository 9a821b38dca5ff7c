package training

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// --class-weights' schemes (Config.ClassWeights); "" (or NoneSetting)
// weighs every class alike.
const (
	// ClassWeightsInverse weighs a class by 1/n, n its images in the
	// training split: the inverse class frequency that the competition's
	// [HJ] team weighed its loss by.
	ClassWeightsInverse = "inverse"
	// ClassWeightsSqrt weighs a class by 1/√n, a milder correction.
	ClassWeightsSqrt = "sqrt"
)

// ClassWeightings lists the values --class-weights takes.
var ClassWeightings = []string{NoneSetting, ClassWeightsInverse, ClassWeightsSqrt}

// checkClassWeights says, as an error, that scheme is not one of
// ClassWeightings ("" is none).
func checkClassWeights(scheme string) error {
	if scheme == "" || slices.Contains(ClassWeightings, scheme) {
		return nil
	}
	return fmt.Errorf("--class-weights %q is unknown; use one of %s", scheme, strings.Join(ClassWeightings, ", "))
}

// classWeights are, per head, each class's weight under scheme (one of
// ClassWeightings; nil for none) from the training split's labels,
// scaled so that the classes' weights average 1 (only their ratios
// matter: the loss divides by the batch's mean weight). A class without
// an image counts as one image, so that no weight is infinite.
func classWeights(labels []int, heads []int, scheme string) [][]float64 {
	if scheme == "" || scheme == NoneSetting {
		return nil
	}
	counts := labelCounts(slices.Values(labels), heads)
	for _, cs := range counts {
		var sum float64
		for j, n := range cs {
			w := 1 / max(n, 1)
			if scheme == ClassWeightsSqrt {
				w = math.Sqrt(w)
			}
			cs[j] = w
			sum += w
		}
		for j := range cs {
			cs[j] *= float64(len(cs)) / sum
		}
	}
	return counts
}

// weighedTerms are the single losses that class weights weigh.
var weighedTerms = []string{"ce", "focal", "smooth"}

// WeighsClasses reports whether the loss has a term that its
// ClassWeights (--class-weights) would weigh.
func (l *Loss) WeighsClasses() bool { return slices.ContainsFunc(weighedTerms, l.Uses) }

// rowWeights are, for head h's rows labelled y, each row's factor in the
// weighted terms (ce, focal, smooth): its class's weight over the rows'
// mean weight, so that the batch's mean of the weighted rows is PyTorch's
// weighted mean (CrossEntropyLoss(weight=…): Σ w_y·loss / Σ w_y). nil
// without class weights. A label the weights do not cover weighs 1.
func (l *Loss) rowWeights(h int, y []int) []float64 {
	if h >= len(l.ClassWeights) || l.ClassWeights[h] == nil || len(y) == 0 {
		return nil
	}
	w := l.ClassWeights[h]
	rw := make([]float64, len(y))
	var sum float64
	for i, c := range y {
		rw[i] = 1
		if c >= 0 && c < len(w) {
			rw[i] = w[c]
		}
		sum += rw[i]
	}
	for i := range rw {
		rw[i] *= float64(len(y)) / sum
	}
	return rw
}
