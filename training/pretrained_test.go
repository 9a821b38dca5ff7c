package training

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
	"github.com/maskdash/maskdash/runs"
)

// torchvisionLikeResNet18 writes, with PyTorch, a state_dict in
// torchvision's ResNet-18 layout (scripts/torch_resnet18.py's) with a classifier for 10 classes (the
// machine has no torchvision, nor ImageNet's weights: the tensors are
// random) and answers the first values of two of its tensors.
const torchvisionLikeResNet18 = `
import json, sys, torch
d = json.load(sys.stdin)
torch.manual_seed(2)
m = torch_resnet18.ResNet18(10)
m.bn1.running_var.uniform_(0.5, 1.5)
torch.save(m.state_dict(), d["path"])
json.dump({"conv": m.layer1[0].conv1.weight.flatten()[:8].tolist(), "var": m.bn1.running_var[:8].tolist()}, sys.stdout)
`

// TestPretrained: --pretrained starts resnet18 from a state_dict in
// torchvision's layout: every tensor of its names and shapes (the
// BatchNorm statistics too), the classifier fresh, said at the start;
// with --freeze-epochs the file's tensors stay as they were while the
// classifier trains; the normalisation is ImageNet's; the header and the
// runs table show the file. A file of another model, or one that is not a
// state_dict, is refused in a sentence, and so is --pretrained beside
// --from.
func TestPretrained(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resnet18-like.pth")
	var ref struct{ Conv, Var []float32 }
	pyTorch(t, pyref.ImportScript(t, "torch_resnet18")+torchvisionLikeResNet18, map[string]string{"path": path}, &ref)

	cfg := tinyConfig(t, t.TempDir())
	cfg.Model, cfg.W, cfg.H, cfg.Epochs, cfg.Limit = "resnet18", 32, 32, 1, 16
	cfg.Pretrained, cfg.FreezeEpochs = path, 1
	tr, evs, err := runTrainer(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	said := notices(evs)
	for _, want := range []string{
		"from resnet18-like.pth: 100 of the model's 102 tensors; fresh: fc.weight, fc.bias (fc.weight is 512×10 there, 512×18 here)",
		"the 100 tensors from resnet18-like.pth stay fixed for 1 epoch (--freeze-epochs): only fc.weight, fc.bias train",
	} {
		if !strings.Contains(said, want) {
			t.Errorf("the start does not say %q:\n%s", want, said)
		}
	}
	conv, _ := tr.net.Lookup("layer1.0.conv1.weight")
	if !slices.Equal(conv.Data[:8], ref.Conv) {
		t.Errorf("layer1.0.conv1.weight after a frozen epoch %v, the file's %v", conv.Data[:8], ref.Conv)
	}
	// BatchNorm's running statistics come from the file, and move in
	// training (PyTorch's do too, frozen weights or not).
	if v, _ := tr.net.Lookup("bn1.running_var"); slices.Equal(v.Data[:8], ref.Var) || v.Data[0] > 2 {
		t.Errorf("bn1.running_var %v, the file's %v", v.Data[:8], ref.Var)
	}
	if tr.aug.Mean != ImageNetMean || tr.aug.Std != ImageNetStd {
		t.Errorf("normalisation %v, %v: want ImageNet's", tr.aug.Mean, tr.aug.Std)
	}
	tricksShown(t, tr, "pretrained resnet18-like.pth")
	info, err := runs.NewStore(tr.cfg.Runs).Info(tr.RunID())
	if err != nil || info.Config["pretrained"] != path {
		t.Errorf("run.json's pretrained %v (%v)", info.Config["pretrained"], err)
	}

	for _, c := range []struct {
		model, file, from, want string
	}{
		{"vgg-s", path, "", "--pretrained " + path + " has no tensor of model vgg-s's names and shapes (it has bn1.bias, bn1.running_mean, bn1.running_var and 97 more): it holds another model's weights"},
		{"resnet18", filepath.Join(t.TempDir(), "missing.pth"), "", "missing.pth: no such file"},
		{"resnet18", tinyData(t) + "/train/train.csv", "", "neither a zip nor torch.save's legacy stream"},
		{"resnet18", path, "some-run", "--pretrained " + path + " starts a run from a file's weights, and --from some-run from a parent run's: use one of them"},
	} {
		bad := tinyConfig(t, t.TempDir())
		bad.Model, bad.Pretrained, bad.From = c.model, c.file, c.from
		bad.W, bad.H, bad.Limit = 32, 32, 16
		_, _, err := start(t.Context(), bad, NewHub())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s from %s: %v, want %q", c.model, filepath.Base(c.file), err, c.want)
		}
	}
}
