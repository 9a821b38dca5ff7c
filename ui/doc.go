// Package ui is maskdash's Bubble Tea dashboard: live charts of a training
// run, the confusion matrix, the runs folder, and keys that steer the
// trainer. One Model serves one terminal or SSH session; it reads the
// trainer's events through a hub subscription and sends commands through a
// Controller (nil for read-only viewers).
//
// Files: model.go is the root model (routing, the session's state)
// and state.go a run's state built from its events; view.go draws the
// overview, confusion.go, runstable.go with runsview.go, sideview.go and
// overlay.go, system.go, errorsview.go and sweepview.go the other views;
// chart.go draws a chart, chartwin.go its window (zoom, cursor) and
// chartkeys.go and confusionkeys.go their keys; history.go reads the
// whole history (H); keys.go is the one keymap, styles.go the styles
// from the session's renderer, palette.go the command palette, config.go
// the saved preferences; local.go runs the dashboard in this terminal (on
// a run trained here, or one watched from its folder) and watch.go puts
// another run on screen from the runs view (w); parcoords.go draws the
// sweep view's parallel coordinates, slicechart.go its one-setting slices,
// importance.go the runs view's panel of what each setting accounted for,
// and text.go fits text to a width.
package ui
