// Package runs keeps training runs on disk: one folder per run with its
// config (run.json), its event log (metrics.jsonl), a columnar history of
// step metrics for fast charts, checkpoints and predictions. It lists and
// compares runs and tells a live run from one whose writer died. It imports
// only the standard library.
//
// Files: store.go is the runs folder (create, open, list, resolve a
// reference) and run.json's Info; run.go is one run being written (its
// log, history and folders); history.go the columnar step history and
// stepaxis.go several runs' step curves on one axis;
// control.go the control files another process steers a run through;
// scores.go per-class precision, recall and F1 from a confusion matrix;
// valpreds.go each epoch's validation predictions (what ensembles and the
// errors view read); note.go a run's note (note.txt, its owner's words);
// offsets.go the class offsets maskdash calibrate fitted (class-offsets.json);
// filter.go the filter words the runs table and maskdash runs take;
// importance.go what each setting accounts for in a set of runs' scores.
// Exports are subpackage export.
package runs
