package dataset

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"strings"
)

const cifarPixels = 32 * 32 * 3

// maxCIFAREntry bounds one member of a CIFAR archive (the largest real one,
// CIFAR-100's train pickle, is about 155 MB).
const maxCIFAREntry = 512 << 20

// readCIFARArchive reads a CIFAR-10 (classes 10) or CIFAR-100 (classes 100)
// tar.gz in either of its official formats: the "python version" (pickled
// dicts) or the "binary version". For CIFAR-100, labelMode is "fine" or
// "coarse". Images come out channels-last (N,32,32,3), labels (N,1).
func readCIFARArchive(r io.Reader, classes int, labelMode string) (*Arrays, error) {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("dataset: cifar archive: %w", err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: cifar archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Base(h.Name)
		if !cifarMember(name) {
			continue
		}
		if h.Size > maxCIFAREntry {
			return nil, fmt.Errorf("dataset: cifar archive: %s is %d bytes, too large", h.Name, h.Size)
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, io.LimitReader(tr, h.Size)); err != nil {
			return nil, fmt.Errorf("dataset: cifar archive: %s: %w", h.Name, err)
		}
		files[name] = buf.Bytes()
	}
	// Read to the end so a truncated gzip stream is noticed.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("dataset: cifar archive: %w", err)
	}
	return cifarFromFiles(files, classes, labelMode)
}

func cifarMember(name string) bool {
	switch name {
	case "test_batch", "batches.meta", "train", "test", "meta",
		"test_batch.bin", "batches.meta.txt", "train.bin", "test.bin",
		"fine_label_names.txt", "coarse_label_names.txt":
		return true
	}
	return strings.HasPrefix(name, "data_batch_")
}

// cifarFromFiles assembles the arrays from the archive members by name.
func cifarFromFiles(files map[string][]byte, classes int, labelMode string) (*Arrays, error) {
	out := &Arrays{}
	var err error
	if classes == 10 {
		_, binary := files["test_batch.bin"]
		suffix := ""
		if binary {
			suffix = ".bin"
		}
		var trainParts [][]byte
		for i := 1; i <= 5; i++ {
			b, ok := files[fmt.Sprintf("data_batch_%d%s", i, suffix)]
			if !ok {
				return nil, fmt.Errorf("dataset: cifar10 archive has no data_batch_%d%s", i, suffix)
			}
			trainParts = append(trainParts, b)
		}
		testPart, ok := files["test_batch"+suffix]
		if !ok {
			return nil, fmt.Errorf("dataset: cifar10 archive has no test_batch")
		}
		if binary {
			if out.XTrain, out.YTrain, err = readCIFARBinaryN(bytes.Join(trainParts, nil), 1, 0); err != nil {
				return nil, err
			}
			if out.XTest, out.YTest, err = readCIFARBinaryN(testPart, 1, 0); err != nil {
				return nil, err
			}
			out.Classes = textLines(files["batches.meta.txt"])
		} else {
			var xs, ys []*Uint8Array
			for i, b := range trainParts {
				x, y, err := readCIFARPickle(b, "labels")
				if err != nil {
					return nil, fmt.Errorf("dataset: cifar10 data_batch_%d: %w", i+1, err)
				}
				xs, ys = append(xs, x), append(ys, y)
			}
			out.XTrain, out.YTrain = concatArrays(xs), concatArrays(ys)
			if out.XTest, out.YTest, err = readCIFARPickle(testPart, "labels"); err != nil {
				return nil, fmt.Errorf("dataset: cifar10 test_batch: %w", err)
			}
			if m, ok := files["batches.meta"]; ok {
				out.Classes, _ = pickleStrings(m, "label_names")
			}
		}
		if len(out.Classes) != 10 {
			out.Classes = CIFAR10Classes
		}
		return out, nil
	}
	// CIFAR-100.
	if labelMode != "fine" && labelMode != "coarse" {
		return nil, fmt.Errorf("dataset: cifar100 label mode %q: want \"fine\" or \"coarse\"", labelMode)
	}
	if tb, ok := files["train.bin"]; ok {
		skip := 1 // record: coarse label, fine label, pixels
		if labelMode == "coarse" {
			skip = 0
		}
		if out.XTrain, out.YTrain, err = readCIFARBinaryN(tb, 2, skip); err != nil {
			return nil, err
		}
		te, ok := files["test.bin"]
		if !ok {
			return nil, fmt.Errorf("dataset: cifar100 archive has no test.bin")
		}
		if out.XTest, out.YTest, err = readCIFARBinaryN(te, 2, skip); err != nil {
			return nil, err
		}
		out.Classes = textLines(files[labelMode+"_label_names.txt"])
		return out, nil
	}
	for _, part := range []string{"train", "test"} {
		b, ok := files[part]
		if !ok {
			return nil, fmt.Errorf("dataset: cifar100 archive has no %s", part)
		}
		x, y, err := readCIFARPickle(b, labelMode+"_labels")
		if err != nil {
			return nil, fmt.Errorf("dataset: cifar100 %s: %w", part, err)
		}
		if part == "train" {
			out.XTrain, out.YTrain = x, y
		} else {
			out.XTest, out.YTest = x, y
		}
	}
	if m, ok := files["meta"]; ok {
		out.Classes, _ = pickleStrings(m, labelMode+"_label_names")
	}
	return out, nil
}

