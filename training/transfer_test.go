package training

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
)

// trainParent trains an 18-class tinyConfig run of the given epochs in
// dir, for child runs to start from.
func trainParent(t *testing.T, dir string, epochs int) *Trainer {
	t.Helper()
	cfg := tinyConfig(t, dir)
	cfg.Epochs = epochs
	parent, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return parent
}

// tensorAt reads tensor name of the checkpoint of epoch ep in runDir.
func tensorAt(t *testing.T, runDir string, ep int, name string) ([]int, []float32) {
	t.Helper()
	ps, _ := filepath.Glob(filepath.Join(runDir, "checkpoints", "*.safetensors"))
	for _, p := range ps {
		if strings.HasSuffix(p, ".optim.safetensors") {
			continue
		}
		m, err := ReadCkptMeta(strings.TrimSuffix(p, ".safetensors") + ".json")
		if err != nil || m.Epoch != ep {
			continue
		}
		ents, data, err := readSafetensors(p)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := ents[name]
		if !ok {
			t.Fatalf("%s has no tensor %s", p, name)
		}
		v := make([]float32, (e.Offsets[1]-e.Offsets[0])/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*i:]))
		}
		return e.Shape, v
	}
	t.Fatalf("no checkpoint of epoch %d in %s", ep, runDir)
	return nil, nil
}

// TestChildRunOfOtherClassesTakesTheTrunk: a child run for one task of
// an 18-class run starts from the parent's convolutions, bit for bit,
// with a fresh head of 3 classes, and says so; with --freeze-epochs 1 the
// convolutions stay as they were through its first epoch while the head
// trains, and train from the second; without it they train at once. Its
// checkpoints name the fresh tensors for a resume.
func TestChildRunOfOtherClassesTakesTheTrunk(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 1)
	_, conv := tensorAt(t, parent.RunDir(), 1, "conv2.weight")
	_, fc := tensorAt(t, parent.RunDir(), 1, "fc.weight")
	for _, freeze := range []int{1, 0} {
		child := tinyConfig(t, dir)
		child.From, child.Task, child.FreezeEpochs, child.Epochs = parent.RunID(), "mask", freeze, 2
		tr, evs := trainFromStart(t, child)
		all := notices(evs)
		if !strings.Contains(all, "4 tensors of its weights; fresh: fc.weight, fc.bias (18 classes there, 3 here)") {
			t.Errorf("freeze %d: the notices do not say what came from the parent:\n%s", freeze, all)
		}
		if got := strings.Contains(all, "train from now on"); got != (freeze > 0) {
			t.Errorf("freeze %d: a notice that the parent's tensors train now: %v\n%s", freeze, got, all)
		}
		// The layers view's first measure: the parent's tensors "fixed".
		for _, e := range evs {
			if e.Kind != KindStep || len(e.Layers) == 0 {
				continue
			}
			for _, st := range e.Layers {
				want := LayerFixed
				if strings.HasPrefix(st.Name, "fc.") || freeze == 0 {
					want = st.Health(e.Step)
					if want == LayerFixed {
						t.Errorf("freeze %d: %s is fixed", freeze, st.Name)
					}
				}
				if st.Health(e.Step) != want {
					t.Errorf("freeze %d: %s's verdict is %s, want %s", freeze, st.Name, st.Health(e.Step), want)
				}
			}
			break
		}
		shape, fc1 := tensorAt(t, tr.RunDir(), 1, "fc.weight")
		if !slices.Equal(shape, []int{len(fc) / 18, 3}) {
			t.Errorf("freeze %d: the head is %v", freeze, shape)
		}
		_, conv1 := tensorAt(t, tr.RunDir(), 1, "conv2.weight")
		_, conv2 := tensorAt(t, tr.RunDir(), 2, "conv2.weight")
		if same := slices.Equal(conv1, conv); same != (freeze > 0) {
			t.Errorf("freeze %d: after epoch 1 the convolutions are the parent's: %v", freeze, same)
		}
		if slices.Equal(conv2, conv) {
			t.Errorf("freeze %d: the convolutions did not train in epoch 2", freeze)
		}
		if _, fc2 := tensorAt(t, tr.RunDir(), 2, "fc.weight"); slices.Equal(fc1, fc2) {
			t.Errorf("freeze %d: the head did not train", freeze)
		}
		p, err := CheckpointPath(tr.RunDir(), "latest")
		if err != nil {
			t.Fatal(err)
		}
		m, err := ReadCkptMeta(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Fresh, []string{"fc.weight", "fc.bias"}) {
			t.Errorf("freeze %d: the checkpoint names %v fresh", freeze, m.Fresh)
		}
		info, err := runs.NewStore(dir).Info(tr.RunID())
		if err != nil || info.Parent != parent.RunID() {
			t.Errorf("freeze %d: the child's parent is %q (%v)", freeze, info.Parent, err)
		}
	}

	// The multi-head variant takes the convolutions; its three heads start fresh.
	mh := tinyConfig(t, dir)
	mh.From, mh.Model, mh.Epochs = parent.RunID(), "cnn-s-mh", 1
	_, evs := trainFromStart(t, mh)
	found := false
	for _, e := range evs {
		found = found || e.Kind == KindNotice && strings.Contains(e.Msg, "4 tensors of its weights; fresh: head.") &&
			strings.Contains(e.Msg, "not used: fc.bias, fc.weight (model cnn-s there)")
	}
	if !found {
		t.Errorf("the multi-head child's notice is missing or wrong: %v", notices(evs))
	}
}

