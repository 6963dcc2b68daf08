package gokeras

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// fuzzModelBytes is a small saved, compiled model: the seed the fuzzer
// mutates into truncated, resized and corrupted files.
func fuzzModelBytes(f *testing.F) []byte {
	m := NewSequential(
		&nn.InputLayer{Shape: tensor.Shape{4, 4, 1}},
		&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}},
		&nn.Flatten{},
		&nn.Dense{Units: 3},
	)
	m.Classes = []string{"a", "b", "c"}
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam"); err != nil {
		f.Fatal(err)
	}
	if err := m.Build(); err != nil {
		f.Fatal(err)
	}
	p := filepath.Join(f.TempDir(), "m.safetensors")
	if err := m.Save(p); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzLoad feeds arbitrary bytes to Load's decoder. It must not panic;
// an error wraps ErrBadModelFile and is one line; a model it accepts holds
// only finite weights, no more of them than the file has bytes for.
func FuzzLoad(f *testing.F) {
	good := fuzzModelBytes(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(bytes.Replace(good, []byte(`\"units\": 3`), []byte(`\"units\": 20000000`), 1))
	f.Add(bytes.Replace(good, []byte(`\"filters\": 2`), []byte(`\"filters\": 0`), 1))
	f.Add(bytes.Replace(good, []byte(`[\"a\",\"b\",\"c\"]`), []byte(`[\"a\"]`), 1))
	nan := bytes.Clone(good)
	binary.LittleEndian.PutUint32(nan[len(nan)-4:], math.Float32bits(float32(math.NaN())))
	f.Add(nan)
	f.Add([]byte{})
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":{}}        "))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeModel(data)
		if err != nil {
			if m != nil {
				t.Fatalf("a model and an error: %v", err)
			}
			if !errors.Is(err, ErrBadModelFile) {
				t.Fatalf("error does not wrap ErrBadModelFile: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			return
		}
		n := 0
		for _, p := range m.net.Params() {
			n += len(p.Value.Data)
			for _, v := range p.Value.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("accepted a non-finite weight in %s", p.Name)
				}
			}
		}
		if 4*n > len(data) {
			t.Fatalf("accepted %d weights from a %d-byte file", n, len(data))
		}
		if k := len(m.Classes); k > 0 && k != m.net.OutputShape().Size() && !(k == 2 && m.net.OutputShape().Size() == 1) {
			t.Fatalf("accepted %d classes for %v outputs", k, m.net.OutputShape())
		}
	})
}

