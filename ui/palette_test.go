package ui

import (
	"strings"
	"testing"

	"github.com/maskdash/maskdash/training"
)

// TestPaletteFindsAndRunsActions: : finds an action by a few letters and
// runs it as its key would.
func TestPaletteFindsAndRunsActions(t *testing.T) {
	ctrl := &fakeCtrl{}
	m := newTestModel(ctrl, 120, 40)
	m, _ = press(m, ":")
	v := m.View()
	if !strings.Contains(v, "command palette") || !strings.Contains(v, "checkpoint") || !strings.Contains(v, "class offsets") {
		t.Fatalf("the palette does not list the actions:\n%s", v)
	}
	for _, r := range "chkpt" {
		m, _ = press(m, string(r))
	}
	if v := m.View(); !strings.Contains(v, "> checkpoint") {
		t.Fatalf("fuzzy \"chkpt\" does not put checkpoint first:\n%s", v)
	}
	m, cmds := press(m, "enter")
	if len(cmds) != 1 || cmds[0] == nil {
		t.Fatal("enter ran nothing")
	}
	cmds[0]()
	if ctrl.kinds()[training.CmdCheckpoint] != 1 {
		t.Errorf("the palette's checkpoint sent %v", ctrl.kinds())
	}
	m, _ = press(m, ":", "s", "y", "s", "t", "enter")
	if m.view != viewSystem {
		t.Errorf("\"syst\" did not open the system view (view %d)", m.view)
	}
	m, _ = press(m, ":", "esc")
	if m.palette.open || strings.Contains(m.View(), "command palette") {
		t.Error("esc did not close the palette")
	}
}
