package training

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
)

// DefaultLATau is the logit-adjusted loss's τ unless Config.LATau says
// otherwise: Menon et al.'s, for which the shifted loss is consistent
// for the balanced error.
const DefaultLATau = 1.0

// DefaultFocalGamma is focal's γ unless Config.FocalGamma says otherwise:
// Lin et al.'s, and the competition's baseline FocalLoss's.
const DefaultFocalGamma = 2.0

// DefaultSmoothing is smooth's label smoothing unless Config.Smoothing
// says otherwise: the usual 0.1 (the competition's teams used 0.1 and 0.2).
const DefaultSmoothing = 0.1

// LossNames lists the single losses a loss spec may combine.
var LossNames = []string{"ce", "focal", "smooth", "f1", "la"}

// LossTerm is one weighted term of a loss spec.
type LossTerm struct {
	Name   string  // ce, focal, smooth, f1 or la
	Weight float64 // its weight in the sum
}

// Loss is a weighted sum of single losses, such as "0.6focal+0.4f1".
// Multi-head models sum the loss of each head.
type Loss struct {
	Spec      string
	Terms     []LossTerm
	Gamma     float64 // focal γ; default DefaultFocalGamma
	Smoothing float64 // label smoothing; default DefaultSmoothing
	Eps       float64 // soft-F1 ε; default 1e-7
	Tau       float64 // la's τ; default DefaultLATau
	// Priors are, per head, each class's share of the labels the
	// training batches hold (the trainer's samplePriors), which la
	// adjusts the logits by; nil (or a head's nil): even shares, which
	// make la cross entropy.
	Priors [][]float64
	// ClassWeights are, per head, each class's weight in the ce, focal
	// and smooth terms (--class-weights; the trainer's classWeights): a
	// row's loss is weighed by its class's weight and the batch's by the
	// mean weight of its rows, as PyTorch's CrossEntropyLoss(weight=…)
	// weighs them. la (itself a correction for the classes' shares) and
	// f1 (a mean over the classes) are not weighed. nil: none.
	ClassWeights [][]float64
}

// AdjustsLogits reports whether the loss has a logit-adjusted term (la),
// which needs Priors.
func (l *Loss) AdjustsLogits() bool { return l.Uses("la") }

// Uses reports whether the loss has a term of the named single loss
// (one of LossNames) with a weight other than 0.
func (l *Loss) Uses(name string) bool {
	return slices.ContainsFunc(l.Terms, func(t LossTerm) bool { return t.Name == name && t.Weight != 0 })
}

// adjustment is la's shift of head h's c logits: τ·log of each class's
// prior (nil for even priors, which shift every logit alike).
func (l *Loss) adjustment(h, c int) []float64 {
	if h >= len(l.Priors) || len(l.Priors[h]) != c {
		return nil
	}
	adj := make([]float64, c)
	for j, p := range l.Priors[h] {
		adj[j] = l.Tau * math.Log(p)
	}
	return adj
}

// ParseLoss reads a loss spec: a name, or weighted names joined by "+",
// such as "focal", "0.6focal+0.4f1" or "ce+0.5f1". Aliases:
// cross_entropy = ce, label_smoothing = smooth, logit_adjusted = la.
func ParseLoss(spec string) (*Loss, error) {
	l := &Loss{Spec: spec, Gamma: DefaultFocalGamma, Smoothing: DefaultSmoothing, Eps: 1e-7, Tau: DefaultLATau}
	s := strings.ReplaceAll(strings.ToLower(spec), " ", "")
	if s == "" {
		s = "ce"
	}
	for _, part := range strings.Split(s, "+") {
		i := 0
		for i < len(part) && (part[i] >= '0' && part[i] <= '9' || part[i] == '.' || part[i] == '*') {
			i++
		}
		w := 1.0
		if i > 0 {
			v, err := strconv.ParseFloat(strings.TrimSuffix(part[:i], "*"), 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("loss %q: weight %q is not a number", spec, part[:i])
			}
			w = v
		}
		name := part[i:]
		switch name {
		case "cross_entropy", "crossentropy":
			name = "ce"
		case "label_smoothing", "labelsmoothing":
			name = "smooth"
		case "logit_adjusted", "logitadjusted":
			name = "la"
		}
		ok := false
		for _, n := range LossNames {
			ok = ok || n == name
		}
		if !ok && name == "" {
			return nil, fmt.Errorf("loss %q: a term of the sum has no loss name; valid losses: %s, and weighted sums such as 0.6focal+0.4f1", spec, strings.Join(LossNames, ", "))
		}
		if !ok {
			return nil, fmt.Errorf("loss %q: %q is unknown; valid losses: %s, and weighted sums such as 0.6focal+0.4f1", spec, name, strings.Join(LossNames, ", "))
		}
		l.Terms = append(l.Terms, LossTerm{name, w})
	}
	return l, nil
}

