package nn_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestZeroPadding2DKnown: Keras's docstring example
// (keras/src/layers/reshaping/zero_padding2d.py), a 1x2x2 input [[0, 1],
// [2, 3]] as (1, 1, 2, 2) with padding=1, gives a 3x4x2 output whose only
// non-zero row is the middle one, [[0 0] [0 1] [2 3] [0 0]]; and an
// uneven padding on the ladder image.
func TestZeroPadding2DKnown(t *testing.T) {
	x := &tensor.Tensor{Shape: tensor.Shape{1, 1, 2, 2}, Data: []float32{0, 1, 2, 3}}
	y := runLayer(t, &nn.ZeroPadding2D{Padding: [2][2]int{{1, 1}, {1, 1}}}, x)
	want := []float32{
		0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1, 2, 3, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
	}
	if !y.Shape.Equal(tensor.Shape{1, 3, 4, 2}) || fmt.Sprint(y.Data) != fmt.Sprint(want) {
		t.Errorf("Keras's example: %v %v, want (1, 3, 4, 2) %v", y.Shape, y.Data, want)
	}
	// The zero value pads one on every side, as Keras's default.
	if y0 := runLayer(t, &nn.ZeroPadding2D{}, x); fmt.Sprint(y0.Data) != fmt.Sprint(want) {
		t.Errorf("zero value: %v, want %v", y0.Data, want)
	}
	// ((top 2, bottom 0), (left 0, right 1)) on the 2x2 ladder: value
	// 10·row + column + 1 (so that padding's 0 stands out), channel 0.
	x = ladder(2, 2, 1)
	for i := range x.Data {
		x.Data[i]++
	}
	y = runLayer(t, &nn.ZeroPadding2D{Padding: [2][2]int{{2, 0}, {0, 1}}}, x)
	checkPlane(t, "uneven", y, [][]float64{{0, 0, 0}, {0, 0, 0}, {1, 2, 0}, {11, 12, 0}})
}

// TestCropping2DKnown: Keras's docstring example's shapes (28x28 cropped
// by ((2, 2), (4, 4)) is 24x20) and the values of an uneven crop.
func TestCropping2DKnown(t *testing.T) {
	out, err := (&nn.Cropping2D{Cropping: [2][2]int{{2, 2}, {4, 4}}}).OutputShape(tensor.Shape{28, 28, 3})
	if err != nil || !out.Equal(tensor.Shape{24, 20, 3}) {
		t.Errorf("Keras's example: %v, %v; want (24, 20, 3)", out, err)
	}
	// Rows 1..3 of 5 (top 1, bottom 1), columns 2..3 of 4 (left 2).
	y := runLayer(t, &nn.Cropping2D{Cropping: [2][2]int{{1, 1}, {2, 0}}}, ladder(5, 4, 2))
	checkPlane(t, "crop", y, grid([]float64{1, 2, 3}, []float64{2, 3}))
	if k := y.Data[1] - y.Data[0]; k != 100 {
		t.Errorf("channel 1 − channel 0 = %v, want 100", k)
	}
	// The zero value crops nothing: the input itself.
	l := &nn.Cropping2D{}
	x := ladder(3, 3, 1)
	if err := l.Build(x.Shape[1:], nil); err != nil {
		t.Fatal(err)
	}
	if l.Forward(x, false) != x {
		t.Errorf("no cropping: the output is not the input")
	}
}

func TestZeroPaddingCroppingGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    nn.Layer
	}{
		{"pad", &nn.ZeroPadding2D{Padding: [2][2]int{{1, 2}, {0, 3}}}},
		{"crop", &nn.Cropping2D{Cropping: [2][2]int{{1, 0}, {2, 1}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.l, tensor.Shape{4, 5, 2}, nntest.GradOptions{Batch: 2, MaxChecks: 200})
		})
	}
}