// TestFreezeNeedsFreshTensors: --freeze-epochs without a parent, or with
// a parent whose weights are the whole run, is refused in a sentence.
func TestFreezeNeedsFreshTensors(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, dir)
	cfg.FreezeEpochs = 1
	if _, _, err := start(context.Background(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), "has no parent: give --from RUN") {
		t.Errorf("without a parent: %v", err)
	}
	cfg.FreezeEpochs, cfg.Epochs = 0, 1
	parent, _, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.From, cfg.FreezeEpochs = parent.RunID(), 2
	if _, _, err := start(context.Background(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), "every tensor of this run comes from it: nothing would train") {
		t.Errorf("a parent of the same classes: %v", err)
	}
}

// headerTricks is the settings the run's header (its KindRun event)
// lists, as Tricks gives them.
func headerTricks(evs []Event) []string {
	for _, e := range evs {
		if e.Kind == KindRun && e.Settings != nil {
			return e.Settings.Tricks()
		}
	}
	return nil
}

// TestFreshHeadRetrainsTheClassifier: --fresh-head starts a child of its
// parent's classes with a fresh output layer, which --freeze-epochs then
// trains alone (classifier re-training): the convolutions stay the
// parent's through the frozen epoch, the head moves away from both the
// parent's and its fresh start, the notice and the header say so, and a
// run without a parent is refused in a sentence.
func TestFreshHeadRetrainsTheClassifier(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 1)
	_, conv := tensorAt(t, parent.RunDir(), 1, "conv2.weight")
	_, fc := tensorAt(t, parent.RunDir(), 1, "fc.weight")
	child := tinyConfig(t, dir)
	child.From, child.FreshHead, child.FreezeEpochs, child.Epochs, child.Sampler = parent.RunID(), true, 1, 1, "weighted"
	tr, evs := trainFromStart(t, child)
	if all := notices(evs); !strings.Contains(all, "4 tensors of its weights; fresh: fc.weight, fc.bias (--fresh-head)") ||
		!strings.Contains(all, "only fc.weight, fc.bias train") {
		t.Errorf("the notices:\n%s", all)
	}
	if _, conv1 := tensorAt(t, tr.RunDir(), 1, "conv2.weight"); !slices.Equal(conv1, conv) {
		t.Error("the convolutions moved in the frozen epoch")
	}
	if _, fc1 := tensorAt(t, tr.RunDir(), 1, "fc.weight"); slices.Equal(fc1, fc) || len(fc1) != len(fc) {
		t.Error("the head is the parent's: it did not start fresh, or did not train")
	}
	tricks := headerTricks(evs)
	if !slices.Contains(tricks, "fresh head") || !slices.Contains(tricks, "freeze-epochs 1") {
		t.Errorf("the header's settings %q", tricks)
	}
	alone := tinyConfig(t, dir)
	alone.FreshHead = true
	if _, _, err := start(context.Background(), alone, NewHub()); err == nil || !strings.Contains(err.Error(), "--fresh-head") || !strings.Contains(err.Error(), "give --from RUN") {
		t.Errorf("--fresh-head without a parent: %v", err)
	}
}

