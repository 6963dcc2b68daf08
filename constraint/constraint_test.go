package constraint

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

func near(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Errorf("%s: w[%d] = %.9g, want %.9g", name, i, got[i], want[i])
		}
	}
}

// TestByHand checks each constraint against values worked out by hand from
// Keras's definitions (keras/src/constraints/constraints.py), ε = 1e-7.
func TestByHand(t *testing.T) {
	const eps = 1e-7
	// W = [[3, 0.6], [4, 0.8]]: column norms 5 and 1; row norms √9.36 and √16.64.
	w := func() []float32 { return []float32{3, 0.6, 4, 0.8} }
	sh := tensor.Shape{2, 2}

	x := w()
	MaxNorm{}.Apply(x, sh) // max 2 over axis 0: column 0 → 2/(5+ε)·(3, 4) ≈ (1.2, 1.6); column 1 → 1/(1+ε)·(0.6, 0.8)
	near(t, "MaxNorm axis 0", x, []float64{1.2, 0.6, 1.6, 0.8}, 1e-6)
	near(t, "MaxNorm axis 0 (with ε)", x, []float64{3 * 2 / (5 + eps), 0.6 / (1 + eps), 4 * 2 / (5 + eps), 0.8 / (1 + eps)}, 1e-7)

	x = w()
	MaxNorm{MaxValue: 3, Axis: []int{1}}.Apply(x, sh) // rows: 3/√9.36 = 0.98058068, 3/√16.64 = 0.73543551
	near(t, "MaxNorm axis 1", x, []float64{3 * 0.98058068, 0.6 * 0.98058068, 4 * 0.73543551, 0.8 * 0.73543551}, 1e-6)

	x = w()
	MaxNorm{MaxValue: 10, Axis: []int{0, 1}}.Apply(x, sh) // the whole matrix: norm √26 < 10, scale √26/(√26+ε)
	near(t, "MaxNorm axes 0, 1", x, []float64{3, 0.6, 4, 0.8}, 1e-6)

	// MinMaxNorm(1, 2, rate 0.5): column 0 (norm 5) → 0.5·2 + 0.5·5 = 3.5, scale 0.7;
	// column 1 scaled to norm 0.5 first, then → 0.5·1 + 0.5·0.5 = 0.75, scale 1.5.
	x = []float32{3, 0.3, 4, 0.4}
	MinMaxNorm{MinValue: 1, MaxValue: 2, Rate: 0.5}.Apply(x, sh)
	near(t, "MinMaxNorm", x, []float64{2.1, 0.45, 2.8, 0.6}, 1e-6)
	x = []float32{3, 0.3, 4, 0.4}
	MinMaxNorm{}.Apply(x, sh) // [0, 1], rate 1: column 0 to norm 1, column 1 (0.5) kept
	near(t, "MinMaxNorm defaults", x, []float64{0.6, 0.3, 0.8, 0.4}, 1e-6)

	x = w()
	UnitNorm{}.Apply(x, sh)
	near(t, "UnitNorm", x, []float64{0.6, 0.6, 0.8, 0.8}, 1e-6)
	x = w()
	UnitNorm{Axis: []int{-1}}.Apply(x, sh) // rows
	near(t, "UnitNorm axis -1", x, []float64{3 / math.Sqrt(9.36), 0.6 / math.Sqrt(9.36), 4 / math.Sqrt(16.64), 0.8 / math.Sqrt(16.64)}, 1e-6)

	x = []float32{-1, 0, 2, -0.5}
	NonNeg{}.Apply(x, tensor.Shape{4})
	near(t, "NonNeg", x, []float64{0, 0, 2, 0}, 0)

	// A zero group stays zero: 0·clip(0)/(ε+0) = 0.
	x = []float32{0, 1, 0, 1}
	MaxNorm{MaxValue: 1}.Apply(x, sh)
	near(t, "MaxNorm zero column", x, []float64{0, 1 / (math.Sqrt2 + eps), 0, 1 / (math.Sqrt2 + eps)}, 1e-6)
}

