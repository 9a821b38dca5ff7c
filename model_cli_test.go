package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/models"
)

// TestModelLists: maskdash model lists a model's layers with the shapes
// they hand on (cnn-s's dense layer reads its 32×8×8 map at 32×32), and
// its totals are the net's; a run shows its own model and classes; an
// unknown name is one sentence.
func TestModelLists(t *testing.T) {
	out, err := run(t, "model", "cnn-s", "--img", "32x32", "--classes", "5", "--json")
	if err != nil {
		t.Fatalf("model: %v\n%s", err, out)
	}
	var doc struct {
		Params int            `json:"params"`
		Layers []models.Layer `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	n, err := models.New(models.Spec{Name: "cnn-s", W: 32, H: 32, Classes: 5, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Params != n.NumParams() || len(doc.Layers) != 7 || doc.Layers[5].Op != "maxpool2" || doc.Layers[6].Params != 32*8*8*5+5 {
		t.Errorf("model --json: %+v, the net has %d parameters", doc, n.NumParams())
	}
	if out, err := run(t, "model", "vgg-s"); err != nil || !strings.Contains(out, "model: vgg-s at 64x64, 18 outputs") || !strings.Contains(out, "learnable values") {
		t.Errorf("model vgg-s: %v\n%s", err, out)
	}
	data, rd := tinySet(t), t.TempDir()
	if o, err := run(t, "train", "--headless", "--data", data, "--runs", rd, "--img", "16x16", "--batch", "8", "--epochs", "1", "--name", "g", "--task", "gender"); err != nil {
		t.Fatalf("train: %v\n%s", err, o)
	}
	if out, err := run(t, "model", "g", "--runs", rd); err != nil || !strings.Contains(out, ": cnn-s at 16x16, 2 outputs") {
		t.Errorf("model RUN: %v\n%s", err, out)
	}
	if out, err := run(t, "model", "alexnet", "--runs", rd); err == nil || !strings.Contains(out, `"alexnet" is neither a model`) {
		t.Errorf("model alexnet: %v\n%s", err, out)
	}
}
