package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// checkMergeGradients builds m for per-sample shapes in and compares the
// gradients BackwardMerge returns for every input against central finite
// differences of loss = Σ w⊙y (w random and fixed), as nntest does for
// one-input layers. input, if set, fills input i.
func checkMergeGradients(t *testing.T, m Merger, in []tensor.Shape, batch int, input func(r *rand.Rand, i int, x []float32)) {
	t.Helper()
	if err := m.BuildMerge(in); err != nil {
		t.Fatalf("%s: BuildMerge(%v): %v", m.Class(), in, err)
	}
	out, err := m.MergeOutputShape(in)
	if err != nil {
		t.Fatalf("%s: MergeOutputShape(%v): %v", m.Class(), in, err)
	}
	r := rand.New(rand.NewPCG(3, 7))
	xs := make([]*tensor.Tensor, len(in))
	for i, s := range in {
		xs[i] = tensor.New(append(tensor.Shape{batch}, s...)...)
		if input != nil {
			input(r, i, xs[i].Data)
		} else {
			for j := range xs[i].Data {
				xs[i].Data[j] = float32(r.NormFloat64())
			}
		}
	}
	y := m.ForwardMerge(xs, true)
	if want := append(tensor.Shape{batch}, out...); !y.Shape.Equal(want) {
		t.Fatalf("%s: ForwardMerge shape %v, MergeOutputShape says %v", m.Class(), y.Shape, want)
	}
	w := make([]float32, len(y.Data))
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	dy := &tensor.Tensor{Shape: y.Shape.Clone(), Data: append([]float32(nil), w...)}
	dxs := m.BackwardMerge(dy)
	if len(dxs) != len(xs) {
		t.Fatalf("%s: BackwardMerge returned %d gradients for %d inputs", m.Class(), len(dxs), len(xs))
	}
	ana := make([][]float32, len(dxs))
	for i, dx := range dxs {
		if !dx.Shape.Equal(xs[i].Shape) {
			t.Fatalf("%s: gradient %d has shape %v, input %v", m.Class(), i, dx.Shape, xs[i].Shape)
		}
		ana[i] = append([]float32(nil), dx.Data...)
	}
	loss := func() float64 {
		var s float64
		for i, v := range m.ForwardMerge(xs, true).Data {
			s += float64(w[i]) * float64(v)
		}
		return s
	}
	const h, tol = 1e-2, 1e-2
	for i, x := range xs {
		bad := 0
		for j := range x.Data {
			old := x.Data[j]
			x.Data[j] = old + h
			lp := loss()
			x.Data[j] = old - h
			lm := loss()
			x.Data[j] = old
			num := (lp - lm) / (2 * h)
			a := float64(ana[i][j])
			if math.Abs(num-a) > tol*(math.Abs(num)+math.Abs(a))+tol {
				if bad++; bad <= 5 {
					t.Errorf("%s %v: d loss/d input%d[%d] = %.6g, finite difference %.6g", m.Class(), in, i, j, a, num)
				}
			}
		}
	}
}

// spread fills inputs with values at least 0.1 apart across all inputs,
// so that Maximum/Minimum have no near-ties for a finite difference to
// straddle.
func spread(r *rand.Rand, i int, x []float32) {
	for j := range x {
		x[j] = float32(r.IntN(200)-100)*0.1 + float32(i)*0.0371 + 0.013*float32(j%3)
	}
}