// String returns the spec.
func (l *Loss) String() string { return l.Spec }

// Func returns the models.LossFunc for one batch: labels are the 18-way (or
// dataset) classes of the batch's rows; heads are the model's head sizes.
func (l *Loss) Func(labels []int, heads []int) models.LossFunc {
	return func(x []float32, n, k int, g []float32) float64 {
		total := 0.0
		off := 0
		for h, size := range heads {
			total += l.head(x, n, k, off, h, size, headLabels(labels[:n], len(heads), h), l.adjustment(h, size), g)
			off += size
		}
		return total
	}
}

// deviceLossKinds is each of LossNames as the GPU engine names it.
var deviceLossKinds = map[string]models.LossKind{"ce": models.LossCE, "smooth": models.LossSmooth, "focal": models.LossFocal, "f1": models.LossF1, "la": models.LossLA}

// Device is the same loss as Func(labels, heads), as data for a net on
// the GPU to compute there (models.Net.SetDeviceLoss).
func (l *Loss) Device(labels []int, heads []int) *models.DeviceLoss {
	d := &models.DeviceLoss{Gamma: l.Gamma, Smoothing: l.Smoothing, Eps: l.Eps, Heads: heads}
	for _, t := range l.Terms {
		if t.Weight != 0 {
			d.Terms = append(d.Terms, models.DeviceLossTerm{Kind: deviceLossKinds[t.Name], Weight: t.Weight})
		}
	}
	for h, size := range heads {
		if l.AdjustsLogits() {
			adj := make([]float32, size) // even priors: no shift
			for j, v := range l.adjustment(h, size) {
				adj[j] = float32(v)
			}
			d.Adjust = append(d.Adjust, adj)
		}
		hl := headLabels(labels, len(heads), h)
		tl := make([]int32, len(hl))
		for i, y := range hl {
			tl[i] = int32(y)
		}
		d.Labels = append(d.Labels, tl)
		if rw := l.rowWeights(h, hl); rw != nil {
			r32 := make([]float32, len(rw))
			for i, v := range rw {
				r32[i] = float32(v)
			}
			d.RowWeights = append(d.RowWeights, r32)
		}
	}
	return d
}

// headLabels are the labels of head h of a model of heads heads: the
// classes themselves for one head, each class's task label for a -mh
// model's.
func headLabels(labels []int, heads, h int) []int {
	if heads == 1 {
		return labels
	}
	tl := make([]int, len(labels))
	for i, y := range labels {
		tl[i] = dataset.TaskLabel(y, h)
	}
	return tl
}

// head adds the loss of head h, logits columns [off, off+c), to g and
// returns it; adj is la's shift of the logits (nil: none).
func (l *Loss) head(x []float32, n, k, off, h, c int, y []int, adj []float64, g []float32) float64 {
	// One allocation for the probabilities, their logs and dz, which
	// accumulates ∂loss/∂logit for this head.
	buf := make([]float64, 3*n*c)
	p, logp, dz := buf[:n*c], buf[n*c:2*n*c], buf[2*n*c:]
	for i := 0; i < n; i++ {
		softmaxInto(x[i*k+off:i*k+off+c], p[i*c:(i+1)*c], logp[i*c:(i+1)*c])
	}
	total := 0.0
	rw := l.rowWeights(h, y)
	for _, t := range l.Terms {
		if t.Weight == 0 {
			continue
		}
		var v float64
		switch t.Name {
		case "ce":
			v = smoothCE(p, logp, y, n, c, 0, t.Weight, rw, dz)
		case "smooth":
			v = smoothCE(p, logp, y, n, c, l.Smoothing, t.Weight, rw, dz)
		case "focal":
			v = focal(p, logp, y, n, c, l.Gamma, t.Weight, rw, dz)
		case "f1":
			v = softF1(p, y, n, c, l.Eps, t.Weight, dz)
		case "la":
			v = adjustedCE(x, n, k, off, c, y, adj, t.Weight, dz)
		}
		total += t.Weight * v
	}
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			g[i*k+off+j] += float32(dz[i*c+j])
		}
	}
	return total
}

// smoothCE is cross entropy against targets 1−s on the true class and
// s/(c−1) elsewhere (plain CE when s = 0), averaged over the batch, each
// row's weighed by rw (nil: 1; Loss.rowWeights). It adds w·∂/∂z to dz:
// (p − q)/n, times the row's weight.
func smoothCE(p, logp []float64, y []int, n, c int, s, w float64, rw, dz []float64) float64 {
	off := 0.0
	if c > 1 {
		off = s / float64(c-1)
	}
	var loss float64
	for i := 0; i < n; i++ {
		f := rowWeight(rw, i)
		scale := w * f / float64(n)
		for j := 0; j < c; j++ {
			q := off
			if j == y[i] {
				q = 1 - s
			}
			loss -= f * q * logp[i*c+j]
			dz[i*c+j] += scale * (p[i*c+j] - q)
		}
	}
	return loss / float64(n)
}

