package ui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestHeaderGivesTheLossItsSettings: --focal-gamma, --smoothing and
// --la-tau are shown beside the loss when it has that term (once, not
// again among the tricks), and follow a loss switched to while training.
func TestHeaderGivesTheLossItsSettings(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.FocalGamma, h.LATau = "1.5", "0.5" })
	if v := m.View(); !strings.Contains(v, "cnn-s · ce · adam") || strings.Contains(v, "γ") || strings.Contains(v, "τ") {
		t.Errorf("a ce run shows focal's or la's settings:\n%s", v)
	}
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindControl, Setting: training.SettingLoss, Value: "0.5la+0.5focal", Who: "bob", Step: 120}}})
	v := nm.(Model).View()
	if !strings.Contains(v, "cnn-s · 0.5la+0.5focal τ 0.5 γ 1.5 · adam") || strings.Count(v, "γ 1.5") != 1 {
		t.Errorf("after bob switched the loss to 0.5la+0.5focal:\n%s", v)
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

// TestHeaderCountsWhatItLeavesOut: on a narrow screen the header's
// settings drop from the end, and "+N more" says how many are not shown (at
// 120 columns a run with random erasing and --val-train lost the latter
// without a sign).
func TestHeaderCountsWhatItLeavesOut(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.Erase, h.ValTrain = "0.5", "1 (from epoch 3)" })
	if v := m.View(); !strings.Contains(v, "erasing 0.5 · val-train 1 (from epoch 3) · 1680/420 imgs") {
		t.Fatalf("at 160 columns the header does not show every setting:\n%s", v)
	}
	for _, w := range []int{120, 100, 80} {
		m, _ := m.Resize(w, 40)
		line := strings.Split(m.View(), "\n")[1]
		shown := strings.Count(line, " · ") + 1
		// model, loss, lr, device, batch, size, sampler, the two
		// tricks and the image counts: ten settings.
		more := regexp.MustCompile(` · \+(\d+) more$`).FindStringSubmatch(strings.TrimRight(line, " "))
		if more == nil {
			t.Errorf("at %d columns the header does not say what it leaves out: %q", w, line)
			continue
		}
		if n, _ := strconv.Atoi(more[1]); shown-1+n != 10 || strings.Contains(line, "imgs") {
			t.Errorf("at %d columns, %d shown and +%d: %q", w, shown-1, n, line)
		}
	}
}

// TestValTrainEpochsAreMarked: after an epoch whose validation images the
// run trained on (--val-train), the header says so, the validation panel's
// title says from which epoch (at any width), the event line marks it, and
// the small screen's best figure stays the held-out epochs' best.
func TestValTrainEpochsAreMarked(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.ValTrain = "1 (from epoch 3)" })
	if v := m.View(); !strings.Contains(v, "val-train 1 (from epoch 3)") || strings.Contains(v, "seen in training") || strings.Contains(m.valPanel(90, 10), "╌") {
		t.Errorf("before the seen epoch:\n%s", v)
	}
	conf := training.NewConfusion(18)
	for c := range 18 {
		conf.Add(c, c)
	}
	met := training.Summarize(conf, 0.5, true) // macro F1 1: above the held-out epochs'
	nm, _ := m.Update(eventsMsg{events: []training.Event{{Kind: training.KindEpoch, Time: t0.Add(100 * time.Second), Epoch: 3, Step: 120, Epochs: 3, Val: &met, Conf: conf, ValSeen: true}}})
	m = nm.(Model)
	v := m.View()
	if !strings.Contains(v, "macro F1 1.0000, loss 0.5000 (seen in training: --val-train)") || !strings.Contains(v, "seen from 3") && !strings.Contains(v, "seen in training from epoch 3") {
		t.Errorf("the seen epoch is not marked:\n%s", v)
	}
	for _, w := range []int{60, 90} {
		if p := m.valPanel(w, 8); !strings.Contains(p, "seen from 3") && !strings.Contains(p, "seen in training from epoch 3") {
			t.Errorf("width %d: the validation panel does not mark the seen epoch:\n%s", w, p)
		}
	}
	// Its curves go on in dashes from epoch 2 to 3 (the seen epoch), in
	// the lines' colours; the held-out epochs' are solid.
	if p := m.valPanel(90, 10); !strings.Contains(p, "╌") || !strings.ContainsAny(p, "─╭╮╰╯") {
		t.Errorf("the seen epoch's curves are not dashed:\n%s", p)
	}
	held := m.state.BestHeldOut()
	if held >= 1 || held != max(m.state.ValF1[0], m.state.ValF1[1]) {
		t.Errorf("best held-out F1 %v of %v", held, m.state.ValF1)
	}
	small, _ := m.Resize(70, 14)
	if sv := small.View(); !strings.Contains(sv, fmt.Sprintf("best %.4f", held)) {
		t.Errorf("the small screen does not give the held-out best %.4f:\n%s", held, sv)
	}
}

