package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the dashboard.
type KeyMap struct {
	Pause      key.Binding
	Checkpoint key.Binding
	Predict    key.Binding
	LRUp       key.Binding
	LRDown     key.Binding
	LRSet      key.Binding
	Loss       key.Binding
	Mixing     key.Binding // CutMix's or Mixup's setting, or off
	NewRun     key.Binding
	NextView   key.Binding
	Overview   key.Binding
	Confusion  key.Binding
	Runs       key.Binding
	System     key.Binding
	Layers     key.Binding
	Spread     key.Binding // layers view: the chart shows the weights' spread, not the update ratio
	Left       key.Binding
	Right      key.Binding
	Up         key.Binding
	Down       key.Binding
	Select     key.Binding
	Percent    key.Binding
	History    key.Binding
	Smooth     key.Binding
	Errors     key.Binding // confusion view: pick a cell to see its images
	FlagLabel  key.Binding // the cell's images: the selected image's label is wrong
	ClassMap   key.Binding // the cell's images: their class activation maps (predicted class, true class, off); the pane's head names it (the help is full at 80×24)
	Offsets    key.Binding // confusion view: class offsets for macro F1 on the best epoch
	AP         key.Binding // confusion view: each class's average precision
	EpochPrev  key.Binding
	EpochNext  key.Binding
	Back       key.Binding
	Watch      key.Binding // runs view: put a run on screen and steer it through its folder
	XAxis      key.Binding // overview: the step charts
	LogY       key.Binding
	ZoomIn     key.Binding
	ZoomOut    key.Binding
	CursorL    key.Binding
	CursorR    key.Binding
	Filter     key.Binding // runs view
	SortNext   key.Binding
	SortFlip   key.Binding
	Group      key.Binding
	Importance key.Binding // runs view: what each setting accounted for in the shown runs
	Tree       key.Binding
	Compare    key.Binding
	Overlay    key.Binding // runs view: which metric the picked runs overlay
	Archive    key.Binding
	Delete     key.Binding
	Undo       key.Binding
	Note       key.Binding // runs view: write the note of the run under the cursor
	Ensemble   key.Binding // runs view: soft vote of the picked runs
	PickShown  key.Binding // runs view: pick every run the filter shows (again: drop them)
	Projector  key.Binding // confusion view: the validation images in the features' space (P cycles the labels, then closes)
	Help       key.Binding
	Palette    key.Binding
	Quit       key.Binding
	Apply      key.Binding // in a prompt: apply what was typed
	Cancel     key.Binding // in a prompt: close it
}

// DefaultKeyMap returns the bindings for an operator.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Pause:      key.NewBinding(key.WithKeys(" ", "p"), key.WithHelp("space", "pause/resume")),
		Checkpoint: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "checkpoint")),
		Predict:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "predict now")),
		LRUp:       key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "lr ×2")),
		LRDown:     key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "lr ÷2")),
		LRSet:      key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "type lr")),
		Loss:       key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "choose loss")),
		Mixing:     key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "cutmix/mixup")),
		NewRun:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "child run")),
		NextView:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next view")),
		Overview:   key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "overview")),
		Confusion:  key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "confusion")),
		Runs:       key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "runs")),
		System:     key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "system")),
		Layers:     key.NewBinding(key.WithKeys("5"), key.WithHelp("5", "layers")),
		Spread:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "weights' spread")),
		Left:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "epoch")),
		Right:      key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "next epoch")),
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "move")),
		Select:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "select run")),
		Percent:    key.NewBinding(key.WithKeys("%"), key.WithHelp("%", "counts/%")),
		History:    key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "all history")),
		Smooth:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "smoothing")),
		Errors:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "cell images")),
		FlagLabel:  key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "flag wrong label")),
		ClassMap:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "class maps (cell)")),
		Offsets:    key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "class offsets")),
		AP:         key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "average precision")),
		EpochPrev:  key.NewBinding(key.WithKeys("["), key.WithHelp("[/]", "epoch (cell)")),
		EpochNext:  key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next epoch")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Watch:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watch & steer run")),
		XAxis:      key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "x axis")),
		LogY:       key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "log y")),
		ZoomIn:     key.NewBinding(key.WithKeys("z"), key.WithHelp("z/Z", "zoom (wheel)")),
		ZoomOut:    key.NewBinding(key.WithKeys("Z"), key.WithHelp("Z", "zoom out")),
		CursorL:    key.NewBinding(key.WithKeys(","), key.WithHelp(",/.", "cursor (click)")),
		CursorR:    key.NewBinding(key.WithKeys("."), key.WithHelp(".", "cursor right")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter runs")),
		SortNext:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o/O", "sort")),
		SortFlip:   key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "sort order")),
		Group:      key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "group runs")),
		Importance: key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "what settings did")),
		Tree:       key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "lineage tree")),
		Compare:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "side by side")),
		Overlay:    key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "overlaid metric")),
		Archive:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "archive run")),
		Delete:     key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete run")),
		Undo:       key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo")),
		Note:       key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "note on run")),
		Ensemble:   key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "ensemble picked")),
		PickShown:  key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "pick all shown")),
		Projector:  key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "projector")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Palette:    key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command palette")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Apply:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel:     key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel")),
	}
}