// FuzzParseModelJSON feeds arbitrary JSON to ParseModelJSON, with
// MaxParams lowered to a million. It must not panic; errors are one line;
// a model it accepts builds (when its input is declared) within MaxParams.
func FuzzParseModelJSON(f *testing.F) {
	for _, name := range PresetNames() {
		p, _ := LookupPreset(name)
		m, err := p.Model()
		if err != nil {
			f.Fatal(err)
		}
		js, err := m.ToJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js)
	}
	layers := `"config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
		{"class_name": "Conv2D", "config": {"filters": 4, "kernel_size": 3}},
		{"class_name": "MaxPooling2D", "config": {"pool_size": [2, 2]}},
		{"class_name": "Reshape", "config": {"target_shape": [-1]}},
		{"class_name": "Dense", "config": {"units": 3000000000}}]}`
	f.Add([]byte(`{"class_name": "Sequential", ` + layers + `}`))
	f.Add([]byte(`{"class_name": "Sequential", ` + layers + `, "fit_config": {"epochs": -3, "batch_size": 0}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "MaxPooling2D", "config": {"pool_size": [0, 0]}}]}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 2, "batch_shape": [null, 3]}}]},
		"compile_config": {"loss": "mse", "optimizer": {"class_name": "SGD", "config": {"learning_rate":
		{"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 0}}}}}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 9, 7, 2]}},
		{"class_name": "AdaptiveMaxPooling2D", "config": {"output_size": [100000, 100000]}},
		{"class_name": "RMSNormalization", "config": {"epsilon": 0}},
		{"class_name": "Reshape", "config": {"target_shape": [-1, 2]}},
		{"class_name": "AdaptiveAveragePooling1D", "config": {"output_size": [3]}}]}}`))
	// The augmentation layers, losses and optimizers of 2026-12-07, with
	// hostile values next to good ones.
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 9, 7, 3]}},
		{"class_name": "RandomGaussianBlur", "config": {"kernel_size": 101, "sigma": [0.1, 1e9]}},
		{"class_name": "Equalization", "config": {"bins": 65536, "value_range": [0, 1e-30]}},
		{"class_name": "RandomPerspective", "config": {"scale": 1, "fill_value": -1e38}},
		{"class_name": "RandomShear", "config": {"x_factor": [-1, 1], "fill_mode": "wrap"}},
		{"class_name": "Solarization", "config": {"addition_factor": 1, "threshold_factor": [0, 1]}},
		{"class_name": "RandomPosterization", "config": {"factor": [0, 8]}},
		{"class_name": "RandomGrayscale", "config": {"factor": 1}},
		{"class_name": "RandomColorDegeneration", "config": {"factor": 1}},
		{"class_name": "RandomSharpness", "config": {"factor": [0, 1]}},
		{"class_name": "RandomInvert", "config": {"factor": 1}},
		{"class_name": "AutoContrast", "config": {"value_range": [0, 1]}}]},
		"compile_config": {"loss": {"class_name": "Circle", "config": {"gamma": 1e308, "margin": -5}},
		"optimizer": {"class_name": "Muon", "config": {"ns_steps": 2000000000, "exclude_layers": ["("]}}}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 1]}},
		{"class_name": "Flatten", "config": {}}, {"class_name": "Dense", "config": {"units": 2}}]},
		"compile_config": {"loss": {"class_name": "IoU", "config": {"axis": [1, 1]}},
		"optimizer": {"class_name": "ScheduleFreeSGD", "config": {"warmup_steps": -3, "beta_1": 1}}}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}},
		{"class_name": "Dense", "config": {"units": 2}}]}, "compile_config": {"loss": "mse",
		"optimizer": {"class_name": "MultiOptimizer", "config": {"optimizer_map": {"class_name": "OptimizerMap", "config": {
		"default_optimizer": {"class_name": "MultiOptimizer", "config": {}},
		"optimizer_map": {"(": "adam", "dense/.*": {"class_name": "SGD", "config": {"momentum": -1}}, "x": 7}}}}}}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 1]}},
		{"class_name": "SpectralNormalization", "config": {"power_iterations": 1000000000, "layer": {"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3}}}},
		{"class_name": "SpectralNormalization", "config": {"layer": {"class_name": "SpectralNormalization", "config": {"layer": {"class_name": "Flatten", "config": {}}}}}},
		{"class_name": "RandAugment", "config": {"num_ops": 1000000, "factor": [0.9, 0.1], "value_range": [5, 5]}},
		{"class_name": "RandAugment", "config": {"num_ops": 11, "factor": 1, "interpolation": "nearest"}},
		{"class_name": "SpectralNormalization", "config": {"layer": {"class_name": "Dense", "config": {"units": 2}}}}]},
		"compile_config": {"loss": "mse", "optimizer": "sgd"}}`))
	f.Add([]byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}},
		{"class_name": "Discretization", "config": {"num_bins": 1000000000, "epsilon": 1e-300, "output_mode": "count"}},
		{"class_name": "Discretization", "config": {"bin_boundaries": [3, 1, null], "output_mode": "one_hot"}},
		{"class_name": "CategoryEncoding", "config": {"num_tokens": 4294967296, "output_mode": "one_hot"}},
		{"class_name": "CategoryEncoding", "config": {"num_tokens": -1, "output_mode": "tf_idf"}},
		{"class_name": "IntegerLookup", "config": {"vocabulary": [1, 1, 1e300], "num_oov_indices": 1e12, "max_tokens": -3, "output_mode": "tf_idf", "idf_weights": [1]}},
		{"class_name": "IntegerLookup", "config": {"vocabulary": [], "mask_token": 1.5, "pad_to_max_tokens": true, "invert": true}},
		{"class_name": "Hashing", "config": {"num_bins": 1e300, "salt": [1e30, -1], "mask_value": "x", "output_mode": "one_hot"}},
		{"class_name": "HashedCrossing", "config": {"num_bins": -4, "output_mode": "count"}},
		{"class_name": "Embedding", "config": {"input_dim": 4611686018427387904, "output_dim": 4611686018427387904, "mask_zero": true}},
		{"class_name": "EinsumDense", "config": {"equation": "aaaa,aa->aa", "output_shape": [1e12, null], "bias_axes": "zz"}},
		{"class_name": "EinsumDense", "config": {"equation": "...b,bc->...c", "output_shape": 4611686018427387904}}]},
		"compile_config": {"loss": "mse", "optimizer": "sgd"}}`))
	defer func(old int) { MaxParams = old }(MaxParams)
	MaxParams = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseModelJSON(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			return
		}
		if spec.Fit != nil && (spec.Fit.Epochs < 0 || spec.Fit.BatchSize < 0) {
			t.Fatalf("accepted fit_config %+v", *spec.Fit)
		}
		if spec.Model.net.DeclaredInputShape() == nil {
			return
		}
		if err := spec.Model.Build(); err != nil {
			return
		}
		if total, _, _ := spec.Model.net.CountParams(); total > MaxParams {
			t.Fatalf("built %d weights, more than MaxParams %d", total, MaxParams)
		}
	})
}
