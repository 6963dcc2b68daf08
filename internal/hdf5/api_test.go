package hdf5

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestAttrValue checks the Go value of each attribute kind the writer
// writes, and the typed accessors' refusals.
func TestAttrValue(t *testing.T) {
	b := NewBuilder()
	r := b.Root()
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"s", "dense", "dense"},
		{"ss", []string{"a", "ü"}, []string{"a", "ü"}},
		{"fixed", FixedStrings{"kernel:0", "b"}, []string{"kernel:0", "b"}},
		{"i", int64(-3), int64(-3)},
		{"is", []int64{1, 2}, []int64{1, 2}},
		{"f", 0.25, 0.25},
		{"f32", float32(0.5), 0.5},
		{"fs", []float64{1.5}, []float64{1.5}},
		{"empty", []float64{}, []float64{}},
	}
	for _, c := range cases {
		if err := r.SetAttr(c.name, c.in); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetAttr("s", "replaced"); err != nil {
		t.Fatal(err)
	}
	cases[0].want = "replaced"
	if err := r.AddInt64("it", nil, []int64{7}); err != nil {
		t.Fatal(err)
	}
	if err := r.AddFloat32("w", []int{1}, []float32{2}); err != nil {
		t.Fatal(err)
	}
	f := openBytes(t, writeFixture(t, b))
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	all, err := root.Attrs()
	if err != nil || len(all) != len(cases) {
		t.Fatalf("%d attributes, %v", len(all), err)
	}
	for _, c := range cases {
		a, err := root.Attr(c.name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Value()
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %#v, %v; want %#v", c.name, got, err, c.want)
		}
	}
	for _, name := range []string{"ss", "fixed", "is", "fs"} {
		a, _ := root.Attr(name)
		if _, err := a.String(); err == nil {
			t.Errorf("%s: String gave no error", name)
		}
	}
	a, _ := root.Attr("i")
	if _, err := a.Strings(); err == nil {
		t.Error("Strings of an integer attribute gave no error")
	}
	if _, err := root.Attr("missing"); err == nil {
		t.Error("no error for a missing attribute")
	}
	for name, want := range map[string]Kind{"it": KindDataset, "w": KindDataset} {
		if k, err := root.Kind(name); err != nil || k != want {
			t.Errorf("Kind(%s) = %v, %v", name, k, err)
		}
	}
	it, err := root.Dataset("it")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := it.ReadInt64(); err != nil || len(v) != 1 || v[0] != 7 || len(it.Shape()) != 0 {
		t.Errorf("it: %v %v shape %v", v, err, it.Shape())
	}
	if _, err := it.ReadFloat32(); err == nil {
		t.Error("ReadFloat32 of an int64 dataset gave no error")
	}
	w, _ := root.Dataset("w")
	if _, err := w.ReadInt64(); err == nil {
		t.Error("ReadInt64 of a float32 dataset gave no error")
	}
	if v, err := w.ReadFloat64(); err != nil || len(v) != 1 || v[0] != 2 {
		t.Errorf("w as float64: %v %v", v, err)
	}
}

// TestHalf checks float16 decoding against values computed by hand.
func TestHalf(t *testing.T) {
	for _, c := range []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 1.0 / (1 << 24)},
		{0x3555, 0.333251953125}, {0x8000, 0},
	} {
		if got := halfToFloat32(c.bits); got != c.want {
			t.Errorf("%#04x: %v, want %v", c.bits, got, c.want)
		}
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteError: a failing writer's error is returned, wherever it fails.
func TestWriteError(t *testing.T) {
	b := NewBuilder()
	if err := b.Root().AddFloat32("w", []int{1000}, make([]float32, 1000)); err != nil {
		t.Fatal(err)
	}
	var ok bytes.Buffer
	size, err := b.WriteTo(&ok)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 100, 5000, int(size) - 1} {
		if _, err := b.WriteTo(&failWriter{n: n}); err == nil || err.Error() != "disk full" {
			t.Errorf("fail after %d bytes: %v", n, err)
		}
	}
	// Writing twice gives the same bytes.
	var again bytes.Buffer
	if _, err := b.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), ok.Bytes()) {
		t.Errorf("second WriteTo differs (%v)", err)
	}
}

// TestLookup3 checks the checksum against the values in Bob Jenkins'
// lookup3.c (driver5: hashlittle("", 0, 0) and the "Four score" line).
func TestLookup3(t *testing.T) {
	if got := lookup3(nil); got != 0xdeadbeef {
		t.Errorf("empty: %#x", got)
	}
	if got := lookup3([]byte("Four score and seven years ago")); got != 0x17770551 {
		t.Errorf("Four score: %#x", got)
	}
}
