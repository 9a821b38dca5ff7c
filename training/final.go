package training

import (
	"strconv"

	"github.com/maskdash/maskdash/runs"
)

// FinalSettings are a run's loss and learning rate after the changes
// made while it trained (run.json keeps the ones it started with, i.Loss
// and i.LR, and each change).
func FinalSettings(i runs.Info) (loss string, lr float64) {
	loss, lr = i.Loss, i.LR
	for _, c := range i.Changes {
		switch Setting(c.Setting) {
		case SettingLoss:
			loss = c.Value
		case SettingLR:
			if v, err := strconv.ParseFloat(c.Value, 64); err == nil {
				lr = v
			}
		default:
			// CutMix's and Mixup's changes are not the loss or the rate.
		}
	}
	return loss, lr
}
