package training

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/maskdash/maskdash/models"
)

// A child run (train --from) may differ from its parent in what the
// weights' shapes follow: other classes (--task, or --data with classes
// of its own), another size (--img; a model with global pooling takes
// every tensor at any size), or the model's multi-head variant. It then
// starts from every tensor of its parent whose name and shape it has, and
// the rest (a head for the new classes) start fresh, as PyTorch's
// load_state_dict(strict=False) after a new classifier does. The
// optimizer's state starts fresh then too: the parent's moments are of
// another objective. --freeze-epochs N keeps the parent's tensors fixed
// for the child's first N epochs, so a fresh head learns on the parent's
// features before its gradients reach them (linear probing, then fine
// tuning).

// transfer is what a child run took from its parent's weights.
type transfer struct {
	took, fresh, unused []string // tensors loaded; started fresh; the parent's that this net has not
}

// partial reports whether the child differs from its parent's weights.
func (x transfer) partial() bool { return len(x.fresh) > 0 || len(x.unused) > 0 }

// loadMatching copies into net every tensor of the safetensors file at
// path whose name and shape net has; the others keep their fresh values.
// With keepOutput false (the file's classes are other classes of the
// same count) the output layer starts fresh too.
func loadMatching(path string, net *models.Net, keepOutput bool) (transfer, error) {
	ents, data, err := readSafetensors(path)
	if err != nil {
		return transfer{}, err
	}
	src := map[string]models.Source{}
	for name, e := range ents {
		src[name] = models.Source{Shape: e.Shape, Fill: func(dst []float32) error {
			if e.Offsets[1]-e.Offsets[0] != 4*len(dst) {
				return fmt.Errorf("%w %s: %s has %d bytes for %d values", ErrCheckpoint, path, name, e.Offsets[1]-e.Offsets[0], len(dst))
			}
			for i := range dst {
				dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*i:]))
			}
			return nil
		}}
	}
	x, err := take(net, src, keepOutput)
	if err != nil {
		return transfer{}, err
	}
	if len(x.took) == 0 {
		return transfer{}, fmt.Errorf("%w %s has no tensor of model %s's names and shapes: nothing to start from", ErrCheckpoint, path, net.Spec.Name)
	}
	return x, net.WeightsToDevice()
}

// take is Net.Take as a transfer.
func take(net *models.Net, src map[string]models.Source, keepOutput bool) (transfer, error) {
	x, err := net.Take(src, keepOutput)
	return transfer{took: x.Took, fresh: x.Fresh, unused: x.Unused}, err
}

// startFrom loads a child run's parent checkpoint (path, its meta m):
// every tensor that fits, and the optimizer's state when all did.
func (t *Trainer) startFrom(path string, m CkptMeta) (transfer, error) {
	s := t.net.Spec
	if !models.SameTrunk(m.Model.Name, s.Name) {
		return transfer{}, fmt.Errorf("%w %s holds %s, whose layers cannot start a %s: a child run keeps its parent's model or its multi-head variant (give --model %s, or start a run of its own)",
			ErrCheckpoint, path, m.Model.Name, s.Name, m.Model.Name)
	}
	x, err := loadMatching(path, t.net, slices.Equal(m.Classes, t.train.Classes) && !t.cfg.FreshHead)
	if err != nil {
		return transfer{}, err
	}
	if x.partial() {
		t.startNotices = append(t.startNotices, x.says(t.cfg.From, m, s, t.train.Classes, t.cfg.FreshHead))
	}
	return x, t.fineTune(x, t.cfg.From)
}

// fineTune checks and says how the tensors a run took from elsewhere (its
// parent, or --pretrained's file, named source) train: at a fraction of
// the rate (--from-lr-scale), some layers never (--freeze-layers), all
// only after the fresh ones' first epochs (--freeze-epochs).
func (t *Trainer) fineTune(x transfer, source string) error {
	if s := t.cfg.FromLRScale; s > 0 && s != 1 {
		if len(x.fresh) == 0 {
			return fmt.Errorf("--from-lr-scale %g slows the tensors from %s beside fresh ones, and every tensor of this run comes from it: give a lower --lr instead",
				s, source)
		}
		t.startNotices = append(t.startNotices, fmt.Sprintf(
			"the %d tensors from %s train at %g of the rate (--from-lr-scale), %s at all of it", len(x.took), source, s, shortList(x.fresh, 6)))
	}
	if noneEmpty(t.cfg.FreezeLayers) != "" {
		held, err := frozenTensors(t.net, t.cfg.FreezeLayers)
		if err != nil {
			return err
		}
		for _, name := range held {
			if slices.Contains(x.fresh, name) {
				return fmt.Errorf("--freeze-layers %s holds %s, which starts fresh (not from %s): it would stay at its random start", t.cfg.FreezeLayers, name, source)
			}
		}
		t.startNotices = append(t.startNotices, fmt.Sprintf(
			"layers %s (%d tensors) keep %s's values for the whole run (--freeze-layers)", t.cfg.FreezeLayers, len(held), source))
	}
	if t.cfg.FreezeEpochs > 0 {
		if len(x.fresh) == 0 {
			return fmt.Errorf("--freeze-epochs %d keeps the tensors from %s fixed, and every tensor of this run comes from it: nothing would train (drop --freeze-epochs, give the run other classes, or start its output layer fresh with --fresh-head)",
				t.cfg.FreezeEpochs, source)
		}
		t.startNotices = append(t.startNotices, fmt.Sprintf(
			"the %d tensors from %s stay fixed for %s (--freeze-epochs): only %s train", len(x.took), source, epochsWord(t.cfg.FreezeEpochs), shortList(x.fresh, 6)))
	}
	return nil
}

