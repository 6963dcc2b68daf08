package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

func init() {
	register(command{"bench", "measure training and inference speed of a preset on synthetic data", runBench})
}

// benchResult is what bench prints, and writes with --json.
type benchResult struct {
	Model            string  `json:"model"`
	Kernel           string  `json:"gemm_kernel"`
	Threads          int     `json:"threads"`
	BatchSize        int     `json:"batch_size"`
	EvalBatchSize    int     `json:"eval_batch_size"`
	Steps            int     `json:"steps"`
	TrainSamplesPerS float64 `json:"train_samples_per_s"`
	EpochSamples     int     `json:"epoch_samples"`
	SecondsPerEpoch  float64 `json:"seconds_per_epoch"`
	TrainGFLOPs      float64 `json:"train_gflop_per_s"`
	EvalSamplesPerS  float64 `json:"eval_samples_per_s"`
	PeakRSSMiB       float64 `json:"peak_rss_mib"`
	MFLOPPerSample   float64 `json:"train_mflop_per_sample"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stdout)
	modelFlag := fs.String("model", "cifar10-cnn", "a preset name or a model JSON file")
	batch := countVar(fs, "batch-size", 0, "batch size (default: the preset's)")
	evalBatch := countVar(fs, "eval-batch-size", 256, "batch size of the timed evaluate (Keras's evaluate defaults to 32, slower here)")
	steps := countVar(fs, "steps", 20, "training steps to time (after 2 warm-up steps)")
	threads := fs.Int("threads", 0, "worker threads (default: all cores)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed steps to this file (go tool pprof)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads) // the kernels follow it
	}
	src, err := loadModelSource(*modelFlag)
	if err != nil {
		return err
	}
	m := src.model
	m.Seed = 1
	if err := m.Build(); err != nil {
		return err
	}
	if ins, outs := m.InputNames(), m.OutputNames(); len(ins) != 1 || len(outs) != 1 {
		return fmt.Errorf("bench times models with one input and one output; this one has %d inputs and %d outputs", len(ins), len(outs))
	}
	bs := firstPositive(*batch, src.fit.BatchSize, 32)
	in := m.Net().InputShape()
	out := m.Net().OutputShape()
	classes := out[len(out)-1]
	// Synthetic data of the model's shape: uniform pixels, random labels.
	n := bs * (*steps)
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(append(tensor.Shape{n}, in...)...)
	for i := range x.Data {
		x.Data[i] = r.Float32()
	}
	y := tensor.New(n)
	if m.Loss().Name() == "sparse_categorical_crossentropy" {
		for i := range y.Data {
			y.Data[i] = float32(r.IntN(classes))
		}
	} else {
		y = tensor.New(append(tensor.Shape{n}, out...)...)
	}
	quiet := gokeras.FitOptions{Epochs: 1, BatchSize: bs, Verbose: train.Silent, NoShuffle: true}
	warm := min(2*bs, n)
	if _, err := m.Fit(x.Slice(0, warm), y.Slice(0, warm), quiet); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	quiet.Epochs = 2 // the model has done epoch 1 (warm-up)
	if _, err := m.Fit(x, y, quiet); err != nil {
		return err
	}
	trainSecs := time.Since(start).Seconds()
	start = time.Now()
	if _, err := m.Evaluate(x, y, *evalBatch); err != nil {
		return err
	}
	evalSecs := time.Since(start).Seconds()

	res := benchResult{
		Model:     src.name,
		Kernel:    kernel.GemmKernelName(),
		Threads:   kernel.Threads(),
		BatchSize: bs, EvalBatchSize: *evalBatch,
		Steps: *steps,
	}
	res.TrainSamplesPerS = float64(n) / trainSecs
	res.EvalSamplesPerS = float64(n) / evalSecs
	res.EpochSamples = 50000
	if src.dataset != "" {
		if info, err := dataset.Lookup(src.dataset); err == nil && info.TrainSize > 0 {
			res.EpochSamples = info.TrainSize
		}
	}
	res.SecondsPerEpoch = float64(res.EpochSamples) / res.TrainSamplesPerS
	res.MFLOPPerSample = 3 * float64(m.FLOPs()) / 1e6
	res.TrainGFLOPs = res.TrainSamplesPerS * res.MFLOPPerSample / 1e3
	res.PeakRSSMiB = peakRSSMiB()
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "model %s, batch %d, %d steps, %d threads, gemm %s\n", res.Model, bs, *steps, res.Threads, res.Kernel)
	fmt.Fprintf(stdout, "train: %.0f samples/s, %.1f s per %d-sample epoch, %.1f GFLOP/s (%.1f MFLOP per sample)\n",
		res.TrainSamplesPerS, res.SecondsPerEpoch, res.EpochSamples, res.TrainGFLOPs, res.MFLOPPerSample)
	fmt.Fprintf(stdout, "evaluate: %.0f samples/s (batch %d)\n", res.EvalSamplesPerS, res.EvalBatchSize)
	if res.PeakRSSMiB > 0 {
		fmt.Fprintf(stdout, "peak RSS: %.0f MiB\n", res.PeakRSSMiB)
	}
	return nil
}

// peakRSSMiB reads the process's high-water resident set size from
// /proc/self/status (Linux); 0 elsewhere.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
