package regularizer

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// f32 is a factor as Keras multiplies by it: rounded to float32.
func f32(f float64) float64 { return float64(float32(f)) }

func close(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestPenaltiesByHand checks each penalty and gradient against values
// worked out by hand from Keras's definitions
// (keras/src/regularizers/regularizers.py).
func TestPenaltiesByHand(t *testing.T) {
	// x = [[1, -2], [0, 3]]: Σ|x| = 6, Σx² = 14, sign(x) = [1, -1, 0, 1].
	x := []float32{1, -2, 0, 3}
	shape := tensor.Shape{2, 2}
	cases := []struct {
		name string
		r    Regularizer
		want float64
		grad []float64
	}{
		{"L1(0.1)", L1{L1: 0.1}, f32(0.1) * 6, []float64{0.1, -0.1, 0, 0.1}},
		{"L1 default 0.01", L1{}, f32(0.01) * 6, []float64{0.01, -0.01, 0, 0.01}},
		{"L2(0.5)", L2{L2: 0.5}, 0.5 * 14, []float64{1, -2, 0, 3}},
		{"L2 default 0.01", L2{}, f32(0.01) * 14, []float64{0.02, -0.04, 0, 0.06}},
		// 0.25·6 + 0.5·14 = 8.5; gradient 0.25·sign(x) + x.
		{"L1L2(0.25, 0.5)", L1L2{L1: 0.25, L2: 0.5}, 8.5, []float64{1.25, -2.25, 0, 3.25}},
		{"L1L2 default 0, 0", L1L2{}, 0, []float64{0, 0, 0, 0}},
	}
	for _, c := range cases {
		if got := c.r.Penalty(x, shape); !close(got, c.want, 1e-12) {
			t.Errorf("%s: penalty %.17g, want %.17g", c.name, got, c.want)
		}
		g := []float32{10, 10, 10, 10} // AddGrad adds
		c.r.AddGrad(g, x, shape)
		for i := range g {
			if !close(float64(g[i])-10, c.grad[i], 1e-6) {
				t.Errorf("%s: grad[%d] %v, want %v", c.name, i, float64(g[i])-10, c.grad[i])
			}
		}
	}
	// Keras multiplies by the float32 factor: L2(0.01) by 0.009999999776482582.
	if got := (L2{L2: 0.01}).Penalty([]float32{1}, tensor.Shape{1}); got != 0.009999999776482582 {
		t.Errorf("L2(0.01) of [1] = %.17g, want 0.009999999776482582 (Keras's float32 factor)", got)
	}
}

// TestOrthogonalByHand: rows v1 = (1, 0), v2 = (1, 1), v3 = (0, 2) have
// cosines |n1·n2| = 1/√2, |n1·n3| = 0, |n2·n3| = 1/√2 over 3 pairs, so the
// rows penalty is factor·√2/3; the columns (1, 1, 0) and (0, 1, 2) have
// cosine 1/(√2·√5) = 1/√10 over 1 pair.
func TestOrthogonalByHand(t *testing.T) {
	x := []float32{1, 0, 1, 1, 0, 2}
	shape := tensor.Shape{3, 2}
	if got, want := (&Orthogonal{}).Penalty(x, shape), f32(0.01)*math.Sqrt2/3; !close(got, want, 1e-9) {
		t.Errorf("rows: %.12g, want %.12g", got, want)
	}
	if got, want := (&Orthogonal{Factor: 0.5, Mode: Columns}).Penalty(x, shape), 0.5/math.Sqrt(10); !close(got, want, 1e-9) {
		t.Errorf("columns: %.12g, want %.12g", got, want)
	}
	// Columns mode of x equals rows mode of its transpose.
	xt := []float32{1, 1, 0, 0, 1, 2}
	a := (&Orthogonal{Mode: Columns}).Penalty(x, shape)
	b := (&Orthogonal{}).Penalty(xt, tensor.Shape{2, 3})
	if a != b {
		t.Errorf("columns of x %v, rows of xᵀ %v", a, b)
	}
	// Orthogonal rows cost nothing; a row of zeros is normalized to zeros
	// (the 1e7 cap), so it adds no penalty either.
	if p := (&Orthogonal{}).Penalty([]float32{3, 0, 0, 0, 0, -2}, tensor.Shape{3, 2}); p != 0 {
		t.Errorf("orthogonal rows and a zero row: penalty %v, want 0", p)
	}
	// Parallel rows: every |cosine| is 1, the penalty is the factor.
	if p := (&Orthogonal{Factor: 0.25}).Penalty([]float32{1, 2, -2, -4, 0.5, 1}, tensor.Shape{3, 2}); !close(p, 0.25, 1e-9) {
		t.Errorf("parallel rows: penalty %v, want 0.25", p)
	}
}

// gradCheck compares AddGrad with central differences of Penalty, using
// the float32 values actually stepped to.
func gradCheck(t *testing.T, name string, r Regularizer, x []float32, shape tensor.Shape, h, tol float64) {
	t.Helper()
	g := make([]float32, len(x))
	r.AddGrad(g, x, shape)
	bad := 0
	for i := range x {
		old := x[i]
		xp, xm := float32(float64(old)+h), float32(float64(old)-h)
		x[i] = xp
		lp := r.Penalty(x, shape)
		x[i] = xm
		lm := r.Penalty(x, shape)
		x[i] = old
		num := (lp - lm) / (float64(xp) - float64(xm))
		if math.Abs(num-float64(g[i])) > tol*(math.Abs(num)+math.Abs(float64(g[i])))+tol*1e-3 {
			bad++
			if bad <= 5 {
				t.Errorf("%s: d/dx[%d] = %.8g, finite difference %.8g", name, i, g[i], num)
			}
		}
	}
}

func TestGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randn := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	x := randn(12)
	x[3] = 0 // the gradient of |x| at 0 is 0 (TensorFlow's), as a central difference
	shape := tensor.Shape{4, 3}
	gradCheck(t, "L1", L1{L1: 0.3}, x, shape, 1e-3, 1e-4)
	gradCheck(t, "L2", L2{L2: 0.3}, x, shape, 1e-3, 1e-4)
	gradCheck(t, "L1L2", L1L2{L1: 0.2, L2: 0.7}, x, shape, 1e-3, 1e-4)
	for _, sh := range []tensor.Shape{{5, 3}, {3, 5}, {6, 6}} {
		x := randn(sh.Size())
		gradCheck(t, "Orthogonal rows "+sh.String(), &Orthogonal{Factor: 0.7}, x, sh, 1e-3, 2e-3)
		gradCheck(t, "Orthogonal columns "+sh.String(), &Orthogonal{Factor: 0.7, Mode: Columns}, x, sh, 1e-3, 2e-3)
	}
	// Rows shorter than ε = 1e-7 are scaled by the cap 1e7, a linear map:
	// the gradient skips the projection. Row 1 is (3e-8, -4e-8), norm 5e-8.
	x = randn(8)
	x[2], x[3] = 3e-8, -4e-8
	gradCheck(t, "Orthogonal capped row", &Orthogonal{Factor: 0.7}, x, tensor.Shape{4, 2}, 1e-9, 2e-3)
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Regularizer
	}{
		// Keras 3's model.to_json() for kernel_regularizer=L2(0.01).
		{`{"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.009999999776482582}, "registered_name": null}`, L2{L2: 0.009999999776482582}},
		// Keras 2's.
		{`{"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.009999999776482582}}`, L1L2{L2: 0.009999999776482582}},
		{`{"class_name": "L1", "config": {"l1": 0.5}}`, L1{L1: 0.5}},
		{`{"class_name": "l2", "config": {}}`, L2{L2: 0.01}},
		{`{"class_name": "L2", "config": {"l2": null}}`, L2{L2: 0.01}},
		{`{"class_name": "L1L2"}`, L1L2{}},
		{`"l1"`, L1{L1: 0.01}},
		{`"L2"`, L2{L2: 0.01}},
		{`"l1l2"`, L1L2{}},
		{`"l1_l2"`, L1L2{L1: 0.01, L2: 0.01}},
		{`null`, nil},
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
		if got != c.want {
			t.Errorf("Parse(%s) = %#v, want %#v", c.in, got, c.want)
		}
	}
	for _, in := range []string{`"orthogonal_regularizer"`, `"OrthogonalRegularizer"`,
		`{"module": "keras.regularizers", "class_name": "OrthogonalRegularizer", "config": {"factor": 0.009999999776482582, "mode": "columns"}, "registered_name": null}`} {
		var v any
		json.Unmarshal([]byte(in), &v)
		got, err := Parse(v)
		o, ok := got.(*Orthogonal)
		if err != nil || !ok {
			t.Errorf("Parse(%s) = %v, %v", in, got, err)
			continue
		}
		if strings.Contains(in, "columns") && (o.Mode != Columns || o.Factor != 0.009999999776482582) {
			t.Errorf("Parse(%s): factor %v mode %v", in, o.Factor, o.Mode)
		}
		if !strings.Contains(in, "columns") && (o.Mode != Rows || o.FactorValue() != 0.01) {
			t.Errorf("Parse(%s): factor %v mode %v", in, o.FactorValue(), o.Mode)
		}
	}
}

