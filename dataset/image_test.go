package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bitWriter writes a deflate bit stream: fields LSB first, Huffman codes
// MSB first (RFC 1951 section 3.1.1).
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
	return w.out
}

// zlibZeros is a zlib stream (RFC 1950) of n zero bytes, about n/1032
// bytes long: one dynamic-Huffman deflate block in which a length-258,
// distance-1 match costs two bits, as zlib at level 9 writes zero runs.
// Written by hand because compressing gigabytes with compress/flate would
// take most of a minute.
func zlibZeros(n int64) []byte {
	w := &bitWriter{out: []byte{0x78, 0x01}} // deflate, 32 KB window, FCHECK
	w.bits(1, 1)                             // BFINAL
	w.bits(2, 2)                             // BTYPE: dynamic Huffman
	w.bits(286-257, 5)                       // HLIT: literal/length codes 0..285
	w.bits(0, 5)                             // HDIST: one distance code
	w.bits(18-4, 4)                          // HCLEN: 18 code-length codes
	// Code-length code: 18 (a run of zeros) has 1 bit, 1 and 2 have 2;
	// lengths in the order of RFC 1951 section 3.2.7.
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1}
	clen := map[int]uint64{18: 1, 2: 2, 1: 2}
	for _, s := range order {
		w.bits(clen[s], 3)
	}
	// Canonical codes: 18 -> 0, 1 -> 10, 2 -> 11.
	sym := func(s int) {
		switch s {
		case 18:
			w.code(0, 1)
		case 1:
			w.code(2, 2)
		case 2:
			w.code(3, 2)
		}
	}
	zeros := func(k int) { // 11..138 zero lengths
		sym(18)
		w.bits(uint64(k-11), 7)
	}
	// Literal/length lengths: 0 -> 2, 1..255 -> 0, 256 -> 2, 257..284 -> 0,
	// 285 (length 258) -> 1; then distance code 0 -> 1.
	sym(2)
	zeros(138)
	zeros(117)
	sym(2)
	zeros(28)
	sym(1)
	sym(1)
	// Canonical codes: 285 -> 0, literal 0 -> 10, end of block -> 11;
	// distance 0 (distance 1) -> 0. A match is the two bits 0 0.
	literal := func() { w.code(2, 2) }
	w.code(2, 2) // the first zero byte
	matches, rest := (n-1)/258, (n-1)%258
	for ; matches > 0 && w.nacc != 0; matches-- {
		w.bits(0, 2)
	}
	w.out = append(w.out, make([]byte, matches/4)...) // four matches a byte
	for range matches % 4 {
		w.bits(0, 2)
	}
	for range rest {
		literal()
	}
	w.code(3, 2) // end of block
	out := w.flush()
	// Adler-32 of n zero bytes: s1 stays 1, s2 adds 1 per byte.
	return binary.BigEndian.AppendUint32(out, uint32(n%65521)<<16|1)
}

// bombPNG is a valid 8-bit greyscale PNG of w x h black pixels whose
// image data is one zlib stream of zero rows: 60000x60000 is the audit's
// 3.5 MB file that decodes to 3.6 GB.
func bombPNG(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		io.WriteString(crc, typ)
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // depth 8, greyscale, deflate, no filter, no interlace
	chunk("IHDR", ihdr)
	chunk("IDAT", zlibZeros(int64(h)*int64(w+1))) // each row: filter byte 0 and w pixels
	chunk("IEND", nil)
	return b.Bytes()
}

// The generator itself is checked on a size that decodes quickly.
func TestBombPNGIsValid(t *testing.T) {
	for _, s := range [][2]int{{1, 1}, {3, 7}, {300, 200}, {1031, 5}} {
		img, err := png.Decode(bytes.NewReader(bombPNG(s[0], s[1])))
		if err != nil {
			t.Fatalf("%dx%d: %v", s[0], s[1], err)
		}
		g, ok := img.(*image.Gray)
		if !ok || g.Bounds().Dx() != s[0] || g.Bounds().Dy() != s[1] {
			t.Fatalf("%dx%d: got %T %v", s[0], s[1], img, img.Bounds())
		}
		for i, v := range g.Pix {
			if v != 0 {
				t.Fatalf("%dx%d: pixel %d is %d", s[0], s[1], i, v)
			}
		}
	}
}

