package training

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// TestUnreadableImages: images that cannot be read are warned, the first
// imageWarnings by name and the rest in a count, and left out: a
// validation image that cannot be read is no prediction in the epoch's
// confusion matrix (its uniform row counted as class 0's before), and an
// epoch none of whose training images could be read fails the run in a
// sentence (it "trained" on nothing and saved a checkpoint before).
func TestUnreadableImages(t *testing.T) {
	dir := t.TempDir()
	if err := dataset.Synthesize(context.Background(), dataset.SynthConfig{Out: dir, Profiles: 24, W: 48, H: 64, Eval: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(t, t.TempDir())
	cfg.Data, cfg.Epochs = dir, 1
	probe := testTrainer(t, cfg, nil) // the same split as the runs below
	const cut = 5
	for _, s := range probe.val.Samples[:cut] {
		if err := os.Truncate(s.Path, 10); err != nil {
			t.Fatal(err)
		}
	}
	first, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The kept predictions mark them: no mistake of the run's, nothing
	// the errors view lists.
	kept, err := runs.ReadValPreds(first.RunDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for i := range kept.Len() {
		if kept.IsUnread(i) {
			marked++
			if !slices.Contains(probe.val.Samples[:cut], probe.val.Samples[i]) {
				t.Errorf("image %d (%s) is marked unread", i, kept.Items[i].Path)
			}
		}
	}
	if marked != cut || slices.ContainsFunc(kept.Worst(-1, -1, 0), kept.IsUnread) {
		t.Errorf("%d images marked unread in the kept predictions, want %d; or among the mistakes", marked, cut)
	}
	named := 0
	for _, e := range evs {
		if e.Kind == KindError && strings.HasPrefix(e.Msg, "skipped image ") {
			named++
		}
		if e.Kind != KindEpoch {
			continue
		}
		total := 0
		for _, row := range e.Conf.M {
			for _, v := range row {
				total += v
			}
		}
		if want := probe.val.Len() - cut; total != want {
			t.Errorf("the epoch's confusion matrix counts %d images, want the %d that could be read", total, want)
		}
	}
	if named != cut {
		t.Errorf("%d unreadable images named, want %d", named, cut)
	}

	// The dashboard's x says how many of its rows are guesses.
	evalImgs, err := filepath.Glob(filepath.Join(dir, "eval", "images", "*.jpg"))
	if err != nil || len(evalImgs) < 3 {
		t.Fatalf("the eval images: %v %v", evalImgs, err)
	}
	for _, p := range evalImgs[:2] {
		if err := os.Truncate(p, 10); err != nil {
			t.Fatal(err)
		}
	}
	if path, _, guesses, err := first.predictNow(); err != nil || guesses != 2 || !strings.Contains(guessed(guesses), "2 rows guesses") || guessed(0) != "" {
		t.Errorf("predictNow with 2 of %d eval images cut: %s, %d guesses (%q), %v", len(evalImgs), path, guesses, guessed(guesses), err)
	}

	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".jpg") {
			err = os.Truncate(p, 10)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Subscribed before the start, whose normalisation reads (and
	// warns of) the first images.
	tr, evs, err := runFromStart(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "epoch 1 trained on no image: none of its") {
		t.Fatalf("a run none of whose images can be read: %v", err)
	}
	// Its finished alert said "best macro F1 0.0000 at epoch 0".
	if msg := finished(tr, err); !strings.Contains(msg, "failed after 0 of 1 epochs, before any was validated: epoch 1 trained on no image") {
		t.Errorf("the finished alert of a run that validated no epoch: %s", msg)
	}
	named, counted := 0, ""
	for _, e := range evs {
		switch {
		case e.Kind == KindError && strings.HasPrefix(e.Msg, "skipped image "):
			named++
		case e.Kind == KindError && strings.Contains(e.Msg, "more images could not be read"):
			counted = e.Msg
		}
	}
	if want := probe.train.Len() - imageWarnings; named != imageWarnings || !strings.HasPrefix(counted, strconv.Itoa(want)+" more images could not be read ("+strconv.Itoa(probe.train.Len())+" in all") {
		t.Errorf("%d images named (want %d), then %q (want %d more)", named, imageWarnings, counted, want)
	}
}
