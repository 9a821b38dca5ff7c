package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/models"
	"github.com/maskdash/maskdash/models/cpupeak"
	"github.com/maskdash/maskdash/training"
	"github.com/spf13/cobra"
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
	MiBPerImage float64 `json:"mib_per_image"` // peak ÷ batch, fixed costs included (the growth per image needs two batches: bench-vs-torch.sh --memory)
	Threads     int     `json:"threads"`
	BLAS        string  `json:"blas"`
	Kernels     string  `json:"kernels"` // how the elementwise loops run (models.KernelsName())
	// The step's work (models.Net.StepFLOPs) and, on the CPU, the share of
	// the cores' float32 peak it reaches (package cpupeak measures the
	// peak in the same process, on as many threads; 0 where unknown).
	GFLOPPerImage float64 `json:"gflop_per_image"`
	GFLOPPerS     float64 `json:"gflop_per_s"`
	PeakGFLOPPerS float64 `json:"peak_gflop_per_s,omitempty"`
	PeakUnit      string  `json:"peak_unit,omitempty"`
	PeakShare     float64 `json:"peak_share,omitempty"`
	// On a GPU: the precision and the device memory the net holds
	// (weights, activations, gradients, optimizer state, workspace).
	Precision string  `json:"precision,omitempty"`
	GPUMiB    float64 `json:"gpu_mib,omitempty"`
	// The timed steps' start and end (Unix milliseconds): a GPU's
	// utilisation sampled from outside is read over these alone
	// (scripts/gpu-check.sh), not over the set-up before them.
	TimedFromMs int64 `json:"timed_from_unix_ms"`
	TimedToMs   int64 `json:"timed_to_unix_ms"`
	// Upload: each step sends its batch to the GPU, as training does;
	// otherwise the batch stays there, as in torch_ref.py.
	Upload bool `json:"upload,omitempty"`
	// Pipeline: each step and its update were queued before the step
	// before's results were read (bench --pipeline).
	Pipeline bool `json:"pipeline,omitempty"`
	// GPUWaitPct is the share of the timed steps' wall time the host was
	// blocked waiting for the GPU (models.Net.GPUWaited, and the last
	// wait for the queue to drain). Near 100 the GPU sets the pace; well
	// below, the host's queueing of each step does, and the GPU idles
	// for part of it (what nvidia-smi's busy share then shows).
	GPUWaitPct *float64 `json:"gpu_wait_pct,omitempty"`
	// GPUQueuePct is the share of the timed steps' wall time the host
	// spent queueing the GPU's work (models.Net.GPUHostTime): with
	// gpu_wait_pct it accounts for the steps; the rest is the bench's
	// own loop. High with a GPU short of busy: the host's calls set the
	// pace (the log's "host time per step" says which).
	GPUQueuePct *float64 `json:"gpu_queue_pct,omitempty"`
}

// share adds the cores' measured float32 peak and the step's share of it.
func (r *benchResult) share(p cpupeak.Peak) {
	r.PeakGFLOPPerS, r.PeakUnit = p.FLOPs/1e9, p.Unit
	r.PeakShare = r.GFLOPPerS / r.PeakGFLOPPerS
}

// work is the text line's sentence on FLOPs and the peak.
func (r benchResult) work() string {
	s := fmt.Sprintf("%.3g GFLOP per image = %.0f GFLOP/s", r.GFLOPPerImage, r.GFLOPPerS)
	if r.PeakShare > 0 {
		s += fmt.Sprintf(", %.0f%% of the cores' measured float32 peak (%.0f GFLOP/s of %s on %d threads)", 100*r.PeakShare, r.PeakGFLOPPerS, r.PeakUnit, r.Threads)
	}
	return s
}

