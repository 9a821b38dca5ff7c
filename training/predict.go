package training

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/runs"
	"gonum.org/v1/gonum/floats"
)

// evalSet runs the evaluation graph over a whole set and returns each
// sample's class log-probabilities (in set order) and, when loss is given
// and the set is labelled, the mean loss. Unreadable images (warned
// through l's Warn, once each) get uniform probabilities, and unread
// marks them (nil when every image was read): a prediction file needs a
// row for each, a figure must leave them out. With tta the horizontally
// flipped image is averaged in.
func evalSet(ctx context.Context, net *models.Net, l *dataset.Loader, set *dataset.Set, loss *Loss, tta bool) (lp [][]float64, meanLoss float64, unread []bool, err error) {
	heads := net.Spec.Heads()
	k := net.Spec.Outputs()
	nc := len(set.Classes)
	if len(heads) > 1 {
		nc = dataset.NumClasses
	}
	out := make([][]float64, set.Len())
	var lossSum float64
	var lossN int
	order := make([]int, set.Len())
	for i := range order {
		order[i] = i
	}
	passes := []bool{false}
	if tta {
		passes = append(passes, true)
	}
	for _, flip := range passes {
		cfg := l.Config()
		cfg.Flip = flip
		cfg.Train = false
		ll := dataset.NewLoader(set, cfg, l.Cache(), l.Warn())
		for b := range ll.Epoch(ctx, 0, order) {
			if b.N == 0 {
				continue
			}
			logits, err := net.Forward(b.X, b.N)
			if err != nil {
				return nil, 0, nil, err
			}
			for i := 0; i < b.N; i++ {
				lp := ClassLogProbs(logits[i*k:(i+1)*k], heads)
				idx := b.Index[i]
				if out[idx] == nil {
					out[idx] = lp
				} else {
					// Average probabilities, then back to log space.
					for c := range lp {
						out[idx][c] = math.Log((math.Exp(out[idx][c]) + math.Exp(lp[c])) / 2)
					}
				}
			}
			if loss != nil && !flip {
				labels := b.Labels
				ok := true
				for _, y := range labels {
					ok = ok && y >= 0
				}
				if ok {
					g := make([]float32, len(logits))
					lossSum += loss.Func(labels, heads)(logits, b.N, k, g) * float64(b.N)
					lossN += b.N
				}
			}
		}
		if ctx.Err() != nil {
			return nil, 0, nil, ctx.Err()
		}
	}
	for i := range out {
		if out[i] == nil {
			if unread == nil {
				unread = make([]bool, len(out))
			}
			unread[i] = true
			out[i] = make([]float64, nc)
			for c := range out[i] {
				out[i][c] = -math.Log(float64(nc))
			}
		}
	}
	if lossN > 0 {
		lossSum /= float64(lossN)
	}
	return out, lossSum, unread, nil
}

// scoreRead is the confusion matrix of the rows of lp whose image was
// read (evalSet's unread), and how many were left out.
func scoreRead(set *dataset.Set, lp [][]float64, unread []bool) (*Confusion, int) {
	conf := NewConfusion(len(set.Classes))
	left := 0
	for i, row := range lp {
		if unread != nil && unread[i] {
			left++
			continue
		}
		conf.Add(set.Samples[i].Label, Argmax(row))
	}
	return conf, left
}

// WritePredictions writes `ImageID,ans` rows in set order (info.csv order
// for the eval layout). A task run's predictions (a set of one task) are
// that task's classes, and their column says which (`ImageID,age`): they
// are no submission until the three tasks are combined.
func WritePredictions(path string, set *dataset.Set, lp [][]float64) error {
	var b bytes.Buffer
	col := "ans"
	if set.Task != "" {
		col = set.Task
	}
	b.WriteString("ImageID," + col + "\n")
	for i, s := range set.Samples {
		fmt.Fprintf(&b, "%s,%d\n", s.Name, Argmax(lp[i]))
	}
	return runs.WriteFileAtomic(path, b.Bytes())
}

