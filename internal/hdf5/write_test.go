package hdf5

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// fixture is what a test puts in a file through the Builder; expected
// listings are computed from it, not from reading the file.
type fixture struct {
	objs []h5Object
	b    *Builder
}

func (fx *fixture) group(t *testing.T, g *BuildGroup, path string, attrs map[string]any) {
	t.Helper()
	o := h5Object{Path: path, Kind: "group", Attrs: map[string]h5Value{}}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := attrs[n]
		if err := g.SetAttr(n, v); err != nil {
			t.Fatal(err)
		}
		o.Attrs[n] = expectValue(v)
	}
	fx.objs = append(fx.objs, o)
}

// expectValue is the listing h5py should give for an attribute value.
func expectValue(v any) h5Value {
	var e h5Value
	e.Values = []string{}
	bits := func(x float64) string { return fmt.Sprint(math.Float64bits(x)) }
	switch v := v.(type) {
	case string:
		e = h5Value{Kind: "str", Shape: []int{}, Values: []string{v}}
	case []string:
		e = h5Value{Kind: "str", Shape: []int{len(v)}, Values: slices.Clone(v)}
	case FixedStrings:
		e = h5Value{Kind: "str", Shape: []int{len(v)}, Values: slices.Clone(v)}
	case int64:
		e = h5Value{Kind: "int", Shape: []int{}, Values: []string{strconv.FormatInt(v, 10)}}
	case []int64:
		e = h5Value{Kind: "int", Shape: []int{len(v)}, Values: []string{}}
		for _, x := range v {
			e.Values = append(e.Values, strconv.FormatInt(x, 10))
		}
	case float32:
		e = h5Value{Kind: "float", Shape: []int{}, Values: []string{bits(float64(v))}}
	case []float32:
		e = h5Value{Kind: "float", Shape: []int{len(v)}, Values: []string{}}
		for _, x := range v {
			e.Values = append(e.Values, bits(float64(x)))
		}
	case float64:
		e = h5Value{Kind: "float", Shape: []int{}, Values: []string{bits(v)}}
	case []float64:
		e = h5Value{Kind: "float", Shape: []int{len(v)}, Values: []string{}}
		for _, x := range v {
			e.Values = append(e.Values, bits(x))
		}
	}
	return e
}

func (fx *fixture) float32s(t *testing.T, g *BuildGroup, path, name string, shape []int, data []float32) {
	t.Helper()
	if err := g.AddFloat32(name, shape, data); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	fx.dataset(path+"/"+name, "float32", shape, b)
}

func (fx *fixture) dataset(path, dtype string, shape []int, b []byte) {
	sum := sha256.Sum256(b)
	if shape == nil {
		shape = []int{}
	}
	fx.objs = append(fx.objs, h5Object{Path: path, Kind: "dataset", DType: dtype, Shape: shape, SHA256: hex.EncodeToString(sum[:]), Attrs: map[string]h5Value{}})
}

// kerasFixture builds a file in the layout of Keras 3's model.weights.h5
// plus legacy .h5 attributes and edge cases: many members (several symbol
// table nodes and a B-tree K above the default), non-ASCII and empty
// strings, zero-length and scalar datasets.
func kerasFixture(t *testing.T) *fixture {
	fx := &fixture{b: NewBuilder()}
	root := fx.b.Root()
	fx.group(t, root, "/", map[string]any{
		"keras_version": "3.1.1",
		"backend":       "tensorflow",
		"model_config":  `{"class_name": "Sequential", "config": {"name": "séquentiel ✓"}}`,
		"empty":         "",
		"ints":          []int64{-1, 0, math.MaxInt64},
		"scalar_int":    int64(-7),
		"pi":            math.Pi,
		"f32":           float32(0.1),
		"f32s":          []float32{1, -2.5, float32(math.Inf(1))},
		"nothing":       []float64{},
		"f64s":          []float64{math.SmallestNonzeroFloat64, -0.0, 1e300},
	})
	layers, err := root.Group("layers")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, layers, "/layers", nil)
	for i := range 300 {
		name := fmt.Sprintf("dense_%d", i)
		if i == 0 {
			name = "dense"
		}
		lg, err := layers.Group(name)
		if err != nil {
			t.Fatal(err)
		}
		p := "/layers/" + name
		fx.group(t, lg, p, nil)
		vars, err := lg.Group("vars")
		if err != nil {
			t.Fatal(err)
		}
		fx.group(t, vars, p+"/vars", nil)
		if i%50 != 0 {
			continue
		}
		k := make([]float32, 3*(i+1))
		for j := range k {
			k[j] = float32(math.Sin(float64(i*j+1))) * 1e-3
		}
		fx.float32s(t, vars, p+"/vars", "0", []int{3, i + 1}, k)
		fx.float32s(t, vars, p+"/vars", "1", []int{i + 1}, k[:i+1])
	}
	opt, err := root.Group("optimizer")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, opt, "/optimizer", nil)
	ov, err := opt.Group("vars")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, ov, "/optimizer/vars", nil)
	if err := ov.AddInt64("0", nil, []int64{6330}); err != nil {
		t.Fatal(err)
	}
	fx.dataset("/optimizer/vars/0", "int64", nil, binary.LittleEndian.AppendUint64(nil, 6330))
	fx.float32s(t, ov, "/optimizer/vars", "1", nil, []float32{0.001})
	fx.float32s(t, ov, "/optimizer/vars", "2", []int{0, 4}, nil)
	if err := ov.AddFloat64("3", []int{2}, []float64{1.5, -1e-310}); err != nil {
		t.Fatal(err)
	}
	fx.dataset("/optimizer/vars/3", "float64", []int{2}, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1.5)), math.Float64bits(-1e-310)))
	mw, err := root.Group("model_weights")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, mw, "/model_weights", map[string]any{
		"layer_names": FixedStrings{"dense", "dropout"},
		"backend":     "tensorflow",
	})
	d, err := mw.Group("dropout")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, d, "/model_weights/dropout", map[string]any{"weight_names": []float64{}})
	dg, err := mw.Group("dense")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, dg, "/model_weights/dense", map[string]any{"weight_names": []string{"dense/kernel:0", "dense/bias:0"}})
	dd, err := dg.Group("dense")
	if err != nil {
		t.Fatal(err)
	}
	fx.group(t, dd, "/model_weights/dense/dense", nil)
	fx.float32s(t, dd, "/model_weights/dense/dense", "kernel:0", []int{2, 2}, []float32{1, 2, 3, 4})
	fx.float32s(t, dd, "/model_weights/dense/dense", "bias:0", []int{2}, []float32{-1, 1})
	return fx
}

