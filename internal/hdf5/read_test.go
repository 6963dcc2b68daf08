package hdf5

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRealKerasFiles reads every group, dataset and attribute of the real
// Keras files and checks them against h5py's reading of the same files:
// the same objects, shapes and dtypes, weights equal to the bit,
// attributes equal.
func TestRealKerasFiles(t *testing.T) {
	dir := kerasModels(t)
	for _, tc := range []struct {
		file    string
		weights string // a dataset that must be there
	}{
		{"02_moonflower_mnist_cnn.keras", "/layers/conv2d/vars/0"},
		{"03_moonflower_mnist_cnn.h5", "/model_weights/conv2d/kernel"},
		{"07_divya_mnist_mlp.keras", "/layers/dense/vars/0"},
		{"24_zds5107_mnist_aug.keras", "/layers/conv2d/vars/0"},
		{"keras_test_nested_container.keras", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			data, member := weightsFile(t, path)
			got := compareWithH5py(t, path, member, data)
			n := 0
			found := tc.weights == ""
			for _, o := range got {
				if o.Kind == "dataset" {
					n++
				}
				found = found || o.Path == tc.weights
			}
			if n == 0 || !found {
				t.Errorf("%d datasets, %s found: %v", n, tc.weights, found)
			}
		})
	}
}

// TestLegacyAttributes reads the attributes a legacy .h5 model is loaded
// by, with values checked by hand against h5dump's.
func TestLegacyAttributes(t *testing.T) {
	path := filepath.Join(kerasModels(t), "03_moonflower_mnist_cnn.h5")
	data, _ := weightsFile(t, path)
	f := openBytes(t, data)
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	str := func(g *Group, name string) string {
		a, err := g.Attr(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := a.String()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if v := str(root, "keras_version"); v != "3.1.1" {
		t.Errorf("keras_version %q", v)
	}
	if v := str(root, "backend"); v != "tensorflow" {
		t.Errorf("backend %q", v)
	}
	if v := str(root, "model_config"); !strings.HasPrefix(v, `{"class_name": "Sequential"`) {
		t.Errorf("model_config %.60q", v)
	}
	mw, err := root.Group("model_weights")
	if err != nil {
		t.Fatal(err)
	}
	a, err := mw.Attr("layer_names")
	if err != nil {
		t.Fatal(err)
	}
	names, err := a.Strings()
	if err != nil {
		t.Fatal(err)
	}
	want := "conv2d max_pooling2d conv2d_1 max_pooling2d_1 flatten dropout dense"
	if strings.Join(names, " ") != want {
		t.Errorf("layer_names %q, want %q", names, want)
	}
	conv, err := mw.Group("conv2d")
	if err != nil {
		t.Fatal(err)
	}
	a, err = conv.Attr("weight_names")
	if err != nil {
		t.Fatal(err)
	}
	if w, err := a.Strings(); err != nil || strings.Join(w, " ") != "kernel bias" {
		t.Errorf("weight_names %q %v", w, err)
	}
	k, err := conv.Dataset("kernel")
	if err != nil {
		t.Fatal(err)
	}
	if s := k.Shape(); len(s) != 4 || s[0] != 3 || s[1] != 3 || s[2] != 1 || s[3] != 32 || k.Datatype().String() != "float32" {
		t.Errorf("kernel %v %v", s, k.Datatype())
	}
	if _, err := root.Group("nope"); err == nil {
		t.Error("no error for a missing member")
	}
	if _, err := mw.Dataset("conv2d"); err == nil {
		t.Error("no error opening a group as a dataset")
	}
}
