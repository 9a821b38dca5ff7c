package training

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

// clusters are n embeddings of dimension d around k centres (the last
// label has a single image, which scikit-learn scores 0).
func clusters(n, d, k int) (rows [][]float32, labels []int) {
	r := rand.New(rand.NewPCG(9, 9))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = 3 * r.NormFloat64()
		}
	}
	for i := range n {
		c := i % (k - 1)
		if i == n-1 {
			c = k - 1
		}
		row := make([]float32, d)
		for j := range row {
			row[j] = float32(centres[c][j] + 0.7*r.NormFloat64()*float64(1+j%3))
		}
		rows, labels = append(rows, row), append(labels, c)
	}
	return rows, labels
}

// TestProjectionAndSilhouetteMatchSklearn: Project's coordinates are
// scikit-learn's PCA's (each component up to its sign) with the same
// shares of variance, and Silhouette is silhouette_score, and per label
// the mean of silhouette_samples.
func TestProjectionAndSilhouetteMatchSklearn(t *testing.T) {
	rows, labels := clusters(150, 12, 4)
	p, err := Project(rows)
	if err != nil {
		t.Fatal(err)
	}
	mean, per, measured := Silhouette(rows, labels, 4)
	x := make([][]float64, len(rows))
	for i, r := range rows {
		for _, v := range r {
			x[i] = append(x[i], float64(v))
		}
	}
	var want struct {
		XY        [][]float64 `json:"xy"`
		Explained []float64   `json:"explained"`
		Mean      float64     `json:"mean"`
		Per       []float64   `json:"per"`
	}
	pyref.Run(t, "sklearn.decomposition", "python3-sklearn", `
import json, sys
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score, silhouette_samples
d = json.load(sys.stdin)
x, y = np.array(d["x"]), np.array(d["labels"])
pca = PCA(n_components=2).fit(x)
s = silhouette_samples(x, y)
print(json.dumps({"xy": pca.transform(x).tolist(), "explained": pca.explained_variance_ratio_.tolist(),
    "mean": float(silhouette_score(x, y)), "per": [float(s[y == l].mean()) for l in range(4)]}))`,
		map[string]any{"x": x, "labels": labels}, &want)
	for c := range 2 {
		if math.Abs(p.Explained[c]-want.Explained[c]) > 1e-9 {
			t.Errorf("component %d explains %v, scikit-learn's %v", c, p.Explained[c], want.Explained[c])
		}
		sign := 1.0
		if p.XY[0][c]*want.XY[0][c] < 0 {
			sign = -1
		}
		for i := range rows {
			if math.Abs(p.XY[i][c]-sign*want.XY[i][c]) > 1e-6*(1+math.Abs(want.XY[i][c])) {
				t.Fatalf("row %d component %d: %v, scikit-learn's %v", i, c, p.XY[i][c], sign*want.XY[i][c])
			}
		}
	}
	if measured != len(rows) || math.Abs(mean-want.Mean) > 1e-9 {
		t.Errorf("silhouette %v of %d images, scikit-learn's %v", mean, measured, want.Mean)
	}
	for l := range 4 {
		if math.Abs(per[l]-want.Per[l]) > 1e-9 {
			t.Errorf("label %d's silhouette %v, scikit-learn's %v", l, per[l], want.Per[l])
		}
	}
	if per[3] != 0 || mean < 0.1 {
		t.Errorf("the single image's label %v (want 0), the mean %v (clusters apart: want it well above 0)", per[3], mean)
	}
}

// TestSilhouetteSamplesManyImages: past MaxSilhouetteImages a sample of
// them is measured, the same one every time.
func TestSilhouetteSamplesManyImages(t *testing.T) {
	rows, labels := clusters(MaxSilhouetteImages+300, 4, 3)
	a, _, n := Silhouette(rows, labels, 3)
	b, _, _ := Silhouette(rows, labels, 3)
	if n != MaxSilhouetteImages || a != b {
		t.Errorf("measured %d images (want %d), twice: %v and %v", n, MaxSilhouetteImages, a, b)
	}
}
