// Package cpupeak measures what this CPU's cores can do at most in float32
// multiply-adds, so that `maskdash bench` can say what share of it a
// training step uses. It times a loop of independent FMAs on registers
// (written by ../asmgen with avo) on as many goroutines as the step uses;
// the number is this machine's, at its clock of the moment, not a figure
// from a data sheet.
package cpupeak
