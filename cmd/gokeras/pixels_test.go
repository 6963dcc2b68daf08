package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TestPixelRangeKerasHabit trains the Keras tutorials' way: images in
// [0, 255] (--pixel-range 255, as image_dataset_from_directory yields
// them) into a model that starts with Rescaling(1/255); evaluate with the
// same flag, or without it (the model records the range), reproduces the
// test line; a flag that disagrees with the model is an error.
func TestPixelRangeKerasHabit(t *testing.T) {
	root := t.TempDir()
	for _, part := range []string{"train", "test"} {
		for ci, class := range []string{"dark", "light"} {
			d := filepath.Join(root, part, class)
			os.MkdirAll(d, 0o755)
			for i := range 10 {
				img := image.NewGray(image.Rect(0, 0, 6, 6))
				for p := range img.Pix {
					img.Pix[p] = uint8(30 + 150*ci + (p*7+i*13)%60)
				}
				f, _ := os.Create(filepath.Join(d, fmt.Sprintf("%02d.png", i)))
				png.Encode(f, img)
				f.Close()
			}
		}
	}
	spec := `{"class_name": "Sequential", "config": {"layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 6, 6, 1]}},
  {"class_name": "Rescaling", "config": {"name": "rescaling", "scale": 0.00392156862745098, "offset": 0.0}},
  {"class_name": "Flatten", "config": {}},
  {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]},
 "compile_config": {"loss": "sparse_categorical_crossentropy", "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}}, "metrics": ["accuracy"]}}`
	dir := t.TempDir()
	file, model := filepath.Join(dir, "m.json"), filepath.Join(dir, "m.safetensors")
	os.WriteFile(file, []byte(spec), 0o644)
	out, errOut, code := runCLI(t, "train", "--model", file, "--image-dir", root, "--pixel-range", "255", "--epochs", "40", "--verbose", "0", "--save", model)
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	m := testAccRE.FindStringSubmatch(out)
	if m == nil || m[2] != "1.0000" {
		t.Fatalf("train printed %q; want test_accuracy 1.0000 on bright vs dark", out)
	}
	out2, errOut, code := runCLI(t, "evaluate", "--load", model, "--dataset", root, "--pixel-range", "255")
	if code != 0 || !strings.HasPrefix(out2, m[0]+"\n") {
		t.Errorf("evaluate exited %d printing %q (%s); train printed %q", code, out2, errOut, m[0])
	}
	out3, errOut, code := runCLI(t, "evaluate", "--load", model, "--dataset", root)
	if code != 0 || !strings.HasPrefix(out3, m[0]+"\n") {
		t.Errorf("evaluate without --pixel-range exited %d printing %q (%s); train printed %q", code, out3, errOut, m[0])
	}
	// In [0, 1] the model would see inputs 255 times too small.
	_, errOut, code = runCLI(t, "evaluate", "--load", model, "--dataset", root, "--pixel-range", "1")
	if code == 0 || !strings.Contains(errOut, "the model was trained on pixels in [0, 255], but --pixel-range 1") {
		t.Errorf("evaluate --pixel-range 1 of a 255 model: exit %d, %q", code, errOut)
	}
}

// TestPredictPixelRange: predict reads an 8-bit pixel v as v/255, or as v
// for a model trained with --pixel-range 255 (recorded in the file). The
// model averages the four pixels of a 2x2 image.
func TestPredictPixelRange(t *testing.T) {
	dir := t.TempDir()
	m := gokeras.NewSequential(&nn.Flatten{InputShape: tensor.Shape{2, 2, 1}}, &nn.Dense{Units: 1})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	ps := m.Net().Params()
	for i := range ps[0].Value.Data {
		ps[0].Value.Data[i] = 0.25
	}
	model, model255 := filepath.Join(dir, "mean.safetensors"), filepath.Join(dir, "mean255.safetensors")
	if err := m.Save(model); err != nil {
		t.Fatal(err)
	}
	m.PixelRange = 255
	if err := m.Save(model255); err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(img.Pix, []uint8{0, 51, 102, 255})
	pic := filepath.Join(dir, "x.png")
	f, _ := os.Create(pic)
	png.Encode(f, img)
	f.Close()
	for _, tt := range []struct {
		model   string
		args    []string
		want    string
		wantErr string
	}{
		{model, nil, pic + ": 0.4\n", ""},
		{model, []string{"--pixel-range", "1"}, pic + ": 0.4\n", ""},
		{model, []string{"--pixel-range", "255"}, "", "trained on pixels in [0, 1], but --pixel-range 255"},
		{model255, nil, pic + ": 102\n", ""},
		{model255, []string{"--pixel-range", "255"}, pic + ": 102\n", ""},
		{model255, []string{"--pixel-range", "1"}, "", "trained on pixels in [0, 255], but --pixel-range 1"},
	} {
		args := append(append([]string{"predict", "--load", tt.model}, tt.args...), pic)
		out, errOut, code := runCLI(t, args...)
		if tt.wantErr != "" {
			if code == 0 || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("%s %v: exit %d, %q; want an error with %q", filepath.Base(tt.model), tt.args, code, errOut, tt.wantErr)
			}
			continue
		}
		if code != 0 || out != tt.want {
			t.Errorf("%s %v: exit %d, %q (%s); want %q", filepath.Base(tt.model), tt.args, code, out, errOut, tt.want)
		}
	}
}

func TestPixelRangeFlagErrors(t *testing.T) {
	for _, cmd := range []string{"train", "evaluate", "predict", "inspect", "sweep"} {
		_, errOut, code := runCLI(t, cmd, "--pixel-range", "100")
		if code == 0 || !strings.Contains(errOut, "--pixel-range 100: give 1") {
			t.Errorf("%s --pixel-range 100: exit %d, %q", cmd, code, errOut)
		}
	}
}