// ReadCIFARBinary reads records of the CIFAR-10 binary version: one label
// byte then 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major).
// Images come out channels-last (N,32,32,3), labels (N,1).
func ReadCIFARBinary(data []byte) (x, y *Uint8Array, err error) {
	return readCIFARBinaryN(data, 1, 0)
}

// readCIFARBinaryN reads records of nlab label bytes then 3072 pixels,
// keeping label byte pick (CIFAR-100: 0 coarse, 1 fine).
func readCIFARBinaryN(data []byte, nlab, pick int) (x, y *Uint8Array, err error) {
	rec := nlab + cifarPixels
	if len(data) == 0 || len(data)%rec != 0 {
		return nil, nil, fmt.Errorf("dataset: cifar binary: %d bytes is not a whole number of %d-byte records", len(data), rec)
	}
	n := len(data) / rec
	x = &Uint8Array{Shape: []int{n, 32, 32, 3}, Data: make([]uint8, n*cifarPixels)}
	y = &Uint8Array{Shape: []int{n, 1}, Data: make([]uint8, n)}
	for i := range n {
		r := data[i*rec : (i+1)*rec]
		y.Data[i] = r[pick]
		chwToHWC(x.Data[i*cifarPixels:(i+1)*cifarPixels], r[nlab:])
	}
	return x, y, nil
}

// chwToHWC transposes one 3x32x32 image to 32x32x3.
func chwToHWC(dst, src []uint8) {
	for c := range 3 {
		for p := range 1024 {
			dst[p*3+c] = src[c*1024+p]
		}
	}
}

// readCIFARPickle reads one python-version batch: a dict with "data"
// (N,3072) uint8 and a list of labels under labelKey.
func readCIFARPickle(b []byte, labelKey string) (x, y *Uint8Array, err error) {
	v, err := readPickle(b)
	if err != nil {
		return nil, nil, err
	}
	d, ok := v.(pyDict)
	if !ok {
		return nil, nil, fmt.Errorf("dataset: cifar pickle holds a %T, not a dict", v)
	}
	arr, ok := d["data"].(*pyArray)
	if !ok || arr.dtype == nil || arr.dtype.name != "u1" || len(arr.shape) != 2 || arr.shape[1] != cifarPixels {
		return nil, nil, fmt.Errorf("dataset: cifar pickle: \"data\" is not a uint8 (N, 3072) array")
	}
	n := arr.shape[0]
	labels, ok := d[labelKey].(*pyList)
	if !ok {
		return nil, nil, fmt.Errorf("dataset: cifar pickle has no list %q", labelKey)
	}
	if len(labels.items) != n {
		return nil, nil, fmt.Errorf("dataset: cifar pickle has %d images but %d labels", n, len(labels.items))
	}
	x = &Uint8Array{Shape: []int{n, 32, 32, 3}, Data: make([]uint8, n*cifarPixels)}
	y = &Uint8Array{Shape: []int{n, 1}, Data: make([]uint8, n)}
	for i := range n {
		chwToHWC(x.Data[i*cifarPixels:(i+1)*cifarPixels], arr.data[i*cifarPixels:(i+1)*cifarPixels])
		l, ok := labels.items[i].(int64)
		if !ok || l < 0 || l > 255 {
			return nil, nil, fmt.Errorf("dataset: cifar pickle label %d is %v", i, labels.items[i])
		}
		y.Data[i] = uint8(l)
	}
	return x, y, nil
}

// pickleStrings returns the list of strings under key in a pickled dict.
func pickleStrings(b []byte, key string) ([]string, error) {
	v, err := readPickle(b)
	if err != nil {
		return nil, err
	}
	d, ok := v.(pyDict)
	if !ok {
		return nil, fmt.Errorf("dataset: pickle holds a %T, not a dict", v)
	}
	l, ok := d[key].(*pyList)
	if !ok {
		return nil, fmt.Errorf("dataset: pickle has no list %q", key)
	}
	var out []string
	for _, it := range l.items {
		switch s := it.(type) {
		case string:
			out = append(out, s)
		case []byte:
			out = append(out, string(s))
		}
	}
	return out, nil
}

func textLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func concatArrays(parts []*Uint8Array) *Uint8Array {
	out := &Uint8Array{Shape: append([]int{0}, parts[0].Shape[1:]...)}
	for _, p := range parts {
		out.Shape[0] += p.Shape[0]
		out.Data = append(out.Data, p.Data...)
	}
	return out
}