// TestHeaderOnAPhoneScreen: from 40 columns on, the title line ends with
// the run's state (the views' tabs by number, the viewer's role short or
// left out first) and the progress line with whole parts (the step, then
// the pace, left out): at 46 columns "finished in 3s" was cut to
// "finishe", and at 80 a watched run's "finished: done" to "don".
func TestHeaderOnAPhoneScreen(t *testing.T) {
	progress := regexp.MustCompile(`epoch \d+/\d+ +\d+%( · step \d+)?( · \d+ img/s · ETA \S+| · finished( in \S+)?)?$`)
	done := append(script(), training.Event{Kind: training.KindState, State: training.StateDone, Time: time.Now()})
	for _, c := range []struct {
		name  string
		snap  []training.Event
		badge *regexp.Regexp
	}{
		{"running", script(), regexp.MustCompile(`● running$`)},
		{"finished", done, regexp.MustCompile(`○ (finished: )?done$`)},
	} {
		for w := 40; w <= 120; w += 2 {
			for _, remote := range []bool{false, true} {
				m := New(Options{Snapshot: c.snap, Renderer: asciiRenderer(), RunsDir: "testdata/no-runs", Remote: remote})
				m, _ = m.Resize(w, 30)
				lines := strings.Split(m.headerView(w), "\n")
				if !c.badge.MatchString(strings.TrimRight(lines[0], " ")) {
					t.Errorf("%s, width %d, remote %v: the title line %q does not end with the run's state", c.name, w, remote, lines[0])
				}
				if !progress.MatchString(strings.TrimRight(lines[2], " ")) {
					t.Errorf("%s, width %d: the progress line %q does not end with a whole part", c.name, w, lines[2])
				}
			}
		}
	}
}

// TestEMAEpochsShowTheTrainingWeights: a run with --ema says so in its
// header; an epoch's line and the validation panel give the training
// weights' own F1 beside the average's (at every width, a form of it),
// and the panel draws it as a third curve (dotted without colour); a
// small screen's figures give it too.
func TestEMAEpochsShowTheTrainingWeights(t *testing.T) {
	m := withHeader(func(h *training.RunHeader) { h.EMA = "0.999" })
	if v := m.View(); !strings.Contains(v, "shuffle · ema 0.999 · 1680/420 imgs") || strings.Contains(m.valPanel(200, 10), "unaveraged") {
		t.Errorf("before an epoch with both figures:\n%s", v)
	}
	before := m.valPanel(90, 10)
	var evs []training.Event
	for i, f := range []float64{0.2, 0.3} {
		conf := training.NewConfusion(18)
		for c := range 18 {
			conf.Add(c, c)
		}
		met := training.Summarize(conf, 0.5, true)
		own := f
		evs = append(evs, training.Event{Kind: training.KindEpoch, Time: t0.Add(time.Duration(100+i) * time.Second), Epoch: 3 + i, Step: 120 + 40*i, Epochs: 4, Val: &met, Conf: conf, TrainWeightsF1: &own})
	}
	nm, _ := m.Update(eventsMsg{events: evs})
	m = nm.(Model)
	if v := m.View(); !strings.Contains(v, "epoch 4: val acc 1.000, macro F1 1.0000 (training weights 0.3000), loss 0.5000") {
		t.Errorf("the epoch's line does not give the training weights' F1:\n%s", v)
	}
	for _, w := range []int{44, 60, 90, 200} {
		if p := m.valPanel(w, 10); !strings.Contains(p, "0.3000") {
			t.Errorf("width %d: the validation panel does not give the training weights' F1:\n%s", w, p)
		}
	}
	body := func(p string) string { _, b, _ := strings.Cut(p, "\n"); return b } // below the title
	if p := m.valPanel(70, 10); !strings.Contains(p, "unaveraged 0.3000 (dotted)") || !strings.Contains(body(p), "·") || strings.Contains(body(before), "·") {
		t.Errorf("the training weights' curve is not drawn dotted:\n%s", p)
	}
	if p := m.valPanel(200, 10); !strings.Contains(p, "training weights 0.3000 (dotted)") {
		t.Errorf("a wide panel does not name the training weights:\n%s", p)
	}
	// A phone's screen gives the figures as text: both of them.
	small, _ := m.Resize(60, 20)
	if v := small.View(); !strings.Contains(v, "val F1 1.0000 · unaveraged 0.3000") {
		t.Errorf("the small screen's figures lack the training weights':\n%s", v)
	}
}

// TestValidationPanelBeforeTheFirstEpoch: before its first epoch ends
// the validation panel says when its figures come (not "waiting for
// data", which the loader's wait is called too), or that a run without
// validation images has none.
func TestValidationPanelBeforeTheFirstEpoch(t *testing.T) {
	for _, c := range []struct {
		val  int
		want string
	}{{420, "each epoch ends with a validation on its 420 images"}, {0, "no validation images: no figures to draw"}} {
		evs := script()[:1] // the run's settings, nothing trained yet
		hdr := *evs[0].Settings
		hdr.Val = c.val
		evs[0].Settings = &hdr
		m := New(Options{Snapshot: evs, Ctrl: &fakeCtrl{}, Renderer: asciiRenderer()})
		m, _ = m.Resize(160, 40)
		if v := m.View(); !strings.Contains(v, c.want) || strings.Contains(v, "waiting for data") {
			t.Errorf("%d validation images: the panel does not say %q:\n%s", c.val, c.want, v)
		}
	}
}
