package dataset

import (
	"bytes"
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
