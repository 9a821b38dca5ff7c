// Package export writes a run folder's figures in forms other tools read:
// CSV for spreadsheets (per step from the history columns, per epoch from
// the log), PNG and SVG figures, one self-contained HTML page, and
// TensorBoard event files, and the files of TensorBoard's embedding
// projector. It reads run folders only through package runs.
//
// Files: report.go reads a run into what the others draw; csv.go,
// figures.go (gonum/plot), html.go and tensorboard.go write each form;
// projector.go writes embeddings the caller computed (maskdash embed);
// sweep.go a sweep's page and table from what the caller read of it
// (SweepReport: package sweep is not imported here).
package export