func (a *app) benchCmd() *cobra.Command {
	var model, img, device, engine, precision string
	var batch, steps int
	var upload, pipeline bool
	var seconds float64
	var asJSON bool
	cmd := &cobra.Command{Use: "bench", Short: "time the training step on random data (as bench/torch_ref.py)", Args: noArgs}
	f := cmd.Flags()
	f.StringVar(&model, "model", "cnn-s", "model name, or a comma-separated list")
	positiveInt(f, &batch, "batch", 32, "batch size")
	f.StringVar(&img, "img", "64x64", "input size WxH")
	countInt(f, &steps, "steps", 0, "steps to time (default: as many as fit in --seconds)")
	positiveFloat(f, &seconds, "seconds", 5, "time to measure each model")
	f.StringVar(&device, "device", "auto", "auto (the GPU when one answers in a GPU build), cpu or cuda")
	f.StringVar(&engine, "engine", "", engineHelp)
	f.StringVar(&precision, "precision", "fp32", precisionHelp)
	f.BoolVar(&asJSON, "json", false, "print one JSON object per model")
	f.BoolVar(&upload, "upload", false, "on a GPU, send the batch up every step as training does (default: it stays there, as in torch_ref.py)")
	f.BoolVar(&pipeline, "pipeline", false, "on a GPU, queue each step and its update before reading the step before's loss and logits (two steps in flight, as PyTorch's asynchronous steps; default: each step's results are read before the next is queued, as training does)")
	cmd.RunE = func(*cobra.Command, []string) error {
		w, h, err := training.ParseSize(img)
		if err != nil {
			return fmt.Errorf("--img %w", err)
		}
		dev, eng, err := models.DeviceFor(device, engine)
		if err != nil {
			return err
		}
		prec, err := models.ParsePrecision(precision)
		if err != nil {
			return fmt.Errorf("--precision: %w", err)
		}
		if pipeline && (upload || dev == models.DeviceCPU || !models.GPULossOnDevice()) {
			return fmt.Errorf("--pipeline needs a GPU, the batch held there (no --upload) and the loss on the GPU (MASKDASH_GPU_LOSS not 0)")
		}
		if dev == models.DeviceCPU && prec != models.PrecisionFP32 {
			fmt.Fprintln(a.errOut, "maskdash: note: "+models.CPUPrecisionNote(prec))
		}
		var peak cpupeak.Peak
		peakOK := false
		for _, name := range strings.Split(model, ",") {
			r, err := benchOne(name, benchSettings{dev: dev, engine: eng, prec: prec, upload: upload, pipeline: pipeline,
				batch: batch, w: w, h: h, steps: steps, seconds: seconds})
			if err != nil {
				return err
			}
			if dev == models.DeviceCPU {
				if !peakOK { // once, after the first model has warmed the cores up
					peak, peakOK = cpupeak.Measure(models.Workers(), 300*time.Millisecond)
				}
				if peakOK {
					r.share(peak)
				}
			}
			if asJSON {
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.out, string(b))
			} else {
				fmt.Fprintf(a.out, "%s batch %d %s: %.1f images/s, peak %.0f MiB resident, %d threads, BLAS %s, loops %s, %s ops on %s\n  %s\n",
					r.Model, r.Batch, r.Img, r.ImagesPerS, r.PeakMiB, r.Threads, r.BLAS, r.Kernels, r.Engine, r.Device, r.work())
				if r.GPUMiB > 0 {
					fmt.Fprintf(a.out, "  GPU: %s, %.0f MiB of device memory (%.2f MiB per image)", r.Precision, r.GPUMiB, r.GPUMiB/float64(r.Batch))
					if r.GPUWaitPct != nil && r.GPUQueuePct != nil {
						fmt.Fprintf(a.out, "; the host waited for it %.0f%% of the time and queued its work %.0f%%", *r.GPUWaitPct, *r.GPUQueuePct)
					}
					fmt.Fprintln(a.out)
				}
			}
		}
		return nil
	}
	return cmd
}

// benchOne times the real training step (forward, cross entropy, backward,
// Adam update) on random data, like bench/torch_ref.py.
// benchSettings is how bench times a model (its flags).
type benchSettings struct {
	dev              models.Device
	engine           string
	prec             models.Precision
	upload, pipeline bool
	batch, w, h      int
	steps            int     // steps to time (0: as many as fit in seconds)
	seconds          float64 // time to measure
}