// rowWeight is row i's weight in rw; 1 without weights.
func rowWeight(rw []float64, i int) float64 {
	if rw == nil {
		return 1
	}
	return rw[i]
}

// adjustedCE is the logit-adjusted loss of Menon et al., "Long-tail
// learning via logit adjustment" (ICLR 2021): cross entropy of the logits
// shifted by adj = τ·log π, π each class's share of the training labels,
// averaged over the batch. A rare class's logit is lowered in training,
// so the net learns to raise it by that much; predictions use the logits
// unshifted, which then favour rare classes as a balanced error (and so
// macro F1) wants. It adds w·∂/∂z to dz: (p′ − onehot)/n, p′ the softmax
// of the shifted logits. Without adj it is cross entropy.
func adjustedCE(x []float32, n, k, off, c int, y []int, adj []float64, w float64, dz []float64) float64 {
	buf := make([]float64, 3*c)
	z, p, logp := buf[:c], buf[c:2*c], buf[2*c:]
	scale := w / float64(n)
	var loss float64
	for i := 0; i < n; i++ {
		for j := range c {
			z[j] = float64(x[i*k+off+j])
			if adj != nil {
				z[j] += adj[j]
			}
		}
		softmaxInto(z, p, logp)
		loss -= logp[y[i]]
		for j := range c {
			q := 0.0
			if j == y[i] {
				q = 1
			}
			dz[i*c+j] += scale * (p[j] - q)
		}
	}
	return loss / float64(n)
}

// focal is −(1−p_y)^γ·log p_y averaged over the batch (the baseline's
// FocalLoss), with its exact gradient, each row weighed by rw as in
// smoothCE.
func focal(p, logp []float64, y []int, n, c int, gamma, w float64, rw, dz []float64) float64 {
	var loss float64
	for i := 0; i < n; i++ {
		py := p[i*c+y[i]]
		lp := logp[i*c+y[i]]
		om := math.Max(1-py, 0)
		f := rowWeight(rw, i)
		loss -= f * math.Pow(om, gamma) * lp
		// d/d p_y of f(p_y) = −(1−p)^γ log p
		var dfdp float64
		if om > 0 {
			dfdp = gamma*math.Pow(om, gamma-1)*lp - math.Pow(om, gamma)/py
		} else {
			dfdp = -1 / py
		}
		// ∂p_y/∂z_j = p_y(δ_jy − p_j)
		for j := 0; j < c; j++ {
			d := -p[i*c+j]
			if j == y[i] {
				d++
			}
			dz[i*c+j] += w * f * dfdp * py * d / float64(n)
		}
	}
	return loss / float64(n)
}

// softF1 is 1 − mean_c F1_c with soft counts from probabilities (the
// baseline's F1Loss with classes = c), F1_c clamped to [ε, 1−ε].
func softF1(p []float64, y []int, n, c int, eps, w float64, dz []float64) float64 {
	tp := make([]float64, c)
	sp := make([]float64, c) // Σ_i p_ic = tp + fp
	sy := make([]float64, c) // Σ_i y_ic = tp + fn
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			sp[j] += p[i*c+j]
		}
		tp[y[i]] += p[i*c+y[i]]
		sy[y[i]]++
	}
	var mean float64
	dfdp := make([]float64, n*c) // ∂loss/∂p_ij
	for j := 0; j < c; j++ {
		P := tp[j] / (sp[j] + eps)
		R := tp[j] / (sy[j] + eps)
		f := 2 * P * R / (P + R + eps)
		clamped := f < eps || f > 1-eps
		f = math.Min(math.Max(f, eps), 1-eps)
		mean += f
		if clamped {
			continue
		}
		den := P + R + eps
		dfdP := 2 * R * (R + eps) / (den * den)
		dfdR := 2 * P * (P + eps) / (den * den)
		for i := 0; i < n; i++ {
			isY := 0.0
			if y[i] == j {
				isY = 1
			}
			// P = tp/(sp+ε): ∂P/∂p_ij = (isY(sp+ε) − tp)/(sp+ε)²; R = tp/(sy+ε).
			dP := (isY*(sp[j]+eps) - tp[j]) / ((sp[j] + eps) * (sp[j] + eps))
			dR := isY / (sy[j] + eps)
			dfdp[i*c+j] -= (dfdP*dP + dfdR*dR) / float64(c)
		}
	}
	for i := 0; i < n; i++ {
		var dot float64
		for j := 0; j < c; j++ {
			dot += dfdp[i*c+j] * p[i*c+j]
		}
		for j := 0; j < c; j++ {
			dz[i*c+j] += w * p[i*c+j] * (dfdp[i*c+j] - dot)
		}
	}
	return 1 - mean/float64(c)
}