// WriteProbabilities writes each image's class probabilities as
// `ImageID,0,1,…` rows (a column a class, numbered as ans is: the form the
// competition's soft-voting scripts read) in set order: lp renormalised,
// so a vote's, or one moved by class offsets, sums to 1 again.
func WriteProbabilities(path string, set *dataset.Set, lp [][]float64) error {
	var b bytes.Buffer
	b.WriteString("ImageID")
	for c := range set.Classes {
		fmt.Fprintf(&b, ",%d", c)
	}
	b.WriteByte('\n')
	for i, s := range set.Samples {
		norm := floats.LogSumExp(lp[i])
		b.WriteString(s.Name)
		for _, v := range lp[i] {
			b.WriteByte(',')
			b.WriteString(strconv.FormatFloat(math.Exp(v-norm), 'g', 6, 64))
		}
		b.WriteByte('\n')
	}
	return runs.WriteFileAtomic(path, b.Bytes())
}

// ProbsPath is where WriteBoth puts the class probabilities that go with
// the predictions file path: beside it, "-probs" before ".csv".
func ProbsPath(path string) string {
	return strings.TrimSuffix(path, ".csv") + "-probs.csv"
}

// WriteBoth writes the predictions to path (WritePredictions) and their
// class probabilities beside it (WriteProbabilities, to ProbsPath(path)):
// what the dashboard's predict and vote keep, so that either file can
// serve as --pseudo-labels, with --pseudo-min-prob too.
func WriteBoth(path string, set *dataset.Set, lp [][]float64) error {
	if err := WritePredictions(path, set, lp); err != nil {
		return err
	}
	return WriteProbabilities(ProbsPath(path), set, lp)
}

// Predictor evaluates a checkpoint on data.
type Predictor struct {
	Net  *models.Net
	Meta CkptMeta
	Aug  dataset.Augment
	// Offsets, when set, are added to every image's class
	// log-probabilities (class offsets, see offsets.go).
	Offsets []float64
	// Warn, when set, is told of each image that cannot be read (from
	// the loaders' goroutines). LogProbs gives such an image uniform
	// probabilities; Evaluate leaves it out of its figures.
	Warn dataset.Warn
	// Cache, when set, holds the prepared images of the set predicted,
	// shared with other predictors of the same set and Aug.PrepareKey
	// (an ensemble's); nil: each call has one of its own.
	Cache *dataset.Cache
	// Prepared, when it has a folder, is where the set's prepared images
	// are read from before a call decodes any, and kept after it
	// (PreparedStoreAt); Say is told when it cannot be read or written
	// (the images are then decoded, the predictions the same).
	Prepared dataset.PreparedStore
	Say      func(msg string)
}

// cache is the cache a call reads set through: Cache, or a new one,
// filled from Prepared when it is empty.
func (p *Predictor) cache(set *dataset.Set) *dataset.Cache {
	c := p.Cache
	if c == nil {
		c = dataset.NewCache(0)
	}
	if c.Len() == 0 {
		if _, err := p.Prepared.Load(p.Aug.PrepareKey(), dataset.Part{Set: set, Cache: c}); err != nil {
			p.say(err.Error() + ": the images are decoded")
		}
	}
	return c
}

// keep writes the images c prepared to Prepared, for the next call.
func (p *Predictor) keep(set *dataset.Set, c *dataset.Cache) {
	if err := p.Prepared.Save(p.Aug.PrepareKey(), dataset.Part{Set: set, Cache: c}); err != nil {
		p.say(err.Error() + " (they are not kept for later)")
	}
}

func (p *Predictor) say(msg string) {
	if p.Say != nil {
		p.Say(msg)
	}
}

// LoadPredictor loads a checkpoint for evaluation.
func LoadPredictor(path string) (*Predictor, error) {
	return loadPredictor(path, false)
}

// loadPredictor loads a checkpoint for evaluation, on the CPU whatever
// the build when cpu is set.
func loadPredictor(path string, cpu bool) (*Predictor, error) {
	net, meta, err := loadNet(path, 64, cpu)
	if err != nil {
		return nil, err
	}
	aug := dataset.DefaultAugment(meta.Model.W, meta.Model.H)
	aug.Mean, aug.Std = meta.Mean, meta.Std
	aug.CropW, aug.CropH = meta.CropW, meta.CropH
	return &Predictor{Net: net, Meta: meta, Aug: aug}, nil
}

