// Package sweep runs many trainings of one search space: a grid or random
// draws over train settings, K folds and seeds. A sweep is a folder in the
// runs folder holding sweep.json and one ordinary run folder per trial
// (t000, t001, …), so that every run tool works on a trial. Trials run on
// a Backend (this machine, or a Slurm cluster through sbatch --array);
// early-stopping rules (ASHA, the median rule) decide from the trials'
// per-epoch macro F1 in their folders, inside each trial's own process,
// so that a sweep needs no process watching it; in an adaptive search
// (search.go) each trial that ends proposes the next settings by TPE
// (tpe.go) from the finished trials' scores, under the sweep's lock
// (update.go), as a waiting process (monitor.go) does too.
// The package knows nothing of the dashboard.
package sweep
