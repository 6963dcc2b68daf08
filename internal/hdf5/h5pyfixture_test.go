package hdf5

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
)

// fixtureScript writes HDF5 files with h5py the way Keras 2 and Keras 3
// do, plus files in h5py's newer layouts.
const fixtureScript = `
import sys, json, h5py, numpy as np
req = json.load(sys.stdin)
kind, path = req["kind"], req["path"]
rng = np.random.default_rng(0)
libver = "latest" if kind.startswith("latest") else "earliest"
with h5py.File(path, "w", libver=libver) as f:
    if kind == "keras2":
        # keras/src/legacy/saving/legacy_h5_format.py in Keras 2: bytes
        # attributes, NumPy bytes arrays for the name lists, empty float64
        # arrays for layers without weights.
        f.attrs["keras_version"] = b"2.4.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": [{"class_name": "Dense"}]}).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"dense_1", b"dropout_1", b"batch_normalization_1"])
        mw.attrs["backend"] = b"tensorflow"
        mw.attrs["keras_version"] = b"2.4.0"
        g = mw.create_group("dense_1")
        g.attrs["weight_names"] = np.array([b"dense_1/kernel:0", b"dense_1/bias:0"])
        g.create_dataset("dense_1/kernel:0", data=rng.standard_normal((5, 3)).astype("f4"))
        g.create_dataset("dense_1/bias:0", data=rng.standard_normal(3).astype("f4"))
        g = mw.create_group("dropout_1")
        g.attrs["weight_names"] = np.zeros((0,), dtype="f8")
        g = mw.create_group("batch_normalization_1")
        names = ["gamma", "beta", "moving_mean", "moving_variance"]
        g.attrs["weight_names"] = np.array([("batch_normalization_1/%s:0" % n).encode() for n in names])
        for n in names:
            g.create_dataset("batch_normalization_1/%s:0" % n, data=rng.standard_normal(7).astype("f4"))
        # A group large enough for a two-level B-tree of group nodes.
        big = f.create_group("many")
        for i in range(400):
            big.create_dataset("w%03d" % i, data=np.float32(i))
        f.create_dataset("f64", data=rng.standard_normal((2, 3)))
        f.create_dataset("i32", data=np.arange(-3, 3, dtype="i4"))
        f.create_dataset("u8", data=np.arange(5, dtype="u1"))
        f.create_dataset("be", data=np.arange(4, dtype=">f4"))
        f.create_dataset("f16", data=np.array([1.5, -0.0001, 65504], dtype="f2"))
        f.attrs["space_padded"] = np.array([b"ab", b"c"], dtype="S3")
    else:
        # h5py with libver="latest": superblock 3, version-2 object
        # headers, link messages, version-3 attributes.
        f.attrs["keras_version"] = "3.10.0"
        v = f.create_group("layers").create_group("dense").create_group("vars")
        v.create_dataset("0", data=rng.standard_normal((4, 2)).astype("f4"))
        v.create_dataset("1", data=rng.standard_normal(2).astype("f4"))
        f.create_dataset("small", data=np.arange(3, dtype="f4"), chunks=None)
        if kind == "latest_dense":
            for i in range(20):
                f.attrs["a%d" % i] = i
            g = f.create_group("big")
            for i in range(20):
                g.create_group("g%d" % i)
    # Compact layout: the data held in the object header.
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((2, 2))
    d = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([[1, 2], [3, 4.5]], dtype="f4"))
print("{}")
`

func h5pyFixture(t *testing.T, kind string) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), kind+".h5")
	var out struct{}
	pyref.Run(t, fixtureScript, map[string]string{"kind": kind, "path": path}, &out, "h5py", "numpy")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// TestH5pyFixtures reads files h5py writes in Keras 2's layout (bytes and
// fixed-length string attributes, empty float64 arrays, a group with a
// two-level B-tree, other numeric types) and in h5py's latest layout, and
// checks everything against h5py's reading.
func TestH5pyFixtures(t *testing.T) {
	for _, kind := range []string{"keras2", "latest"} {
		t.Run(kind, func(t *testing.T) {
			path, b := h5pyFixture(t, kind)
			compareWithH5py(t, path, "", b)
		})
	}
}

// TestH5pyDenseRefused: dense (fractal heap) storage, which h5py uses in
// its latest layout for many links or attributes, is refused by name.
func TestH5pyDenseRefused(t *testing.T) {
	_, b := h5pyFixture(t, "latest_dense")
	f := openBytes(t, b)
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.Attrs()
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "dense attribute storage") {
		t.Errorf("attributes: %v", err)
	}
	g, err := root.Group("big")
	if err == nil {
		_, err = g.Members()
	}
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "dense link storage") {
		t.Errorf("links: %v", err)
	}
}

// TestH5pyLatestCorrupted flips bytes of a file in h5py's latest layout:
// the checksums of its superblock and object headers catch the changes
// in metadata, and nothing panics.
func TestH5pyLatestCorrupted(t *testing.T) {
	_, data := h5pyFixture(t, "latest")
	caught := 0
	for i := range data {
		c := bytes.Clone(data)
		c[i] ^= 0x20
		if err := walkAll(c); err != nil && strings.Contains(err.Error(), "checksum mismatch") {
			caught++
		}
	}
	if caught == 0 {
		t.Error("no checksum mismatch detected")
	}
	t.Logf("%d of %d flipped bytes caught by checksums", caught, len(data))
}
