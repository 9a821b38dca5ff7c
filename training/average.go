package training

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"path/filepath"
	"slices"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
)

// Averaged is what AverageCheckpoints made: the checkpoint of the
// averaged weights and how it scores on the run's validation images.
type Averaged struct {
	Path    string   // its weights file, beside the run's checkpoints
	Name    string   // what --ckpt takes: avg-EEE-K
	Epochs  []int    // the epochs whose weights were averaged
	Metrics *Metrics // on the validation images of the newest of them
	BNFrom  int      // training images BatchNorm's statistics were taken again from (0: the net has none)
}

// AverageCheckpoints averages the weights of the run's last k epoch-end
// checkpoints (stochastic weight averaging's average, over the epochs a
// run keeps: --keep-checkpoints), takes BatchNorm's running statistics
// again from the training images (the averaged weights' own, as
// torch.optim.swa_utils.update_bn does, in evaluation's crop), scores it
// on the validation images of the newest, and writes it as
// checkpoints/avg-EEE-K (EEE the newest epoch) without touching best or
// latest: eval, predict and ensembles take it as --ckpt avg-EEE-K.
func AverageCheckpoints(ctx context.Context, runDir string, k int) (_ Averaged, err error) {
	if k < 2 {
		return Averaged{}, fmt.Errorf("an average needs two checkpoints or more, not %d", k)
	}
	paths, metas, err := epochCheckpoints(runDir)
	if err != nil {
		return Averaged{}, err
	}
	if len(paths) < k {
		return Averaged{}, fmt.Errorf("run %s keeps %d epoch-end checkpoints, fewer than the %d asked for (train with --keep-checkpoints %d or more)",
			filepath.Base(runDir), len(paths), k, k)
	}
	paths, metas = paths[len(paths)-k:], metas[len(metas)-k:]
	newest := metas[k-1]
	for _, m := range metas {
		if m.Model != newest.Model {
			return Averaged{}, fmt.Errorf("the checkpoints of epochs %d and %d are of different models", m.Epoch, newest.Epoch)
		}
	}
	pr, err := openRunPredictor(runs.NewStore(filepath.Dir(runDir)), runDir, paths[k-1], true)
	if err != nil {
		return Averaged{}, err
	}
	net := pr.Net
	defer func() {
		if cerr := net.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := averageInto(net, paths); err != nil {
		return Averaged{}, err
	}
	preds, err := runs.ReadValPreds(runDir, newest.Epoch)
	if err != nil {
		return Averaged{}, fmt.Errorf("the validation images of epoch %d: %w", newest.Epoch, err)
	}
	val, err := pr.ValSet(preds)
	if err != nil {
		return Averaged{}, err
	}
	out := Averaged{Name: fmt.Sprintf("avg-%03d-%d", newest.Epoch, k)}
	for _, m := range metas {
		out.Epochs = append(out.Epochs, m.Epoch)
	}
	if len(net.Buffers()) > 0 {
		if out.BNFrom, err = refreshBN(ctx, pr, preds); err != nil {
			return Averaged{}, err
		}
	}
	met, _, err := pr.Evaluate(ctx, val, false)
	if err != nil {
		return Averaged{}, err
	}
	out.Metrics = &met
	meta := newest
	meta.Metrics, meta.Slots, meta.OptFile, meta.Averaged = &met, nil, "", out.Epochs
	meta.EMA, meta.TrainWeights = nil, "" // not a point to resume from
	meta.Weights = out.Name + ".safetensors"
	dir := filepath.Join(runDir, "checkpoints")
	all := append(append([]*models.Param(nil), net.Params()...), net.Buffers()...)
	md := map[string]string{"model": net.Spec.Name, "format": "maskdash", "averaged": fmt.Sprint(out.Epochs)}
	if err := writeSafetensors(filepath.Join(dir, meta.Weights), paramTensors(all), md); err != nil {
		return Averaged{}, fmt.Errorf("write the average: %w", err)
	}
	mj, err := json.MarshalIndent(meta, "", " ")
	if err != nil {
		return Averaged{}, err
	}
	if err := runs.WriteFileAtomic(filepath.Join(dir, out.Name+".json"), mj); err != nil {
		return Averaged{}, fmt.Errorf("write the average: %w", err)
	}
	out.Path = filepath.Join(dir, meta.Weights)
	return out, nil
}

// epochCheckpoints are the run's numbered checkpoints written at an
// epoch's end (validated), oldest first, with their metas.
func epochCheckpoints(runDir string) ([]string, []CkptMeta, error) {
	dir := filepath.Join(runDir, "checkpoints")
	jsons, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(jsons) // zero-padded epoch and step: oldest first
	var paths []string
	var metas []CkptMeta
	for _, j := range jsons {
		if !ckptName.MatchString(strings.TrimSuffix(filepath.Base(j), ".json")) {
			continue
		}
		m, err := ReadCkptMeta(j)
		if err != nil || m.Batch != 0 || m.Epoch == 0 {
			continue
		}
		paths, metas = append(paths, filepath.Join(dir, m.Weights)), append(metas, m)
	}
	return paths, metas, nil
}

// averageInto sets net's learnable tensors (and, until they are taken
// again, its BatchNorm statistics) to their mean over the weights files.
func averageInto(net *models.Net, paths []string) error {
	all := append(append([]*models.Param(nil), net.Params()...), net.Buffers()...)
	sums := make([][]float64, len(all))
	for i, p := range all {
		sums[i] = make([]float64, len(p.Data))
	}
	for _, path := range paths {
		ents, data, err := readSafetensors(path)
		if err != nil {
			return err
		}
		for i, p := range all {
			e, ok := ents[p.Name]
			if !ok || !slices.Equal(e.Shape, p.Shape) {
				return fmt.Errorf("%w %s: tensor %s is not the model's", ErrCheckpoint, path, p.Name)
			}
			for j := range p.Data {
				sums[i][j] += float64(math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offsets[0]+4*j:])))
			}
		}
	}
	for i, p := range all {
		for j := range p.Data {
			p.Data[j] = float32(sums[i][j] / float64(len(paths)))
		}
	}
	return net.WeightsToDevice()
}

