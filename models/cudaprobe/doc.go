// Package cudaprobe says whether a GPU answers, and makes a cuda build
// start on a machine without one: gorgonia.org/cu exits the process in
// its package init when the CUDA driver does not start, and this package
// (in a cuda build) defines the driver's cuInit first, so that the failure
// is remembered instead and the binary trains on the CPU.
package cudaprobe
