package hdf5

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
)

// A file h5py writes with a user block (the superblock at 512 or 1024,
// addresses counted from it) reads like any other: every object and value
// as h5py lists them.
func TestUserBlock(t *testing.T) {
	pyref.Require(t, "h5py", "numpy")
	for _, ub := range []int{512, 1024} {
		path := filepath.Join(t.TempDir(), "ub.h5")
		var ok bool
		pyref.Run(t, `
import sys, json, h5py, numpy as np
req = json.load(sys.stdin)
with h5py.File(req["path"], "w", userblock_size=req["ub"]) as f:
    f.attrs["keras_version"] = "3.1.1"
    g = f.create_group("layers/dense/vars")
    g.create_dataset("0", data=np.arange(12, dtype="f4").reshape(3, 4))
    g.create_dataset("1", data=np.ones(4, dtype="f4"))
json.dump(True, sys.stdout)
`, map[string]any{"path": path, "ub": ub}, &ok, "h5py", "numpy")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		compareWithH5py(t, path, "", data)
		f := openBytes(t, data)
		root, err := f.Root()
		if err != nil {
			t.Fatal(err)
		}
		g, err := root.Group("layers")
		if err == nil {
			g, err = g.Group("dense")
		}
		if err == nil {
			g, err = g.Group("vars")
		}
		if err != nil {
			t.Fatalf("user block %d: %v", ub, err)
		}
		d, err := g.Dataset("0")
		if err != nil {
			t.Fatal(err)
		}
		v, err := d.ReadFloat32()
		if err != nil || len(v) != 12 || v[11] != 11 {
			t.Errorf("user block %d: layers/dense/vars/0 = %v, %v", ub, v, err)
		}
	}
}
