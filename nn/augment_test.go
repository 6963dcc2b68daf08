package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

type reseeder interface{ Reseed(a, b uint64) }

// augLayers returns one of each augmentation layer, for the checks that
// apply to all of them.
func augLayers() map[string]func() nn.Layer {
	return map[string]func() nn.Layer{
		"flip":            func() nn.Layer { return &nn.RandomFlip{} },
		"flip_horizontal": func() nn.Layer { return &nn.RandomFlip{Mode: nn.FlipHorizontal} },
		"crop_pad":        func() nn.Layer { return &nn.RandomCrop{Padding: 2} },
		"crop_keras":      func() nn.Layer { return &nn.RandomCrop{Height: 2, Width: 3} },
		"translation": func() nn.Layer {
			return &nn.RandomTranslation{HeightFactor: [2]float64{-0.3, 0.3}, WidthFactor: [2]float64{-0.2, 0.4}}
		},
		"translation_zero": func() nn.Layer {
			return &nn.RandomTranslation{HeightFactor: [2]float64{-0.3, 0.3}, WidthFactor: [2]float64{-0.3, 0.3}, FillMode: nn.FillConstant, FillValue: 0.5}
		},
		"translation_near": func() nn.Layer {
			return &nn.RandomTranslation{HeightFactor: [2]float64{-0.3, 0.3}, WidthFactor: [2]float64{-0.3, 0.3}, Interpolation: nn.NearestNeighbor, FillMode: nn.FillNearest}
		},
		"rotation":      func() nn.Layer { return &nn.RandomRotation{Factor: [2]float64{-0.1, 0.1}} },
		"rotation_wrap": func() nn.Layer { return &nn.RandomRotation{Factor: [2]float64{-0.5, 0.5}, FillMode: nn.FillWrap} },
		"zoom":          func() nn.Layer { return &nn.RandomZoom{HeightFactor: [2]float64{-0.3, 0.3}} },
		"zoom_aspect": func() nn.Layer {
			return &nn.RandomZoom{HeightFactor: [2]float64{-0.3, 0.2}, WidthFactor: &[2]float64{0.1, 0.5}}
		},
		"contrast": func() nn.Layer {
			return &nn.RandomContrast{Factor: [2]float64{0.5, 0.5}, ValueRange: [2]float64{-100, 100}}
		},
		"brightness": func() nn.Layer {
			return &nn.RandomBrightness{Factor: [2]float64{-0.2, 0.3}, ValueRange: [2]float64{-20, 20}}
		},
		"flip_vertical": func() nn.Layer { return &nn.RandomFlip{Mode: nn.FlipVertical} },
		"erasing": func() nn.Layer {
			return &nn.RandomErasing{Factor: [2]float64{1, 1}, Scale: [2]float64{0.2, 0.6}, FillValue: []float64{0.5}, ValueRange: [2]float64{-10, 10}}
		},
		"erasing_noise": func() nn.Layer { return &nn.RandomErasing{ValueRange: [2]float64{-1, 1}} },
		"shear": func() nn.Layer {
			return &nn.RandomShear{XFactor: [2]float64{-0.3, 0.3}, YFactor: [2]float64{0.1, 0.2}}
		},
		"elastic": func() nn.Layer {
			return &nn.RandomElasticTransform{Factor: [2]float64{1, 1}, ValueRange: [2]float64{-100, 100}}
		},
		"perspective": func() nn.Layer {
			return &nn.RandomPerspective{Factor: [2]float64{1, 1}, Scale: 0.6, FillValue: 0.5}
		},
		"perspective_nearest": func() nn.Layer {
			return &nn.RandomPerspective{Scale: 0.4, Interpolation: nn.NearestNeighbor}
		},
		"shear_constant": func() nn.Layer {
			return &nn.RandomShear{XFactor: [2]float64{0.2, 0.5}, FillMode: nn.FillConstant, FillValue: 0.25, Interpolation: nn.NearestNeighbor}
		},
	}
}

func TestAugmentTrainingGradients(t *testing.T) {
	for name, mk := range augLayers() {
		t.Run(name, func(t *testing.T) {
			l := mk()
			opt := nntest.GradOptions{Batch: 3, Training: true, BeforeForward: func() { l.(reseeder).Reseed(1, 2) }}
			nntest.CheckGradients(t, l, tensor.Shape{5, 6, 2}, opt)
		})
	}
	// RandomCrop to a smaller size resizes at inference; check that path too,
	// and Keras's training fallback (a target not smaller on both axes).
	t.Run("crop_keras_inference", func(t *testing.T) {
		nntest.CheckGradients(t, &nn.RandomCrop{Height: 3, Width: 4}, tensor.Shape{5, 6, 2}, nntest.GradOptions{})
	})
	t.Run("crop_keras_training_resize", func(t *testing.T) {
		nntest.CheckGradients(t, &nn.RandomCrop{Height: 7, Width: 4}, tensor.Shape{5, 6, 2}, nntest.GradOptions{Batch: 2, Training: true})
	})
}

func randImages(seed uint64, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 3))
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

func buildAug(t *testing.T, l nn.Layer, in tensor.Shape, seed uint64) {
	t.Helper()
	if err := l.Build(in, rand.New(rand.NewPCG(seed, 5))); err != nil {
		t.Fatalf("%s: Build(%v): %v", l.Class(), in, err)
	}
}