// TestPadCropInverse: cropping what ZeroPadding2D added gives back the
// input, and the gradient of the pair is the identity.
func TestPadCropInverse(t *testing.T) {
	p := [2][2]int{{3, 1}, {2, 4}}
	pad, crop := &nn.ZeroPadding2D{Padding: p}, &nn.Cropping2D{Cropping: p}
	if err := pad.Build(tensor.Shape{3, 4, 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := crop.Build(tensor.Shape{7, 10, 2}, nil); err != nil {
		t.Fatal(err)
	}
	x := ladder(3, 4, 2)
	if y := crop.Forward(pad.Forward(x, true), true); fmt.Sprint(y.Shape, y.Data) != fmt.Sprint(x.Shape, x.Data) {
		t.Errorf("crop(pad(x)) = %v, want %v", y.Data, x.Data)
	}
	if dx := pad.Backward(crop.Backward(x)); fmt.Sprint(dx.Shape, dx.Data) != fmt.Sprint(x.Shape, x.Data) {
		t.Errorf("gradient %v, want %v", dx.Data, x.Data)
	}
}

func TestZeroPaddingCroppingConfig(t *testing.T) {
	// The three forms Keras accepts, as a file would hold them.
	for _, c := range []struct {
		json string
		want [2][2]int
	}{
		{`2`, [2][2]int{{2, 2}, {2, 2}}},
		{`[1, 3]`, [2][2]int{{1, 1}, {3, 3}}},
		{`[[1, 0], [2, 3]]`, [2][2]int{{1, 0}, {2, 3}}},
		{`[1, [0, 2]]`, [2][2]int{{1, 1}, {0, 2}}},
	} {
		for _, class := range []string{"ZeroPadding2D", "Cropping2D"} {
			key := map[string]string{"ZeroPadding2D": "padding", "Cropping2D": "cropping"}[class]
			var cfg map[string]any
			json.Unmarshal([]byte(fmt.Sprintf(`{"name": "l", %q: %s, "data_format": "channels_last"}`, key, c.json)), &cfg)
			l, err := nn.FromConfig(class, cfg)
			if err != nil {
				t.Errorf("%s %s: %v", class, c.json, err)
				continue
			}
			var got [2][2]int
			switch l := l.(type) {
			case *nn.ZeroPadding2D:
				got = l.Padding
			case *nn.Cropping2D:
				got = l.Cropping
			}
			if got != c.want {
				t.Errorf("%s %s: read %v, want %v", class, c.json, got, c.want)
			}
			roundTrip(t, l)
		}
	}
	// Keras's get_config writes ((t, b), (l, r)); the zero value writes
	// the defaults, padding 1 and cropping 0.
	want := map[string]string{"ZeroPadding2D": "[[1 1] [1 1]]", "Cropping2D": "[[0 0] [0 0]]"}
	for _, l := range []nn.Layer{&nn.ZeroPadding2D{}, &nn.Cropping2D{}} {
		m := l.Config()
		v := m["padding"]
		if v == nil {
			v = m["cropping"]
		}
		if fmt.Sprint(v) != want[l.Class()] {
			t.Errorf("%s zero value writes %v, want %s", l.Class(), v, want[l.Class()])
		}
	}
	roundTrip(t, &nn.Cropping2D{Name: "c", InputShape: tensor.Shape{5, 5, 1}})
	roundTrip(t, &nn.ZeroPadding2D{Name: "z", Padding: [2][2]int{{0, 1}, {0, 1}}})

	for _, b := range []struct{ class, key, value, want string }{
		{"ZeroPadding2D", "padding", `-1`, `"padding" is -1; want an integer, two integers, or two pairs`},
		{"ZeroPadding2D", "padding", `[1, 2, 3]`, "two pairs of integers"},
		{"ZeroPadding2D", "padding", `[[1, 2, 3], [1, 1]]`, "two pairs of integers"},
		{"ZeroPadding2D", "padding", `1.5`, "want an integer"},
		{"ZeroPadding2D", "padding", `0`, "a ZeroPadding2D that pads nothing is an Identity layer"},
		{"ZeroPadding2D", "data_format", `"channels_first"`, `data_format="channels_first" is not implemented`},
		{"Cropping2D", "cropping", `[[0, -1], [0, 0]]`, `"cropping" is [[0,-1],[0,0]]`},
		{"Cropping2D", "cropping", `"1"`, "want an integer"},
		{"Cropping2D", "data_format", `"channels_first"`, `data_format="channels_first" is not implemented`},
	} {
		var cfg map[string]any
		json.Unmarshal([]byte(fmt.Sprintf(`{"name": "l", %q: %s}`, b.key, b.value)), &cfg)
		if _, err := nn.FromConfig(b.class, cfg); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s %s=%s: err = %v, want %q", b.class, b.key, b.value, err, b.want)
		}
	}
	// Keras's "should be smaller than the corresponding spatial
	// dimension": a crop must leave a row and a column.
	for _, c := range []struct {
		l    nn.Layer
		in   tensor.Shape
		want string
	}{
		{&nn.Cropping2D{Cropping: [2][2]int{{2, 2}, {0, 0}}}, tensor.Shape{4, 4, 1}, "cuts 2+2 of the input's 4 rows, leaving none"},
		{&nn.Cropping2D{Cropping: [2][2]int{{0, 0}, {5, 0}}}, tensor.Shape{4, 4, 1}, "cuts 5+0 of the input's 4 columns"},
		{&nn.Cropping2D{Cropping: [2][2]int{{-1, 0}, {0, 0}}}, tensor.Shape{4, 4, 1}, "negative"},
		{&nn.ZeroPadding2D{Padding: [2][2]int{{-1, 0}, {0, 0}}}, tensor.Shape{4, 4, 1}, "negative"},
		{&nn.ZeroPadding2D{Padding: [2][2]int{{1 << 50, 1}, {0, 0}}}, tensor.Shape{4, 4, 1}, "more than 2^50"},
		{&nn.ZeroPadding2D{}, tensor.Shape{4, 4}, "channels-last images"},
	} {
		if _, err := c.l.OutputShape(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v on %v: err = %v, want %q", c.l.Class(), c.l, c.in, err, c.want)
		}
	}
}

func TestZeroPaddingCroppingNoAllocs(t *testing.T) {
	checkNoAllocs(t, &nn.ZeroPadding2D{Padding: [2][2]int{{1, 2}, {3, 0}}}, tensor.Shape{5, 4, 3})
	checkNoAllocs(t, &nn.Cropping2D{Cropping: [2][2]int{{1, 2}, {0, 1}}}, tensor.Shape{5, 4, 3})
}
