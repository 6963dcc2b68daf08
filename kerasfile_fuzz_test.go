package gokeras

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeras/gokeras/internal/hdf5"
)

// FuzzKerasFile: no input makes reading a Keras file panic (errors are
// fine). Seeds: the real files' smallest, when present.
func FuzzKerasFile(f *testing.F) {
	for _, d := range []string{filepath.Join("..", "shared", "keras-models"), "/work/shared/keras-models"} {
		if b, err := os.ReadFile(filepath.Join(d, "keras_test_nested_container.keras")); err == nil {
			f.Add(b)
			break
		}
	}
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte(hdf5Signature))
	f.Fuzz(func(t *testing.T, data []byte) {
		if kind, off := sniffKerasFile(data); kind != notKeras {
			loadKeras(data, kind, off)
			var m Model
			m.loadKerasWeights(data)
		}
	})
}

// Flipped bytes and truncations of a real .keras and .h5 file give errors
// or models, never a panic.
func TestKerasFileMutations(t *testing.T) {
	dir := kerasModels(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"02_moonflower_mnist_cnn.keras", "03_moonflower_mnist_cnn.h5", "keras_test_nested_container.keras"} {
		orig, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		n := 300
		if testing.Short() {
			n = 50
		}
		for i := 0; i < n; i++ {
			b := append([]byte(nil), orig...)
			switch i % 3 {
			case 0: // a byte of the first 4 KiB: headers, superblock, B-trees, config
				b[rng.IntN(min(4096, len(b)))] ^= byte(1 + rng.IntN(255))
			case 1: // anywhere
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			case 2:
				b = b[:rng.IntN(len(b))]
			}
			if kind, off := sniffKerasFile(b); kind != notKeras {
				loadKeras(b, kind, off)
			}
		}
	}
}

// A zip whose model.weights.h5 starts past the end of the file is an
// error (it once sliced out of range).
func TestKerasFileZipOffsetPastEnd(t *testing.T) {
	var h5 bytes.Buffer
	if _, err := hdf5.NewBuilder().WriteTo(&h5); err != nil {
		t.Fatal(err)
	}
	path := writeKerasZip(t, `{"class_name": "Sequential", "config": {"layers": []}}`, h5.Bytes())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The central directory entry (PK\x01\x02) of the last member,
	// model.weights.h5, has its local header's offset at byte 42.
	i := bytes.LastIndex(b, []byte("PK\x01\x02"))
	if i < 0 || !bytes.Equal(b[i+46:i+46+len("model.weights.h5")], []byte("model.weights.h5")) {
		t.Fatal("no central directory entry for model.weights.h5")
	}
	// Its local header's extra-field length (byte 28) makes the data
	// start past the end of the file.
	local := binary.LittleEndian.Uint32(b[i+42:])
	binary.LittleEndian.PutUint16(b[local+28:], 0xffff)
	if kind, off := sniffKerasFile(b); kind != kerasZip {
		t.Fatalf("sniffed %v at %d", kind, off)
	}
	if _, err := loadKeras(b, kerasZip, 0); !errors.Is(err, ErrBadModelFile) {
		t.Errorf("got %v; want ErrBadModelFile", err)
	}
}
