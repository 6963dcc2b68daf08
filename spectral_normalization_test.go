package gokeras

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/hdf5"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// TestSpectralNormalizationFiles: a model with SpectralNormalization trains,
// keeps its weights (vector_u too) and predictions through every format,
// counts its weights as Keras's summary does, and lays the .keras weights
// out as saving_lib does for a wrapper: the wrapper's own variables (the
// kernel it tracks, then vector_u) in its vars, the wrapped layer's under
// layer/vars.
func TestSpectralNormalizationFiles(t *testing.T) {
	m := NewSequential(
		&nn.SpectralNormalization{Layer: &nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Activation: activation.ReLU, InputShape: tensor.Shape{6, 6, 1}}},
		&nn.Flatten{},
		&nn.SpectralNormalization{Layer: &nn.Dense{Units: 2, Activation: activation.Softmax}, PowerIterations: 2},
	)
	if err := m.Compile(loss.SparseCategoricalCrossentropy{}, &optim.Adam{LR: 0.01}, &metric.Accuracy{}); err != nil {
		t.Fatal(err)
	}
	x, y := randomImages(32, 2, tensor.Shape{6, 6, 1}, 3)
	if _, err := m.Fit(x, y, FitOptions{Epochs: 2, BatchSize: 8, Verbose: train.Silent}); err != nil {
		t.Fatal(err)
	}
	// 3·3·1·3 + 3 + (1, 3) = 33 and 48·2 + 2 + (1, 2) = 100, vector_u
	// non-trainable.
	var sb strings.Builder
	if err := m.Summary(&sb); err != nil {
		t.Fatal(err)
	}
	s := sb.String()
	for _, want := range []string{"│            33 │", "│           100 │", "Trainable params: 128", "Non-trainable params: 5 "} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	for _, name := range []string{"m.keras", "m.h5", "m.gkm"} {
		saveRoundTrip(t, m, x, name, func(*testing.T, string, *Sequential) {})
	}
	path := filepath.Join(t.TempDir(), "m.keras")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, w, size, err := openKerasZip(data)
	if err != nil {
		t.Fatal(err)
	}
	f, err := hdf5.Open(w, size)
	if err != nil {
		t.Fatal(err)
	}
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float32{}
	if err := root.Walk(func(p string, _ *hdf5.Group, d *hdf5.Dataset) error {
		if d != nil && strings.HasPrefix(strings.TrimPrefix(p, "/"), "layers/") {
			v, err := d.ReadFloat32()
			got[strings.TrimPrefix(p, "/")] = v
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ps := m.Net().Params()
	want := map[string][]float32{
		"layers/spectral_normalization/vars/0":         ps[0].Value.Data,
		"layers/spectral_normalization/vars/1":         ps[2].Value.Data,
		"layers/spectral_normalization/layer/vars/0":   ps[0].Value.Data,
		"layers/spectral_normalization/layer/vars/1":   ps[1].Value.Data,
		"layers/spectral_normalization_1/vars/0":       ps[3].Value.Data,
		"layers/spectral_normalization_1/vars/1":       ps[5].Value.Data,
		"layers/spectral_normalization_1/layer/vars/0": ps[3].Value.Data,
		"layers/spectral_normalization_1/layer/vars/1": ps[4].Value.Data,
	}
	if !reflect.DeepEqual(got, want) {
		var names []string
		for k := range got {
			names = append(names, k)
		}
		t.Errorf("model.weights.h5 holds %v", names)
	}
}
