package dataset

import (
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

func TestParsePixelRange(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want PixelRange
	}{{"1", PixelsUnit}, {"0-1", PixelsUnit}, {"255", Pixels255}, {"0-255", Pixels255}} {
		got, err := ParsePixelRange(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePixelRange(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, _ := ParsePixelRange(got.String()); back != got {
			t.Errorf("%v does not parse back from %q", got, got.String())
		}
	}
	for _, bad := range []string{"", "256", "raw", "0..255"} {
		if _, err := ParsePixelRange(bad); err == nil || !strings.Contains(err.Error(), "give 1") {
			t.Errorf("ParsePixelRange(%q): err = %v", bad, err)
		}
	}
	if _, _, err := Load("digits", Options{PixelRange: 7}); err == nil || !strings.Contains(err.Error(), "Pixels255") {
		t.Errorf("Load with PixelRange 7: err = %v", err)
	}
}

// grayTree writes class folders of gray PNGs whose pixel i is
// (17·i + 31·image + 7·class) mod 256, and returns the pixels.
func grayTree(t *testing.T, root string, size int) map[string][]uint8 {
	want := map[string][]uint8{}
	for ci, c := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(root, c), 0o755)
		for n := range 3 {
			img := image.NewGray(image.Rect(0, 0, size, size))
			for i := range img.Pix {
				img.Pix[i] = uint8((17*i + 31*n + 7*ci) % 256)
			}
			name := filepath.Join(root, c, string(rune('0'+n))+".png")
			f, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
			want[name] = img.Pix
		}
	}
	return want
}

// TestImageFolderPixels255 reads a folder as Keras's
// image_dataset_from_directory yields it: the decoded bytes as float32,
// unscaled, float32 or kept as uint8.
func TestImageFolderPixels255(t *testing.T) {
	root := t.TempDir()
	want := grayTree(t, root, 5)
	for _, u8 := range []bool{false, true} {
		o := ImageDirOptions{ColorMode: ColorGrayscale, NoShuffle: true, PixelRange: Pixels255, Uint8: u8}
		d, err := OpenImageDir(root, o)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Load()
		if err != nil {
			t.Fatal(err)
		}
		x := s.X
		if u8 {
			if s.Pixels == nil || s.Pixels.Divisor != 1 {
				t.Fatalf("Uint8: Pixels %v", s.Pixels)
			}
			x = s.Pixels.Float32()
		}
		per := 5 * 5
		for k, p := range d.Paths {
			for i, b := range want[p] {
				if got := x.Data[k*per+i]; got != float32(b) {
					t.Fatalf("Uint8 %v: %s pixel %d = %v, want %d", u8, p, i, got, b)
				}
			}
		}
		// The default reads the same bytes divided by 255.
		o.PixelRange = PixelsUnit
		unit, err := ImageDatasetFromDirectory(root, o)
		if err != nil {
			t.Fatal(err)
		}
		xu := unit.X
		if u8 {
			xu = unit.Pixels.Float32()
		}
		for i, v := range x.Data {
			if xu.Data[i] != v/255 {
				t.Fatalf("Uint8 %v: unit value %d = %v, want %v/255", u8, i, xu.Data[i], v)
			}
		}
	}
}

// A resized folder in [0, 255] is the [0, 1] one times 255, up to float32
// rounding: the resize is linear.
func TestResizedFolderPixels255(t *testing.T) {
	root := t.TempDir()
	grayTree(t, root, 7)
	for _, size := range [][2]int{{4, 5}, {11, 9}} {
		load := func(p PixelRange) *Set {
			tr, _, err := Load(root, Options{ImageSize: size, ColorMode: ColorGrayscale, Uint8: true, PixelRange: p})
			if err != nil {
				t.Fatal(err)
			}
			if tr.X == nil {
				t.Fatal("a resized set must come back in X")
			}
			return tr
		}
		raw, unit := load(Pixels255), load(PixelsUnit)
		for i, v := range raw.X.Data {
			if v < 0 || v > 255 || math.Abs(float64(v)/255-float64(unit.X.Data[i])) > 1e-6 {
				t.Fatalf("size %v value %d: %v in [0,255], %v in [0,1]", size, i, v, unit.X.Data[i])
			}
		}
	}
}

// resizeBilinear (which decodes image folders) and nn.Resizing both
// follow TensorFlow's float32 kernel: the same bits.
func TestResizeBilinearMatchesResizingLayer(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][4]int{{7, 9, 4, 5}, {4, 5, 13, 11}, {30, 20, 21, 7}, {3, 3, 3, 3}} {
		const c = 3
		src := make([]float32, s[0]*s[1]*c)
		for i := range src {
			src[i] = float32(r.IntN(256))
		}
		dst := make([]float32, s[2]*s[3]*c)
		resizeBilinear(dst, src, s[0], s[1], s[2], s[3], c)
		l := &nn.Resizing{Height: s[2], Width: s[3]}
		if err := l.Build(tensor.Shape{s[0], s[1], c}, nil); err != nil {
			t.Fatal(err)
		}
		y := l.Forward(&tensor.Tensor{Shape: tensor.Shape{1, s[0], s[1], c}, Data: src}, false)
		for i, v := range dst {
			if math.Float32bits(v) != math.Float32bits(y.Data[i]) {
				t.Fatalf("%v: value %d = %v, nn.Resizing %v", s, i, v, y.Data[i])
			}
		}
	}
}

// Keras's datasets come in [0, 255] too, float32 or uint8.
func TestMNISTPixels255(t *testing.T) {
	xtr, _, npz := mnistFixture()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mnist.npz"), npz, 0o644); err != nil {
		t.Fatal(err)
	}
	swap(t, &mnistNPZ.SHA256, sha(npz))
	for _, u8 := range []bool{false, true} {
		tr, te, err := Load("mnist", Options{DataDir: dir, Offline: true, Uint8: u8, PixelRange: Pixels255})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*Set{tr, te} {
			x := s.X
			if u8 {
				x = s.Pixels.Float32()
			}
			checkShape(t, "x", x.Shape, s.Len(), 28, 28, 1)
			for i, v := range x.Data {
				if v != float32(xtr[i]) {
					t.Fatalf("Uint8 %v: pixel %d = %v, want %d", u8, i, v, xtr[i])
				}
			}
		}
	}
}

// digits' pixels are 0..16: [0, 1] is v/16, [0, 255] is v·255/16.
func TestDigitsPixels255(t *testing.T) {
	unit, _, err := Load("digits", Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := Load("digits", Options{Seed: 3, PixelRange: Pixels255})
	if err != nil {
		t.Fatal(err)
	}
	var top float32
	for i, v := range raw.X.Data {
		if v != unit.X.Data[i]*255 || v != float32(math.Round(float64(v)/255*16))*255/16 {
			t.Fatalf("value %d: %v, unit %v", i, v, unit.X.Data[i])
		}
		top = max(top, v)
	}
	if top != 255 {
		t.Errorf("largest pixel %v, want 255", top)
	}
	// The cached table is not changed by a [0, 255] load.
	again, _, _ := Load("digits", Options{Seed: 3})
	for i, v := range again.X.Data {
		if v != unit.X.Data[i] {
			t.Fatalf("a Pixels255 load changed the [0, 1] values: %d is %v, was %v", i, v, unit.X.Data[i])
		}
	}
}
