package dataset

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// writeImageTree writes classes of n images each; pixel value encodes the
// class (red) and index (green). Class "b" is written as JPEG, others PNG.
func writeImageTree(t *testing.T, root string, classes []string, n, size int) {
	for ci, c := range classes {
		os.MkdirAll(filepath.Join(root, c), 0o755)
		for i := range n {
			img := image.NewRGBA(image.Rect(0, 0, size, size))
			for y := range size {
				for x := range size {
					img.Set(x, y, color.RGBA{uint8(ci * 100), uint8(i * 10), 50, 255})
				}
			}
			name := filepath.Join(root, c, fmt.Sprintf("%03d", i))
			f, err := os.Create(name + map[bool]string{true: ".jpg", false: ".png"}[c == "b"])
			if err != nil {
				t.Fatal(err)
			}
			if c == "b" {
				jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
			} else {
				png.Encode(f, img)
			}
			f.Close()
		}
	}
	os.WriteFile(filepath.Join(root, classes[0], "notes.txt"), []byte("not an image"), 0o644)
}

func TestImageDir(t *testing.T) {
	root := t.TempDir()
	writeImageTree(t, root, []string{"c", "a", "b"}, 5, 4)
	s, err := ImageDatasetFromDirectory(root, ImageDirOptions{NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "X", s.X.Shape, 15, 4, 4, 3)
	if !slices.Equal(s.Classes, []string{"a", "b", "c"}) {
		t.Errorf("classes %v, want sorted [a b c]", s.Classes)
	}
	// Unshuffled: class a (red 100) first; label 0.
	if s.Y.Data[0] != 0 || s.Y.Data[14] != 2 {
		t.Errorf("labels %v", s.Y.Data)
	}
	if got := s.X.Data[0]; got != 100.0/255 {
		t.Errorf("red of a/000 = %v, want %v", got, 100.0/255)
	}
	if g := s.X.Data[4*4*3*1+1]; g != 10.0/255 { // a/001 green
		t.Errorf("green of a/001 = %v", g)
	}

	// Shuffle follows numpy's RandomState(seed) permutation, as Keras does.
	d, err := OpenImageDir(root, ImageDirOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	perm := newNumpyRand(3).permutation(15)
	for i, j := range perm {
		if d.Labels[i] != j/5 {
			t.Fatalf("shuffled label %d = %d, want %d", i, d.Labels[i], j/5)
		}
	}

	// Validation split: disjoint subsets, sizes as Keras (int(0.2*15) = 3).
	tr, err := OpenImageDir(root, ImageDirOptions{Seed: 1, ValidationSplit: 0.2, Subset: SubsetTraining})
	if err != nil {
		t.Fatal(err)
	}
	va, err := OpenImageDir(root, ImageDirOptions{Seed: 1, ValidationSplit: 0.2, Subset: SubsetValidation})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 12 || va.Len() != 3 {
		t.Errorf("split %d/%d, want 12/3", tr.Len(), va.Len())
	}
	for _, p := range va.Paths {
		if slices.Contains(tr.Paths, p) {
			t.Errorf("%s in both subsets", p)
		}
	}
	if _, err := OpenImageDir(root, ImageDirOptions{ValidationSplit: 0.2}); err == nil {
		t.Error("a split without a subset was accepted")
	}

	// Resize and grayscale, batch by batch.
	g, err := OpenImageDir(root, ImageDirOptions{ImageSize: [2]int{2, 3}, ColorMode: ColorGrayscale, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Batch(5, 7)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "gray batch", b.X.Shape, 2, 2, 3, 1)
	if b.Y.Data[0] != 1 {
		t.Errorf("batch labels %v", b.Y.Data)
	}
	for _, v := range b.X.Data {
		if v < 0 || v > 1 {
			t.Fatalf("gray value %v outside [0,1]", v)
		}
	}
	if _, err := g.Batch(10, 20); err == nil {
		t.Error("batch past the end accepted")
	}
}

func TestLoadImageFolder(t *testing.T) {
	root := t.TempDir()
	writeImageTree(t, filepath.Join(root, "train"), []string{"x", "y"}, 4, 3)
	writeImageTree(t, filepath.Join(root, "test"), []string{"x", "y"}, 2, 3)
	tr, te, err := Load(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "train", tr.X.Shape, 8, 3, 3, 3)
	checkShape(t, "test", te.X.Shape, 4, 3, 3, 3)
	// Without train/test: an 80/20 split.
	tr, te, err = Load(filepath.Join(root, "train"), Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 7 || te.Len() != 1 {
		t.Errorf("split %d/%d, want 7/1", tr.Len(), te.Len())
	}
	if _, _, err := Load(t.TempDir(), Options{}); err == nil {
		t.Error("an empty folder loaded")
	}
}

func TestResizeBilinear(t *testing.T) {
	// 1x2 → 1x4 with half-pixel centres: 0, 0.25, 0.75, 1 (as tf.image.resize).
	dst := make([]float32, 4)
	resizeBilinear(dst, []float32{0, 1}, 1, 2, 1, 4, 1)
	if want := []float32{0, 0.25, 0.75, 1}; !slices.Equal(dst, want) {
		t.Errorf("resize = %v, want %v", dst, want)
	}
}

// The YCbCr and Gray fast paths agree with the generic image.Image path.
func TestPixelsFastPaths(t *testing.T) {
	ycc := image.NewYCbCr(image.Rect(0, 0, 5, 3), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i * 37)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(i*91), uint8(255-i*53)
	}
	gray := image.NewGray(image.Rect(1, 2, 6, 5)) // not at the origin
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 53)
	}
	tests := []struct {
		name string
		img  image.Image
		c    int
		tol  int // YCbCrToRGB rounds; RGBA()>>8 truncates
	}{
		{"ycbcr", ycc, 3, 1},
		{"gray", gray, 1, 0},
	}
	for _, tt := range tests {
		n := tt.img.Bounds().Dx() * tt.img.Bounds().Dy() * tt.c
		fast := make([]uint8, n+1)
		slow := make([]uint8, n+1)
		fast[n], slow[n] = 99, 99 // guards
		ImagePixels(fast[:n], tt.img, tt.c)
		ImagePixels(slow[:n], struct{ image.Image }{tt.img}, tt.c) // hides the concrete type
		for i := range fast {
			if d := int(fast[i]) - int(slow[i]); d > tt.tol || d < -tt.tol {
				t.Fatalf("%s: value %d: fast %v, generic %v", tt.name, i, fast[i], slow[i])
			}
		}
		if fast[n] != 99 {
			t.Errorf("%s: wrote past the image", tt.name)
		}
	}
}

// P4: a decompression bomb in a class folder is refused from its header,
// both as the first image (read for the size) and later in a batch.
func TestImageDirRefusesBomb(t *testing.T) {
	root := t.TempDir()
	writeImageTree(t, root, []string{"a", "b"}, 2, 4)
	bomb := filepath.Join(root, "b", "zzz.png") // sorted last in its class
	if err := os.WriteFile(bomb, bombPNG(60000, 60000), 0o666); err != nil {
		t.Fatal(err)
	}
	d, err := OpenImageDir(root, ImageDirOptions{NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = d.Load()
	runtime.ReadMemStats(&after)
	var big *ImageTooLargeError
	if !errors.As(err, &big) || !strings.Contains(err.Error(), bomb) {
		t.Fatalf("Load: %v, want an ImageTooLargeError naming %s", err, bomb)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("Load allocated %d bytes before refusing the bomb", n)
	}
	// As the only image, it is decoded for the size by OpenImageDir.
	only := t.TempDir()
	os.Mkdir(filepath.Join(only, "a"), 0o755)
	os.WriteFile(filepath.Join(only, "a", "bomb.png"), bombPNG(60000, 60000), 0o666)
	if _, err := OpenImageDir(only, ImageDirOptions{}); !errors.As(err, &big) {
		t.Fatalf("OpenImageDir: %v, want an ImageTooLargeError", err)
	}
	// The same through Load, as train --image-dir reads a folder.
	if _, _, err := Load(only, Options{}); !errors.As(err, &big) {
		t.Fatalf("Load(folder): %v, want an ImageTooLargeError", err)
	}
}

// S6: a class folder that is a symbolic link is followed, as Keras's
// tf.io.gfile.isdir follows it; its files are listed under the link's name.
func TestImageDirSymlinkedClass(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	writeImageTree(t, root, []string{"a", "b", "c"}, 2, 4)
	writeImageTree(t, elsewhere, []string{"d"}, 3, 4)
	if err := os.Symlink(filepath.Join(elsewhere, "d"), filepath.Join(root, "d")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	// A relative link too.
	os.Symlink("a", filepath.Join(root, "e"))
	d, err := OpenImageDir(root, ImageDirOptions{NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(d.Classes, want) {
		t.Fatalf("classes %v, want %v", d.Classes, want)
	}
	if d.Len() != 2*3+3+2 {
		t.Fatalf("%d images, want 11: %v", d.Len(), d.Paths)
	}
	for i, p := range d.Paths {
		if want := filepath.Join(root, d.Classes[d.Labels[i]]); filepath.Dir(p) != want {
			t.Errorf("image %s has label %d, want it under %s", p, d.Labels[i], want)
		}
	}
	s, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 11 {
		t.Errorf("loaded %d images", s.Len())
	}
}

// S6: a class link that leads back to the image folder (or an ancestor of
// it) or round in a circle is an error that names the link, not an
// endless or doubled listing; a dangling link is an error too.
func TestImageDirSymlinkLoops(t *testing.T) {
	for _, tc := range []struct {
		name string
		link func(root string) error
		want string
	}{
		{"self", func(root string) error { return os.Symlink(root, filepath.Join(root, "d")) }, "loop"},
		{"dot", func(root string) error { return os.Symlink(".", filepath.Join(root, "d")) }, "loop"},
		{"ancestor", func(root string) error { return os.Symlink(filepath.Dir(root), filepath.Join(root, "d")) }, "loop"},
		{"circle", func(root string) error {
			os.Symlink("e", filepath.Join(root, "d"))
			return os.Symlink("d", filepath.Join(root, "e"))
		}, "loop"},
		{"dangling", func(root string) error { return os.Symlink("nowhere", filepath.Join(root, "d")) }, "cannot be followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "imgs")
			writeImageTree(t, root, []string{"a", "b"}, 2, 4)
			if err := tc.link(root); err != nil {
				t.Skip("no symbolic links here:", err)
			}
			_, err := OpenImageDir(root, ImageDirOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Join(root, "d")) {
				t.Fatalf("got %v, want an error saying %q about %s", err, tc.want, filepath.Join(root, "d"))
			}
			// The same with the folder given as a relative path (the links
			// may be absolute).
			t.Chdir(filepath.Dir(root))
			_, err = OpenImageDir("imgs", ImageDirOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Join("imgs", "d")) {
				t.Fatalf("relative: got %v, want an error saying %q about imgs/d", err, tc.want)
			}
		})
	}
}
