package dataset

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// samePixels checks that uint8 set p reads exactly as float32 set f.
func samePixels(t *testing.T, what string, p, f *Set) {
	t.Helper()
	if p.Pixels == nil || p.X != nil {
		t.Fatalf("%s: Uint8 set has Pixels %v and X %v; want Pixels only", what, p.Pixels != nil, p.X != nil)
	}
	if !p.Pixels.Shape.Equal(f.X.Shape) || p.Len() != f.Len() || !p.Shape().Equal(f.Shape()) {
		t.Fatalf("%s: Pixels shape %v, X shape %v", what, p.Pixels.Shape, f.X.Shape)
	}
	got := p.Pixels.Float32().Data
	for i, v := range f.X.Data {
		if math.Float32bits(got[i]) != math.Float32bits(v) {
			t.Fatalf("%s: value %d reads %v from Pixels, %v from X", what, i, got[i], v)
		}
	}
	if !slices.Equal(p.Y.Data, f.Y.Data) || !slices.Equal(p.Classes, f.Classes) {
		t.Errorf("%s: labels or classes differ", what)
	}
}

func TestUint8ImageFolderReadsLikeFloat32(t *testing.T) {
	root := t.TempDir()
	writeImageTree(t, filepath.Join(root, "train"), []string{"x", "b"}, 4, 3) // PNG and JPEG
	writeImageTree(t, filepath.Join(root, "test"), []string{"x", "b"}, 2, 3)
	for _, o := range []Options{{}, {ColorMode: ColorGrayscale}, {Seed: 3}} {
		ftr, fte, err := Load(root, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Uint8 = true
		ptr, pte, err := Load(root, o)
		if err != nil {
			t.Fatal(err)
		}
		samePixels(t, "train", ptr, ftr)
		samePixels(t, "test", pte, fte)
	}
}

// Resizing interpolates, so a set with an image to resize comes back as
// float32, equal to what Load gives without Uint8.
func TestUint8ResizedFolderIsFloat32(t *testing.T) {
	root := t.TempDir()
	writeImageTree(t, root, []string{"x", "y"}, 3, 3)
	// One larger image, sorted after the others of its class.
	big := image.NewGray(image.Rect(0, 0, 5, 5))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 9)
	}
	f, err := os.Create(filepath.Join(root, "y", "zzz.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, big)
	f.Close()
	for _, size := range [][2]int{{3, 3}, {4, 2}} {
		o := ImageDirOptions{ImageSize: size, NoShuffle: true}
		want, err := ImageDatasetFromDirectory(root, o)
		if err != nil {
			t.Fatal(err)
		}
		o.Uint8 = true
		got, err := ImageDatasetFromDirectory(root, o)
		if err != nil {
			t.Fatal(err)
		}
		if got.Pixels != nil || got.X == nil {
			t.Fatalf("size %v: a set with a resized image has Pixels", size)
		}
		for i, v := range want.X.Data {
			if math.Float32bits(got.X.Data[i]) != math.Float32bits(v) {
				t.Fatalf("size %v: value %d is %v with Uint8, %v without", size, i, got.X.Data[i], v)
			}
		}
	}
}

func TestUint8KerasSets(t *testing.T) {
	_, _, npz := mnistFixture()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mnist.npz"), npz, 0o644); err != nil {
		t.Fatal(err)
	}
	swap(t, &mnistNPZ.SHA256, sha(npz))
	ftr, fte, err := Load("mnist", Options{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	ptr, pte, err := Load("mnist", Options{DataDir: dir, Offline: true, Uint8: true})
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, "mnist train", ptr, ftr)
	samePixels(t, "mnist test", pte, fte)
	if ptr.Pixels.Shape[3] != 1 || ptr.Pixels.Divisor != 255 {
		t.Errorf("mnist Pixels shape %v divisor %v, want a channel axis and 255", ptr.Pixels.Shape, ptr.Pixels.Divisor)
	}
	// Tables ignore Uint8.
	tr, _, err := Load("iris", Options{Uint8: true})
	if err != nil || tr.X == nil || tr.Pixels != nil {
		t.Errorf("iris with Uint8: X %v, Pixels %v, err %v; want float32 X", tr.X != nil, tr.Pixels != nil, err)
	}
}