func sortedObjs(o []h5Object) []h5Object {
	o = slices.Clone(o)
	slices.SortFunc(o, func(a, b h5Object) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	for i := range o {
		if o[i].Shape == nil {
			o[i].Shape = []int{}
		}
	}
	return o
}

func diffListings(t *testing.T, who string, got, want []h5Object) {
	t.Helper()
	got, want = sortedObjs(got), sortedObjs(want)
	if len(got) != len(want) {
		t.Fatalf("%s lists %d objects, want %d", who, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Path != w.Path || g.Kind != w.Kind || g.DType != w.DType || g.SHA256 != w.SHA256 || !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("%s: %s %s %s %v %.12s, want %s %s %s %v %.12s", who, g.Path, g.Kind, g.DType, g.Shape, g.SHA256, w.Path, w.Kind, w.DType, w.Shape, w.SHA256)
			continue
		}
		if len(g.Attrs) != len(w.Attrs) {
			t.Errorf("%s: %s has %d attributes, want %d", who, g.Path, len(g.Attrs), len(w.Attrs))
		}
		for n, wv := range w.Attrs {
			gv := g.Attrs[n]
			if gv.Kind != wv.Kind || !slices.Equal(gv.Shape, wv.Shape) || !slices.Equal(gv.Values, wv.Values) {
				t.Errorf("%s: %s attribute %q: %s %v %q, want %s %v %q", who, g.Path, n, gv.Kind, gv.Shape, gv.Values, wv.Kind, wv.Shape, wv.Values)
			}
		}
	}
}

func writeFixture(t testing.TB, b *Builder) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := b.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// TestWriterReader writes the fixture and reads it back with this package.
func TestWriterReader(t *testing.T) {
	fx := kerasFixture(t)
	diffListings(t, "reader", goList(t, writeFixture(t, fx.b)), fx.objs)
}

// TestWriterH5py writes the fixture and reads it back with h5py: every
// group, dataset and attribute is where it was put, with its exact value.
func TestWriterH5py(t *testing.T) {
	fx := kerasFixture(t)
	path := filepath.Join(t.TempDir(), "fixture.h5")
	if err := os.WriteFile(path, writeFixture(t, fx.b), 0o644); err != nil {
		t.Fatal(err)
	}
	got := h5pyList(t, path, "")
	normalize(t, got)
	diffListings(t, "h5py", got, fx.objs)
}

func TestBuilderErrors(t *testing.T) {
	b := NewBuilder()
	r := b.Root()
	if _, err := r.Group("a"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"empty name", r.AddFloat32("", []int{1}, []float32{1})},
		{"slash", r.AddFloat32("a/b", []int{1}, []float32{1})},
		{"duplicate", r.AddFloat32("a", []int{1}, []float32{1})},
		{"length", r.AddFloat32("x", []int{2, 2}, []float32{1})},
		{"negative", r.AddInt64("y", []int{-1}, nil)},
		{"attr type", r.SetAttr("z", []int{1})},
		{"attr too big", r.SetAttr("big", make([]float64, 10000))},
		{"NUL", r.SetAttr("s", "a\x00b")},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := r.AddFloat32("d", []int{1}, []float32{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Group("d"); err == nil {
		t.Error("no error creating a group over a dataset")
	}
}
