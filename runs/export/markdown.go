package export

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// Markdown writes <run>.md into out, with <run>-curves.png and
// <run>-confusion.png beside it (Figures), and returns the three paths:
// the run's note, its best figures, the curves, the per-class scores, the
// confusion matrix, every epoch, its submissions, its class offsets and
// its settings (those with a value), as GitHub-flavoured Markdown for a report, an issue or a
// team's chat (W&B's reports, without a server). The tables are GFM
// tables; the figures are linked by their file names, so the folder
// travels whole.
func Markdown(runDir, out string, size Size) ([]string, error) {
	return MarkdownWith(runDir, out, size, ReportExtras{})
}

// MarkdownWith is Markdown with the sections extras holds: the worst
// mistakes' PNGs are written beside the report as <run>-mistake-N.png.
func MarkdownWith(runDir, out string, size Size, extras ReportExtras) ([]string, error) {
	r, err := readReport(runDir)
	if err != nil {
		return nil, err
	}
	if err := r.needEpochs(); err != nil {
		return nil, err
	}
	figs, err := Figures(runDir, out, "png", size)
	if err != nil {
		return nil, err
	}
	offsets, err := offsetsOf(runDir)
	if err != nil {
		return nil, err
	}
	subs, err := runSubmissions(runDir)
	if err != nil {
		return nil, err
	}
	masked := false
	for _, e := range r.Epochs {
		masked = masked || len(e.Tasks) > 0
	}
	page := pageData{
		MistakesNote: extras.MistakesNote,
		Offsets:      offsets, Submissions: subs,
		Name: r.name(), Note: r.Info.Note, Info: r.Info, Best: *r.best(), Epochs: r.Epochs, Masked: masked, Own: r.hasOwn(),
		Classes:  withAP(classRows(r.Classes, r.best().Conf), runDir, r.best().Epoch),
		Settings: settingRows(r.Info.Config),
		Written:  time.Now().Format(time.RFC3339),
	}
	var mistakes []mdMistake
	for i, m := range extras.Mistakes {
		p := filepath.Join(out, fmt.Sprintf("%s-mistake-%d.png", r.Info.ID, i+1))
		if err := os.WriteFile(p, m.PNG, 0o644); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		figs = append(figs, p)
		mistakes = append(mistakes, mdMistake{m, filepath.Base(p)})
	}
	var buf bytes.Buffer
	if err := mdTmpl.Execute(&buf, struct {
		pageData
		CurvesPNG, ConfusionPNG string
		MdMistakes              []mdMistake
	}{page, filepath.Base(figs[0]), filepath.Base(figs[1]), mistakes}); err != nil {
		return nil, fmt.Errorf("export md: %w", err)
	}
	path := filepath.Join(out, r.Info.ID+".md")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return append([]string{path}, figs...), nil
}

// mdMistake is a worst mistake of the Markdown report: its PNG's file.
type mdMistake struct {
	Mistake
	File string
}

// MarkdownCell makes a value safe in a GFM table cell: a pipe escaped, a
// line break a space.
func MarkdownCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// cell is MarkdownCell of any value, for the report's template.
func cell(v any) string { return MarkdownCell(fmt.Sprint(v)) }

// quote makes a note a Markdown block quote that keeps its lines: each
// line that another follows ends in a hard break (a backslash); an empty
// line stays a paragraph's end.
func quote(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	out := make([]string, len(lines))
	for i, l := range lines {
		l = strings.TrimRight(l, " \r")
		out[i] = strings.TrimRight("> "+l, " ")
		if l != "" && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
			out[i] += `\`
		}
	}
	return strings.Join(out, "\n")
}

var mdTmpl = template.Must(template.New("md").Funcs(template.FuncMap(figureFuncs)).Funcs(template.FuncMap{"cell": cell, "quote": quote}).Parse(`# {{cell .Name}}
{{with .Note}}
{{quote .}}
{{end}}
**Best macro F1 {{f4 .Best.MacroF1}}** at epoch {{.Best.Epoch}} (accuracy {{f4 .Best.Accuracy}}, loss {{f4 .Best.Loss}}).
{{with .Info}}{{.Model}}, {{.Loss}}, {{.Optim}}, lr {{.LR}}; {{.Status}}, {{.EpochsDone}} of {{.Epochs}} epochs, {{.Steps}} steps{{with .Parent}}; a child of {{.}}{{end}}{{end}}.
Written by maskdash export on {{.Written}}.

![curves: training loss, validation loss, accuracy and macro F1]({{.CurvesPNG}})

{{with .MistakesNote}}## Worst mistakes

{{.}}
{{end}}{{with .MdMistakes}}
| image | which, and what the net said |
|---|---|
{{range .}}| ![{{cell .Name}}]({{.File}}) | {{cell .Name}}: {{cell .Caption}} |
{{end}}{{end}}
## Per class (epoch {{.Best.Epoch}})

| class | precision | recall | F1 | AP | support |
|---|---:|---:|---:|---:|---:|
{{range .Classes}}| {{cell .Name}} | {{f4 .Precision}} | {{f4 .Recall}} | {{f4 .F1}} | {{f4 .AP}} | {{.Support}} |
{{end}}
## Confusion matrix (epoch {{.Best.Epoch}})

![confusion matrix, rows the true classes]({{.ConfusionPNG}})

## Epochs

| epoch | step | train acc | val loss | val acc | val macro F1 |{{if .Own}} training weights' F1 |{{end}}{{if .Masked}} mask F1 | gender F1 | age F1 |{{end}}
|---:|---:|---:|---:|---:|---:|{{if .Own}}---:|{{end}}{{if .Masked}}---:|---:|---:|{{end}}
{{range .Epochs}}| {{.Epoch}} | {{.Step}} | {{f4 .TrainAcc}} | {{f4 .Loss}} | {{f4 .Accuracy}} | {{f4 .MacroF1}} |{{if $.Own}} {{optf4 .Own}} |{{end}}{{if $.Masked}} {{task .Tasks "mask"}} | {{task .Tasks "gender"}} | {{task .Tasks "age"}} |{{end}}
{{end}}{{with .Submissions}}
## Submissions

| written | file | weights | validation F1 | public F1 | public accuracy | private F1 |
|---|---|---|---:|---:|---:|---:|
{{range .}}| {{.Time.Format "2006-01-02 15:04"}} | {{cell (base .File)}} | {{cell .Ckpt}}{{if .TTA}}, tta{{end}}{{if .Offsets}}, offsets{{end}}{{if .VoteWeights}}, weighted{{end}} | {{optf4 .ValF1}} | {{with .Public}}{{f4 .MacroF1}} | {{pct .Accuracy}}{{else}}– | –{{end}} | {{with .Private}}{{f4 .MacroF1}}{{else}}–{{end}} |
{{end}}{{end}}{{with .Offsets}}
## Class offsets (epoch {{.Epoch}})

Fitted by maskdash calibrate on {{.Images}} validation images: macro F1 {{f4 .MacroF1}} → {{f4 .MacroF1Offsets}} where fitted, {{sign4 .HeldOutGain}} ± {{f4 .HeldOutSD}} on held-out halves ({{.HeldOutImproved}} of {{.HeldOutHalves}} gained).

| class | offset |
|---|---:|
{{range .Rows}}| {{cell .Name}} | {{sign2 .Offset}} |
{{end}}{{end}}
## Settings

| setting | value |
|---|---|
{{range .Settings}}{{if index . 1}}| {{cell (index . 0)}} | {{cell (index . 1)}} |
{{end}}{{end}}`))