// TestFreezeLayersKeepTheirValues: --freeze-layers keeps the named
// layers at the parent's values for the whole run while the rest
// train, says so in a notice and the header, and refuses in a sentence a
// layer the model lacks (naming its layers), every layer, a layer that
// starts fresh, and a run without a parent.
func TestFreezeLayersKeepTheirValues(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 1)
	_, conv1 := tensorAt(t, parent.RunDir(), 1, "conv1.weight")
	_, conv2 := tensorAt(t, parent.RunDir(), 1, "conv2.weight")
	child := tinyConfig(t, dir)
	child.From, child.FreezeLayers, child.Epochs = parent.RunID(), "conv1", 2
	if held, err := layerTensors(parent.net, "conv1+fc.bias"); err != nil || !slices.Equal(held, []string{"conv1.weight", "conv1.bias", "fc.bias"}) {
		t.Errorf("conv1+fc.bias holds %v (%v)", held, err)
	}
	tr, evs := trainFromStart(t, child)
	if all := notices(evs); !strings.Contains(all, "layers conv1 (2 tensors) keep "+parent.RunID()+"'s values for the whole run") {
		t.Errorf("the notices:\n%s", all)
	}
	if _, c1 := tensorAt(t, tr.RunDir(), 2, "conv1.weight"); !slices.Equal(c1, conv1) {
		t.Error("conv1 moved")
	}
	if _, c2 := tensorAt(t, tr.RunDir(), 2, "conv2.weight"); slices.Equal(c2, conv2) {
		t.Error("conv2 did not train")
	}
	tricks := headerTricks(evs)
	if !slices.Contains(tricks, "frozen layers conv1") {
		t.Errorf("the header's settings %q", tricks)
	}
	for _, c := range []struct {
		layers, task string
		why          string
	}{
		{"b1", "", `"b1" is no layer of cnn-s; its layers are conv1, conv2, fc`},
		{"conv1,conv2,fc", "", "holds every tensor of cnn-s: nothing would train"},
		{"fc", "age", "holds fc.weight, which starts fresh"},
	} {
		cfg := tinyConfig(t, dir)
		cfg.From, cfg.FreezeLayers, cfg.Task = parent.RunID(), c.layers, c.task
		if _, _, err := start(context.Background(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("--freeze-layers %s: %v, want it to say %q", c.layers, err, c.why)
		}
	}
	alone := tinyConfig(t, dir)
	alone.FreezeLayers = "conv1"
	if _, _, err := start(context.Background(), alone, NewHub()); err == nil || !strings.Contains(err.Error(), "has no parent") {
		t.Errorf("--freeze-layers without a parent: %v", err)
	}
}