func TestAugmentInferenceAndSeeds(t *testing.T) {
	in := tensor.Shape{6, 5, 3}
	x := randImages(1, append(tensor.Shape{16}, in...)...)
	for name, mk := range augLayers() {
		t.Run(name, func(t *testing.T) {
			a, b, c := mk(), mk(), mk()
			buildAug(t, a, in, 1)
			buildAug(t, b, in, 1)
			buildAug(t, c, in, 2)
			out, _ := a.OutputShape(in)
			if name != "crop_keras" {
				if !out.Equal(in) {
					t.Errorf("output shape %v, want the input's %v", out, in)
				}
				if y := a.Forward(x, false); y != x {
					t.Error("inference Forward must return its input")
				}
			}
			ya := a.Forward(x, true).Clone()
			yb := b.Forward(x, true).Clone()
			yc := c.Forward(x, true).Clone()
			if !ya.Shape.Equal(append(tensor.Shape{16}, out...)) {
				t.Errorf("training output shape %v, want %v", ya.Shape, out)
			}
			if !reflect.DeepEqual(ya.Data, yb.Data) {
				t.Error("two layers built from the same seed drew different transformations")
			}
			if reflect.DeepEqual(ya.Data, yc.Data) {
				t.Error("different seeds drew the same transformations")
			}
			a.(reseeder).Reseed(7, 8)
			y1 := a.Forward(x, true).Clone()
			a.(reseeder).Reseed(7, 8)
			if y2 := a.Forward(x, true); !reflect.DeepEqual(y1.Data, y2.Data) {
				t.Error("Reseed with the same seed did not replay the transformations")
			}
		})
	}
}

// variants runs l in training on n copies of img (h, w, 1) and returns the
// distinct outputs.
func variants(t *testing.T, l nn.Layer, img []float32, h, w, n int) map[string][]float32 {
	t.Helper()
	buildAug(t, l, tensor.Shape{h, w, 1}, 9)
	x := tensor.New(n, h, w, 1)
	for b := range n {
		copy(x.Data[b*h*w:], img)
	}
	y := l.Forward(x, true)
	sz := y.Shape[1:].Size()
	seen := map[string][]float32{}
	for b := range n {
		v := y.Data[b*sz : (b+1)*sz]
		b, _ := json.Marshal(v)
		seen[string(b)] = append([]float32(nil), v...)
	}
	return seen
}

func TestRandomFlipKnown(t *testing.T) {
	img := []float32{1, 2, 3, 4, 5, 6} // 2x3
	tests := []struct {
		mode nn.FlipMode
		want [][]float32
	}{
		{nn.FlipHorizontal, [][]float32{{1, 2, 3, 4, 5, 6}, {3, 2, 1, 6, 5, 4}}},
		{nn.FlipVertical, [][]float32{{1, 2, 3, 4, 5, 6}, {4, 5, 6, 1, 2, 3}}},
		// Keras draws one decision per image and flips both axes with it.
		{nn.FlipHorizontalAndVertical, [][]float32{{1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1}}},
	}
	for _, tt := range tests {
		got := variants(t, &nn.RandomFlip{Mode: tt.mode}, img, 2, 3, 64)
		if len(got) != len(tt.want) {
			t.Errorf("%v: %d distinct outputs over 64 draws, want %d: %v", tt.mode, len(got), len(tt.want), got)
		}
		for _, w := range tt.want {
			b, _ := json.Marshal(w)
			if _, ok := got[string(b)]; !ok {
				t.Errorf("%v: output %v never drawn", tt.mode, w)
			}
		}
	}
}

