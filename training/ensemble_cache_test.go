package training

import (
	"testing"

	"github.com/maskdash/maskdash/dataset"
)

// TestEnsembleRunsShareTheirPreparedImages: the runs of a vote that
// prepare images alike share one cache (each image is decoded once for
// all of them), runs trained at another size or crop have their own, and
// the caller's predictors are left as they were.
func TestEnsembleRunsShareTheirPreparedImages(t *testing.T) {
	at := func(w, h, cw, ch int) RunPredictor {
		a := dataset.DefaultAugment(w, h)
		a.CropW, a.CropH = cw, ch
		return RunPredictor{Predictor: &Predictor{Aug: a}}
	}
	prs := []RunPredictor{at(64, 64, 0, 0), at(64, 64, 0, 0), at(96, 96, 0, 0), at(64, 64, 256, 320), at(96, 96, 0, 0)}
	prs[1].Aug.Jitter = 0.3 // augmentation after the cache is no matter
	out := sharingCaches(prs)
	c := func(i int) *dataset.Cache { return out[i].Cache }
	if c(0) == nil || c(0) != c(1) || c(2) != c(4) || c(0) == c(2) || c(3) == c(0) || c(3) == c(2) || c(3) == nil || c(2) == nil {
		t.Errorf("caches %p %p %p %p %p: want runs 0 and 1 one, 2 and 4 another, 3 its own", c(0), c(1), c(2), c(3), c(4))
	}
	for i, pr := range prs {
		if pr.Cache != nil {
			t.Errorf("the caller's predictor %d was given a cache", i)
		}
	}
}
