package training

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"
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
}

// ClassMaps gives each image the map of class classes[i] (a negative
// class: its predicted class), on the CPU (a predictor on a GPU: load it
// with OnCPU first). A multi-head model's answer is models.ErrCAMHead.
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
			out = append(out, ClassMap{Seen: p.seen(x[i*per : (i+1)*per]), Map: maps[i*h*w : (i+1)*h*w], H: h, W: w, Class: c, Prob: math.Exp(lp[c])})
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
