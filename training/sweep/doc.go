// Package sweep runs many trainings of one search space: a grid or random
// draws over train settings, K folds and seeds. A sweep is a folder in the
// runs folder holding sweep.json and one ordinary run folder per trial
// (t000, t001, …), so that every run tool works on a trial. Trials run on
// a Backend (this machine, or a Slurm cluster through sbatch --array);
// early-stopping rules (ASHA, the median rule) decide from the trials'
// per-epoch macro F1 in their folders, inside each trial's own process,
// so that a sweep needs no process watching it, but for an adaptive search
// (search.go): TPE (tpe.go) proposes each next setting from the finished
// trials' scores, in the process that waits on the sweep (monitor.go).
// The package knows nothing of the dashboard.
package sweep