// says is the notice of a partial start: what came from the parent, what
// starts fresh and why.
func (x transfer) says(parent string, m CkptMeta, s models.Spec, classes []string, freshHead bool) string {
	why := []string{}
	if freshHead {
		why = append(why, "--fresh-head")
	}
	if m.Model.Name != s.Name {
		why = append(why, fmt.Sprintf("model %s there", m.Model.Name))
	}
	if m.Model.Classes != len(classes) {
		why = append(why, fmt.Sprintf("%d classes there, %d here", m.Model.Classes, len(classes)))
	} else if !slices.Equal(m.Classes, classes) {
		why = append(why, "other classes there")
	}
	if m.Model.W != s.W || m.Model.H != s.H {
		why = append(why, fmt.Sprintf("%dx%d there", m.Model.W, m.Model.H))
	}
	msg := fmt.Sprintf("from %s: %d tensors of its weights", parent, len(x.took))
	if len(x.fresh) > 0 {
		msg += "; fresh: " + shortList(x.fresh, 6)
	}
	if len(x.unused) > 0 {
		msg += "; not used: " + shortList(x.unused, 6)
	}
	if len(why) > 0 {
		msg += " (" + strings.Join(why, ", ") + ")"
	}
	return msg + "; the optimizer starts fresh"
}

// shortList joins names, the first k and how many more.
func shortList(names []string, k int) string {
	if len(names) <= k {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:k], ", "), len(names)-k)
}

// freeze sets how the tensors from a child run's parent train in this
// epoch: not at all while the run's first FreezeEpochs last, then at
// FromLRScale of the rate (the fresh ones at all of it); those of the
// FreezeLayers not at all, the whole run. It says when the first start
// to train. The net builds its training graph for the frozen set anew
// (models.Net.refreeze) at the next step.
func (t *Trainer) freeze() {
	held, _ := layerTensors(t.net, t.cfg.FreezeLayers) // checked at the start
	if len(t.fresh) == 0 && len(held) == 0 {
		return // not a child of other classes: every tensor trains alike
	}
	on := t.epoch < t.cfg.FreezeEpochs
	was := false
	for _, p := range t.net.Params() {
		fromParent := !slices.Contains(t.fresh, p.Name)
		always := slices.Contains(held, p.Name)
		was = was || p.Frozen && !always
		p.Frozen = on && fromParent && len(t.fresh) > 0 || always
		if fromParent && len(t.fresh) > 0 {
			p.RateScale = t.cfg.FromLRScale
		}
	}
	if was && !on {
		t.emit(Event{Kind: KindNotice, Msg: fmt.Sprintf(
			"epoch %d: the tensors from %s train from now on (--freeze-epochs %d)", t.epoch+1, cmp.Or(t.cfg.From, baseName(t.cfg.Pretrained)), t.cfg.FreezeEpochs)})
	}
}

// fromLRShown is the header's form of Config.FromLRScale: "0.1", "" when
// the parent's tensors train at the whole rate.
func fromLRShown(scale float64) string {
	if scale <= 0 || scale == 1 {
		return ""
	}
	return fmt.Sprint(scale)
}

// freezeShown is the header's form of Config.FreezeEpochs: "2", "" when
// nothing is frozen.
func freezeShown(epochs int) string {
	if epochs <= 0 {
		return ""
	}
	return fmt.Sprint(epochs)
}

// epochsWord is "1 epoch", "2 epochs".
func epochsWord(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}

// layerTensors is the names of net's tensors in the layers of list
// (--freeze-layers: separated by commas or, as a sweep's grid needs its
// commas for its values, plus signs: b1,b2 or b1+b2; a tensor is in layer
// L when its name is L or starts with "L."), or which word names no layer
// of net and what its layers are. "" and none name none.
func layerTensors(net *models.Net, list string) ([]string, error) {
	if noneEmpty(list) == "" {
		return nil, nil
	}
	var names []string
	for _, w := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == '+' }) {
		w = strings.TrimSpace(w)
		n := 0
		for _, p := range net.Params() {
			if p.Name == w || strings.HasPrefix(p.Name, w+".") {
				if !slices.Contains(names, p.Name) {
					names = append(names, p.Name)
				}
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("--freeze-layers: %q is no layer of %s; its layers are %s (and their parts, as 'maskdash model %s' lists them)",
				w, net.Spec.Name, strings.Join(topLayers(net), ", "), net.Spec.Name)
		}
	}
	return names, nil
}

// frozenTensors is layerTensors(net, list), refused when the layers hold
// every tensor of net: nothing would train. A run's start (and so a
// sweep's CheckStart) and the dashboard's n ask it.
func frozenTensors(net *models.Net, list string) ([]string, error) {
	held, err := layerTensors(net, list)
	if err == nil && len(held) == len(net.Params()) {
		err = fmt.Errorf("--freeze-layers %s holds every tensor of %s: nothing would train (leave a layer out, the output layer at least)", list, net.Spec.Name)
	}
	return held, err
}

// topLayers is the first part of each of net's tensor names, in order:
// b1, b2, …, fc.
func topLayers(net *models.Net) []string {
	var out []string
	for _, p := range net.Params() {
		top, _, _ := strings.Cut(p.Name, ".")
		if !slices.Contains(out, top) {
			out = append(out, top)
		}
	}
	return out
}