// TestParseZeroFactor: Keras accepts L2(0.0); its config says 0 and reads
// back as no penalty, not as the default 0.01.
func TestParseZeroFactor(t *testing.T) {
	for _, in := range []map[string]any{
		{"class_name": "L2", "config": map[string]any{"l2": 0.0}},
		{"class_name": "L1", "config": map[string]any{"l1": 0.0}},
		{"class_name": "OrthogonalRegularizer", "config": map[string]any{"factor": 0.0, "mode": "rows"}},
	} {
		r, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if p := r.Penalty([]float32{1, 2, 3, 4}, tensor.Shape{2, 2}); p != 0 {
			t.Errorf("%v: penalty %v, want 0", in, p)
		}
		if !reflect.DeepEqual(r.Config()["config"], in["config"]) {
			t.Errorf("%v: config written back as %v", in, r.Config()["config"])
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"typo", `unknown regularizer "typo"`},
		{3.0, "is not a regularizer"},
		{map[string]any{"class_name": "L3"}, `unknown regularizer class "L3"`},
		{map[string]any{"config": map[string]any{}}, "without a class name"},
		{map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.01, "l1": 0.01}}, `L2 config has unknown key "l1"; it takes l2`},
		{map[string]any{"class_name": "L2", "config": map[string]any{"l2": -0.01}}, `"l2" is -0.01; want a non-negative number`},
		{map[string]any{"class_name": "L1", "config": map[string]any{"l1": math.NaN()}}, `"l1" is NaN`},
		{map[string]any{"class_name": "L1L2", "config": map[string]any{"l1": math.Inf(1)}}, `"l1" is +Inf`},
		{map[string]any{"class_name": "L2", "config": map[string]any{"l2": "big"}}, `"l2" is big; want a number`},
		{map[string]any{"class_name": "L2", "config": 0.01}, "want an object"},
		{map[string]any{"class_name": "L2", "config": map[string]any{}, "shared_object_id": 1}, `unknown key "shared_object_id"`},
		{map[string]any{"class_name": "L2", "module": "my_project"}, "custom class"},
		{map[string]any{"class_name": "L2", "registered_name": "my>L2"}, "custom class"},
		{map[string]any{"class_name": "OrthogonalRegularizer", "config": map[string]any{"mode": "diagonal"}}, `"mode" is "diagonal"; want "rows" or "columns"`},
		{map[string]any{"class_name": "OrthogonalRegularizer", "config": map[string]any{"factor": nil}}, `"factor" is null`},
	}
	for _, c := range cases {
		r, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%v) = %v, %v; want an error containing %q", c.in, r, err, c.want)
		}
	}
}

