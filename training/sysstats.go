package training

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// sysSampler measures the process between two step events: CPU time used
// (as cores busy), resident memory, and how the data loader kept up.
type sysSampler struct {
	last     time.Time
	lastCPU  time.Duration
	waited   time.Duration // time the training loop waited for a batch
	fill     float64       // sum of the loader queue's fill at each batch
	fillN    int
	pageSize int
}

// SysStats are a step event's figures about the machine.
type SysStats struct {
	CPU      float64 `json:"cpu,omitempty"`       // cores busy with this process (1.5 = 150%)
	RSS      float64 `json:"rss_mib,omitempty"`   // resident memory, MiB
	Queue    float64 `json:"queue,omitempty"`     // loader queue fill when a batch was taken, 0–1
	DataWait float64 `json:"data_wait,omitempty"` // share of the time spent waiting for batches, 0–1
	GPUUtil  float64 `json:"gpu_util,omitempty"`  // GPU utilisation, percent (cuda runs)
}

func newSysSampler() *sysSampler {
	return &sysSampler{last: time.Now(), lastCPU: cpuTime(), pageSize: os.Getpagesize()}
}

// batch notes one batch taken from the loader: how long the loop waited
// for it and how full the queue was.
func (s *sysSampler) batch(wait time.Duration, fill float64) {
	s.waited += wait
	s.fill += fill
	s.fillN++
}

// sample returns the figures since the last sample and starts anew.
func (s *sysSampler) sample() SysStats {
	now, cpu := time.Now(), cpuTime()
	wall := now.Sub(s.last)
	var st SysStats
	if wall > 0 {
		st.CPU = float64(cpu-s.lastCPU) / float64(wall)
		st.DataWait = min(1, float64(s.waited)/float64(wall))
	}
	if s.fillN > 0 {
		st.Queue = s.fill / float64(s.fillN)
	}
	st.RSS = s.rssMiB()
	s.last, s.lastCPU, s.waited, s.fill, s.fillN = now, cpu, 0, 0, 0
	return st
}

// rssMiB reads the resident set from /proc/self/statm (Linux); elsewhere
// it is 0 and the dashboard leaves it out.
func (s *sysSampler) rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return 0
	}
	return pages * float64(s.pageSize) / (1 << 20)
}
