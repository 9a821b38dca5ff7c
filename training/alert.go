package training

import "slices"

// Alert names a rule that fired. Each fires at most once per run, as an
// event of kind KindAlert (in the log, on every screen, and to the
// notifier: a command or an HTTP POST, see Notify).
type Alert string

// Alert rules.
const (
	AlertNonFinite Alert = "non-finite" // the loss became NaN or infinite (the run stops)
	AlertNoGain    Alert = "no-gain"    // macro F1 has not improved in Config.NoGainEpochs epochs
	AlertEarlyStop Alert = "early-stop" // stopped: no macro-F1 gain in Config.EarlyStop epochs
	AlertFinished  Alert = "finished"   // the run ended: done, stopped or failed
	AlertStalled   Alert = "stalled"    // the run folder cannot be written
	AlertGPUMemory Alert = "gpu-memory" // the GPU's memory in use passed Config.AlertGPUMiB
	AlertCrashed   Alert = "crashed"    // another run's writer died (WatchCrashes)
	AlertLayers    Alert = "layers"     // a tensor got no gradient, a non-finite norm, or moved too fast, at LayerAlertAfter measures in a row
)

// alert reports a rule once per run.
func (t *Trainer) alert(a Alert, msg string) {
	if t.alerted == nil {
		t.alerted = map[Alert]bool{}
	}
	if t.alerted[a] {
		return
	}
	t.alerted[a] = true
	t.emit(Event{Kind: KindAlert, Alert: a, Msg: msg})
}

// Troubled reports whether a run's alerts (runs.Info.Alerts) say its
// training went wrong (a dead or runaway layer, a loss gone NaN), as
// opposed to a rule it was given (no gain, early stop): the runs tables
// mark its status with "!".
func Troubled(alerts []string) bool {
	return slices.Contains(alerts, string(AlertLayers)) || slices.Contains(alerts, string(AlertNonFinite))
}