func TestRandomCropKnown(t *testing.T) {
	img := make([]float32, 16) // 4x4 of 1..16
	for i := range img {
		img[i] = float32(i + 1)
	}
	// Keras semantics: every output is a 2x3 window of the image, all the
	// images of a batch share the window, and all 3*2 offsets occur over
	// batches.
	l := &nn.RandomCrop{Height: 2, Width: 3}
	buildAug(t, l, tensor.Shape{4, 4, 1}, 9)
	x := tensor.New(3, 4, 4, 1)
	for b := range 3 {
		copy(x.Data[b*16:], img)
	}
	windows := map[[2]int]bool{}
	for range 100 {
		y := l.Forward(x, true)
		v := y.Data[:6]
		oy, ox := int(v[0]-1)/4, int(v[0]-1)%4
		windows[[2]int{oy, ox}] = true
		if oy > 2 || ox > 1 {
			t.Fatalf("window %v starts at (%d, %d), outside the valid offsets", v, oy, ox)
		}
		for i := range 2 {
			for j := range 3 {
				if want := float32((oy+i)*4 + ox + j + 1); v[i*3+j] != want {
					t.Fatalf("window %v at (%d, %d): [%d,%d] = %v, want %v", v, oy, ox, i, j, v[i*3+j], want)
				}
			}
		}
		if !reflect.DeepEqual(y.Data[6:12], v) || !reflect.DeepEqual(y.Data[12:18], v) {
			t.Fatalf("the images of one batch were cropped at different places: %v", y.Data)
		}
	}
	if len(windows) != 6 {
		t.Errorf("crop 2x3 of 4x4: %d distinct windows over 100 batches, want 6", len(windows))
	}
	// Pad-and-crop: a shift by (dy, dx) in [-1, 1]^2 with zeros coming in.
	got := variants(t, &nn.RandomCrop{Padding: 1}, img, 4, 4, 400)
	if len(got) != 9 {
		t.Errorf("pad 1 and crop: %d distinct shifts, want 9", len(got))
	}
	for _, v := range got {
		ok := false
		for dy := -1; dy <= 1 && !ok; dy++ {
			for dx := -1; dx <= 1 && !ok; dx++ {
				match := true
				for i := range 4 {
					for j := range 4 {
						want := float32(0)
						if si, sj := i+dy, j+dx; si >= 0 && si < 4 && sj >= 0 && sj < 4 {
							want = img[si*4+sj]
						}
						match = match && v[i*4+j] == want
					}
				}
				ok = match
			}
		}
		if !ok {
			t.Errorf("pad-and-crop output %v is not a shift of the image by at most 1", v)
		}
	}
	// Inference with a smaller target: resize with half-pixel centres; a
	// 4x4 -> 2x2 resize averages 2x2 blocks.
	l = &nn.RandomCrop{Height: 2, Width: 2}
	buildAug(t, l, tensor.Shape{4, 4, 1}, 1)
	y := l.Forward(&tensor.Tensor{Shape: tensor.Shape{1, 4, 4, 1}, Data: img}, false)
	want := []float32{3.5, 5.5, 11.5, 13.5}
	if !reflect.DeepEqual(y.Data, want) {
		t.Errorf("inference crop 4x4 -> 2x2 = %v, want %v", y.Data, want)
	}
	// Keras's training fallback, a target not smaller on both axes: the
	// aspect window of 4x4 for 4x2 starts at column 1 (crop_width =
	// int(4*2/4) = 2, w_start = (4-2)/2), and the 4x2 slice from there is
	// the output.
	x1 := &tensor.Tensor{Shape: tensor.Shape{1, 4, 4, 1}, Data: img}
	l = &nn.RandomCrop{Height: 4, Width: 2}
	buildAug(t, l, tensor.Shape{4, 4, 1}, 1)
	if got, want := l.Forward(x1, true).Data, []float32{2, 3, 6, 7, 10, 11, 14, 15}; !reflect.DeepEqual(got, want) {
		t.Errorf("training crop 4x4 -> 4x2 = %v, want %v", got, want)
	}
	// For 6x2: crop_width = int(4*2/6) = 1, w_start = 1; the slice rows
	// 0..3, columns 1..2 is resized to 6 rows: output row i reads row
	// (i+0.5)*4/6-0.5 = -1/6, 1/2, 7/6, 11/6, 5/2, 19/6, clamped to [0, 3].
	l = &nn.RandomCrop{Height: 6, Width: 2}
	buildAug(t, l, tensor.Shape{4, 4, 1}, 1)
	col := []float64{2, 4, 6 + 4./6, 6 + 4*5./6, 12, 14}
	y6 := l.Forward(x1, true).Data
	for i := range 6 {
		for j := range 2 {
			if math.Abs(float64(y6[i*2+j])-(col[i]+float64(j))) > 1e-5 {
				t.Fatalf("training crop 4x4 -> 6x2 = %v, want columns %v and +1", y6, col)
			}
		}
	}
}

func TestGeometricKnown(t *testing.T) {
	img := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9} // 3x3
	tests := []struct {
		name string
		l    nn.Layer
		want []float32
	}{
		{"translate_down_1", &nn.RandomTranslation{HeightFactor: [2]float64{1. / 3, 1. / 3}, FillMode: nn.FillConstant},
			[]float32{0, 0, 0, 1, 2, 3, 4, 5, 6}},
		{"translate_left_1_reflect", &nn.RandomTranslation{WidthFactor: [2]float64{-1. / 3, -1. / 3}},
			[]float32{2, 3, 3, 5, 6, 6, 8, 9, 9}},
		{"translate_half_bilinear", &nn.RandomTranslation{WidthFactor: [2]float64{0.5 / 3, 0.5 / 3}, FillMode: nn.FillNearest},
			[]float32{1, 1.5, 2.5, 4, 4.5, 5.5, 7, 7.5, 8.5}},
		// A quarter turn counter-clockwise: the right column goes to the top row.
		{"rotate_quarter", &nn.RandomRotation{Factor: [2]float64{0.25, 0.25}},
			[]float32{3, 6, 9, 2, 5, 8, 1, 4, 7}},
		{"rotate_half", &nn.RandomRotation{Factor: [2]float64{0.5, 0.5}},
			[]float32{9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"zoom_none", &nn.RandomZoom{}, img},
		// Zoom out by 2 with zeros outside: the corners of the output read
		// points two pixels away from the centre.
		{"zoom_out_2", &nn.RandomZoom{HeightFactor: [2]float64{1, 1}, FillMode: nn.FillConstant},
			[]float32{0, 0, 0, 0, 5, 0, 0, 0, 0}},
		// Zoom in by 1/2 vertically only: rows read at centre ± 0.5.
		{"zoom_in_height", &nn.RandomZoom{HeightFactor: [2]float64{-0.5, -0.5}, WidthFactor: &[2]float64{}},
			[]float32{2.5, 3.5, 4.5, 4, 5, 6, 5.5, 6.5, 7.5}},
	}
	for _, tt := range tests {
		got := variants(t, tt.l, img, 3, 3, 1)
		for _, v := range got {
			for i := range v {
				if math.Abs(float64(v[i]-tt.want[i])) > 1e-5 {
					t.Errorf("%s: got %v, want %v", tt.name, v, tt.want)
					break
				}
			}
		}
	}
}

