package main

import (
	"fmt"
	"image"
	"io"
	"os"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/training"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) errorsCmd() *cobra.Command {
	var runsDir, cell, images, cam string
	var epoch, top, size int
	cmd := &cobra.Command{
		Use:   "errors RUN",
		Short: "list a run's misclassified validation images, worst first, with thumbnails",
		Long: `errors lists the validation images of one epoch that the run got wrong,
worst first (by their loss, −log p of the true class), with their id, path,
true and predicted class and probabilities, and a thumbnail when the output
is a terminal. --cell T,P keeps those of true class T predicted as P (names
or numbers; * for any; T,T lists the hardest correct ones).`,
	}
	f := cmd.Flags()
	runsFlag(f, &runsDir, "runs folder")
	f.IntVar(&epoch, "epoch", 0, "epoch (default: the best epoch, or the last the run kept)")
	f.StringVar(&cell, "cell", "", "T,P: true class T predicted as P (names or numbers, * for any)")
	f.IntVar(&top, "top", 10, "how many images (0: all)")
	f.StringVar(&images, "images", "auto", "thumbnails: auto, none, "+protocolNames())
	f.IntVar(&size, "size", 12, "thumbnail height in terminal rows (width is twice that)")
	f.StringVar(&cam, "cam", "", "draw each thumbnail as the net saw it with its class activation map over it (red where the image adds to the class's score (its logit; a multi-head model's log-probability), blue where it takes from it): pred (the predicted class's) or true (the true class's)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref, err := runArg(cmd, "", args)
		if err != nil {
			return err
		}
		if top < 0 || size < 1 || size > 200 {
			return fmt.Errorf("--top must be 0 or more and --size from 1 to 200")
		}
		proto, err := a.imageProtocol(images)
		if err != nil {
			return err
		}
		if cam != "" && cam != "pred" && cam != "true" {
			return fmt.Errorf("--cam %q is not pred or true", cam)
		}
		if cam != "" && proto == "" {
			return fmt.Errorf("--cam draws over the thumbnails, and there are none: run it on a terminal, or give --images with a protocol (%s)", protocolNames())
		}
		dir, info, err := runInfoArg(cmd, runsDir, []string{ref})
		if err != nil {
			return err
		}
		p, why, err := keptValPreds(dir, info, epoch)
		if err != nil {
			return err
		}
		truth, pred, err := parseCell(p, cell)
		if err != nil {
			return err
		}
		idx := p.Worst(truth, pred, top)
		all := len(p.Worst(truth, pred, 0))
		head := fmt.Sprintf("run %s, epoch %d", info.ID, p.Epoch)
		if why != "given" {
			head += " (" + why + ")"
		}
		wrong := len(p.Worst(-1, -1, 0))
		read := p.WithoutUnread().Len()
		fmt.Fprintf(a.out, "%s: %d of %d validation images misclassified", head, wrong, read)
		if n := p.Len() - read; n > 0 {
			fmt.Fprintf(a.out, " (%d more could not be read: no prediction)", n)
		}
		fmt.Fprintln(a.out)
		fmt.Fprintf(a.out, "%s: %d images, worst first", cellName(p, truth, pred), all)
		if len(idx) < all {
			fmt.Fprintf(a.out, " (the first %d)", len(idx))
		}
		fmt.Fprintln(a.out)
		src := &dataset.Images{Dir: info.DataDir}
		var maps map[int]training.ClassMap
		if cam != "" {
			if maps, err = a.classMaps(dir, p, idx, src, cam); err != nil {
				return err
			}
		}
		for n, i := range idx {
			it := p.Items[i]
			where := it.Path
			if where == "" {
				where = fmt.Sprintf("in-memory image %d of %s", it.Mem, info.DataDir)
			}
			fmt.Fprintf(a.out, "%2d. %s  %s\n    true %s (p %.3f)  predicted %s (p %.3f)  loss %.3f\n",
				n+1, it.Name, where, p.Names[p.Truth[i]], p.Prob(i, p.Truth[i]), p.Names[p.Pred[i]], p.Prob(i, p.Pred[i]), p.Loss[i])
			if proto == "" {
				continue
			}
			var img image.Image
			if m, ok := maps[i]; ok {
				img = thumb.Heat(m.Seen, m.Map, m.H, m.W)
				fmt.Fprintf(a.out, "    the map of %s (p %.3f)\n", p.Names[m.Class], m.Prob)
			} else if img, err = src.Image(it.Path, it.Mem); err != nil {
				fmt.Fprintf(a.errOut, "warning: %v\n", err)
				continue
			}
			if err := a.drawThumb(proto, img, size); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

// drawThumb writes img as a thumbnail rows high in protocol proto.
func (a *app) drawThumb(proto thumb.Protocol, img image.Image, rows int) error {
	s, err := thumb.Draw(proto, img, thumb.Cols(img, rows), rows)
	if err != nil {
		return err
	}
	_, err = io.WriteString(a.out, s)
	return err
}

// classMaps computes the class activation maps of the images idx of p
// (the predicted class's, or with which "true" the true class's) with
// the weights that made p, on the CPU, and says whose weights they are.
// An image that does not decode is left out, with a warning.
func (a *app) classMaps(dir string, p *runs.ValPreds, idx []int, src *dataset.Images, which string) (map[int]training.ClassMap, error) {
	pr, whose, err := training.MapPredictor(dir, p.Epoch)
	if err != nil {
		return nil, fmt.Errorf("--cam: %w", err)
	}
	defer func() {
		if err := pr.Net.Close(); err != nil {
			fmt.Fprintf(a.errOut, "warning: %v\n", err)
		}
	}()
	var imgs []image.Image
	var classes, of []int
	for _, i := range idx {
		img, err := src.Image(p.Items[i].Path, p.Items[i].Mem)
		if err != nil {
			fmt.Fprintf(a.errOut, "warning: %v\n", err)
			continue
		}
		c := p.Pred[i]
		if which == "true" {
			c = p.Truth[i]
		}
		imgs, classes, of = append(imgs, img), append(classes, c), append(of, i)
	}
	ms, err := pr.ClassMaps(imgs, classes)
	if err != nil {
		return nil, fmt.Errorf("--cam: %w", err)
	}
	fmt.Fprintf(a.out, "class activation maps (%s class) of %s, over each image as the net saw it: red where it adds to the class's score (its logit; a multi-head model's log-probability), blue where it takes from it\n", which, whose)
	out := map[int]training.ClassMap{}
	for k, m := range ms {
		out[of[k]] = m
	}
	return out, nil
}

func protocolNames() string {
	names := make([]string, len(thumb.Protocols))
	for i, p := range thumb.Protocols {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// imageProtocol reads --images: auto draws thumbnails only on a terminal,
// in the protocol it announces; none ("") draws none.
func (a *app) imageProtocol(s string) (thumb.Protocol, error) {
	switch s {
	case "none":
		return "", nil
	case "auto", "":
		if f, ok := a.out.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
			return "", nil
		}
	}
	p, err := thumb.ParseProtocol(s, os.Getenv)
	if err != nil {
		return "", fmt.Errorf("--images: %w", err)
	}
	return p, nil
}

// parseCell reads --cell T,P into class numbers (-1 for any); "" is every
// misclassified image.
func parseCell(p *runs.ValPreds, s string) (truth, pred int, err error) {
	if s == "" {
		return -1, -1, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return 0, 0, fmt.Errorf("--cell %q is not T,P (a true and a predicted class)", s)
	}
	out := [2]int{}
	for k, part := range parts {
		part = strings.TrimSpace(part)
		if part == "*" || part == "any" {
			out[k] = -1
			continue
		}
		i, ok := p.ClassIndex(part)
		if !ok {
			return 0, 0, fmt.Errorf("--cell: %q is not a class of this run (0 to %d, or a name such as %q)", part, p.Classes-1, p.Names[0])
		}
		out[k] = i
	}
	return out[0], out[1], nil
}

func cellName(p *runs.ValPreds, truth, pred int) string {
	name := func(i int) string {
		if i < 0 {
			return "any"
		}
		return p.Names[i]
	}
	if truth < 0 && pred < 0 {
		return "every misclassified image"
	}
	return fmt.Sprintf("true %s predicted as %s", name(truth), name(pred))
}

// keptValPreds reads the validation predictions run info (in dir) kept
// for epoch; 0: the best epoch, or the last kept. why says which ("the
// best", "the last kept", "given").
func keptValPreds(dir string, info runs.Info, epoch int) (*runs.ValPreds, string, error) {
	epochs, err := runs.ValEpochs(dir)
	if err != nil {
		return nil, "", err
	}
	if len(epochs) == 0 {
		return nil, "", fmt.Errorf("run %s kept no validation predictions (it has not finished an epoch, or was trained before maskdash kept them)", info.ID)
	}
	why := "given"
	if epoch == 0 {
		epoch, why = epochs[len(epochs)-1], "the last kept"
		for _, e := range epochs {
			if e == info.Best.Epoch {
				epoch, why = e, "the best"
			}
		}
	}
	p, err := runs.ReadValPreds(dir, epoch)
	if err != nil {
		return nil, "", fmt.Errorf("run %s: %w (it kept epochs %s)", info.ID, err, intList(epochs))
	}
	return p, why, nil
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
