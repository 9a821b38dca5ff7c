package main

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/spf13/cobra"
)

// camCmd draws where a run's net finds a class in any images: the
// competition's unlabelled eval images, a photo of one's own.
func (a *app) camCmd() *cobra.Command {
	var runsDir, ckpt, class, out, images string
	var size int
	cmd := &cobra.Command{
		Use:   "cam RUN IMAGE [IMAGE…] [--class C] [--out DIR]",
		Short: "where a run's net finds a class in any images: class activation maps, drawn or written as PNG",
		Long: `cam runs a checkpoint (default: the best) on each image, says the class it
predicts with its probability, and draws the image as the net saw it
(cropped and resized) with the class activation map of the predicted class
over it (--class C: of class C, a name or a number): red where the image adds
to the class's logit, blue where it takes from it. The dashboard's m on a
confusion cell's images and 'maskdash errors --cam' do the same for the
validation images. --out DIR writes each as <image>-cam.png, four times the
net's input size. For the multi-head (-mh) models, whose heads have hidden
layers, a map is gradient × activation of the class's log-probability.`,
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.StringVar(&ckpt, "ckpt", "best", "checkpoint: best, latest or a file (best.train, latest.train: the training weights beside an --ema run's)")
	f.StringVar(&class, "class", "", "the class whose map is drawn (default: each image's predicted class)")
	f.StringVar(&out, "out", "", "write each image's map as <out>/<image>-cam.png")
	f.StringVar(&images, "images", "auto", "thumbnails: auto, none, "+protocolNames())
	f.IntVar(&size, "size", 12, "thumbnail height in terminal rows")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) < 2 {
			return fmt.Errorf("cam needs a run and at least one image: %s RUN IMAGE…", cmd.CommandPath())
		}
		if size < 1 || size > 200 {
			return fmt.Errorf("--size must be from 1 to 200")
		}
		proto, err := a.imageProtocol(images)
		if err != nil {
			return err
		}
		pr, err := training.OpenRunPredictor(runs.NewStore(runsDir), args[0], ckpt)
		if err != nil {
			return err
		}
		if pr, err = pr.OnCPU(); err != nil {
			return err
		}
		defer func() {
			if err := pr.Net.Close(); err != nil {
				fmt.Fprintf(a.errOut, "warning: %v\n", err)
			}
		}()
		names := pr.Meta.Classes
		cls := -1
		if class != "" {
			if cls = classIndex(names, class); cls < 0 {
				return fmt.Errorf("--class %q is not a class of this run (0 to %d, or a name such as %q)", class, len(names)-1, names[0])
			}
		}
		if out != "" {
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
		}
		files, err := imageFiles(args[1:])
		if err != nil {
			return err
		}
		fmt.Fprintf(a.out, "class activation maps of %s (%s): red where the image adds to the class's score (its logit; a multi-head model's log-probability), blue where it takes from it\n", filepath.Base(pr.RunDir), filepath.Base(pr.Path))
		// A batch at a time: a folder of the eval set's 12,600 photos
		// decoded at once would not fit in memory.
		done := 0
		for start := 0; start < len(files); start += camChunk {
			var imgs []image.Image
			var read []string
			for _, p := range files[start:min(start+camChunk, len(files))] {
				img, err := dataset.DecodeFile(p)
				if err != nil {
					fmt.Fprintf(a.errOut, "warning: %s is skipped: %v\n", p, err)
					continue
				}
				imgs, read = append(imgs, img), append(read, p)
			}
			if err := a.camBatch(pr, imgs, read, cls, out, proto, size); err != nil {
				return err
			}
			done += len(imgs)
		}
		if done == 0 {
			return fmt.Errorf("none of the %d images could be read", len(files))
		}
		return nil
	}
	return cmd
}

// camChunk is how many images cam decodes and maps at a time.
const camChunk = 64

// camBatch maps, says and draws (or writes under out) one batch of
// decoded images (files their paths), of class cls (-1: each one's
// predicted class).
func (a *app) camBatch(pr training.RunPredictor, imgs []image.Image, files []string, cls int, out string, proto thumb.Protocol, size int) error {
	names := pr.Meta.Classes
	classes := make([]int, len(imgs))
	for i := range classes {
		classes[i] = cls
	}
	maps, err := pr.ClassMaps(imgs, classes)
	if err != nil {
		return err
	}
	for i, m := range maps {
		heat := thumb.Heat(m.Seen, m.Map, m.H, m.W)
		line := fmt.Sprintf("%s: the map of %s (p %.3f)", files[i], className(names, m.Class), m.Prob)
		if cls >= 0 {
			line += fmt.Sprintf("; it predicts %s (p %.3f)", className(names, m.Predicted), m.PredictedProb)
		}
		if out != "" {
			p := filepath.Join(out, strings.TrimSuffix(filepath.Base(files[i]), filepath.Ext(files[i]))+"-cam.png")
			if err := writePNG(p, thumb.Fit(heat, 4*m.Seen.Bounds().Dx(), 4*m.Seen.Bounds().Dy())); err != nil {
				return err
			}
			line += " → " + p
		}
		fmt.Fprintln(a.out, line)
		if proto != "" {
			if err := a.drawThumb(proto, heat, size); err != nil {
				return err
			}
		}
	}
	return nil
}

// imageFiles expands the arguments: a folder is the image files in it
// (sorted; not its sub-folders), anything else a file as given.
func imageFiles(args []string) ([]string, error) {
	var out []string
	for _, p := range args {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p) // a missing file is warned about when read
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, e := range ents {
			if !e.IsDir() && dataset.IsImageName(e.Name()) {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("folder %s holds no images", p)
		}
	}
	return out, nil
}

// classIndex reads a class as a name of names or a number; -1 when it is
// neither.
func classIndex(names []string, s string) int {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return i
		}
	}
	if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < len(names) {
		return i
	}
	return -1
}

func className(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return strconv.Itoa(c)
}

// writePNG writes img to path.
func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		return errors.Join(fmt.Errorf("%s: %w", path, err), f.Close())
	}
	return f.Close()
}
