package ui

import (
	"strings"
	"testing"

	"github.com/maskdash/maskdash/training"
)

// withHeader is the test script's dashboard (160×40) with its run's
// settings changed by change.
func withHeader(change func(*training.RunHeader)) Model {
	evs := script()
	hdr := *evs[0].Settings
	change(&hdr)
	evs[0].Settings = &hdr
	m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
	m, _ = m.Resize(160, 40)
	return m
}

// TestHeaderSaysTrainingAges: a run trained on other age thresholds than
// it is scored on says so in the header.
func TestHeaderSaysTrainingAges(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.TrainAgeBins = "30,58" })
	if v := m.View(); !strings.Contains(v, "shuffle · training ages 30,58 · 1680/420 imgs") {
		t.Errorf("the header does not say the training ages:\n%s", v)
	}
	if v := newTestModel(&fakeCtrl{}, 160, 40).View(); strings.Contains(v, "training ages") {
		t.Errorf("a run trained on its own age bins mentions training ages:\n%s", v)
	}
}

// TestHeaderSaysCutMix: the header says CutMix's setting while it is on,
// follows a change made while training (M, or maskdash control), and the
// events panel says who made it.
func TestHeaderSaysCutMix(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.CutMix = "0.3 half" })
	if v := m.View(); !strings.Contains(v, "shuffle · cutmix 0.3 half · 1680/420 imgs") {
		t.Errorf("the header does not say CutMix's setting:\n%s", v)
	}
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindControl, Setting: training.SettingCutMix, Value: training.MixOff, Who: "bob", Step: 120}}})
	v := nm.(Model).View()
	if strings.Contains(v, "cutmix 0.3") || !strings.Contains(v, "bob set CutMix to off at step 120") {
		t.Errorf("after bob turned CutMix off:\n%s", v)
	}
}

// TestHeaderSaysMixup: the header says Mixup's setting beside CutMix's,
// follows a change, and M offers the one that is on.
func TestHeaderSaysMixup(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.Mixup, h.MixPairs = "0.2 alpha=0.2", "class" })
	if v := m.View(); !strings.Contains(v, "shuffle · mixup 0.2 alpha=0.2 · mixing within class · 1680/420 imgs") {
		t.Errorf("the header does not say Mixup's setting:\n%s", v)
	}
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindControl, Setting: training.SettingMixup, Value: "0.5 alpha=0.4", Who: "bob", Step: 120}}})
	m = nm.(Model)
	if v := m.View(); !strings.Contains(v, "mixup 0.5 alpha=0.4 · mixing within class · 1680") || !strings.Contains(v, "bob set Mixup to 0.5 alpha=0.4 at step 120") {
		t.Errorf("after bob changed Mixup:\n%s", v)
	}
	if m, _ = press(m, "M"); m.prompt.Value() != "mixup 0.5 alpha=0.4" {
		t.Errorf("M offers %q", m.prompt.Value())
	}
}

// TestHeaderSaysSkippedAgesAndPseudoLabels: a run that left ages out of
// training, or took in pseudo-labelled eval images, says so (the file by
// its name).
func TestHeaderSaysSkippedAgesAndPseudoLabels(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) {
		h.SkipTrainAges, h.PseudoLabels = "27-29,57-59", "/home/me/teacher.csv"
	})
	if v := m.View(); !strings.Contains(v, "shuffle · skips ages 27-29,57-59 · pseudo-labels teacher.csv · 1680/420 imgs") {
		t.Errorf("the header does not say the skipped ages and the pseudo-labels:\n%s", v)
	}
}