// TestFromLRScale: with --from-lr-scale the parent's tensors train at
// that fraction of the rate (the notice and the header say so) and the
// fresh head at all of it; without a parent, or with no fresh tensor,
// it is refused in a sentence.
func TestFromLRScale(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 1)
	child := tinyConfig(t, dir)
	child.From, child.Task, child.FromLRScale, child.Epochs = parent.RunID(), "gender", 0.1, 1
	tr, evs := trainFromStart(t, child)
	if !strings.Contains(notices(evs), "the 4 tensors from "+parent.RunID()+" train at 0.1 of the rate (--from-lr-scale), fc.weight, fc.bias at all of it") {
		t.Errorf("the notices: %s", notices(evs))
	}
	if !slices.Contains(tr.header.Tricks(), "from-lr-scale 0.1") {
		t.Errorf("the header's settings %v", tr.header.Tricks())
	}
	for _, p := range tr.net.Params() {
		if want := map[bool]float64{true: 0, false: 0.1}[p.Output]; p.RateScale != want || p.Frozen {
			t.Errorf("%s trains at %g of the rate (frozen %v), want %g", p.Name, p.RateScale, p.Frozen, want)
		}
	}
	cfg := tinyConfig(t, dir)
	cfg.FromLRScale = 0.5
	if _, _, err := start(context.Background(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), "this run has no parent") {
		t.Errorf("without a parent: %v", err)
	}
	cfg.From = parent.RunID()
	if _, _, err := start(context.Background(), cfg, NewHub()); err == nil || !strings.Contains(err.Error(), "give a lower --lr instead") {
		t.Errorf("a parent of the same classes: %v", err)
	}
}

// TestLoadMatchingOtherClassesOfTheSameCount: a head of as many classes,
// but others, starts fresh; every other tensor is the file's.
func TestLoadMatchingOtherClassesOfTheSameCount(t *testing.T) {
	dir := t.TempDir()
	spec := models.Spec{Name: "vgg-s", Batch: 4, W: 16, H: 16, Classes: 5, Seed: 1}
	a, err := models.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.Seed = 2
	b, err := models.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]*models.Param(nil), a.Params()...), a.Buffers()...)
	path := filepath.Join(dir, "a.safetensors")
	if err := writeSafetensors(path, paramTensors(all), nil); err != nil {
		t.Fatal(err)
	}
	before := map[string][]float32{}
	for _, p := range b.Params() {
		before[p.Name] = slices.Clone(p.Data)
	}
	x, err := loadMatching(path, b, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.fresh, []string{"fc.weight", "fc.bias"}) || len(x.unused) != 0 {
		t.Errorf("fresh %v, unused %v", x.fresh, x.unused)
	}
	for i, p := range b.Params() {
		want := a.Params()[i].Data
		if p.Output {
			want = before[p.Name]
		}
		if !slices.Equal(p.Data, want) {
			t.Errorf("%s is not what it should be (output layer: %v)", p.Name, p.Output)
		}
	}
}

// notices are the events' notices, a line each.
func notices(evs []Event) string {
	var said []string
	for _, e := range evs {
		if e.Kind == KindNotice {
			said = append(said, e.Msg)
		}
	}
	return strings.Join(said, "\n")
}

// TestResumedChildKeepsItsFreeze: a child run stopped while its parent's
// tensors are fixed keeps them fixed after a resume, until its
// --freeze-epochs end.
func TestResumedChildKeepsItsFreeze(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 1)
	_, conv := tensorAt(t, parent.RunDir(), 1, "conv2.weight")
	child := tinyConfig(t, dir)
	child.From, child.Task, child.FreezeEpochs, child.Epochs = parent.RunID(), "age", 2, 1
	tr, _ := trainFromStart(t, child)
	_, evs := trainFromStart(t, Config{Runs: dir, Resume: tr.RunID(), Epochs: 3, StepEvery: time.Nanosecond, Workers: 2})
	for ep, fixed := range map[int]bool{1: true, 2: true, 3: false} {
		if _, c := tensorAt(t, tr.RunDir(), ep, "conv2.weight"); slices.Equal(c, conv) != fixed {
			t.Errorf("epoch %d: the parent's convolutions fixed: %v, want %v", ep, !fixed, fixed)
		}
	}
	if !strings.Contains(notices(evs), "epoch 3: the tensors from") {
		t.Errorf("the resume does not say when the parent's tensors train: %s", notices(evs))
	}
}

