package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/maskdash/maskdash/runs"
)

// importancePanel is what each setting that varies among the shown runs
// (the filter's) accounted for in their best macro F1, in h rows below
// the runs table (i): as maskdash runs --importance prints it, the
// largest share first.
func (r runsModel) importancePanel(st Styles, w, h int) string {
	if h < 3 {
		return ""
	}
	var infos []runs.Info
	for _, l := range r.rows {
		if l.Err == nil && runs.Matches(l.Info, r.filter.Value()) {
			infos = append(infos, l.Info)
		}
	}
	imp, scored := runs.RunImportances(infos)
	var b strings.Builder
	runsWord := "runs"
	if scored == 1 {
		runsWord = "run"
	}
	b.WriteString("\n" + st.BoxTitle.Render(truncate(fmt.Sprintf("what each setting accounts for in best macro F1, %d shown %s with a score (ε², main effects) · i: the run's curve", scored, runsWord), w)))
	if len(imp) == 0 {
		b.WriteString("\n" + st.Dim.Render(truncate("no setting varies among them (pick others with / or a wider filter)", w)))
		return b.String()
	}
	name := 0
	for _, m := range imp {
		name = max(name, len(m.Setting))
	}
	for i, m := range imp {
		if i >= h-3 {
			b.WriteString("\n" + st.Dim.Render(fmt.Sprintf("… %d more (maskdash runs --importance lists them all)", len(imp)-i)))
			break
		}
		line := fmt.Sprintf("%-*s  %s", name, m.Setting, m)
		style := st.Value
		if math.IsNaN(m.Share) || m.Share < 0.05 {
			style = st.Dim // too little to tell from noise
		}
		b.WriteString("\n" + style.Render(truncate(line, w)))
	}
	b.WriteString("\n" + st.Dim.Render(truncate(runs.NotDrawnAtRandom+"; seeds' and folds' shares are what noise gives", w)))
	return b.String()
}
