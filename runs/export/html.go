package export

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// HTML writes <run>.html into out: one self-contained page (no network,
// no scripts) with the run's settings, its curves and best confusion
// matrix as inline SVG with embedded fonts, the per-class scores of the
// best epoch, every epoch's figures, the last measured step's parameter
// norms, the run's note and its events. It returns
// the page's path.
func HTML(runDir, out string) (string, error) { return HTMLWith(runDir, out, ReportExtras{}) }

// ReportExtras are what a report (the HTML page, the Markdown report)
// shows beyond the run folder's files, computed by the caller: its worst
// mistakes drawn with their class activation maps (which take the run's
// weights and images, beyond this package).
type ReportExtras struct {
	Mistakes []Mistake
	// MistakesNote says whose weights drew the mistakes, or why there are
	// none; "" leaves the section out.
	MistakesNote string
}

// Mistake is one image of the page's worst mistakes: a PNG (the image as
// the net saw it with its class map over it) and what to say of it.
type Mistake struct {
	Name    string // the image's id
	Caption string // its true and predicted class, with their probabilities
	PNG     []byte
}

// HTMLWith is HTML with the sections opts holds.
func HTMLWith(runDir, out string, opts ReportExtras) (string, error) {
	r, err := readReport(runDir)
	if err != nil {
		return "", err
	}
	if err := r.needEpochs(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("export folder: %w", err)
	}
	var curves, conf bytes.Buffer
	if err := render(&curves, r.curves(), "svg", Size{900, 420}, true); err != nil {
		return "", err
	}
	n := len(r.best().Conf)
	side := max(420, 40+36*n)
	// The fonts the curves embed serve the whole page.
	if err := render(&conf, r.confusion(), "svg", Size{side, side}, false); err != nil {
		return "", err
	}
	lg, err := readLog(runDir)
	if err != nil {
		return "", err
	}
	var layers *layerLine
	if n := len(lg.layers); n > 0 {
		layers = &lg.layers[n-1]
	}
	offsets, err := offsetsOf(runDir)
	if err != nil {
		return "", err
	}
	masked := false
	for _, e := range r.Epochs {
		masked = masked || len(e.Tasks) > 0
	}
	subs, err := runSubmissions(runDir)
	if err != nil {
		return "", err
	}
	page := pageData{
		Mistakes: opts.Mistakes, MistakesNote: opts.MistakesNote,
		Offsets: offsets, Submissions: subs,
		Name: r.name(), Note: r.Info.Note, Info: r.Info, Best: *r.best(), Epochs: r.Epochs, Events: r.Events, Layers: layers, Masked: masked, Own: r.hasOwn(),
		Curves: template.HTML(svgBody(curves.Bytes())), Confusion: template.HTML(svgBody(conf.Bytes())),
		Classes:  withAP(classRows(r.Classes, r.best().Conf), runDir, r.best().Epoch),
		Settings: settingRows(r.Info.Config),
		Written:  time.Now().Format(time.RFC3339),
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, page); err != nil {
		return "", fmt.Errorf("export html: %w", err)
	}
	path := filepath.Join(out, r.Info.ID+".html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return path, nil
}

// runSubmissions are the submissions of the run in runDir alone, from
// its runs folder's record (runs.SubmissionsHome), oldest first.
func runSubmissions(runDir string) ([]runs.Submission, error) {
	home := runs.SubmissionsHome(filepath.Dir(runDir))
	all, err := runs.ReadSubmissions(home)
	if err != nil {
		return nil, err
	}
	ref, err := filepath.Rel(home, runDir)
	if err != nil {
		return nil, err
	}
	var out []runs.Submission
	for _, s := range all {
		if len(s.Runs) == 1 && s.Runs[0] == filepath.ToSlash(ref) {
			out = append(out, s)
		}
	}
	return out, nil
}

// svgBody drops the XML prolog, so the SVG can sit inside HTML.
func svgBody(b []byte) []byte {
	if i := bytes.Index(b, []byte("<svg")); i > 0 {
		return b[i:]
	}
	return b
}

type pageData struct {
	Name              string
	Note              string
	Info              any
	Best              epochFigures
	Epochs            []epochFigures
	Events            []eventLine
	Curves, Confusion template.HTML
	Classes           []classRow
	Layers            *layerLine // the last measured step's parameter norms; nil none
	Offsets           *offsetsSection
	Submissions       []runs.Submission // the run's own, from its runs folder's record
	Mistakes          []Mistake
	MistakesNote      string
	Masked            bool // an epoch has the mask, gender and age figures
	Own               bool // epochs give the training weights' own F1 too (--ema)
	Settings          [][2]string
	Written           string
}

// offsetsSection is the class offsets maskdash calibrate kept, a row a
// class.
type offsetsSection struct {
	runs.ClassOffsets
	Rows []offsetRow
}

type offsetRow struct {
	Name   string
	Offset float64
}

// offsetsOf reads the run's class offsets (nil when it has none).
func offsetsOf(runDir string) (*offsetsSection, error) {
	o, err := runs.ReadClassOffsets(runDir)
	if errors.Is(err, runs.ErrNoOffsets) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sec := &offsetsSection{ClassOffsets: o}
	for i, name := range o.Classes {
		sec.Rows = append(sec.Rows, offsetRow{name, o.Offsets[i]})
	}
	return sec, nil
}

type classRow struct {
	Name string
	runs.ClassScores
	// AP is the class's average precision on the epoch's kept validation
	// predictions (runs.ClassPR); NaN where the run kept none.
	AP float64
}

// classRows scores each class from a confusion matrix (runs.Scores) and
// names it.
func classRows(names []string, m [][]int) []classRow {
	out := make([]classRow, len(m))
	for c, sc := range runs.Scores(m) {
		out[c] = classRow{Name: fmt.Sprint(c), ClassScores: sc, AP: math.NaN()}
		if c < len(names) {
			out[c].Name = names[c]
		}
	}
	return out
}

// withAP gives each class its average precision from the run's kept
// validation predictions of epoch, where it kept them (runs from before
// it did have none: the column then reads –).
func withAP(rows []classRow, runDir string, epoch int) []classRow {
	p, err := runs.ReadValPreds(runDir, epoch)
	if err != nil || p.Classes != len(rows) {
		return rows
	}
	for c := range rows {
		rows[c].AP = runs.ClassPR(p, c).AP
	}
	return rows
}

func settingRows(cfg map[string]any) [][2]string {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, fmt.Sprint(cfg[k])}
	}
	return out
}

