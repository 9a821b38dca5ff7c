package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/maskdash/maskdash/dataset"
	"github.com/maskdash/maskdash/runs"
	"github.com/maskdash/maskdash/ui/thumb"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) errorsCmd() *cobra.Command {
	var runsDir, cell, images string
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
	f.StringVar(&runsDir, "runs", runs.DefaultDir, "runs folder")
	f.IntVar(&epoch, "epoch", 0, "epoch (default: the best epoch, or the last the run kept)")
	f.StringVar(&cell, "cell", "", "T,P: true class T predicted as P (names or numbers, * for any)")
	f.IntVar(&top, "top", 10, "how many images (0: all)")
	f.StringVar(&images, "images", "auto", "thumbnails: auto, none, "+protocolNames())
	f.IntVar(&size, "size", 12, "thumbnail height in terminal rows (width is twice that)")
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
		dir, err := runs.NewStore(runsDir).Resolve(ref)
		if err != nil {
			return err
		}
		info, err := runs.ReadInfo(dir)
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
		fmt.Fprintf(a.out, "%s: %d of %d validation images misclassified\n", head, wrong, p.Len())
		fmt.Fprintf(a.out, "%s: %d images, worst first", cellName(p, truth, pred), all)
		if len(idx) < all {
			fmt.Fprintf(a.out, " (the first %d)", len(idx))
		}
		fmt.Fprintln(a.out)
		src := &dataset.Images{Dir: info.DataDir}
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
			img, err := src.Image(it.Path, it.Mem)
			if err != nil {
				fmt.Fprintf(a.errOut, "warning: %v\n", err)
				continue
			}
			s, err := thumb.Draw(proto, img, thumb.Cols(img, size), size)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(a.out, s); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
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
