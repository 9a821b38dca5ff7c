package pth

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/internal/pyref"
)

// torchFiles writes, with PyTorch, the files the tests read: a state_dict
// in both of torch.save's formats (float32, float64, float16, bfloat16, a
// transposed view, a BatchNorm's integer counter, an OrderedDict's
// metadata), and a training checkpoint that keeps a DataParallel model's
// state_dict under "state_dict". It returns what each tensor should read
// as (float32, row order).
const torchFiles = `
import json, sys, torch, collections
d = json.load(sys.stdin)["dir"]
torch.manual_seed(0)
bn = torch.nn.BatchNorm2d(3)
bn.running_mean.uniform_(); bn.running_var.uniform_(1, 2)
sd = bn.state_dict()  # weight, bias, running_mean, running_var, num_batches_tracked (an integer)
sd["conv.weight"] = torch.randn(4, 3, 3, 3)
sd["fc.weight"] = torch.randn(5, 7).t()          # a view with strides (1, 7)
sd["d64"] = torch.randn(2, 3, dtype=torch.float64)
sd["f16"] = torch.randn(6).half()
sd["bf16"] = torch.randn(6).bfloat16()
sd["scalar"] = torch.tensor(1.5)
torch.save(sd, d + "/zip.pth")
torch.save(sd, d + "/legacy.pth", _use_new_zipfile_serialization=False)
ckpt = {"epoch": 3, "state_dict": collections.OrderedDict(("module." + k, v) for k, v in sd.items()), "lr": 0.1}
torch.save(ckpt, d + "/ckpt.pth")
torch.save([1, 2], d + "/list.pth")
out = {k: {"shape": list(v.shape), "data": v.float().reshape(-1).tolist()} for k, v in sd.items() if v.is_floating_point()}
json.dump({"tensors": out, "order": [k for k, v in sd.items() if v.is_floating_point()]}, sys.stdout)
`

type want struct {
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"tensors"`
	Order []string `json:"order"`
}

// TestReadsWhatTorchSaved: every floating tensor of the files reads as
// PyTorch has it (values, shape, the state_dict's order), in both formats
// and from a checkpoint's "state_dict"; the integer counter is left out.
func TestReadsWhatTorchSaved(t *testing.T) {
	dir := t.TempDir()
	var w want
	pyref.Run(t, "torch", "python3-torch", torchFiles, map[string]string{"dir": dir}, &w)
	for _, f := range []string{"zip.pth", "legacy.pth", "ckpt.pth"} {
		ts, err := Read(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var names []string
		for _, x := range ts {
			names = append(names, x.Name)
			ref, ok := w.Tensors[x.Name]
			if !ok {
				t.Errorf("%s: %s is not in the file", f, x.Name)
				continue
			}
			if !slices.Equal(x.Shape, ref.Shape) || !slices.Equal(x.Data, ref.Data) {
				t.Errorf("%s: %s reads %v %v, want %v %v", f, x.Name, x.Shape, x.Data, ref.Shape, ref.Data)
			}
		}
		if !slices.Equal(names, w.Order) {
			t.Errorf("%s: tensors %v, want %v", f, names, w.Order)
		}
	}
	if _, err := Read(filepath.Join(dir, "list.pth")); err == nil || !strings.Contains(err.Error(), "holds a list, not a state_dict") {
		t.Errorf("a list: %v", err)
	}
}

// TestRefusesWhatIsNotAStateDict: a file that is no torch.save file, or
// a pickle that calls something (as a pickle may run code), is refused in
// a sentence, before anything is called.
func TestRefusesWhatIsNotAStateDict(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"text.pth", []byte("hello"), "neither a zip nor torch.save's legacy stream"},
		{"empty.pth", nil, "neither a zip nor torch.save's legacy stream"},
		// A pickle of os.system("true"): GLOBAL os system, the argument, REDUCE.
		{"evil.pth", []byte("\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."), "the file calls os.system, which a state_dict does not"},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
