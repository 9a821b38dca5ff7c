package training

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
)

// ClassMap is where one image's logit of one class comes from
// (models.Net.CAM: a class activation map, its cells adding up to the
// logit less the class's bias), with the image as the net saw it.
type ClassMap struct {
	// Seen is the net's input: the image centre-cropped and resized as
	// evaluation does, its normalisation undone.
	Seen  *image.RGBA
	Map   []float32 // H × W cells, row by row, over Seen
	H, W  int
	Class int
	Prob  float64 // the class's probability for the image
	// Predicted is the class the net gives the image, with its
	// probability (Class itself when the map is of the predicted class).
	Predicted     int
	PredictedProb float64
}

// ClassMaps gives each image the map of class classes[i] (a negative
// class: its predicted class), on the CPU (a predictor on a GPU: load it
// with OnCPU first).
func (p *Predictor) ClassMaps(imgs []image.Image, classes []int) ([]ClassMap, error) {
	if len(classes) != len(imgs) {
		return nil, fmt.Errorf("class maps: %d classes for %d images", len(classes), len(imgs))
	}
	s := p.Net.Spec
	per := 3 * s.W * s.H
	out := make([]ClassMap, 0, len(imgs))
	for start := 0; start < len(imgs); start += s.EvalBatch {
		end := min(start+s.EvalBatch, len(imgs))
		x := make([]float32, (end-start)*per)
		for i, img := range imgs[start:end] {
			p.Aug.Apply(p.Aug.Prepare(img), x[i*per:(i+1)*per], nil, false)
		}
		batch := slices.Clone(classes[start:end])
		maps, h, w, logits, err := p.Net.CAM(x, end-start, batch)
		if err != nil {
			return nil, err
		}
		k := s.Outputs()
		for i := range end - start {
			c := batch[i]
			lp := ClassLogProbs(logits[i*k:(i+1)*k], s.Heads())
			top := Argmax(lp)
			out = append(out, ClassMap{Seen: p.seen(x[i*per : (i+1)*per]), Map: maps[i*h*w : (i+1)*h*w], H: h, W: w, Class: c, Prob: math.Exp(lp[c]),
				Predicted: top, PredictedProb: math.Exp(lp[top])})
		}
	}
	return out, nil
}

// seen undoes the normalisation of one input image (CHW floats).
func (p *Predictor) seen(x []float32) *image.RGBA {
	w, h := p.Net.Spec.W, p.Net.Spec.H
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for xx := range w {
			var c [3]uint8
			for ch := range 3 {
				sd := p.Aug.Std[ch]
				if sd == 0 {
					sd = 1 // as dataset.Augment reads it
				}
				v := x[(ch*h+y)*w+xx]*sd + p.Aug.Mean[ch]
				c[ch] = uint8(math.Round(float64(min(max(v, 0), 1) * 255)))
			}
			img.SetRGBA(xx, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	return img
}

// MapPredictor loads on the CPU the weights that made epoch's kept
// validation predictions (the checkpoint written when that epoch was
// validated) or, when the run keeps it no more, its best checkpoint;
// which says whose weights they are.
func MapPredictor(runDir string, epoch int) (p *Predictor, which string, err error) {
	path, err := EpochCheckpoint(runDir, epoch)
	which = fmt.Sprintf("epoch %d's weights", epoch)
	if err != nil {
		if path, err = CheckpointPath(runDir, "best"); err != nil {
			return nil, "", fmt.Errorf("%w: the run keeps no weights to draw the maps with, of epoch %d or a best", ErrCheckpoint, epoch)
		}
	}
	if p, err = loadPredictor(path, true); err != nil {
		return nil, "", err
	}
	if p.Meta.Epoch != epoch || p.Meta.Batch != 0 {
		which = fmt.Sprintf("the best checkpoint's weights (epoch %d; epoch %d's are no longer kept)", p.Meta.Epoch, epoch)
	}
	return p, which, nil
}

// EpochCheckpoint is the weights file of the checkpoint written when
// epoch was validated (the epoch's end), if the run still keeps it.
func EpochCheckpoint(runDir string, epoch int) (string, error) {
	dir := filepath.Join(runDir, "checkpoints")
	metas, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("%03d-*.json", epoch)))
	slices.Sort(metas)
	for i := len(metas) - 1; i >= 0; i-- {
		if b := strings.TrimSuffix(filepath.Base(metas[i]), ".json"); !ckptName.MatchString(b) {
			continue
		}
		m, err := ReadCkptMeta(metas[i])
		if err == nil && m.Epoch == epoch && m.Batch == 0 {
			return filepath.Join(dir, m.Weights), nil
		}
	}
	return "", fmt.Errorf("%w: the run keeps no checkpoint of epoch %d's end", ErrCheckpoint, epoch)
}

// MapMistake is one of a run's worst validation mistakes, with its
// predicted class's map.
type MapMistake struct {
	Item        runs.ValItem
	Truth, Pred int
	PTrue       float64 // the true class's probability
	Map         ClassMap
}

// WorstMistakeMaps draws the k worst mistakes (by loss) of the run's
// best epoch (or its last kept, when the best's predictions are gone)
// with their predicted class's maps, from that epoch's weights (or the
// best's, said in whose). An image that does not decode is left out.
func WorstMistakeMaps(runDir string, k int) (p *runs.ValPreds, ms []MapMistake, whose string, err error) {
	info, err := runs.ReadInfo(runDir)
	if err != nil {
		return nil, nil, "", err
	}
	epochs, err := runs.ValEpochs(runDir)
	if err != nil {
		return nil, nil, "", err
	}
	if len(epochs) == 0 {
		return nil, nil, "", fmt.Errorf("run %s kept no validation predictions", info.ID)
	}
	epoch := epochs[len(epochs)-1]
	if slices.Contains(epochs, info.Best.Epoch) {
		epoch = info.Best.Epoch
	}
	if p, err = runs.ReadValPreds(runDir, epoch); err != nil {
		return nil, nil, "", err
	}
	pr, whose, err := MapPredictor(runDir, epoch)
	if err != nil {
		return nil, nil, "", err
	}
	defer func() {
		if cerr := pr.Net.Close(); err == nil {
			err = cerr
		}
	}()
	src := &dataset.Images{Dir: info.DataDir}
	var imgs []image.Image
	var classes []int
	for _, i := range p.Worst(-1, -1, k) {
		img, err := src.Image(p.Items[i].Path, p.Items[i].Mem)
		if err != nil {
			continue
		}
		imgs, classes = append(imgs, img), append(classes, p.Pred[i])
		ms = append(ms, MapMistake{Item: p.Items[i], Truth: p.Truth[i], Pred: p.Pred[i], PTrue: float64(p.Prob(i, p.Truth[i]))})
	}
	maps, err := pr.ClassMaps(imgs, classes)
	if err != nil {
		return nil, nil, "", err
	}
	for j := range ms {
		ms[j].Map = maps[j]
	}
	return p, ms, whose, nil
}