// TestChildResumedBeforeItsFirstCheckpoint: a child run that stopped
// before its first checkpoint of its own starts over from its parent's
// weights, at its own first epoch and step, not at its parent's.
func TestChildResumedBeforeItsFirstCheckpoint(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 2)
	child := tinyConfig(t, dir)
	child.From, child.Epochs = parent.RunID(), 1
	tr, _ := trainFromStart(t, child)
	if err := os.RemoveAll(filepath.Join(tr.RunDir(), "checkpoints")); err != nil {
		t.Fatal(err)
	}
	_, evs := trainFromStart(t, Config{Runs: dir, Resume: tr.RunID(), Epochs: 2, StepEvery: time.Nanosecond, Workers: 2})
	var epochs []int
	first := -1
	for _, e := range evs {
		if e.Kind == KindStep && first < 0 {
			first = e.Step
		}
		if e.Kind == KindEpoch {
			epochs = append(epochs, e.Epoch)
		}
	}
	if first != 1 || !slices.Equal(epochs, []int{1, 2}) {
		t.Errorf("the resumed child's first step is %d and its epochs %v, want step 1 and epochs [1 2]", first, epochs)
	}
	info, err := runs.NewStore(dir).Info(tr.RunID())
	if err != nil || info.EpochsDone != 2 || info.Parent != parent.RunID() {
		t.Errorf("the resumed child: %d epochs done, parent %q (%v)", info.EpochsDone, info.Parent, err)
	}
}

// TestCheckStart: what a sweep asks of each trial before any starts is
// what the trial's own start would refuse, a child's too, and a check
// writes nothing. The parent is a tiny 18-class cnn-s run: layers it has
// pass, one it lacks and a list of every tensor are refused; from it, a
// child of the age task may freeze conv1 but not fc (its 3-class head
// starts fresh), and --freeze-epochs needs a fresh tensor.
func TestCheckStart(t *testing.T) {
	dir := t.TempDir()
	parent := trainParent(t, dir, 1)
	before, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	child := func(task, layers string, freeze int) Config {
		c := tinyConfig(t, dir)
		c.From, c.Task, c.FreezeLayers, c.FreezeEpochs = parent.RunID(), task, layers, freeze
		return c
	}
	fresh := tinyConfig(t, dir)
	fresh.FreezeLayers = "conv1"
	big := tinyConfig(t, dir)
	big.Batch = 100000
	// A check asks no GPU (a sweep may start on a login node), but a
	// build that can never train on one is refused.
	cuda := tinyConfig(t, dir)
	cuda.Device = "cuda"
	cudaSays := "built without GPU support"
	if models.GPUBuilt {
		cudaSays = ""
	}
	for _, c := range []struct {
		name string
		cfg  Config
		says string
	}{
		{"a run of its own", tinyConfig(t, dir), ""},
		{"layers of the parent's model", child("", "conv1,conv2", 0), ""},
		{"no list", child("", NoneSetting, 0), ""},
		{"a layer of another model", child("", "b1", 0), `"b1" is no layer of cnn-s; its layers are conv1, conv2, fc`},
		{"every layer", child("", "conv1+conv2+fc", 0), "holds every tensor of cnn-s"},
		{"a trunk layer of another task", child("age", "conv1", 1), ""},
		{"the fresh head of another task", child("age", "conv1,fc", 0), "holds fc.weight, which starts fresh"},
		{"frozen epochs with nothing fresh", child("", "", 1), "every tensor of this run comes from it: nothing would train"},
		{"frozen layers without a parent", fresh, "this run has no parent"},
		{"a batch larger than the data", big, "fewer than one batch of 100000"},
		{"--device cuda", cuda, cudaSays},
	} {
		err := CheckStart(context.Background(), c.cfg)
		if c.says == "" && err != nil || c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.says)
		}
	}
	if after, err := os.ReadDir(dir); err != nil || len(after) != len(before) {
		t.Errorf("the checks wrote to the runs folder: %d entries before, %d after (%v)", len(before), len(after), err)
	}
}
