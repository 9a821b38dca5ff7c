package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

// TestEmbed: maskdash embed of a run's best checkpoint gives a point per
// validation image; the TensorBoard projector files it writes hold those
// embeddings and their labels, and from them scikit-learn computes the
// same silhouettes (by class and by each task) and the same principal
// components (up to sign) that embed reports. A --by that is no label
// set is refused in one sentence.
func TestEmbed(t *testing.T) {
	data := tinySet(t)
	rd, proj := t.TempDir(), filepath.Join(t.TempDir(), "proj")
	if out, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "2", "--name", "e"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	out, err := run(t, "embed", "e", "--runs", rd, "--out", proj)
	if err != nil || !strings.Contains(out, "silhouette by true class") || !strings.Contains(out, "by task: mask ") || !strings.Contains(out, "tensorboard --logdir "+proj) {
		t.Fatalf("embed: %v\n%s", err, out)
	}
	js, err := run(t, "embed", "e", "--runs", rd, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Epoch      int        `json:"epoch"`
		Dim        int        `json:"dim"`
		Explained  [2]float64 `json:"explained"`
		Silhouette []struct {
			By   string  `json:"by"`
			Mean float64 `json:"mean"`
		} `json:"silhouette"`
		Points []struct {
			Image string  `json:"image"`
			X     float64 `json:"x"`
			Y     float64 `json:"y"`
		} `json:"points"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Points) < 10 || len(doc.Silhouette) != 4 || doc.Dim < 8 {
		t.Fatalf("embed --json: %v\n%s", err, js)
	}
	var want struct {
		Rows      int                `json:"rows"`
		Dim       int                `json:"dim"`
		Sil       map[string]float64 `json:"sil"`
		Explained []float64          `json:"explained"`
		XY        [][]float64        `json:"xy"`
		Images    []string           `json:"images"`
	}
	pyref.Run(t, "sklearn.metrics", "python3-sklearn", `
import csv, json, sys
import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
d = json.load(sys.stdin)
x = np.loadtxt(d["dir"] + "/tensors.tsv", delimiter="\t", ndmin=2)
with open(d["dir"] + "/metadata.tsv", newline="") as f:
    rows = list(csv.DictReader(f, delimiter="\t"))
sil = {}
for by, col in [("class", "truth"), ("mask", "mask"), ("gender", "gender"), ("age", "age")]:
    y = [r[col] for r in rows]
    sil[by] = float(silhouette_score(x, y)) if 1 < len(set(y)) < len(y) else None
pca = PCA(n_components=2).fit(x)
print(json.dumps({"rows": len(rows), "dim": x.shape[1], "sil": sil, "explained": pca.explained_variance_ratio_.tolist(),
    "xy": pca.transform(x).tolist(), "images": [r["image"] for r in rows]}))`, map[string]string{"dir": proj}, &want)
	if want.Rows != len(doc.Points) || want.Dim != doc.Dim {
		t.Fatalf("the projector files hold %d rows of %d values; embed reports %d points of %d", want.Rows, want.Dim, len(doc.Points), doc.Dim)
	}
	for _, s := range doc.Silhouette {
		if math.Abs(s.Mean-want.Sil[s.By]) > 1e-5 {
			t.Errorf("silhouette by %s: %v, scikit-learn's from the files %v", s.By, s.Mean, want.Sil[s.By])
		}
	}
	sign := [2]float64{1, 1}
	for c := range 2 {
		if math.Abs(doc.Explained[c]-want.Explained[c]) > 1e-5 {
			t.Errorf("component %d explains %v, scikit-learn's %v", c, doc.Explained[c], want.Explained[c])
		}
		if (c == 0 && doc.Points[0].X*want.XY[0][0] < 0) || (c == 1 && doc.Points[0].Y*want.XY[0][1] < 0) {
			sign[c] = -1
		}
	}
	for i, p := range doc.Points {
		if p.Image != want.Images[i] || math.Abs(p.X-sign[0]*want.XY[i][0]) > 1e-4*(1+math.Abs(p.X)) || math.Abs(p.Y-sign[1]*want.XY[i][1]) > 1e-4*(1+math.Abs(p.Y)) {
			t.Fatalf("point %d: %s (%v, %v), scikit-learn's %s (%v, %v)", i, p.Image, p.X, p.Y, want.Images[i], sign[0]*want.XY[i][0], sign[1]*want.XY[i][1])
		}
	}
	if b, err := os.ReadFile(filepath.Join(proj, "projector_config.pbtxt")); err != nil || !strings.Contains(string(b), `tensor_path: "tensors.tsv"`) || !strings.Contains(string(b), `metadata_path: "metadata.tsv"`) {
		t.Errorf("projector_config.pbtxt: %v\n%s", err, b)
	}
	if out, err := run(t, "embed", "e", "--runs", rd, "--by", "colour"); err == nil || !strings.Contains(out, `--by "colour": use class, mask, gender or age`) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("embed --by colour: %v\n%s", err, out)
	}
}