// P4: the audit's bomb is refused from its header, with an error that
// names the size and the limit, and without allocating the image.
func TestDecodeImageRefusesBomb(t *testing.T) {
	bomb := bombPNG(60000, 60000)
	if len(bomb) > 4<<20 {
		t.Fatalf("bomb is %d bytes, want about 3.5 MB", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	img, _, err := DecodeImage(bytes.NewReader(bomb))
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatalf("decoded a %v image", img.Bounds())
	}
	var big *ImageTooLargeError
	if !errors.As(err, &big) || big.Width != 60000 || big.Height != 60000 || big.Limit != MaxImagePixels {
		t.Fatalf("error %v (%T), want an ImageTooLargeError for 60000x60000", err, err)
	}
	for _, want := range []string{"60000x60000", "3600000000 pixels", "MaxImagePixels", "raise"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", n)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "bomb.png")
	if err := os.WriteFile(p, bomb, 0o666); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&before)
	_, _, err = DecodeImageFile(p)
	runtime.ReadMemStats(&after)
	if !errors.As(err, &big) || !strings.Contains(err.Error(), p) {
		t.Fatalf("DecodeImageFile: %v, want an ImageTooLargeError naming %s", err, p)
	}
	if strings.Count(err.Error(), "dataset:") != 1 {
		t.Errorf("error %q repeats its context", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb file allocated %d bytes", n)
	}
}

// testImage is a w x h image with some structure, so that a decode that
// read from the wrong place would not pass for a right one.
func testImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 40), uint8(y * 30), uint8(x ^ y), 255})
		}
	}
	return m
}

func encoded(t *testing.T, format string, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, m)
	case "jpeg":
		err = jpeg.Encode(&b, m, nil)
	case "gif":
		err = gif.Encode(&b, m, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The limit holds for every format, at exactly MaxImagePixels pixels, for
// a reader that does not start at offset 0, and is off at zero.
func TestDecodeImageLimit(t *testing.T) {
	old := MaxImagePixels
	t.Cleanup(func() { MaxImagePixels = old })
	src := testImage(5, 4) // 20 pixels
	for _, format := range []string{"png", "jpeg", "gif"} {
		data := encoded(t, format, src)
		for _, tc := range []struct {
			limit int
			ok    bool
		}{{19, false}, {20, true}, {0, true}, {-1, true}, {old, true}} {
			MaxImagePixels = tc.limit
			// Prefix junk and start the reader after it: DecodeImage must seek
			// back to where it started, not to 0.
			r := bytes.NewReader(append([]byte("junk"), data...))
			r.Seek(4, io.SeekStart)
			img, got, err := DecodeImage(r)
			if !tc.ok {
				var big *ImageTooLargeError
				if !errors.As(err, &big) || big.Width != 5 || big.Height != 4 || big.Limit != tc.limit {
					t.Errorf("%s, limit %d: %v, want ImageTooLargeError", format, tc.limit, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s, limit %d: %v", format, tc.limit, err)
			}
			if got != format || img.Bounds() != src.Bounds() {
				t.Fatalf("%s, limit %d: got %s %v", format, tc.limit, got, img.Bounds())
			}
			if format == "png" {
				for y := range 4 {
					for x := range 5 {
						if img.At(x, y) != src.At(x, y) {
							t.Fatalf("png pixel (%d,%d) is %v, want %v", x, y, img.At(x, y), src.At(x, y))
						}
					}
				}
			}
		}
	}
}

// A file that is not an image says so and names the file.
func TestDecodeImageFileNotAnImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.png")
	os.WriteFile(p, []byte("hello, not a picture"), 0o666)
	_, _, err := DecodeImageFile(p)
	if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, image.ErrFormat) {
		t.Fatalf("got %v, want image.ErrFormat naming %s", err, p)
	}
	_, _, err = DecodeImageFile(filepath.Join(t.TempDir(), "missing.png"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