func TestMergeGradients(t *testing.T) {
	S := func(d ...int) tensor.Shape { return tensor.Shape(d) }
	cases := []struct {
		m     Merger
		in    []tensor.Shape
		input func(*rand.Rand, int, []float32)
	}{
		{&Add{}, []tensor.Shape{S(3, 4), S(3, 4), S(3, 4)}, nil},
		{&Add{}, []tensor.Shape{S(3, 4), S(1, 4), S(4), S()}, nil}, // broadcasting, ranks differ
		{&Subtract{}, []tensor.Shape{S(2, 3), S(2, 3)}, nil},
		{&Subtract{}, []tensor.Shape{S(2, 1), S(3)}, nil},
		{&Multiply{}, []tensor.Shape{S(5), S(5), S(5)}, nil},
		{&Multiply{}, []tensor.Shape{S(2, 3), S(3), S(2, 1)}, nil},
		{&Average{}, []tensor.Shape{S(4), S(4), S(4)}, nil},
		{&Average{}, []tensor.Shape{S(2, 2), S(1)}, nil},
		{&Maximum{}, []tensor.Shape{S(6), S(6), S(6)}, spread},
		{&Maximum{}, []tensor.Shape{S(2, 3), S(3)}, spread},
		{&Minimum{}, []tensor.Shape{S(6), S(6), S(6)}, spread},
		{&Minimum{}, []tensor.Shape{S(3, 1), S(1, 2)}, spread},
		{&Concatenate{}, []tensor.Shape{S(2, 3), S(2, 1), S(2, 2)}, nil},
		{&Concatenate{Axis: 1}, []tensor.Shape{S(2, 3), S(1, 3)}, nil},
		{&Concatenate{Axis: -2}, []tensor.Shape{S(2, 1, 3), S(2, 2, 3)}, nil},
		{&Dot{}, []tensor.Shape{S(4), S(4)}, nil},
		{&Dot{Axes: []int{1, 2}}, []tensor.Shape{S(3, 2), S(4, 3)}, nil},
		{&Dot{Axes: []int{2}}, []tensor.Shape{S(2, 3, 2), S(3, 3)}, nil},
		{&Dot{Axes: []int{-1, 1}}, []tensor.Shape{S(2, 3), S(3)}, nil},
		{&Dot{Normalize: true}, []tensor.Shape{S(4), S(4)}, nil},
		{&Dot{Axes: []int{1, 2}, Normalize: true}, []tensor.Shape{S(3, 2), S(4, 3)}, nil},
	}
	for _, c := range cases {
		checkMergeGradients(t, c.m, c.in, 2, c.input)
	}
}

func TestMergeShapes(t *testing.T) {
	S := func(d ...int) tensor.Shape { return tensor.Shape(d) }
	cases := []struct {
		m    Merger
		in   []tensor.Shape
		want tensor.Shape
		err  string
	}{
		{&Add{}, []tensor.Shape{S(3, 4), S(4)}, S(3, 4), ""},
		{&Add{}, []tensor.Shape{S(3, 1), S(1, 4)}, S(3, 4), ""},
		{&Add{}, []tensor.Shape{S(3, 4), S(3)}, nil, "incompatible shapes"},
		{&Add{}, nil, nil, "at least one input"},
		{&Subtract{}, []tensor.Shape{S(2), S(2), S(2)}, nil, "exactly 2 inputs"},
		{&Concatenate{}, []tensor.Shape{S(2, 3), S(2, 5)}, S(2, 8), ""},
		{&Concatenate{Axis: 1}, []tensor.Shape{S(2, 3), S(4, 3)}, S(6, 3), ""},
		{&Concatenate{}, []tensor.Shape{S(2, 3), S(3, 3)}, nil, "differ on axis 1"},
		{&Concatenate{}, []tensor.Shape{S(2, 3), S(3)}, nil, "different ranks"},
		{&Concatenate{Axis: 3}, []tensor.Shape{S(2, 3), S(2, 3)}, nil, "batch axis 0 cannot"},
		{&Concatenate{Axis: -3}, []tensor.Shape{S(2, 3), S(2, 3)}, nil, "batch axis 0 cannot"},
		// Keras's Dot docstring: (2, 3, 5) and (2, 10, 3) with axes (1, 2) give (2, 5, 10).
		{&Dot{Axes: []int{1, 2}}, []tensor.Shape{S(3, 5), S(10, 3)}, S(5, 10), ""},
		{&Dot{Axes: []int{1}}, []tensor.Shape{S(8), S(8)}, S(1), ""},
		{&Dot{}, []tensor.Shape{S(8), S(7)}, nil, "summed axes differ"},
		{&Dot{Axes: []int{0}}, []tensor.Shape{S(8), S(8)}, nil, "batch axis"},
		{&Dot{}, []tensor.Shape{S(8)}, nil, "exactly 2 inputs"},
	}
	for _, c := range cases {
		got, err := c.m.MergeOutputShape(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s%v: error %v, want one containing %q", c.m.Class(), c.in, err, c.err)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s%v = %v, %v; want %v", c.m.Class(), c.in, got, err, c.want)
		}
	}
}

