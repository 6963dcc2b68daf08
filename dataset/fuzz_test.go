package dataset

import (
	"bytes"
	"errors"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// The parsers must return an error, never panic or allocate without bound,
// whatever the bytes. Run longer with: go test ./dataset -fuzz FuzzIDX.

func FuzzIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 2}, []byte{1, 2, 3, 4}, 8))
	f.Add(gzipBytes(idxBytes([]int{1}, []byte{7}, 8)))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadIDX(bytes.NewReader(b))
		if err == nil {
			n := 1
			for _, d := range a.Shape {
				n *= d
			}
			if n != len(a.Data) {
				t.Fatalf("shape %v holds %d bytes", a.Shape, len(a.Data))
			}
		}
	})
}

func FuzzNPY(f *testing.F) {
	f.Add(npyBytes("|u1", []int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(npyBytes("<f8", []int{1}, make([]byte, 8)))
	f.Add(npyBytes("<i4", []int{}, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadNPY(bytes.NewReader(b))
		if err == nil {
			_ = a.Float32()
		}
		_, _ = ReadNPZ(bytes.NewReader(b), int64(len(b)))
	})
}

func FuzzPickle(f *testing.F) {
	f.Add(pickleBatch(cifarImages(1), map[string][]int{"labels": {3}}))
	f.Add(pickleNames("label_names", []string{"a", "b"}))
	f.Add([]byte("\x80\x02cos\nsystem\nU\x02hi\x85R."))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = readPickle(b)
		_, _, _ = readCIFARPickle(b, "labels")
	})
}

func FuzzCIFARBinary(f *testing.F) {
	rec := append([]byte{3}, cifarImages(1)...)
	f.Add(rec)
	f.Add(rec[:100])
	f.Add(tarGz(map[string][]byte{"test_batch.bin": rec}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if x, y, err := ReadCIFARBinary(b); err == nil && x.Shape[0] != y.Shape[0] {
			t.Fatal("images and labels differ in count")
		}
		_, _ = readCIFARArchive(bytes.NewReader(b), 10, "fine")
		_, _ = readCIFARArchive(bytes.NewReader(b), 100, "coarse")
	})
}

// FuzzNPZ feeds zip archives of .npy members (FuzzNPY's seeds are bare
// .npy files, which the zip reader rejects at once).
func FuzzNPZ(f *testing.F) {
	f.Add(npzBytes(map[string][]byte{"x": npyBytes("|u1", []int{2, 2}, []byte{1, 2, 3, 4})}))
	f.Add(npzBytes(map[string][]byte{"x": npyBytes("<f4", []int{1}, make([]byte, 4)), "y": npyBytes("<i8", []int{2}, make([]byte, 16))}))
	f.Add(npzBytes(map[string][]byte{"x": npyBytes("|u1", []int{1 << 30, 1 << 30}, nil)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadNPZ(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for k, a := range m {
			n := 1
			for _, d := range a.Shape {
				n *= d
			}
			if len(a.Float32()) != n {
				t.Fatalf("%s: shape %v but %d values", k, a.Shape, len(a.Float32()))
			}
		}
	})
}

// FuzzDecodeImage checks the pixel limit on anything the PNG, JPEG and GIF
// decoders accept: no image over MaxImagePixels is ever decoded, and one
// refused for its size really declares more. The limit is lowered to a
// megapixel so that each input costs little even when its header declares
// the most the limit allows.
func FuzzDecodeImage(f *testing.F) {
	small := testImage(5, 4)
	for _, format := range []string{"png", "jpeg", "gif"} {
		var b bytes.Buffer
		switch format {
		case "png":
			png.Encode(&b, small)
		case "jpeg":
			jpeg.Encode(&b, small, nil)
		case "gif":
			gif.Encode(&b, small, nil)
		}
		f.Add(b.Bytes())
	}
	f.Add(bombPNG(3, 2))
	f.Add(bombPNG(60000, 60000)[:4096]) // the audit's bomb; its header is enough
	f.Add(bombPNG(1025, 1024))          // just over the limit below
	old := MaxImagePixels
	MaxImagePixels = 1 << 20
	f.Cleanup(func() { MaxImagePixels = old })
	f.Fuzz(func(t *testing.T, b []byte) {
		img, format, err := DecodeImage(bytes.NewReader(b))
		var big *ImageTooLargeError
		switch {
		case errors.As(err, &big):
			if int64(big.Width)*int64(big.Height) <= int64(MaxImagePixels) && big.Width <= MaxImagePixels && big.Height <= MaxImagePixels {
				t.Fatalf("refused %dx%d under the limit %d", big.Width, big.Height, MaxImagePixels)
			}
		case err == nil:
			r := img.Bounds()
			if int64(r.Dx())*int64(r.Dy()) > int64(MaxImagePixels) {
				t.Fatalf("decoded a %v %s image over the limit %d", r, format, MaxImagePixels)
			}
			if format != "png" && format != "jpeg" && format != "gif" {
				t.Fatalf("format %q", format)
			}
		}
	})
}
