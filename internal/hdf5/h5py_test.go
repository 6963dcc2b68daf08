package hdf5

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
)

// listScript lists an HDF5 file with h5py: every group and dataset (h5py's
// visititems, each object once), numeric datasets' shape, dtype and the
// SHA-256 of their little-endian bytes, and every attribute's values
// (floats as float.hex, exact). The file is a path, or a member of a zip.
const listScript = `
import sys, json, io, zipfile, hashlib, h5py, numpy as np
req = json.load(sys.stdin)
src = req["path"]
if req.get("member"):
    src = io.BytesIO(zipfile.ZipFile(req["path"]).read(req["member"]))

def vals(v):
    a = np.asarray(v)
    out = []
    for x in a.ravel().tolist():
        if isinstance(x, bytes):
            x = x.decode("utf-8")
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, float):
            out.append(x.hex())
        else:
            out.append(str(int(x)))
    kind = "str" if a.dtype.kind in "OSU" else ("float" if a.dtype.kind == "f" else "int")
    return {"kind": kind, "shape": list(a.shape), "values": out}

def attrs(o):
    return {k: vals(o.attrs[k]) for k in o.attrs.keys()}

objs = []
with h5py.File(src, "r") as f:
    objs.append({"path": "/", "kind": "group", "attrs": attrs(f)})
    def visit(name, o):
        e = {"path": "/" + name, "attrs": attrs(o)}
        if isinstance(o, h5py.Dataset):
            a = np.asarray(o[()])
            e["kind"] = "dataset"
            e["shape"] = list(o.shape)
            e["dtype"] = o.dtype.name
            if a.dtype.kind == "f":
                b = a.astype("<f%d" % max(a.dtype.itemsize, 4)).tobytes()
            else:
                b = a.astype("<i8").tobytes()
            e["sha256"] = hashlib.sha256(b).hexdigest()
        else:
            e["kind"] = "group"
        objs.append(e)
    f.visititems(visit)
print(json.dumps(objs))
`

type h5Value struct {
	Kind   string   `json:"kind"`
	Shape  []int    `json:"shape"`
	Values []string `json:"values"`
}

type h5Object struct {
	Path   string             `json:"path"`
	Kind   string             `json:"kind"`
	Shape  []int              `json:"shape"`
	DType  string             `json:"dtype"`
	SHA256 string             `json:"sha256"`
	Attrs  map[string]h5Value `json:"attrs"`
}

// h5pyList runs listScript on path (member: a zip member, or "").
func h5pyList(t *testing.T, path, member string) []h5Object {
	t.Helper()
	var out []h5Object
	pyref.Run(t, listScript, map[string]string{"path": path, "member": member}, &out, "h5py", "numpy")
	return out
}