func TestRandomContrast(t *testing.T) {
	l := &nn.RandomContrast{Factor: [2]float64{0.3, 0.5}, ValueRange: [2]float64{-100, 100}}
	in := tensor.Shape{4, 3, 2}
	buildAug(t, l, in, 1)
	x := randImages(2, 8, 4, 3, 2)
	y := l.Forward(x, true)
	hw, c := 12, 2
	for b := range 8 {
		k := math.NaN()
		for ch := range c {
			var mx, my float64
			for i := range hw {
				mx += float64(x.Data[b*hw*c+i*c+ch])
				my += float64(y.Data[b*hw*c+i*c+ch])
			}
			if math.Abs(mx-my) > 1e-4 {
				t.Errorf("image %d channel %d: mean %v became %v", b, ch, mx/12, my/12)
			}
			mx /= float64(hw)
			for i := range hw {
				dx := float64(x.Data[b*hw*c+i*c+ch]) - mx
				dy := float64(y.Data[b*hw*c+i*c+ch]) - mx
				if math.IsNaN(k) {
					k = dy / dx
				}
				if math.Abs(dy-k*dx) > 1e-4 {
					t.Fatalf("image %d: deviations not scaled by one factor", b)
				}
			}
		}
		if k < 0.7-1e-5 || k > 1.5+1e-5 {
			t.Errorf("image %d: contrast factor %v outside [0.7, 1.5]", b, k)
		}
	}
	// Clipping to value_range.
	l = &nn.RandomContrast{Factor: [2]float64{0, 1}, ValueRange: [2]float64{-0.5, 0.5}}
	buildAug(t, l, in, 1)
	for _, v := range l.Forward(x, true).Data {
		if v < -0.5 || v > 0.5 {
			t.Fatalf("value %v outside value_range (-0.5, 0.5)", v)
		}
	}
}

func TestAugmentConfigRoundTrip(t *testing.T) {
	layers := augLayers()
	layers["contrast_clip"] = func() nn.Layer {
		return &nn.RandomContrast{Factor: [2]float64{0.1, 0.2}, ValueRange: [2]float64{0, 255}}
	}
	layers["rotation_nearest_constant"] = func() nn.Layer {
		return &nn.RandomRotation{Factor: [2]float64{-0.1, 0.2}, FillMode: nn.FillConstant, FillValue: 0.5, Interpolation: nn.NearestNeighbor}
	}
	for name, mk := range layers {
		l := mk()
		l.SetLayerName("aug_" + name)
		b, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		back, err := nn.FromConfig(l.Class(), cfg)
		if err != nil {
			t.Fatalf("%s: FromConfig: %v", name, err)
		}
		// The zero ValueRange is written as Keras's default (0, 255), so
		// compare what the layers write.
		if !reflect.DeepEqual(back.Config(), l.Config()) {
			t.Errorf("%s: round trip gave %+v, want %+v", name, back.Config(), l.Config())
		}
		if back.Class() != l.Class() {
			t.Errorf("%s: round trip gave class %s", name, back.Class())
		}
	}
}