func mergeRun(t *testing.T, m Merger, in []tensor.Shape, data ...[]float32) *tensor.Tensor {
	t.Helper()
	if err := m.BuildMerge(in); err != nil {
		t.Fatal(err)
	}
	xs := make([]*tensor.Tensor, len(in))
	for i, s := range in {
		x, err := tensor.FromSlice(data[i], append(tensor.Shape{1}, s...)...)
		if err != nil {
			t.Fatal(err)
		}
		xs[i] = x
	}
	return m.ForwardMerge(xs, false)
}

func near(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return false
		}
	}
	return true
}

// TestMergeValues checks outputs and gradients against numbers worked by
// hand from Keras's definitions.
func TestMergeValues(t *testing.T) {
	S := func(d ...int) tensor.Shape { return tensor.Shape(d) }
	a := []float32{1, -2, 3, 0}
	b := []float32{2, -2, -1, 5}
	cases := []struct {
		m    Merger
		in   []tensor.Shape
		data [][]float32
		want []float32
	}{
		{&Add{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{3, -4, 2, 5}},
		{&Subtract{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{-1, 0, 4, -5}},
		{&Multiply{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{2, 4, -3, 0}},
		{&Average{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{1.5, -2, 1, 2.5}},
		{&Maximum{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{2, -2, 3, 5}},
		{&Minimum{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{1, -2, -1, 0}},
		// (2, 2) + (2,): the second is added to each row.
		{&Add{}, []tensor.Shape{S(2, 2), S(2)}, [][]float32{a, {10, 20}}, []float32{11, 18, 13, 20}},
		// (2, 1) - (1, 2) broadcast to (2, 2): [[1-10, 1-20], [-2-10, -2-20]].
		{&Subtract{}, []tensor.Shape{S(2, 1), S(1, 2)}, [][]float32{{1, -2}, {10, 20}}, []float32{-9, -19, -12, -22}},
		{&Concatenate{}, []tensor.Shape{S(2, 1), S(2, 2)}, [][]float32{{1, 2}, {3, 4, 5, 6}}, []float32{1, 3, 4, 2, 5, 6}},
		{&Concatenate{Axis: 1}, []tensor.Shape{S(1, 2), S(2, 2)}, [][]float32{{1, 2}, {3, 4, 5, 6}}, []float32{1, 2, 3, 4, 5, 6}},
		{&Dot{}, []tensor.Shape{S(4), S(4)}, [][]float32{a, b}, []float32{2 + 4 - 3 + 0}},
		// x (2, 2) = [[1, -2], [3, 0]], y (2, 2) = [[2, -2], [-1, 5]], axes (1, 1):
		// out[i][j] = Σ_k x[k][i] y[k][j] = (xᵀy): [[1·2+3·(-1), 1·(-2)+3·5], [-2·2+0, -2·(-2)+0]].
		{&Dot{Axes: []int{1}}, []tensor.Shape{S(2, 2), S(2, 2)}, [][]float32{a, b}, []float32{-1, 13, -4, 4}},
		// Cosine proximity: (3, 4)·(4, -3) = 0, (3, 4)·(6, 8)/(5·10) = 1,
		// and a zero vector stays zero (its norm is floored at ε).
		{&Dot{Normalize: true}, []tensor.Shape{S(2), S(2)}, [][]float32{{3, 4}, {4, -3}}, []float32{0}},
		{&Dot{Normalize: true}, []tensor.Shape{S(2), S(2)}, [][]float32{{3, 4}, {6, 8}}, []float32{1}},
		{&Dot{Normalize: true}, []tensor.Shape{S(2), S(2)}, [][]float32{{0, 0}, {6, 8}}, []float32{0}},
		// Axis 1 of (2, 2) inputs: x's columns are (1, 3), (-2, 0), y's (2, -1), (-2, 5),
		// and out[i][j] is the cosine of x's column i and y's column j.
		{&Dot{Axes: []int{1}, Normalize: true}, []tensor.Shape{S(2, 2), S(2, 2)}, [][]float32{a, b},
			[]float32{float32(-1 / math.Sqrt(50)), float32(13 / math.Sqrt(10*29)), float32(-4 / math.Sqrt(4*5)), float32(4 / math.Sqrt(4*29))}},
	}
	for _, c := range cases {
		y := mergeRun(t, c.m, c.in, c.data...)
		if !near(y.Data, c.want) {
			t.Errorf("%s%v: got %v, want %v", c.m.Class(), c.in, y.Data, c.want)
		}
	}

	// Gradients by hand. Multiply of three: d/dx0 = dy·x1·x2, with a zero
	// input (no division). Average: dy/n each. Broadcast Add: the (2,)
	// input gets the column sums of dy.
	grad := func(m Merger, in []tensor.Shape, dy []float32, data ...[]float32) [][]float32 {
		y := mergeRun(t, m, in, data...)
		d := &tensor.Tensor{Shape: y.Shape.Clone(), Data: dy}
		var out [][]float32
		for _, dx := range m.BackwardMerge(d) {
			out = append(out, append([]float32(nil), dx.Data...))
		}
		return out
	}
	g := grad(&Multiply{}, []tensor.Shape{S(2), S(2), S(2)}, []float32{1, 2}, []float32{2, 3}, []float32{0, 4}, []float32{5, -1})
	if !near(g[0], []float32{0, -8}) || !near(g[1], []float32{10, -6}) || !near(g[2], []float32{0, 24}) {
		t.Errorf("Multiply gradients %v, want [[0 -8] [10 -6] [0 24]]", g)
	}
	g = grad(&Average{}, []tensor.Shape{S(2), S(2), S(2)}, []float32{3, 6}, []float32{0, 0}, []float32{0, 0}, []float32{0, 0})
	if !near(g[0], []float32{1, 2}) || !near(g[2], []float32{1, 2}) {
		t.Errorf("Average gradients %v, want dy/3 for each", g)
	}
	g = grad(&Add{}, []tensor.Shape{S(2, 2), S(2)}, []float32{1, 2, 3, 4}, a, []float32{0, 0})
	if !near(g[0], []float32{1, 2, 3, 4}) || !near(g[1], []float32{4, 6}) {
		t.Errorf("broadcast Add gradients %v, want [[1 2 3 4] [4 6]]", g)
	}
	g = grad(&Subtract{}, []tensor.Shape{S(2), S(2)}, []float32{1, 2}, a[:2], b[:2])
	if !near(g[0], []float32{1, 2}) || !near(g[1], []float32{-1, -2}) {
		t.Errorf("Subtract gradients %v", g)
	}
	// Ties: TensorFlow's maximum(x, y) gradient goes to x where x >= y,
	// and Keras folds maximum(maximum(x0, x1), x2), so the first input
	// attaining the extreme gets it all.
	g = grad(&Maximum{}, []tensor.Shape{S(3), S(3), S(3)}, []float32{1, 1, 1}, []float32{1, 0, 2}, []float32{1, 3, 2}, []float32{0, 3, 2})
	if !near(g[0], []float32{1, 0, 1}) || !near(g[1], []float32{0, 1, 0}) || !near(g[2], []float32{0, 0, 0}) {
		t.Errorf("Maximum tie gradients %v, want [[1 0 1] [0 1 0] [0 0 0]]", g)
	}
	g = grad(&Minimum{}, []tensor.Shape{S(2), S(2)}, []float32{1, 1}, []float32{1, 2}, []float32{1, 0})
	if !near(g[0], []float32{1, 0}) || !near(g[1], []float32{0, 1}) {
		t.Errorf("Minimum tie gradients %v, want [[1 0] [0 1]]", g)
	}
	g = grad(&Dot{}, []tensor.Shape{S(2), S(2)}, []float32{3}, []float32{1, 2}, []float32{5, 7})
	if !near(g[0], []float32{15, 21}) || !near(g[1], []float32{3, 6}) {
		t.Errorf("Dot gradients %v, want [[15 21] [3 6]]", g)
	}
}

func TestMergeAllocs(t *testing.T) {
	S := func(d ...int) tensor.Shape { return tensor.Shape(d) }
	cases := []struct {
		m  Merger
		in []tensor.Shape
	}{
		{&Add{}, []tensor.Shape{S(4, 3), S(3)}},
		{&Subtract{}, []tensor.Shape{S(4, 3), S(4, 3)}},
		{&Multiply{}, []tensor.Shape{S(4, 3), S(4, 1), S(3)}},
		{&Average{}, []tensor.Shape{S(12), S(12)}},
		{&Maximum{}, []tensor.Shape{S(12), S(12)}},
		{&Minimum{}, []tensor.Shape{S(12), S(12)}},
		{&Concatenate{}, []tensor.Shape{S(4, 3), S(4, 5)}},
		{&Dot{Axes: []int{1, 2}}, []tensor.Shape{S(3, 2), S(4, 3)}},
		{&Dot{Axes: []int{1, 2}, Normalize: true}, []tensor.Shape{S(3, 2), S(4, 3)}},
	}
	for _, c := range cases {
		if err := c.m.BuildMerge(c.in); err != nil {
			t.Fatal(err)
		}
		out, _ := c.m.MergeOutputShape(c.in)
		xs := make([]*tensor.Tensor, len(c.in))
		for i, s := range c.in {
			xs[i] = tensor.New(append(tensor.Shape{8}, s...)...)
			xs[i].Fill(float32(i) + 0.5)
		}
		dy := tensor.New(append(tensor.Shape{8}, out...)...)
		dy.Fill(1)
		step := func() {
			c.m.ForwardMerge(xs, true)
			c.m.BackwardMerge(dy)
		}
		step()
		if n := testing.AllocsPerRun(20, step); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", c.m.Class(), n)
		}
	}
}

// mergeConfig reads a merge layer's config as FromConfig reads a layer's:
// the class's keys, then the common ones, then the strict key check.
func mergeConfig(class string, cfg map[string]any) (Merger, error) {
	r := &ConfigReader{Reader: config.New(cfg), class: class}
	m, err := mergeFromConfig(class, r)
	if err != nil {
		return nil, err
	}
	name := r.Str("name", "")
	r.Bool("trainable", true)
	r.dtype("dtype")
	r.checkKeys()
	if r.Err != nil {
		return nil, r.Err
	}
	m.SetLayerName(name)
	return m, nil
}

func TestMergeConfig(t *testing.T) {
	base := func(kv ...any) map[string]any {
		m := map[string]any{"name": "m", "trainable": true, "dtype": map[string]any{"class_name": "DTypePolicy", "config": map[string]any{"name": "float32"}}}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	// Round trips: Config's keys read back to the same layer.
	for _, m := range []Merger{&Add{Name: "a"}, &Subtract{Name: "s"}, &Multiply{Name: "mu"}, &Average{Name: "av"},
		&Maximum{Name: "mx"}, &Minimum{Name: "mn"}, &Concatenate{Name: "c"}, &Concatenate{Name: "c", Axis: 2},
		&Dot{Name: "d"}, &Dot{Name: "d", Axes: []int{1, 2}}, &Dot{Name: "d", Axes: []int{-1}}, &Dot{Name: "d", Axes: []int{2, 1}, Normalize: true}} {
		cfg := m.Config()
		back, err := mergeConfig(m.Class(), cfg)
		if err != nil {
			t.Errorf("%s: reading its own config %v: %v", m.Class(), cfg, err)
			continue
		}
		if got, want := jsonValue(back.Config()), jsonValue(cfg); got != want {
			t.Errorf("%s: config %s read back as %s", m.Class(), want, got)
		}
	}
	// Keras 3 configs as get_config writes them.
	c, err := mergeConfig("Concatenate", base("axis", 1.0))
	if err != nil || c.(*Concatenate).Axis != 1 {
		t.Errorf("Concatenate axis 1: %v, %v", c, err)
	}
	d, err := mergeConfig("Dot", base("axes", []any{1.0, 2.0}, "normalize", true))
	if err != nil || jsonValue(d.(*Dot).Axes) != "[1,2]" || !d.(*Dot).Normalize {
		t.Errorf("Dot axes [1, 2]: %v, %v", d, err)
	}
	bad := []struct {
		class string
		cfg   map[string]any
		err   string
	}{
		{"Add", base("axis", 1.0), `unknown key "axis"`},
		{"Concatenate", base("axis", 0.0), "batch axis"},
		{"Concatenate", base("axis", "x"), "axis"},
		{"Dot", base("normalize", false), `"axes" is missing`},
		{"Dot", base("axes", []any{1.0, 2.0, 3.0}), "two integers"},
		{"Dot", base("axes", []any{1.0, nil}), "two integers"},
		{"Dot", base("axes", 0.0), "batch axis"},
		{"Dot", base("axes", 1.0, "normalise", true), `unknown key "normalise"`},
		{"Dense", base(), "not a merge layer"},
	}
	for _, b := range bad {
		_, err := mergeConfig(b.class, b.cfg)
		if err == nil || !strings.Contains(err.Error(), b.err) {
			t.Errorf("%s %v: error %v, want one containing %q", b.class, b.cfg, err, b.err)
		}
	}
}
