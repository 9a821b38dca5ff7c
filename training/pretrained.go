package training

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/models/pth"
)

// startFromPretrained starts the net from the tensors of a PyTorch
// state_dict (Config.Pretrained) of its names and shapes, a dense layer's
// weight turned from PyTorch's [out, in] to this project's [in, out]; the
// others (a classifier for this run's classes, where the file's has
// ImageNet's 1000) start fresh, as PyTorch's load_state_dict(strict=False)
// after a new classifier. The optimizer starts fresh.
func (t *Trainer) startFromPretrained(path string) (transfer, error) {
	ts, err := pth.Read(path)
	if err != nil {
		return transfer{}, fmt.Errorf("--pretrained: %w", err)
	}
	src := models.TorchSources(ts)
	x, err := take(t.net, src, !t.cfg.FreshHead)
	if err != nil {
		return transfer{}, err
	}
	if len(x.took) == 0 {
		return transfer{}, fmt.Errorf("--pretrained %s has no tensor of model %s's names and shapes (it has %s): it holds another model's weights (torchvision's ResNet-18 weights start --model resnet18)",
			path, t.net.Spec.Name, shortList(x.unused, 3))
	}
	if err := t.net.WeightsToDevice(); err != nil {
		return transfer{}, err
	}
	file := baseName(path)
	msg := fmt.Sprintf("from %s: %d of the model's %d tensors", file, len(x.took), len(x.took)+len(x.fresh))
	if len(x.fresh) > 0 {
		msg += "; fresh: " + shortList(x.fresh, 6)
		for _, name := range x.fresh {
			if s, ok := src[name]; ok {
				if p, ok := t.net.Lookup(name); ok {
					msg += fmt.Sprintf(" (%s is %s there, %s here)", name, shapeWord(s.Shape), shapeWord(p.Shape))
					break
				}
			}
		}
	}
	if len(x.unused) > 0 {
		msg += "; not used: " + shortList(x.unused, 6)
	}
	t.startNotices = append(t.startNotices, msg)
	return x, t.fineTune(x, file)
}

// shapeWord is a shape as 512×1000.
func shapeWord(shape []int) string {
	var parts []string
	for _, d := range shape {
		parts = append(parts, strconv.Itoa(d))
	}
	return strings.Join(parts, "×")
}
