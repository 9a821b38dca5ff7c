// Package export writes a run folder's figures in forms other tools read:
// CSV for spreadsheets (per step from the history columns, per epoch from
// the log). It reads run folders only through package runs.
package export
