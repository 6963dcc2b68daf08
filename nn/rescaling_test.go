package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

func TestRescalingGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer *nn.Rescaling
		in    tensor.Shape
	}{
		{"scalar", &nn.Rescaling{Scale: 1.0 / 127.5, Offset: -1}, tensor.Shape{3, 4, 2}},
		{"per_channel", &nn.Rescaling{ChannelScale: []float64{0.5, -2, 3}, ChannelOffset: []float64{1, 2, 3}}, tensor.Shape{2, 2, 3}},
		{"flat", &nn.Rescaling{Scale: 4}, tensor.Shape{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckGradients(t, tt.layer, tt.in, nntest.GradOptions{Batch: 2, MaxChecks: 100})
		})
	}
}

// TestRescalingValues checks x·scale + offset against values worked out
// from Keras's definition by hand.
func TestRescalingValues(t *testing.T) {
	tests := []struct {
		name  string
		layer *nn.Rescaling
		in    tensor.Shape
		x     []float32
		want  []float32
	}{
		// The Keras docstring's two examples: [0, 255] to [0, 1] and to [-1, 1].
		{"unit", &nn.Rescaling{Scale: 1.0 / 255}, tensor.Shape{4}, []float32{0, 51, 127.5, 255}, []float32{0, 0.2, 0.5, 1}},
		{"symmetric", &nn.Rescaling{Scale: 1.0 / 127.5, Offset: -1}, tensor.Shape{3}, []float32{0, 127.5, 255}, []float32{-1, 0, 1}},
		{"per_channel", &nn.Rescaling{ChannelScale: []float64{1, 2, 3}, ChannelOffset: []float64{0, 10, 20}}, tensor.Shape{2, 3},
			[]float32{1, 1, 1, 2, 2, 2}, []float32{1, 12, 23, 2, 14, 26}},
		{"scale_per_channel_offset_scalar", &nn.Rescaling{ChannelScale: []float64{-1, 0.5}, Offset: 3}, tensor.Shape{2},
			[]float32{4, 4}, []float32{-1, 5}},
		{"lists_of_one_broadcast", &nn.Rescaling{ChannelScale: []float64{2}, ChannelOffset: []float64{1}}, tensor.Shape{3},
			[]float32{1, 2, 3}, []float32{3, 5, 7}},
	}
	for _, tt := range tests {
		if err := tt.layer.Build(tt.in, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		x := &tensor.Tensor{Shape: append(tensor.Shape{1}, tt.in...), Data: tt.x}
		for _, training := range []bool{false, true} {
			y := tt.layer.Forward(x, training)
			for i, w := range tt.want {
				if math.Abs(float64(y.Data[i]-w)) > 1e-6 {
					t.Errorf("%s (training %v): y[%d] = %v, want %v", tt.name, training, i, y.Data[i], w)
				}
			}
		}
	}
}

// A Keras 3 model.to_json() writes Rescaling's scale as a number, a list
// or a NumPy array (serialize_keras_object).
func TestRescalingKerasConfig(t *testing.T) {
	good := []struct {
		json          string
		scale, offset float64
		chScale       []float64
	}{
		{`{"name": "rescaling", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "scale": 0.00392156862745098, "offset": 0.0}`, 1.0 / 255, 0, nil},
		{`{"name": "r", "scale": 0.0078431372549, "offset": -1, "batch_input_shape": [null, 8, 8, 3]}`, 0.0078431372549, -1, nil},
		{`{"scale": [0.5, 0.25, 2], "offset": 0}`, 0, 0, []float64{0.5, 0.25, 2}},
		{`{"scale": {"class_name": "__numpy__", "config": {"value": [[[0.5, 0.25, 2]]], "dtype": "float32"}}, "offset": 0.0}`, 0, 0, []float64{0.5, 0.25, 2}},
		{`{"scale": [3], "offset": 1}`, 3, 1, nil},
	}
	for _, g := range good {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(g.json), &cfg); err != nil {
			t.Fatal(err)
		}
		l, err := nn.FromConfig("Rescaling", cfg)
		if err != nil {
			t.Errorf("%s: %v", g.json, err)
			continue
		}
		r := l.(*nn.Rescaling)
		if r.Scale != g.scale || r.Offset != g.offset || !equalFloats(r.ChannelScale, g.chScale) {
			t.Errorf("%s: got scale %v offset %v channels %v", g.json, r.Scale, r.Offset, r.ChannelScale)
		}
		// Round trip through JSON, as Save and Replica do.
		b, _ := json.Marshal(nn.LayerConfig(l))
		var again map[string]any
		json.Unmarshal(b, &again)
		l2, err := nn.FromConfig("Rescaling", again)
		if err != nil {
			t.Errorf("%s: round trip %s: %v", g.json, b, err)
			continue
		}
		if r2 := l2.(*nn.Rescaling); r2.Scale != r.Scale || r2.Offset != r.Offset || !equalFloats(r2.ChannelScale, r.ChannelScale) {
			t.Errorf("%s: round trip gives %+v", g.json, r2)
		}
	}
	bad := []struct{ json, want string }{
		{`{"offset": 1}`, `"scale" is missing`},
		{`{"scale": [[1, 2], [3, 4]]}`, "scale=[[1,2],[3,4]] is not implemented"},
		{`{"scale": "half"}`, "scale"},
		{`{"scale": 0.5, "scael": 1}`, `"scael"`},
	}
	for _, b := range bad {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(b.json), &cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := nn.FromConfig("Rescaling", cfg); err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "Rescaling") {
			t.Errorf("%s: err = %v, want it to name Rescaling and say %s", b.json, err, b.want)
		}
	}
	for _, l := range []*nn.Rescaling{{}, {ChannelScale: []float64{1, 2}}} {
		if err := l.Build(tensor.Shape{4, 4, 3}, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%+v on 3 channels: no error", l)
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