// ReadOnly returns the keymap of a viewer: every control key disabled (and
// shown as such in the help), those that change the runs folder too.
func (k KeyMap) ReadOnly() KeyMap {
	for _, b := range k.controls() {
		b.SetEnabled(false)
	}
	return k
}

// controls are the bindings that steer a run or change the runs folder.
func (k *KeyMap) controls() []*key.Binding {
	return []*key.Binding{&k.Pause, &k.Checkpoint, &k.Predict, &k.LRUp, &k.LRDown, &k.LRSet, &k.Loss, &k.Mixing, &k.NewRun,
		&k.Archive, &k.Delete, &k.Undo, &k.Note, &k.FlagLabel, &k.Ensemble}
}

// Controls lists the control bindings (for the "viewer" notice).
func (k KeyMap) Controls() []key.Binding {
	var out []key.Binding
	for _, b := range k.controls() {
		out = append(out, *b)
	}
	return out
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return k.ShortHelps(false, false)[0] }

// ShortHelps lists the one-line helps from the fullest to the shortest;
// the view shows the first that fits. Each ends with ? and q. Once the
// run has ended the line offers what still works on it (predicting with
// its weights, a child run, the runs table) instead of the controls of a
// run in progress, which only answer that it has finished; of a run
// watched from its folder (remote) nothing but the views works then.
func (k KeyMap) ShortHelps(ended, remote bool) [][]key.Binding {
	if ended && remote {
		return [][]key.Binding{{k.Runs, k.NextView, k.Help, k.Quit}, {k.Help, k.Palette, k.Quit}}
	}
	if ended {
		return [][]key.Binding{
			{k.Predict, k.NewRun, k.Runs, k.NextView, k.Help, k.Quit},
			{k.Predict, k.NewRun, k.Help, k.Quit},
			{k.Help, k.Palette, k.Quit},
		}
	}
	return [][]key.Binding{
		{k.Pause, k.Checkpoint, k.Predict, k.LRUp, k.LRDown, k.NextView, k.Help, k.Quit},
		{k.Pause, k.Checkpoint, k.Predict, k.NextView, k.Help, k.Quit},
		{k.Pause, k.Checkpoint, k.Help, k.Quit},
		{k.Help, k.Palette, k.Quit},
	}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Pause, k.Checkpoint, k.Predict, k.NewRun, k.LRUp, k.LRDown, k.LRSet, k.Loss, k.Mixing, k.Watch},
		{k.NextView, k.Overview, k.Confusion, k.Runs, k.System, k.Layers, k.Spread},
		{k.History, k.Smooth, k.XAxis, k.LogY, k.ZoomIn, k.CursorL, k.Left, k.Up, k.Select, k.Percent, k.Offsets, k.AP, k.Projector, k.Errors, k.EpochPrev, k.FlagLabel, k.Back},
		{k.Filter, k.PickShown, k.SortNext, k.Group, k.Importance, k.Tree, k.Compare, k.Overlay, k.Ensemble, k.Archive, k.Delete, k.Undo, k.Note},
		{k.Help, k.Palette, k.Quit},
	}
}