// CheckClasses refuses data whose classes are not the checkpoint's.
func (p *Predictor) CheckClasses(set *dataset.Set) error {
	if p.Offsets != nil && len(p.Offsets) != len(set.Classes) {
		return fmt.Errorf("the class offsets are for %d classes but the data %s has %d", len(p.Offsets), set.Root, len(set.Classes))
	}
	if len(p.Meta.Classes) > 0 && len(set.Classes) != len(p.Meta.Classes) {
		return fmt.Errorf("the checkpoint predicts %d classes but the data %s has %d", len(p.Meta.Classes), set.Root, len(set.Classes))
	}
	for i, c := range p.Meta.Classes {
		if c != set.Classes[i] {
			return fmt.Errorf("the checkpoint's class %d is %q but the data %s calls it %q: not the data it was trained for", i, c, set.Root, set.Classes[i])
		}
	}
	return nil
}

// LogProbs returns each sample's class log-probabilities, and which
// images could not be read (nil when every one was; Warn is told of
// each): their rows are uniform probabilities (moved by Offsets), a
// guess that ScoreLogProbs leaves out.
func (p *Predictor) LogProbs(ctx context.Context, set *dataset.Set, tta bool) ([][]float64, []bool, error) {
	if err := p.CheckClasses(set); err != nil {
		return nil, nil, err
	}
	c := p.cache(set)
	l := dataset.NewLoader(set, dataset.LoaderConfig{Batch: p.Net.Spec.EvalBatch, Aug: p.Aug}, c, p.Warn)
	lp, _, unread, err := evalSet(ctx, p.Net, l, set, nil, tta)
	if err == nil {
		p.keep(set, c)
	}
	if err == nil && p.Offsets != nil {
		AddOffsets(lp, p.Offsets)
	}
	return lp, unread, err
}

// Evaluate scores a checkpoint on a labelled set.
func (p *Predictor) Evaluate(ctx context.Context, set *dataset.Set, tta bool) (Metrics, *Confusion, error) {
	if !set.HasTruth() {
		return Metrics{}, nil, fmt.Errorf("data %s has no labels to evaluate against", set.Root)
	}
	if err := p.CheckClasses(set); err != nil {
		return Metrics{}, nil, err
	}
	loss, _ := ParseLoss("ce")
	c := p.cache(set)
	l := dataset.NewLoader(set, dataset.LoaderConfig{Batch: p.Net.Spec.EvalBatch, Aug: p.Aug}, c, p.Warn)
	lp, lv, unread, err := evalSet(ctx, p.Net, l, set, loss, tta)
	if err != nil {
		return Metrics{}, nil, err
	}
	p.keep(set, c)
	if p.Offsets != nil {
		AddOffsets(lp, p.Offsets)
	}
	conf, left := scoreRead(set, lp, unread)
	if left > 0 && left == len(lp) {
		return Metrics{}, nil, fmt.Errorf("none of the %d images of %s could be read: nothing to score", left, set.Root)
	}
	return Summarize(conf, lv, set.Masked), conf, nil
}

// SoftVote averages several models' class probabilities (the report's
// voting ensemble) and returns log-probabilities.
func SoftVote(all [][][]float64) [][]float64 { return WeightedSoftVote(all, nil) }

// ScoreLogProbs scores log-probabilities against set's labels, leaving
// out the rows whose image could not be read (unread, LogProbs's; nil:
// every one was). It is nil when no image was read: nothing to score.
func ScoreLogProbs(set *dataset.Set, lp [][]float64, unread []bool) *Metrics {
	conf, left := scoreRead(set, lp, unread)
	if left == len(lp) && left > 0 {
		return nil
	}
	m := Summarize(conf, 0, set.Masked)
	return &m
}

// CountUnread is how many images unread (LogProbs's) says could not be
// read.
func CountUnread(unread []bool) int {
	n := 0
	for _, u := range unread {
		if u {
			n++
		}
	}
	return n
}

// orUnread marks in into (made when nil): an image that one model could
// not read, the vote has no reading of either.
func orUnread(into, in []bool) []bool {
	for i, u := range in {
		if !u {
			continue
		}
		if into == nil {
			into = make([]bool, len(in))
		}
		into[i] = true
	}
	return into
}
