package ui

import (
	"context"

	"github.com/maskdash/maskdash/training"
)

// RunLocal shows the dashboard in this terminal while mgr trains.
func RunLocal(ctx context.Context, mgr *training.Manager) error {
	return mgr.Run(ctx)
}