// goList lists the same things with this package.
func goList(t *testing.T, data []byte) []h5Object {
	t.Helper()
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	attrs := func(all []*Attr, err error) map[string]h5Value {
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]h5Value{}
		for _, a := range all {
			m[a.Name] = attrValue(t, a)
		}
		return m
	}
	out := []h5Object{{Path: "/", Kind: "group", Attrs: attrs(root.Attrs())}}
	err = root.Walk(func(p string, g *Group, d *Dataset) error {
		if g != nil {
			out = append(out, h5Object{Path: p, Kind: "group", Attrs: attrs(g.Attrs())})
			return nil
		}
		o := h5Object{Path: p, Kind: "dataset", Shape: d.Shape(), DType: d.Datatype().String(), Attrs: attrs(d.Attrs())}
		var b []byte
		switch t := d.Datatype(); {
		case t.Class == Float && t.Size <= 4:
			v, err := d.ReadFloat32()
			if err != nil {
				return err
			}
			for _, x := range v {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
		case t.Class == Float:
			v, err := d.ReadFloat64()
			if err != nil {
				return err
			}
			for _, x := range v {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
			}
		default:
			v, err := d.ReadInt64()
			if err != nil {
				return err
			}
			for _, x := range v {
				b = binary.LittleEndian.AppendUint64(b, uint64(x))
			}
		}
		sum := sha256.Sum256(b)
		o.SHA256 = hex.EncodeToString(sum[:])
		out = append(out, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func attrValue(t *testing.T, a *Attr) h5Value {
	t.Helper()
	v := h5Value{Shape: a.Shape(), Values: []string{}}
	switch a.Datatype().Class {
	case String:
		v.Kind = "str"
		s, err := a.Strings()
		if err != nil {
			t.Fatal(err)
		}
		v.Values = append(v.Values, s...)
	case Integer:
		v.Kind = "int"
		xs, err := a.Int64s()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			v.Values = append(v.Values, strconv.FormatInt(x, 10))
		}
	case Float:
		v.Kind = "float"
		xs, err := a.Float64s()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			v.Values = append(v.Values, fmt.Sprint(math.Float64bits(x)))
		}
	}
	return v
}

// normalize turns h5py's float.hex values into bit patterns like goList's,
// so that equal floats compare equal as strings.
func normalize(t *testing.T, objs []h5Object) {
	t.Helper()
	for _, o := range objs {
		for _, v := range o.Attrs {
			if v.Kind != "float" {
				continue
			}
			for i, s := range v.Values {
				x, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatalf("h5py float %q: %v", s, err)
				}
				v.Values[i] = fmt.Sprint(math.Float64bits(x))
			}
		}
	}
}

// compareWithH5py checks that this package reads exactly what h5py reads
// from the file at path (or the zip member of it).
func compareWithH5py(t *testing.T, path, member string, data []byte) []h5Object {
	t.Helper()
	want := h5pyList(t, path, member)
	normalize(t, want)
	got := goList(t, data)
	sortObjs := func(o []h5Object) {
		slices.SortFunc(o, func(a, b h5Object) int {
			if a.Path < b.Path {
				return -1
			}
			if a.Path > b.Path {
				return 1
			}
			return 0
		})
	}
	sortObjs(want)
	sortObjs(got)
	if len(got) != len(want) {
		t.Fatalf("%d objects, h5py lists %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Shape == nil {
			w.Shape = []int{}
		}
		if g.Shape == nil {
			g.Shape = []int{}
		}
		if w.Path != g.Path || w.Kind != g.Kind || w.SHA256 != g.SHA256 || w.DType != g.DType || (w.Kind == "dataset" && !slices.Equal(w.Shape, g.Shape)) {
			t.Errorf("object %s %s shape %v %s sha %.12s, h5py: %s %s shape %v %s sha %.12s",
				g.Path, g.Kind, g.Shape, g.DType, g.SHA256, w.Path, w.Kind, w.Shape, w.DType, w.SHA256)
			continue
		}
		if len(w.Attrs) != len(g.Attrs) {
			t.Errorf("%s: %d attributes, h5py %d", g.Path, len(g.Attrs), len(w.Attrs))
		}
		for name, wv := range w.Attrs {
			gv, ok := g.Attrs[name]
			if !ok {
				t.Errorf("%s: attribute %q missing", g.Path, name)
				continue
			}
			if gv.Kind != wv.Kind || !slices.Equal(gv.Shape, wv.Shape) || !slices.Equal(gv.Values, wv.Values) {
				t.Errorf("%s attribute %q: %s %v %.200q, h5py %s %v %.200q", g.Path, name, gv.Kind, gv.Shape, gv.Values, wv.Kind, wv.Shape, wv.Values)
			}
		}
	}
	return got
}

// kerasModels is the directory of real Keras files, shared by the project.
func kerasModels(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "keras-models"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no real Keras files: %v", err)
	}
	return dir
}

// weightsFile returns the HDF5 bytes of a .keras (its model.weights.h5
// member) or .h5 file.
func weightsFile(t *testing.T, path string) (data []byte, member string) {
	t.Helper()
	if filepath.Ext(path) != ".keras" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b, ""
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	r, err := z.Open("model.weights.h5")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b, "model.weights.h5"
}

func openBytes(t testing.TB, b []byte) *File {
	t.Helper()
	f, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
