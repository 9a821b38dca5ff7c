package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/training"
)

// benchResult has torch_ref.py's fields plus memory and the BLAS used.
type benchResult struct {
	Impl        string  `json:"impl"`
	Model       string  `json:"model"`
	Device      string  `json:"device"`
	Engine      string  `json:"engine"` // own or gorgonia (see models.EngineGorgonia)
	Batch       int     `json:"batch"`
	Img         string  `json:"img"`
	ImagesPerS  float64 `json:"images_per_s"`
	PeakMiB     float64 `json:"peak_mib"`
	MiBPerImage float64 `json:"mib_per_image"`
	Threads     int     `json:"threads"`
	BLAS        string  `json:"blas"`
}

func cmdBench(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	model := fs.String("model", "cnn-s", "model name, or a comma-separated list")
	batch := fs.Int("batch", 32, "batch size")
	img := fs.String("img", "64x64", "input size WxH")
	steps := fs.Int("steps", 0, "steps to time (default: as many as fit in --seconds)")
	seconds := fs.Float64("seconds", 5, "time to measure each model")
	device := fs.String("device", "cpu", "cpu or cuda")
	engine := fs.String("engine", "", engineHelp)
	asJSON := fs.Bool("json", false, "print one JSON object per model")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w, h, err := training.ParseSize(*img)
	if err != nil {
		return err
	}
	eng, err := models.EngineFor(*device)
	if err != nil {
		return err
	}
	if *engine != "" {
		eng = *engine
	}
	for _, name := range strings.Split(*model, ",") {
		r, err := benchOne(name, *device, eng, *batch, w, h, *steps, *seconds)
		if err != nil {
			return err
		}
		if *asJSON {
			b, _ := json.Marshal(r)
			fmt.Fprintln(out, string(b))
		} else {
			fmt.Fprintf(out, "%s batch %d %s: %.1f images/s, peak %.0f MiB (%.2f MiB per image), %d threads, BLAS %s, %s ops on %s\n",
				r.Model, r.Batch, r.Img, r.ImagesPerS, r.PeakMiB, r.MiBPerImage, r.Threads, r.BLAS, r.Engine, r.Device)
		}
	}
	return nil
}

// engineHelp is the --engine flag's help, for train, serve and bench.
const engineHelp = "ops to build the network from: own (this project's CPU ops) or gorgonia (Gorgonia's own ops, what a GPU build runs; slow on the CPU); default: the device's"

// benchOne times the real training step (forward, cross entropy, backward,
// Adam update) on random data, like bench/torch_ref.py.
func benchOne(name, device, engine string, batch, w, h, steps int, seconds float64) (benchResult, error) {
	net, err := models.New(models.Spec{Name: name, Batch: batch, W: w, H: h, Seed: 1, Engine: engine})
	if err != nil {
		return benchResult{}, err
	}
	opt, _ := training.NewOptimizer(training.OptimConfig{Name: "adam", LR: 1e-3})
	loss, _ := training.ParseLoss("ce")
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*3*w*h)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = r.IntN(18)
	}
	net.SetLoss(loss.Func(labels, net.Spec.Heads()))
	step := func() error {
		if _, _, err := net.TrainStep(x); err != nil {
			return err
		}
		opt.Step(net.Params())
		return nil
	}
	for range 3 {
		if err := step(); err != nil {
			return benchResult{}, err
		}
	}
	n := 0
	start := time.Now()
	for {
		if err := step(); err != nil {
			return benchResult{}, err
		}
		n++
		if steps > 0 && n >= steps || steps <= 0 && time.Since(start).Seconds() >= seconds {
			break
		}
	}
	dt := time.Since(start).Seconds()
	peak := peakMiB()
	return benchResult{Impl: "maskdash-gorgonia-v0.9.18", Model: name, Device: device, Engine: engine, Batch: batch, Img: fmt.Sprintf("%dx%d", w, h),
		ImagesPerS: float64(n*batch) / dt, PeakMiB: peak, MiBPerImage: peak / float64(batch),
		Threads: models.Workers(), BLAS: models.BLASName}, nil
}

// peakMiB reads the process's peak resident memory (VmHWM).
func peakMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