// reference is a plain twin of scaleByNorm: it walks every multi-index of
// shape and groups elements by their index on the kept axes.
func reference(w []float32, shape tensor.Shape, axes []int, scale func(float64) float64) {
	reduce := map[int]bool{}
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		reduce[a] = true
	}
	key := func(flat int) string {
		k := ""
		for i := len(shape) - 1; i >= 0; i-- {
			c := flat % shape[i]
			flat /= shape[i]
			if !reduce[i] {
				k += string(rune('a'+c)) + ","
			} else {
				k += "_,"
			}
		}
		return k
	}
	sums := map[string]float64{}
	for i, v := range w {
		sums[key(i)] += float64(v) * float64(v)
	}
	for i := range w {
		w[i] = float32(float64(w[i]) * scale(math.Sqrt(sums[key(i)])))
	}
}

// TestAxesAgainstReference checks the norm groups over rank-1 to rank-4
// shapes (a Conv2D kernel among them) and every kind of axis list.
func TestAxesAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		shape tensor.Shape
		axes  []int
	}{
		{tensor.Shape{5}, []int{0}},
		{tensor.Shape{4, 3}, []int{0}},
		{tensor.Shape{4, 3}, []int{1}},
		{tensor.Shape{4, 3}, []int{-1}},
		{tensor.Shape{4, 3}, []int{1, 0}},
		{tensor.Shape{3, 3, 2, 4}, []int{0, 1, 2}}, // each Conv2D filter
		{tensor.Shape{3, 3, 2, 4}, []int{0}},       // Keras's default on a Conv2D kernel
		{tensor.Shape{3, 3, 2, 4}, []int{-1, 1}},
		{tensor.Shape{2, 3, 2, 3}, []int{3, 0, 2}},
	}
	for _, c := range cases {
		w := make([]float32, c.shape.Size())
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		got, want := append([]float32(nil), w...), append([]float32(nil), w...)
		MaxNorm{MaxValue: 0.7, Axis: c.axes}.Apply(got, c.shape)
		reference(want, c.shape, c.axes, func(n float64) float64 { return math.Min(n, float64(float32(0.7))) / (epsilon + n) })
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("shape %v axes %v: w[%d] = %v, reference %v", c.shape, c.axes, i, got[i], want[i])
				break
			}
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want string // the Config after Parse, as JSON
	}{
		{`{"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}, "registered_name": null}`,
			`{"class_name":"MaxNorm","config":{"axis":0,"max_value":2},"module":"keras.constraints","registered_name":null}`},
		{`{"class_name": "MaxNorm", "config": {"max_value": 3.5, "axis": [0, 1, 2]}}`,
			`{"class_name":"MaxNorm","config":{"axis":[0,1,2],"max_value":3.5},"module":"keras.constraints","registered_name":null}`},
		{`{"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 1.5, "rate": 0.25, "axis": -1}}`,
			`{"class_name":"MinMaxNorm","config":{"axis":-1,"max_value":1.5,"min_value":0.5,"rate":0.25},"module":"keras.constraints","registered_name":null}`},
		{`{"class_name": "NonNeg", "config": {}}`, `{"class_name":"NonNeg","config":{},"module":"keras.constraints","registered_name":null}`},
		{`{"class_name": "UnitNorm", "config": {"axis": [1]}}`, `{"class_name":"UnitNorm","config":{"axis":1},"module":"keras.constraints","registered_name":null}`},
		{`"max_norm"`, `{"class_name":"MaxNorm","config":{"axis":0,"max_value":2},"module":"keras.constraints","registered_name":null}`},
		{`"maxnorm"`, `{"class_name":"MaxNorm","config":{"axis":0,"max_value":2},"module":"keras.constraints","registered_name":null}`},
		{`"min_max_norm"`, `{"class_name":"MinMaxNorm","config":{"axis":0,"max_value":1,"min_value":0,"rate":1},"module":"keras.constraints","registered_name":null}`},
		{`"non_neg"`, `{"class_name":"NonNeg","config":{},"module":"keras.constraints","registered_name":null}`},
		{`"UnitNorm"`, `{"class_name":"UnitNorm","config":{"axis":0},"module":"keras.constraints","registered_name":null}`},
		// An explicit 0 stays 0 (Keras allows it), not the default.
		{`{"class_name": "MinMaxNorm", "config": {"max_value": 0, "rate": 0}}`,
			`{"class_name":"MinMaxNorm","config":{"axis":0,"max_value":0,"min_value":0,"rate":0},"module":"keras.constraints","registered_name":null}`},
	}
	for _, c := range cases {
		var v any
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Fatal(err)
		}
		got, err := Parse(v)
		if err != nil {
			t.Errorf("Parse(%s): %v", c.in, err)
			continue
		}
		b, _ := json.Marshal(Serialize(got))
		if string(b) != c.want {
			t.Errorf("Parse(%s) writes\n%s\nwant\n%s", c.in, b, c.want)
		}
	}
	if c, err := Parse(nil); c != nil || err != nil {
		t.Errorf("Parse(nil) = %v, %v", c, err)
	}
	// MaxNorm's explicit 0 zeroes the weights, as Keras's MaxNorm(0).
	c, _ := Parse(map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": 0.0}})
	x := []float32{1, 2}
	c.Apply(x, tensor.Shape{2})
	if x[0] != 0 || x[1] != 0 {
		t.Errorf("MaxNorm(0) left %v", x)
	}
	if !reflect.DeepEqual(Serialize(nil), nil) {
		t.Error("Serialize(nil) is not nil")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"radial_constraint", `unknown constraint "radial_constraint"`},
		{true, "is not a constraint"},
		{map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": 2.0, "axes": 0.0}}, `MaxNorm config has unknown key "axes"; it takes axis, max_value`},
		{map[string]any{"class_name": "MaxNorm", "config": map[string]any{"axis": nil}}, `"axis" is <nil>`},
		{map[string]any{"class_name": "MaxNorm", "config": map[string]any{"axis": 1.5}}, `"axis" is 1.5`},
		{map[string]any{"class_name": "UnitNorm", "config": map[string]any{"axis": []any{0.0, "x"}}}, `want an integer or a list of integers`},
		{map[string]any{"class_name": "UnitNorm", "config": map[string]any{"axis": []any{}}}, `want an integer or a list of integers`},
		{map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": -1.0}}, `"max_value" is -1`},
		{map[string]any{"class_name": "MaxNorm", "config": map[string]any{"max_value": math.Inf(1)}}, `"max_value" is +Inf; want a finite number`},
		{map[string]any{"class_name": "MinMaxNorm", "config": map[string]any{"min_value": 2.0, "max_value": 1.0}}, `want 0 <= min_value <= max_value`},
		{map[string]any{"class_name": "NonNeg", "config": map[string]any{"axis": 0.0}}, `NonNeg config has unknown key "axis"`},
		{map[string]any{"class_name": "MaxNorm", "module": "mypkg.constraints"}, "custom class"},
		{map[string]any{"class_name": "MaxNorm", "registered_name": "Custom>MaxNorm"}, "custom class"},
		{map[string]any{"class_name": "MaxNorm", "config": "big"}, "want an object"},
		{map[string]any{"class_name": "MaxNorm", "extra": 1.0}, `unknown key "extra"`},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%v) = %v, %v; want an error containing %q", c.in, got, err, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		c     Constraint
		shape tensor.Shape
		want  string
	}{
		{MaxNorm{}, tensor.Shape{3, 4}, ""},
		{MaxNorm{Axis: []int{0, 1, 2}}, tensor.Shape{3, 3, 1, 8}, ""},
		{MaxNorm{Axis: []int{0, 1, 2}}, tensor.Shape{8}, "axis 1 is outside a weight of shape (8,) (rank 1); use an axis from -1 to 0"},
		{UnitNorm{Axis: []int{0, -2}}, tensor.Shape{3, 4}, "names axis 0 twice"},
		{UnitNorm{Axis: []int{}}, tensor.Shape{3, 4}, "empty list"},
		{MaxNorm{MaxValue: -2}, tensor.Shape{3}, "max_value is -2"},
		{MinMaxNorm{MinValue: 3}, tensor.Shape{3}, "min_value 3, max_value 1"},
		{MinMaxNorm{Rate: math.NaN()}, tensor.Shape{3}, "rate is NaN"},
		{NonNeg{}, tensor.Shape{3, 3, 3, 3, 3, 3, 3, 3, 3}, ""},
	}
	for _, c := range cases {
		err := Check(c.c, c.shape)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%#v, %v) = %v, want %q", c.c, c.shape, err, c.want)
		}
	}
}

func TestApplyAllocatesNothing(t *testing.T) {
	w := make([]float32, 3*3*2*4)
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	sh := tensor.Shape{3, 3, 2, 4}
	for _, c := range []Constraint{MaxNorm{Axis: []int{0, 1, 2}}, MinMaxNorm{}, UnitNorm{}, NonNeg{}} {
		if a := testing.AllocsPerRun(10, func() { c.Apply(w, sh) }); a != 0 {
			t.Errorf("%T: %v allocations per Apply", c, a)
		}
	}
}
