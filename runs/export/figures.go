package export

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size is a figure's size: pixels for PNG, points (1/72 inch) for SVG.
// The zero value means 900×600.
type Size struct{ W, H int }

func (s Size) orDefault() Size {
	if s.W <= 0 || s.H <= 0 {
		return Size{900, 600}
	}
	return s
}

// Figures writes <run>-curves and <run>-confusion as PNG or SVG (format
// "png" or "svg") into out and returns their paths. The curves are the
// training loss at every step (from the history) with the validation
// loss, accuracy and macro F1 at each epoch; the confusion matrix is the
// best epoch's, each row as shares of its true class, with counts.
func Figures(runDir, out, format string, size Size) ([]string, error) {
	if format != "png" && format != "svg" {
		return nil, fmt.Errorf("figures are png or svg, not %q", format)
	}
	r, err := readReport(runDir)
	if err != nil {
		return nil, err
	}
	if err := r.needEpochs(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("export folder: %w", err)
	}
	size = size.orDefault()
	var paths []string
	for _, f := range []struct {
		name string
		plot *plot.Plot
	}{{"curves", r.curves()}, {"confusion", r.confusion()}} {
		path := filepath.Join(out, r.Info.ID+"-"+f.name+"."+format)
		var buf bytes.Buffer
		if err := render(&buf, f.plot, format, size, false); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// render draws p at size: a PNG of exactly size pixels (72 dots an inch,
// so a point is a pixel), or an SVG of size points.
func render(w io.Writer, p *plot.Plot, format string, size Size, embedFonts bool) error {
	wl, hl := vg.Length(size.W), vg.Length(size.H)
	var err error
	if format == "png" {
		c := vgimg.NewWith(vgimg.UseWH(wl, hl), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
		p.Draw(draw.New(c))
		_, err = vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	} else {
		c := vgsvg.NewWith(vgsvg.UseWH(wl, hl), vgsvg.EmbedFonts(embedFonts))
		p.Draw(draw.New(c))
		_, err = c.WriteTo(w)
	}
	if err != nil {
		return fmt.Errorf("export %s figure: %w", format, err)
	}
	return nil
}

// Colours, one per quantity, as the dashboard's.
var (
	colLoss = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colVal  = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	colAcc  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	colF1   = color.RGBA{0xc0, 0x1f, 0xa0, 0xff}
)

// curves plots the training loss and the validation loss, accuracy and
// macro F1 on one step axis: all are small numbers, and the legend names
// each.
func (r *report) curves() *plot.Plot {
	p := plot.New()
	p.Title.Text = r.name()
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss · accuracy · macro F1"
	p.Add(plotter.NewGrid())
	add := func(name string, col color.Color, xs []int, ys []float64, points bool) {
		xy := make(plotter.XYs, 0, len(xs))
		for i := range xs {
			if ys[i] == ys[i] { // skip NaN (a gap in the history)
				xy = append(xy, plotter.XY{X: float64(xs[i]), Y: ys[i]})
			}
		}
		if len(xy) == 0 {
			return
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return
		}
		l.Color = col
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(name, l)
		if points {
			s, err := plotter.NewScatter(xy)
			if err == nil {
				s.Color = col
				s.Radius = vg.Points(2.5)
				p.Add(s)
			}
		}
	}
	add("train loss", colLoss, r.Steps, r.Loss, false)
	steps := make([]int, len(r.Epochs))
	var vl, va, vf []float64
	for i, e := range r.Epochs {
		steps[i] = e.Step
		vl, va, vf = append(vl, e.Loss), append(va, e.Accuracy), append(vf, e.MacroF1)
	}
	add("val loss", colVal, steps, vl, true)
	add("val accuracy", colAcc, steps, va, true)
	add("val macro F1", colF1, steps, vf, true)
	p.Legend.Top = true
	p.Y.Min = 0
	return p
}

// confGrid is a confusion matrix as a heat map grid: rows are true
// classes from the top, values the share of each true class.
type confGrid struct{ m [][]int }

func (g confGrid) Dims() (c, r int) { return len(g.m), len(g.m) }
func (g confGrid) Z(c, r int) float64 {
	row := g.m[len(g.m)-1-r]
	n := 0
	for _, v := range row {
		n += v
	}
	if n == 0 {
		return 0
	}
	return float64(row[c]) / float64(n)
}
func (g confGrid) X(c int) float64 { return float64(c) }
func (g confGrid) Y(r int) float64 { return float64(r) }
func (g confGrid) Min() float64    { return 0 }
func (g confGrid) Max() float64    { return 1 }

// confusion plots the best epoch's confusion matrix.
func (r *report) confusion() *plot.Plot {
	b := r.best()
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: epoch %d, macro F1 %.4f", r.Info.ID, b.Epoch, b.MacroF1)
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	n := len(b.Conf)
	if n == 0 {
		return p
	}
	pal := moreland.SmoothBlueRed()
	pal.SetMin(0)
	pal.SetMax(1)
	p.Add(plotter.NewHeatMap(confGrid{b.Conf}, pal.Palette(64)))
	var xy plotter.XYs
	var labels []string
	for t := range n {
		for q := range n {
			if v := b.Conf[t][q]; v > 0 {
				xy = append(xy, plotter.XY{X: float64(q), Y: float64(n - 1 - t)})
				labels = append(labels, fmt.Sprint(v))
			}
		}
	}
	if len(xy) > 0 {
		if l, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels}); err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].Font.Size = font.Length(max(6, min(12, 200/n)))
				l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
			}
			p.Add(l)
		}
	}
	names := r.Classes
	if len(names) != n {
		names = make([]string, n)
		for i := range names {
			names[i] = fmt.Sprint(i)
		}
	}
	var xt, yt []plot.Tick
	for i, name := range names {
		xt = append(xt, plot.Tick{Value: float64(i), Label: name})
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: name})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = 1.2
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 8, 8
	return p
}