// pageCSS is the style of every exported page (a run's, a sweep's).
const pageCSS = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;font-size:.9em} td,th{padding:.2em .7em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left} .best{font-size:1.2em} .muted{color:#777}
svg{max-width:100%;height:auto}
`

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap(figureFuncs)).Funcs(template.FuncMap{
	// An embedded PNG: a data URL, which html/template would otherwise
	// refuse in src.
	"pngURL": func(b []byte) template.URL {
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>maskdash run {{.Name}}</title>
<style>
` + pageCSS + `</style></head><body>
<h1 id="run">{{.Name}}</h1>
{{with .Note}}<p id="note" style="white-space:pre-wrap">{{.}}</p>
{{end}}<p class="best" id="best">best macro F1 <b>{{f4 .Best.MacroF1}}</b> at epoch {{.Best.Epoch}} (accuracy {{f4 .Best.Accuracy}}, loss {{f4 .Best.Loss}})</p>
<p class="muted">{{with .Info}}{{.Model}}, {{.Loss}}, {{.Optim}}, lr {{.LR}}; {{.Status}}, {{.EpochsDone}} of {{.Epochs}} epochs, {{.Steps}} steps{{end}}. Written by maskdash export on {{.Written}}.</p>
<h2>Curves</h2>
<figure id="curves">{{.Curves}}</figure>
<h2>Confusion matrix (epoch {{.Best.Epoch}})</h2>
<figure id="confusion">{{.Confusion}}</figure>
{{with .MistakesNote}}<h2>Worst mistakes</h2>
<p class="muted" id="mistakes-note">{{.}}</p>
{{end}}{{with .Mistakes}}<div id="mistakes" style="display:flex;flex-wrap:wrap;gap:1em">
{{range .}}<figure style="margin:0;width:160px"><img src="{{pngURL .PNG}}" width="160" height="160" alt="{{.Name}}"><figcaption style="font-size:.8em;overflow-wrap:anywhere">{{.Name}}<br>{{.Caption}}</figcaption></figure>
{{end}}</div>
{{end}}<h2>Per class (epoch {{.Best.Epoch}})</h2>
<table id="classes"><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>AP</th><th>support</th></tr>
{{range .Classes}}<tr><td>{{.Name}}</td><td>{{f4 .Precision}}</td><td>{{f4 .Recall}}</td><td>{{f4 .F1}}</td><td>{{f4 .AP}}</td><td>{{.Support}}</td></tr>
{{end}}</table>
<h2>Epochs</h2>
<table id="epochs"><tr><th>epoch</th><th>step</th><th>train acc</th><th>val loss</th><th>val acc</th><th>val macro F1</th>{{if .Own}}<th>training weights' F1</th>{{end}}{{if .Masked}}<th>mask F1</th><th>gender F1</th><th>age F1</th>{{end}}</tr>
{{range .Epochs}}<tr><td>{{.Epoch}}</td><td>{{.Step}}</td><td>{{f4 .TrainAcc}}</td><td>{{f4 .Loss}}</td><td>{{f4 .Accuracy}}</td><td>{{f4 .MacroF1}}</td>{{if $.Own}}<td>{{optf4 .Own}}</td>{{end}}{{if $.Masked}}<td>{{task .Tasks "mask"}}</td><td>{{task .Tasks "gender"}}</td><td>{{task .Tasks "age"}}</td>{{end}}</tr>
{{end}}</table>
{{with .Layers}}<h2>Layers (step {{.Step}})</h2>
<p class="muted">Each parameter tensor's norms at the last measured step, and how far that step's update moved it
(update/|w|): about 1e-3 is the usual healthy figure; past 0.1 the rate is too high for the tensor, below 1e-5 it barely learns.</p>
<table id="layers"><tr><th>tensor</th><th>values</th><th>|w|</th><th>weights 16% / 50% / 84%</th><th>|grad|</th><th>update/|w|</th></tr>
{{range .Layers}}<tr><td>{{.Name}}</td><td>{{.Size}}</td><td>{{g4 .Weight}}</td><td>{{spread .Spread}}</td><td>{{g4 .Grad}}</td><td>{{g4 .Ratio}}</td></tr>
{{end}}</table>
{{end}}{{with .Submissions}}<h2>Submissions</h2>
<p class="muted">The predictions files written from this run (maskdash submissions), with the leaderboard's scores recorded for them
(maskdash submissions score) beside the validation macro F1 of the weights they came from.</p>
<table id="submissions"><tr><th>written</th><th>file</th><th>weights</th><th>validation F1</th><th>public F1</th><th>public accuracy</th><th>private F1</th></tr>
{{range .}}<tr><td>{{.Time.Format "2006-01-02 15:04"}}</td><td>{{base .File}}</td><td>{{.Ckpt}}{{if .TTA}}, tta{{end}}{{if .Offsets}}, offsets{{end}}{{if .VoteWeights}}, weighted{{end}}</td><td>{{optf4 .ValF1}}</td>{{with .Public}}<td>{{f4 .MacroF1}}</td><td>{{pct .Accuracy}}</td>{{else}}<td>–</td><td>–</td>{{end}}<td>{{with .Private}}{{f4 .MacroF1}}{{else}}–{{end}}</td></tr>
{{end}}</table>
{{end}}{{with .Offsets}}<h2>Class offsets (epoch {{.Epoch}})</h2>
<p class="muted">Fitted by maskdash calibrate on epoch {{.Epoch}}'s {{.Images}} validation images for macro F1, and added to each class's
log-probability by predict --offsets: macro F1 {{f4 .MacroF1}} → {{f4 .MacroF1Offsets}} where fitted,
{{sign4 .HeldOutGain}} ± {{f4 .HeldOutSD}} on held-out halves of those images ({{.HeldOutImproved}} of {{.HeldOutHalves}} gained).</p>
<table id="offsets"><tr><th>class</th><th>offset</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{sign2 .Offset}}</td></tr>
{{end}}</table>
{{end}}<h2>Settings</h2>
<table id="settings">{{range .Settings}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{end}}</table>
<h2>Events</h2>
<table id="events"><tr><th>time</th><th>step</th><th>kind</th><th>what</th></tr>
{{range .Events}}<tr><td>{{clock .T}}</td><td>{{.Step}}</td><td>{{.Kind}}</td><td style="text-align:left">{{.Text}}</td></tr>
{{end}}</table>
</body></html>
`))