// refreshBN takes the BatchNorm layers' running statistics again from
// one pass over the run's training images (every labelled image of its
// data that is not among its validation images, preds), each batch's
// statistics weighed alike; the weights do not change (no optimizer
// step). It returns how many images it read.
func refreshBN(ctx context.Context, pr RunPredictor, preds *runs.ValPreds) (int, error) {
	d, err := pr.openData()
	if err != nil {
		return 0, err
	}
	held := make(map[imageKey]bool, preds.Len())
	for _, it := range preds.Items {
		held[valImage(it)] = true
	}
	var idx []int
	for j, s := range d.Train.Samples {
		if !held[imageKey{s.Name, s.Path, s.Mem}] {
			idx = append(idx, j)
		}
	}
	train, err := d.Train.Subset(idx).ForTask(pr.Meta.Data.Task)
	if err != nil {
		return 0, err
	}
	net := pr.Net
	batch := net.Spec.Batch
	if train.Len() < batch {
		return 0, fmt.Errorf("%d training images, fewer than a batch of %d, to take BatchNorm's statistics from", train.Len(), batch)
	}
	loss, err := ParseLoss("ce")
	if err != nil {
		return 0, err
	}
	order := make([]int, train.Len())
	for i := range order {
		order[i] = i
	}
	order = order[:len(order)/batch*batch] // whole batches, as training
	l := dataset.NewLoader(train, dataset.LoaderConfig{Batch: batch, Aug: pr.Aug}, nil, nil)
	defer net.SetBNMomentum(0.1)
	b := 0
	for bt := range l.Epoch(ctx, 0, order) {
		if bt.N < batch {
			continue // an image that did not decode: a short batch is left out
		}
		net.SetBNMomentum(1 / float32(b+1))
		net.SetLoss(loss.Func(bt.Labels, net.Spec.Heads()))
		if _, _, err := net.TrainStep(bt.X); err != nil {
			return 0, err
		}
		b++
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return b * batch, nil
}

// intsText is 1, 2, 3.
func intsText(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