func TestAugmentKerasConfig(t *testing.T) {
	tests := []struct {
		class string
		cfg   string
		want  nn.Layer
	}{
		{"RandomFlip", `{"name":"f","mode":"horizontal","seed":null}`, &nn.RandomFlip{Name: "f", Mode: nn.FlipHorizontal}},
		{"RandomFlip", `{"name":"f"}`, &nn.RandomFlip{Name: "f"}},
		{"RandomRotation", `{"name":"r","factor":0.1,"fill_mode":"constant","interpolation":"nearest","fill_value":0.0}`,
			&nn.RandomRotation{Name: "r", Factor: [2]float64{-0.1, 0.1}, FillMode: nn.FillConstant, Interpolation: nn.NearestNeighbor}},
		{"RandomTranslation", `{"name":"t","height_factor":[-0.2,0.3],"width_factor":0.1}`,
			&nn.RandomTranslation{Name: "t", HeightFactor: [2]float64{-0.2, 0.3}, WidthFactor: [2]float64{-0.1, 0.1}}},
		{"RandomZoom", `{"name":"z","height_factor":0.2,"width_factor":null}`, &nn.RandomZoom{Name: "z", HeightFactor: [2]float64{-0.2, 0.2}}},
		{"RandomContrast", `{"name":"c","factor":0.2,"value_range":[0,255]}`,
			&nn.RandomContrast{Name: "c", Factor: [2]float64{0, 0.2}, ValueRange: [2]float64{0, 255}}},
		// Keras's _set_factor sorts pairs; RandomContrast's value_range is kept as given.
		{"RandomContrast", `{"name":"c","factor":[0.5,0.1],"value_range":[0,1],"seed":3}`,
			&nn.RandomContrast{Name: "c", Factor: [2]float64{0.1, 0.5}, ValueRange: [2]float64{0, 1}}},
		{"RandomContrast", `{"name":"c","factor":0.3}`, &nn.RandomContrast{Name: "c", Factor: [2]float64{0, 0.3}}},
		{"RandomBrightness", `{"name":"b","factor":0.2}`, &nn.RandomBrightness{Name: "b", Factor: [2]float64{-0.2, 0.2}}},
		{"RandomBrightness", `{"name":"b","factor":-0.2,"value_range":[1,0],"seed":null}`,
			&nn.RandomBrightness{Name: "b", Factor: [2]float64{-0.2, 0.2}, ValueRange: [2]float64{0, 1}}},
		{"RandomBrightness", `{"name":"b","factor":[0.3,-0.1],"value_range":[0,255]}`,
			&nn.RandomBrightness{Name: "b", Factor: [2]float64{-0.1, 0.3}, ValueRange: [2]float64{0, 255}}},
		// A pair may leave [-1, 1] as long as its first element is <= 1 and its second >= -1.
		{"RandomRotation", `{"name":"r","factor":[-1.5,0.3]}`, &nn.RandomRotation{Name: "r", Factor: [2]float64{-1.5, 0.3}}},
		{"RandomTranslation", `{"name":"t","height_factor":[0.3,-0.2],"width_factor":-0.1}`,
			&nn.RandomTranslation{Name: "t", HeightFactor: [2]float64{-0.2, 0.3}, WidthFactor: [2]float64{-0.1, 0.1}}},
		{"RandomZoom", `{"name":"z","height_factor":[0.2,-0.3],"width_factor":-0.4}`,
			&nn.RandomZoom{Name: "z", HeightFactor: [2]float64{-0.3, 0.2}, WidthFactor: &[2]float64{-0.4, 0.4}}},
		{"RandomFlip", `{"name":"f","mode":"horizontal_and_vertical","seed":7,"data_format":"channels_last"}`, &nn.RandomFlip{Name: "f"}},
		{"RandomCrop", `{"name":"k","height":24,"width":28}`, &nn.RandomCrop{Name: "k", Height: 24, Width: 28}},
		// Keras 3's RandomErasing().get_config() and variants.
		{"RandomErasing", `{"name":"e","trainable":true,"dtype":"float32","factor":[0.0,1.0],"scale":[0.02,0.33],"fill_value":null,"value_range":[0,255],"seed":null,"data_format":"channels_last"}`,
			&nn.RandomErasing{Name: "e", Factor: [2]float64{0, 1}, Scale: [2]float64{0.02, 0.33}, ValueRange: [2]float64{0, 255}}},
		{"RandomErasing", `{"name":"e","factor":0.5,"scale":[0.3,0.1],"fill_value":128,"value_range":[0,1]}`,
			&nn.RandomErasing{Name: "e", Factor: [2]float64{0, 0.5}, Scale: [2]float64{0.1, 0.3}, FillValue: []float64{128}, ValueRange: [2]float64{0, 1}}},
		{"RandomErasing", `{"name":"e","fill_value":[1,2,3]}`, &nn.RandomErasing{Name: "e", FillValue: []float64{1, 2, 3}}},
		// Keras 3's RandomShear().get_config(), and its factors: a number f
		// is (-f, f), a pair is sorted.
		{"RandomShear", `{"name":"s","trainable":true,"dtype":"float32","x_factor":[0.0,0.0],"y_factor":[0.0,0.0],"fill_mode":"reflect","interpolation":"bilinear","seed":null,"fill_value":0.0,"data_format":"channels_last"}`,
			&nn.RandomShear{Name: "s"}},
		// Keras 3's RandomElasticTransform().get_config().
		{"RandomElasticTransform", `{"name":"el","trainable":true,"dtype":"float32","factor":[0.0,1.0],"scale":[0.0,1.0],"interpolation":"bilinear","fill_mode":"reflect","fill_value":0.0,"value_range":[0,255],"seed":null}`,
			&nn.RandomElasticTransform{Name: "el", Factor: [2]float64{0, 1}, Scale: [2]float64{0, 1}, ValueRange: [2]float64{0, 255}}},
		// Keras 3's RandomPerspective().get_config().
		{"RandomPerspective", `{"name":"p","trainable":true,"dtype":"float32","factor":[0.0,1.0],"scale":1.0,"interpolation":"bilinear","fill_value":0.0,"seed":null}`,
			&nn.RandomPerspective{Name: "p", Factor: [2]float64{0, 1}, Scale: 1}},
		{"RandomPerspective", `{"name":"p","factor":0.5,"scale":0.2,"interpolation":"nearest","fill_value":3}`,
			&nn.RandomPerspective{Name: "p", Factor: [2]float64{0, 0.5}, Scale: 0.2, Interpolation: nn.NearestNeighbor, FillValue: 3}},
		{"RandomShear", `{"name":"s","x_factor":0.3,"y_factor":[0.5,0.1],"fill_mode":"constant","fill_value":2}`,
			&nn.RandomShear{Name: "s", XFactor: [2]float64{-0.3, 0.3}, YFactor: [2]float64{0.1, 0.5}, FillMode: nn.FillConstant, FillValue: 2}},
	}
	for _, tt := range tests {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tt.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		got, err := nn.FromConfig(tt.class, cfg)
		if err != nil {
			t.Errorf("%s %s: %v", tt.class, tt.cfg, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: got %+v, want %+v", tt.class, tt.cfg, got, tt.want)
		}
	}
	for _, bad := range []struct{ class, cfg string }{
		{"RandomFlip", `{"mode":"diagonal"}`},
		{"RandomRotation", `{"factor":"big"}`},
		{"RandomZoom", `{"height_factor":0.1,"fill_mode":"mirror"}`},
		{"RandomZoom", `{"height_factor":[0.1,1.5]}`},
		{"RandomTranslation", `{"height_factor":-1.2,"width_factor":0}`},
		{"RandomRotation", `{"factor":1.5}`},
		{"RandomRotation", `{"factor":[1.2,1.5]}`},
		{"RandomRotation", `{"factor":[0.3,-1.5]}`},
		{"RandomRotation", `{"factor":[0.1,0.2,0.3]}`},
		{"RandomRotation", `{"factor":0.1,"interpolation":"bicubic"}`},
		{"RandomContrast", `{"factor":-0.1}`},
		{"RandomContrast", `{"factor":[-0.5,-0.1]}`},
		{"RandomContrast", `{"factor":0.1,"value_range":[255,0]}`},
		{"RandomContrast", `{"factor":0.1,"value_range":255}`},
		{"RandomContrast", `{"factor":0.1,"data_format":"channels_first"}`},
		{"RandomBrightness", `{"factor":1.5}`},
		{"RandomBrightness", `{"factor":0.1,"value_range":[3,3]}`},
		{"RandomBrightness", `{"factor":0.1,"value_range":"0-255"}`},
		{"RandomBrightness", `{"factor":0.1,"lower":0}`},
		{"RandomCrop", `{"height":4,"width":4,"interpolation":"nearest"}`},
		{"RandomErasing", `{"factor":0}`},
		{"RandomErasing", `{"factor":1.5}`},
		{"RandomErasing", `{"scale":0}`},
		{"RandomErasing", `{"fill_value":[1,2]}`},
		{"RandomErasing", `{"fill_value":"black"}`},
		{"RandomShear", `{"x_factor":1.5}`},
		{"RandomPerspective", `{"scale":1.5}`},
		{"RandomElasticTransform", `{"factor":0}`},
		{"RandomElasticTransform", `{"scale":0}`},
		{"RandomElasticTransform", `{"scale":2}`},
		{"RandomElasticTransform", `{"fill_mode":"mirror2"}`},
		{"RandomPerspective", `{"scale":0}`},
		{"RandomPerspective", `{"factor":0}`},
		{"RandomPerspective", `{"interpolation":"bicubic"}`},
		{"RandomPerspective", `{"fill_mode":"reflect"}`},
		{"RandomShear", `{"y_factor":[-1.2,0.3]}`},
		{"RandomShear", `{"x_factor":0.2,"fill_mode":"mirror"}`},
	} {
		var cfg map[string]any
		_ = json.Unmarshal([]byte(bad.cfg), &cfg)
		if _, err := nn.FromConfig(bad.class, cfg); err == nil {
			t.Errorf("%s %s: no error", bad.class, bad.cfg)
		}
	}
}

func TestAugmentBadShapes(t *testing.T) {
	tests := []struct {
		l  nn.Layer
		in tensor.Shape
	}{
		{&nn.RandomFlip{}, tensor.Shape{10}},
		{&nn.RandomCrop{Height: 7, Width: 2, Padding: 1}, tensor.Shape{4, 4, 1}},
		{&nn.RandomCrop{Height: -1}, tensor.Shape{4, 4, 1}},
		{&nn.RandomBrightness{Factor: [2]float64{0.3, 0.1}}, tensor.Shape{4, 4, 1}},
		{&nn.RandomBrightness{Factor: [2]float64{0.1, 0.3}, ValueRange: [2]float64{1, -1}}, tensor.Shape{4, 4, 1}},
		{&nn.RandomContrast{Factor: [2]float64{0.1, 0.3}, ValueRange: [2]float64{1, 1}}, tensor.Shape{4, 4, 1}},
		{&nn.RandomTranslation{HeightFactor: [2]float64{-1.5, 0}}, tensor.Shape{4, 4, 1}},
		{&nn.RandomRotation{Factor: [2]float64{0.2, 0.1}}, tensor.Shape{4, 4, 1}},
		{&nn.RandomContrast{Factor: [2]float64{1.5, 0}}, tensor.Shape{4, 4, 1}},
	}
	for _, tt := range tests {
		if err := tt.l.Build(tt.in, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s %+v on %v: no error", tt.l.Class(), tt.l, tt.in)
		}
	}
}

// TestAugmentNoAllocs checks that training-mode Forward and Backward reuse
// their buffers once warm, as the rest of the training step does.
func TestAugmentNoAllocs(t *testing.T) {
	in := tensor.Shape{8, 8, 3}
	x := randImages(3, append(tensor.Shape{4}, in...)...)
	layers := augLayers()
	layers["crop_keras_fallback"] = func() nn.Layer { return &nn.RandomCrop{Height: 9, Width: 6} }
	layers["brightness_clip"] = func() nn.Layer { return &nn.RandomBrightness{Factor: [2]float64{0.1, 0.2}} }
	for name, mk := range colorLayers() {
		layers[name] = mk
	}
	layers["posterization"] = func() nn.Layer { return &nn.RandomPosterization{Factor: [2]float64{2, 6}} }
	layers["saturation"] = func() nn.Layer { return &nn.RandomSaturation{Factor: [2]float64{0.2, 0.9}} }
	layers["hue"] = func() nn.Layer { return &nn.RandomHue{Factor: [2]float64{0, 1}} }
	layers["augmix"] = func() nn.Layer { return &nn.AugMix{} }
	layers["randaugment"] = func() nn.Layer { return &nn.RandAugment{NumOps: 11} }
	layers["jitter"] = func() nn.Layer {
		return &nn.RandomColorJitter{Brightness: &[2]float64{-0.1, 0.1}, Contrast: &[2]float64{0, 0.2}, Saturation: &[2]float64{0.3, 0.7}, Hue: &[2]float64{0, 0.3}}
	}
	for name, mk := range layers {
		l := mk()
		buildAug(t, l, in, 1)
		step := func() { l.Backward(l.Forward(x, true)) }
		step()
		if name == "augmix" {
			// Its operations' instances are made as a batch first needs
			// them (at most chains·depth of each): warm them all up.
			for range 2000 {
				step()
			}
		}
		if n := testing.AllocsPerRun(5, step); n != 0 {
			t.Errorf("%s: %v allocations per training step, want 0", name, n)
		}
	}
}

// TestAugmentDrawDistributions checks that the drawn transformations stay
// in their ranges and fill them: over many images the smallest and largest
// draws come near both ends and the mean near the middle.
func TestAugmentDrawDistributions(t *testing.T) {
	const n = 4000
	in := tensor.Shape{5, 4, 1}
	x := randImages(4, n, 5, 4, 1)
	spread := func(t *testing.T, what string, v []float64, lo, hi float64) {
		t.Helper()
		mn, mx, mean := math.Inf(1), math.Inf(-1), 0.0
		for _, e := range v {
			mn, mx, mean = min(mn, e), max(mx, e), mean+e/float64(len(v))
		}
		eps := 1e-6 * max(1, math.Abs(lo), math.Abs(hi))
		if mn < lo-eps || mx > hi+eps {
			t.Errorf("%s: draws in [%v, %v], outside [%v, %v]", what, mn, mx, lo, hi)
		}
		if w := hi - lo; mn > lo+0.01*w || mx < hi-0.01*w {
			t.Errorf("%s: draws in [%v, %v] do not fill [%v, %v]", what, mn, mx, lo, hi)
		}
		// The mean of n uniform draws has standard deviation w/sqrt(12n).
		if sd := (hi - lo) / math.Sqrt(12*n); math.Abs(mean-(lo+hi)/2) > 5*sd {
			t.Errorf("%s: mean draw %v, want %v ± %v", what, mean, (lo+hi)/2, 5*sd)
		}
	}
	run := func(l nn.Layer) {
		buildAug(t, l, in, 1)
		l.Forward(x, true)
	}
	t.Run("rotation", func(t *testing.T) {
		l := &nn.RandomRotation{Factor: [2]float64{-0.2, 0.3}}
		run(l)
		var theta []float64
		for _, m := range nn.Warps(l) {
			theta = append(theta, math.Atan2(m[1], m[0])) // m = (cos, sin, ., -sin, cos, .)
		}
		spread(t, "angle", theta, -0.2*2*math.Pi, 0.3*2*math.Pi)
	})
	t.Run("zoom", func(t *testing.T) {
		l := &nn.RandomZoom{HeightFactor: [2]float64{-0.3, 0.1}, WidthFactor: &[2]float64{0.2, 0.6}}
		run(l)
		var zy, zx []float64
		for _, m := range nn.Warps(l) {
			zy, zx = append(zy, m[0]), append(zx, m[4])
		}
		spread(t, "height zoom", zy, 0.7, 1.1)
		spread(t, "width zoom", zx, 1.2, 1.6)
		l = &nn.RandomZoom{HeightFactor: [2]float64{-0.3, 0.1}}
		run(l)
		for _, m := range nn.Warps(l) {
			if m[0] != m[4] {
				t.Fatalf("width_factor None: zooms %v and %v differ", m[0], m[4])
			}
		}
	})
	t.Run("translation", func(t *testing.T) {
		l := &nn.RandomTranslation{HeightFactor: [2]float64{-0.4, 0.2}, WidthFactor: [2]float64{0.1, 0.3}}
		run(l)
		var dy, dx []float64
		for _, m := range nn.Warps(l) {
			dy, dx = append(dy, -m[2]/5), append(dx, -m[5]/4) // shifts as fractions of 5x4
		}
		spread(t, "height shift", dy, -0.4, 0.2)
		spread(t, "width shift", dx, 0.1, 0.3)
	})
	t.Run("contrast", func(t *testing.T) {
		l := &nn.RandomContrast{Factor: [2]float64{0.2, 0.5}}
		run(l)
		var k []float64
		for _, v := range nn.ContrastFactors(l) {
			k = append(k, float64(v))
		}
		spread(t, "contrast", k, 0.8, 1.5)
	})
	t.Run("brightness", func(t *testing.T) {
		l := &nn.RandomBrightness{Factor: [2]float64{-0.1, 0.3}, ValueRange: [2]float64{-2, 2}}
		run(l)
		var d []float64
		for _, v := range nn.BrightnessDeltas(l) {
			d = append(d, float64(v))
		}
		spread(t, "brightness delta", d, -0.4, 1.2) // factor × (max - min) = factor × 4
	})
	t.Run("flip", func(t *testing.T) {
		l := &nn.RandomFlip{}
		run(l)
		flipped := 0
		for _, f := range nn.FlipDraws(l) {
			if f {
				flipped++
			}
		}
		// Binomial(n, 1/2): standard deviation sqrt(n)/2.
		if d := math.Abs(float64(flipped) - n/2); d > 5*math.Sqrt(n)/2 {
			t.Errorf("%d of %d images flipped, want about half", flipped, n)
		}
	})
	t.Run("crop", func(t *testing.T) {
		l := &nn.RandomCrop{Height: 2, Width: 3}
		buildAug(t, l, in, 1)
		small := x.Clone()
		small.Shape, small.Data = tensor.Shape{2, 5, 4, 1}, small.Data[:40]
		count := map[[2]int]int{}
		for range 1200 {
			l.Forward(small, true)
			o := nn.CropOffsets(l)
			if o[0] != o[1] {
				t.Fatalf("offsets %v differ within a batch", o)
			}
			count[o[0]]++
		}
		// 4 × 2 positions, each with probability 1/8: 150 ± 5 sd (sd ≈ 11.5).
		if len(count) != 8 {
			t.Errorf("%d window positions drawn, want 8: %v", len(count), count)
		}
		for o, c := range count {
			if o[0] < 0 || o[0] > 3 || o[1] < 0 || o[1] > 1 || c < 150-60 || c > 150+60 {
				t.Errorf("position %v drawn %d times of 1200, want about 150", o, c)
			}
		}
	})
}

// TestRandomBrightnessClipGradient checks that Backward passes the gradient
// where the output is inside value_range and stops it where it clipped.
func TestRandomBrightnessClipGradient(t *testing.T) {
	l := &nn.RandomBrightness{Factor: [2]float64{0.25, 0.25}, ValueRange: [2]float64{0, 4}} // delta 1
	buildAug(t, l, tensor.Shape{1, 4, 1}, 1)
	x := &tensor.Tensor{Shape: tensor.Shape{1, 1, 4, 1}, Data: []float32{-2, 0.5, 2.5, 3.5}}
	y := l.Forward(x, true)
	if want := []float32{0, 1.5, 3.5, 4}; !reflect.DeepEqual(y.Data, want) {
		t.Errorf("Forward = %v, want %v", y.Data, want)
	}
	dy := &tensor.Tensor{Shape: x.Shape, Data: []float32{1, 2, 3, 4}}
	if got, want := l.Backward(dy).Data, []float32{0, 2, 3, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("Backward = %v, want %v", got, want)
	}
}

// RandomErasing draws what Keras's get_random_transformation draws: about
// half the images erased with the default factor (p itself uniform), each
// rectangle's sides sqrt(u)×the image's with u in scale, inside the image;
// the fill clipped to value_range; inference untouched.
func TestRandomErasingDraws(t *testing.T) {
	const n, h, w, c = 4000, 16, 20, 3
	x := randImages(5, n, h, w, c)
	l := &nn.RandomErasing{FillValue: []float64{300}} // clipped to 255
	buildAug(t, l, tensor.Shape{h, w, c}, 1)
	y := l.Forward(x, true)
	boxes, apply := nn.ErasingBoxes(l)
	erased := 0
	for i, b := range boxes {
		x0, x1, y0, y1 := b[0], b[1], b[2], b[3]
		rw, rh := (x1-x0)/w, (y1-y0)/h
		for _, r := range []float32{rw, rh} {
			if r < float32(math.Sqrt(0.02))-1e-5 || r > float32(math.Sqrt(0.33))+1e-5 {
				t.Fatalf("image %d: side ratio %v outside sqrt(scale) [%v, %v]", i, r, math.Sqrt(0.02), math.Sqrt(0.33))
			}
		}
		if x0 < 0 || x1 > w || y0 < 0 || y1 > h {
			t.Fatalf("image %d: box %v leaves the %dx%d image", i, b, h, w)
		}
		img, out := x.Data[i*h*w*c:(i+1)*h*w*c], y.Data[i*h*w*c:(i+1)*h*w*c]
		for p := range h * w {
			in := apply[i] && float32(p%w) >= x0 && float32(p%w) < x1 && float32(p/w) >= y0 && float32(p/w) < y1
			for ch := range c {
				want := img[p*c+ch]
				if in {
					want = 255
				}
				if out[p*c+ch] != want {
					t.Fatalf("image %d pixel %d channel %d: %v, want %v", i, p, ch, out[p*c+ch], want)
				}
			}
		}
		if apply[i] {
			erased++
		}
	}
	if frac := float64(erased) / n; math.Abs(frac-0.5) > 0.04 {
		t.Errorf("%.3f of the images erased with factor (0, 1), want about 0.5 (p uniform, then a uniform draw below it)", frac)
	}
	if got := l.Forward(x, false); got != x {
		t.Errorf("inference changed the images")
	}
	// Noise: normal × value_range max, clipped.
	noise := &nn.RandomErasing{Factor: [2]float64{1, 1}, Scale: [2]float64{0.5, 0.5}, ValueRange: [2]float64{-2, 3}}
	buildAug(t, noise, tensor.Shape{h, w, c}, 2)
	zero := tensor.New(64, h, w, c)
	yn := noise.Forward(zero, true)
	var lo, hi int
	for _, v := range yn.Data {
		if v < -2 || v > 3 {
			t.Fatalf("noise %v outside value_range (-2, 3)", v)
		}
		if v == -2 {
			lo++
		}
		if v == 3 {
			hi++
		}
	}
	// N(0,1)*3 is below -2 with probability 0.2525 and above 3 with 0.1587.
	if lo == 0 || hi == 0 || lo < hi {
		t.Errorf("clipped noise: %d at -2, %d at 3; want both, more at -2", lo, hi)
	}
}
