package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// walkAll opens data and reads everything in it: every group's members
// and attributes, every dataset's values and attributes, the way a loader
// would. It returns the first error.
func walkAll(data []byte) error {
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	root, err := f.Root()
	if err != nil {
		return err
	}
	readAttrs := func(all []*Attr, err error) error {
		if err != nil {
			return err
		}
		for _, a := range all {
			if _, err := a.Value(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := readAttrs(root.Attrs()); err != nil {
		return err
	}
	return root.Walk(func(p string, g *Group, d *Dataset) error {
		if g != nil {
			if _, err := g.Members(); err != nil {
				return err
			}
			return readAttrs(g.Attrs())
		}
		if err := readAttrs(d.Attrs()); err != nil {
			return err
		}
		var err error
		switch d.Datatype().Class {
		case Float:
			_, err = d.ReadFloat32()
		case Integer:
			_, err = d.ReadInt64()
		default:
			_, err = d.ReadStrings()
		}
		return err
	})
}

// smallFile is a small file with one of everything the writer writes.
func smallFile(t testing.TB) []byte {
	t.Helper()
	b := NewBuilder()
	r := b.Root()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.SetAttr("keras_version", "3.1.1"))
	must(r.SetAttr("names", []string{"dense", "é"}))
	must(r.SetAttr("fixed", FixedStrings{"kernel:0", "bias:0"}))
	must(r.SetAttr("empty", []float64{}))
	must(r.SetAttr("n", int64(3)))
	a, err := r.Group("a")
	must(err)
	bg, err := a.Group("b")
	must(err)
	must(bg.AddFloat32("w", []int{3, 7}, make([]float32, 21)))
	must(bg.AddInt64("it", nil, []int64{42}))
	must(a.AddFloat64("e", []int{0}, nil))
	return writeFixture(t, b)
}

func TestSmallFileReads(t *testing.T) {
	if err := walkAll(smallFile(t)); err != nil {
		t.Fatal(err)
	}
}

// TestTruncated: every proper prefix of a file is an error, not a panic.
func TestTruncated(t *testing.T) {
	data := smallFile(t)
	for n := range len(data) {
		err := walkAll(data[:n])
		if err == nil {
			t.Fatalf("prefix of %d of %d bytes read without error", n, len(data))
		}
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("prefix of %d bytes: error does not wrap ErrFormat: %v", n, err)
		}
	}
}

// TestCorrupted flips every byte of a file in turn: reading must return
// an error or values, never panic or hang (the test would fail or time out).
func TestCorrupted(t *testing.T) {
	data := smallFile(t)
	bad := 0
	for i := range data {
		for _, x := range []byte{0xff, 0x01, 0x80} {
			c := bytes.Clone(data)
			c[i] ^= x
			if walkAll(c) != nil {
				bad++
			}
		}
	}
	if bad == 0 {
		t.Error("no corruption was detected")
	}
}

func replaceUint64(t *testing.T, data []byte, old, new uint64) []byte {
	t.Helper()
	o := binary.LittleEndian.AppendUint64(nil, old)
	if bytes.Count(data, o) != 1 {
		t.Fatalf("%d occurs %d times", old, bytes.Count(data, o))
	}
	return bytes.Replace(data, o, binary.LittleEndian.AppendUint64(nil, new), 1)
}

// TestCycle makes group /a/b a link back to the root: Walk visits every
// object once and ends.
func TestCycle(t *testing.T) {
	data := smallFile(t)
	f := openBytes(t, data)
	root, _ := f.Root()
	a, err := root.Group("a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.Group("b")
	if err != nil {
		t.Fatal(err)
	}
	// b's header address appears once: in a's symbol table node (groups'
	// headers are written after their members, so nothing else points to b).
	data = replaceUint64(t, data, b.hdr.addr, f.rootAddr)
	f = openBytes(t, data)
	root, _ = f.Root()
	var paths []string
	err = root.Walk(func(p string, g *Group, d *Dataset) error {
		paths = append(paths, p)
		return nil
	})
	if err != nil || strings.Join(paths, " ") != "/a /a/e" {
		t.Errorf("walk: %q, %v", paths, err)
	}
}

// TestOversized gives a dataset more elements than the file has bytes: an
// error before any allocation.
func TestOversized(t *testing.T) {
	data := smallFile(t)
	space := []byte{1, 2, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}
	i := bytes.Index(data, space)
	if i < 0 {
		t.Fatal("dataspace of /a/b/w not found")
	}
	for _, dim := range []uint64{1 << 40, 1 << 62, 1000} {
		c := bytes.Clone(data)
		binary.LittleEndian.PutUint64(c[i+8:], dim)
		err := walkAll(c)
		if err == nil || !errors.Is(err, ErrFormat) {
			t.Errorf("dim %d: %v", dim, err)
		}
	}
}

// TestDeepNesting: Walk refuses groups nested deeper than maxDepth.
func TestDeepNesting(t *testing.T) {
	b := NewBuilder()
	g := b.Root()
	for range maxDepth + 2 {
		var err error
		if g, err = g.Group("g"); err != nil {
			t.Fatal(err)
		}
	}
	err := walkAll(writeFixture(t, b))
	if err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("got %v", err)
	}
}

func TestNotHDF5(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("PK\x03\x04 a zip file, not HDF5......"), append(bytes.Clone(signature), make([]byte, 8)...)} {
		if _, err := Open(bytes.NewReader(data), int64(len(data))); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: %v", data, err)
		}
	}
}

// FuzzOpen opens arbitrary bytes and reads everything: errors are fine,
// panics, hangs and huge allocations are not.
func FuzzOpen(f *testing.F) {
	f.Add(smallFile(f))
	b := NewBuilder()
	g, _ := b.Root().Group("layers")
	for _, name := range []string{"conv2d", "dense", "dense_1", "dropout", "flatten", "max_pooling2d", "x", "y", "z"} {
		sub, _ := g.Group(name)
		vars, _ := sub.Group("vars")
		_ = vars.AddFloat32("0", []int{2}, []float32{1, 2})
	}
	f.Add(writeFixture(f, b))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = walkAll(data)
	})
}