func benchOne(name string, s benchSettings) (_ benchResult, err error) {
	dev, engine, prec, upload, batch, w, h, steps, seconds := s.dev, s.engine, s.prec, s.upload, s.batch, s.w, s.h, s.steps, s.seconds
	net, err := models.New(models.Spec{Name: name, Batch: batch, W: w, H: h, Seed: 1, Engine: engine, Device: dev, Precision: prec})
	if err != nil {
		return benchResult{}, err
	}
	defer func() {
		if cerr := net.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	opt, err := training.NewOptimizer(training.OptimConfig{Name: "adam", LR: 1e-3})
	if err != nil {
		return benchResult{}, err
	}
	loss, err := training.ParseLoss("ce")
	if err != nil {
		return benchResult{}, err
	}
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
	if net.OnGPU() && models.GPULossOnDevice() {
		net.SetDeviceLoss(loss.Device(labels, net.Spec.Heads()))
	}
	held := net.OnGPU() && !upload
	if held {
		if err := net.HoldBatch(x); err != nil {
			return benchResult{}, err
		}
	}
	pipeline, inFlight := net.OnGPU() && s.pipeline, false
	step := func() error {
		if pipeline {
			// This step and its update go into the queue before the
			// step before's results are read: the GPU has the next
			// step's work while the host reads them.
			if err := net.QueueTrainStepHeld(); err != nil {
				return err
			}
			if err := opt.StepNet(net); err != nil {
				return err
			}
			if inFlight {
				_, _, err := net.TrainResult()
				return err
			}
			inFlight = true
			return nil
		}
		var err error
		if held {
			_, _, err = net.TrainStepHeld()
		} else {
			_, _, err = net.TrainStep(x)
		}
		if err != nil {
			return err
		}
		return opt.StepNet(net)
	}
	// readLast reads the last queued step's results (a pipeline's).
	readLast := func() error {
		if !inFlight {
			return nil
		}
		inFlight = false
		_, _, err := net.TrainResult()
		return err
	}
	for range 3 {
		if err := step(); err != nil {
			return benchResult{}, err
		}
	}
	if err := errors.Join(readLast(), net.Wait()); err != nil {
		return benchResult{}, err
	}
	net.ResetGPUProfile()
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
	if err := readLast(); err != nil {
		return benchResult{}, err
	}
	drain := time.Now()
	if err := net.Wait(); err != nil {
		return benchResult{}, err
	}
	end := time.Now()
	dt := end.Sub(start).Seconds()
	var waitPct, queuePct *float64
	if net.OnGPU() {
		w := 100 * (net.GPUWaited() + end.Sub(drain)).Seconds() / dt
		q := 100 * net.GPUHostTime().Seconds() / dt
		waitPct, queuePct = &w, &q
	}
	if p := net.GPUProfile(); p != "" {
		fmt.Fprint(os.Stderr, p)
	}
	if p := net.GPUHostProfile(); p != "" {
		fmt.Fprint(os.Stderr, p)
	}
	peak := peakMiB()
	ips := float64(n*batch) / dt
	device := dev.String()
	if dev == models.DeviceCUDA && models.GPUEmulated {
		device = "cuda-emulated" // the GPU emulator's build: a CPU figure
	}
	return benchResult{GFLOPPerImage: net.StepFLOPs() / 1e9, GFLOPPerS: ips * net.StepFLOPs() / 1e9, Impl: "maskdash-gorgonia-v0.9.18", Model: name, Device: device, Engine: engine, Batch: batch, Img: fmt.Sprintf("%dx%d", w, h),
		ImagesPerS: ips, PeakMiB: peak, MiBPerImage: peak / float64(batch),
		Threads: models.Workers(), BLAS: models.BLASName(), Kernels: models.KernelsName(),
		Precision: gpuOnly(net.OnGPU(), prec.String()), GPUMiB: float64(net.DeviceBytes()) / (1 << 20), Upload: net.OnGPU() && upload, Pipeline: pipeline,
		TimedFromMs: start.UnixMilli(), TimedToMs: end.UnixMilli(), GPUWaitPct: waitPct, GPUQueuePct: queuePct}, nil
}

// peakMiB reads the process's peak resident memory (VmHWM).
func peakMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close() //nolint:errcheck // read-only: nothing to lose
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}

func gpuOnly(on bool, s string) string {
	if on {
		return s
	}
	return ""
}
