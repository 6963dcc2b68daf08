package nn_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestCenterCropKnown follows keras/src/layers/preprocessing/
// image_preprocessing/center_crop.py: a slice from int((h−H)/2) when the
// image is at least the target's size on both axes, else smart_resize
// (the largest centred window with the target's aspect ratio, resized
// bilinearly with half-pixel centres).
func TestCenterCropKnown(t *testing.T) {
	tests := []struct {
		name string
		h, w int
		crop [2]int
		want [][]float64
	}{
		// Rows 1-2 and columns 1-3 of 5x6.
		{"slice", 5, 6, [2]int{2, 3}, grid([]float64{1, 2}, []float64{1, 2, 3})},
		// Even input, odd target: int(1/2) = 0, so rows and columns 0-2.
		{"even_to_odd", 4, 4, [2]int{3, 3}, grid([]float64{0, 1, 2}, []float64{0, 1, 2})},
		// Same size: the image itself.
		{"same", 3, 2, [2]int{3, 2}, grid([]float64{0, 1, 2}, []float64{0, 1})},
		// 2x4 to 4x4: the centred 2x2 window (columns 1-2), then 2 → 4
		// reads −0.25 (clamped), 0.25, 0.75, 1.25 (clamped) of it.
		{"small_resizes", 2, 4, [2]int{4, 4}, grid([]float64{0, 0.25, 0.75, 1}, []float64{1, 1.25, 1.75, 2})},
		// 6x2 to 4x4: tall enough but too narrow: the 2x2 window at
		// rows 2-3, resized.
		{"narrow_resizes", 6, 2, [2]int{4, 4}, grid([]float64{2, 2.25, 2.75, 3}, []float64{0, 0.25, 0.75, 1})},
		// 3x9 to 4x6: window int(9·4/6)=6 rows, capped at 3; int(3·6/4)=4
		// columns from int((9−4)/2)=2; then 3 → 4 rows (scale 0.75) and 4 → 6
		// columns (scale 2/3).
		{"aspect_window", 3, 9, [2]int{4, 6}, grid(
			[]float64{0, 0.625, 1.375, 2},
			[]float64{2, 2 + 0.5, 2 + 7.0/6, 2 + 11.0/6, 2 + 2.5, 5})},
	}
	for _, tt := range tests {
		l := &nn.CenterCrop{Height: tt.crop[0], Width: tt.crop[1]}
		y := runLayer(t, l, ladder(tt.h, tt.w, 2))
		checkPlane(t, tt.name, y, tt.want)
	}
}

func TestCenterCropGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    *nn.CenterCrop
		in   tensor.Shape
	}{
		{"slice", &nn.CenterCrop{Height: 3, Width: 2}, tensor.Shape{6, 5, 2}},
		{"resize", &nn.CenterCrop{Height: 5, Width: 5}, tensor.Shape{3, 7, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tt.in, nntest.GradOptions{Batch: 2, MaxChecks: 200})
		})
	}
}

func TestCenterCropConfig(t *testing.T) {
	var cfg map[string]any
	json.Unmarshal([]byte(`{"name": "center_crop", "trainable": true, "dtype": "float32", "height": 24, "width": 20, "data_format": "channels_last"}`), &cfg)
	l, err := nn.FromConfig("CenterCrop", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := l.(*nn.CenterCrop); c.Height != 24 || c.Width != 20 {
		t.Errorf("read %+v", c)
	}
	roundTrip(t, l)
	roundTrip(t, &nn.CenterCrop{Name: "cc", Height: 2, Width: 3, InputShape: tensor.Shape{8, 8, 1}})
	json.Unmarshal([]byte(`{"name": "cc", "height": 2, "width": 2, "data_format": "channels_first"}`), &cfg)
	if _, err := nn.FromConfig("CenterCrop", cfg); err == nil || !strings.Contains(err.Error(), `data_format="channels_first"`) {
		t.Errorf("channels_first: err = %v", err)
	}
	if err := (&nn.CenterCrop{Height: 2}).Build(tensor.Shape{4, 4, 1}, nil); err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Errorf("width 0: err = %v", err)
	}
}

// TestPreprocessingStack runs the Keras tutorials' front end, Rescaling
// then CenterCrop and Resizing, before a convolution: shapes follow, and
// a gradient reaches the first layer's weights.
func TestPreprocessingStack(t *testing.T) {
	s := &nn.Stack{}
	s.Add(
		&nn.Rescaling{Scale: 1.0 / 255, InputShape: tensor.Shape{10, 12, 3}},
		&nn.CenterCrop{Height: 8, Width: 8},
		&nn.Resizing{Height: 4, Width: 4},
		&nn.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}},
		&nn.Flatten{},
		&nn.Dense{Units: 3},
	)
	if err := s.Build(nil, 1); err != nil {
		t.Fatal(err)
	}
	want := []tensor.Shape{{10, 12, 3}, {8, 8, 3}, {4, 4, 3}, {2, 2, 2}, {8}, {3}}
	for i, w := range want {
		if got := s.LayerOutputShape(i); !got.Equal(w) {
			t.Errorf("layer %d output %v, want %v", i, got, w)
		}
	}
	x := tensor.New(2, 10, 12, 3)
	for i := range x.Data {
		x.Data[i] = float32(i % 256)
	}
	y := s.Forward(x, true)
	dy := tensor.New(y.Shape...)
	dy.Fill(1)
	s.Backward(dy)
	var g float64
	for _, v := range s.Layers[3].Params()[0].Grad.Data {
		g += float64(v * v)
	}
	if g == 0 {
		t.Error("no gradient reached the convolution's kernel")
	}
}