// TestConfigRoundTrip: what Config writes, Parse reads back as the same
// regularizer, and Keras 3's JSON comes back byte for byte.
func TestConfigRoundTrip(t *testing.T) {
	for _, r := range []Regularizer{L1{L1: 0.3}, L2{}, L2{L2: 0.009999999776482582}, L1L2{L1: 1e-5, L2: 2e-4}, L1L2{}} {
		b, err := json.Marshal(Serialize(r))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		json.Unmarshal(b, &v)
		back, err := Parse(v)
		if err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		if !reflect.DeepEqual(back.Config(), r.Config()) {
			t.Errorf("%s read back as %v", b, back.Config())
		}
	}
	keras := `{"class_name":"OrthogonalRegularizer","config":{"factor":0.10000000149011612,"mode":"columns"},"module":"keras.regularizers","registered_name":null}`
	var v any
	json.Unmarshal([]byte(keras), &v)
	r, err := Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(Serialize(r)); string(b) != keras {
		t.Errorf("written back as\n%s\nwant\n%s", b, keras)
	}
	if Serialize(nil) != nil {
		t.Error("Serialize(nil) is not nil")
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		r     Regularizer
		shape tensor.Shape
		want  string // "" for no error
	}{
		{L2{}, tensor.Shape{3, 3, 2, 4}, ""},
		{L2{L2: -1}, tensor.Shape{3}, "L2 l2 is -1"},
		{L1{L1: math.NaN()}, tensor.Shape{3}, "L1 l1 is NaN"},
		{L1L2{L2: -2}, tensor.Shape{3}, "L1L2 l2 is -2"},
		{&Orthogonal{}, tensor.Shape{4, 3}, ""},
		{&Orthogonal{}, tensor.Shape{-1, 3}, ""}, // an activity: the batch is unknown
		{&Orthogonal{}, tensor.Shape{3, 3, 1, 8}, "rank-2 tensors"},
		{&Orthogonal{}, tensor.Shape{1, 8}, "one row, no pair"},
		{&Orthogonal{Mode: Columns}, tensor.Shape{8, 1}, "one column, no pair"},
		{&Orthogonal{Mode: 7}, tensor.Shape{8, 2}, "mode is Mode(7)"},
		{&Orthogonal{Factor: -1}, tensor.Shape{8, 2}, "factor is -1"},
	}
	for _, c := range cases {
		err := Check(c.r, c.shape)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%#v, %v) = %v, want %q", c.r, c.shape, err, c.want)
		}
	}
	if Check(nil, tensor.Shape{3}) != nil {
		t.Error("Check(nil) is an error")
	}
}

// TestOrthogonalAllocatesNothing: once warm, the penalty and its gradient
// reuse the scratch space (training does not allocate).
func TestOrthogonalAllocatesNothing(t *testing.T) {
	o := &Orthogonal{}
	x := make([]float32, 20)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	g := make([]float32, 20)
	sh := tensor.Shape{5, 4}
	o.Penalty(x, sh)
	o.AddGrad(g, x, sh)
	if a := testing.AllocsPerRun(10, func() { o.Penalty(x, sh); o.AddGrad(g, x, sh) }); a != 0 {
		t.Errorf("%v allocations per call", a)
	}
}
