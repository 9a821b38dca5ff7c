package training

import (
	"maps"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/models"
)

// TestClipGradsMatchesPyTorch: gradients clipped to a global norm are
// PyTorch's clip_grad_norm_'s (which gets the tensors that train: a
// frozen one is neither counted nor scaled), and so is the norm it
// returns; gradients within the limit are left as they are.
func TestClipGradsMatchesPyTorch(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 7))
	grad := func(n int, scale float64) []float32 {
		g := make([]float32, n)
		for i := range g {
			g[i] = float32(r.NormFloat64() * scale)
		}
		return g
	}
	type tc struct {
		Grads [][]float32 `json:"grads"`
		Limit float64     `json:"limit"`
	}
	var cases []tc
	var params [][]*models.Param
	for _, limit := range []float64{0.5, 3, 1e3} {
		ps := []*models.Param{{Name: "a", Grad: grad(300, 0.1)}, {Name: "frozen", Grad: grad(50, 5), Frozen: true}, {Name: "b", Grad: grad(17, 1)}}
		params = append(params, ps)
		cases = append(cases, tc{[][]float32{ps[0].Grad, ps[2].Grad}, limit})
	}
	var ref []struct {
		Norm  float64     `json:"norm"`
		Grads [][]float32 `json:"grads"`
	}
	pyTorch(t, `
import json, sys, torch
out = []
for c in json.load(sys.stdin):
    ts = [torch.zeros(len(g), requires_grad=True) for g in c["grads"]]
    for t, g in zip(ts, c["grads"]):
        t.grad = torch.tensor(g, dtype=torch.float32)
    n = torch.nn.utils.clip_grad_norm_(ts, c["limit"])
    out.append({"norm": float(n), "grads": [t.grad.tolist() for t in ts]})
json.dump(out, sys.stdout)
`, cases, &ref)
	clippedCases := 0
	for k, ps := range params {
		frozen := append([]float32(nil), ps[1].Grad...)
		norm, clipped := clipGrads(ps, cases[k].Limit)
		if clipped {
			clippedCases++
		}
		if math.Abs(norm-ref[k].Norm) > 1e-5*ref[k].Norm {
			t.Errorf("limit %g: norm %v, PyTorch's %v", cases[k].Limit, norm, ref[k].Norm)
		}
		for j, p := range []*models.Param{ps[0], ps[2]} {
			for i, g := range p.Grad {
				if want := ref[k].Grads[j][i]; math.Abs(float64(g-want)) > 1e-6*(1+math.Abs(float64(want))) {
					t.Fatalf("limit %g: %s's gradient %d is %v, PyTorch's %v", cases[k].Limit, p.Name, i, g, want)
				}
			}
		}
		for i, g := range ps[1].Grad {
			if g != frozen[i] {
				t.Fatalf("limit %g: the frozen tensor's gradient changed", cases[k].Limit)
			}
		}
	}
	if clippedCases != 2 {
		t.Errorf("%d of 3 cases clipped, want 2 (the last is within its limit)", clippedCases)
	}
}

// TestClipGradInARun: --clip-grad says each epoch how many of its steps
// it clipped and how large the gradients were: all of them under a limit
// far below the gradients' norm, none under one far above it, where the
// run trains exactly as without clipping.
func TestClipGradInARun(t *testing.T) {
	notice := regexp.MustCompile(`^epoch (\d+): gradients clipped to norm ([0-9.e+-]+) in (\d+) of (\d+) steps \(their norm before: mean ([0-9.e+-]+), largest ([0-9.e+-]+)\)$`)
	run := func(clip float64) (notes [][]string, loss float64) {
		t.Helper()
		cfg := tinyConfig(t, t.TempDir())
		cfg.ClipGrad = clip
		_, evs, err := runTrainer(t, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == KindNotice && strings.Contains(e.Msg, "gradients clipped") {
				m := notice.FindStringSubmatch(e.Msg)
				if m == nil {
					t.Fatalf("the notice %q", e.Msg)
				}
				notes = append(notes, m)
			}
			if e.Kind == KindEpoch {
				loss = e.Val.Loss
			}
		}
		return notes, loss
	}
	_, plain := run(0)
	tight, tightLoss := run(1e-4)
	loose, looseLoss := run(1e6)
	if len(tight) != 2 || len(loose) != 2 {
		t.Fatalf("notices: %d with a tight limit, %d with a loose one; want one an epoch (2)", len(tight), len(loose))
	}
	for _, m := range tight {
		if m[3] != m[4] || m[3] == "0" {
			t.Errorf("a tight limit clipped %s of %s steps, want all", m[3], m[4])
		}
		if mean, _ := strconv.ParseFloat(m[5], 64); !(mean > 1e-4) {
			t.Errorf("a tight limit's gradients had a mean norm of %s", m[5])
		}
	}
	for _, m := range loose {
		if m[3] != "0" {
			t.Errorf("a limit of 1e6 clipped %s steps", m[3])
		}
	}
	if looseLoss != plain {
		t.Errorf("a limit no gradient reaches changed training: loss %v, without clipping %v", looseLoss, plain)
	}
	if tightLoss == plain {
		t.Errorf("clipping every step left the validation loss as it was (%v)", plain)
	}
	bad := Config{ClipGrad: -1}
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "clip-grad -1 is invalid") {
		t.Errorf("--clip-grad -1: %v", err)
	}
}

// TestClipCountsOutliveAResume stops a clipped run in its second epoch
// and resumes it: the epoch's line after the resume counts all its
// steps, the ones before the stop too (each clipped, at a tight limit).
func TestClipCountsOutliveAResume(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.ClipGrad = 1e-4
	counts := func(evs []Event) map[string]string {
		out := map[string]string{}
		for _, e := range evs {
			if e.Kind == KindNotice && strings.Contains(e.Msg, "gradients clipped") {
				epoch, rest, _ := strings.Cut(e.Msg, ":")
				out[epoch] = rest[:strings.Index(rest, "(")]
			}
		}
		return out
	}
	_, whole, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := counts(whole)
	tr, first := stopInTheSecondEpoch(t, cfg)
	_, resumed, err := runTrainer(t, Config{Runs: dir, Resume: tr.RunID(), StepEvery: time.Nanosecond, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := counts(first)
	maps.Copy(got, counts(resumed))
	if len(want) != 2 || !maps.Equal(got, want) {
		t.Errorf("with a stop and a resume the epochs' lines say %q; without, %q", got, want)
	}
}
