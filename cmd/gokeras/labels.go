package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/gokeras/gokeras"
)

// A labels file names a classifier's output units, one name per line in
// unit order: the convention of TensorFlow Lite's and Triton's label
// files (Triton's label_filename). Keras's own files keep no class names,
// so a model loaded from one answers with unit indices until it is given
// such a file.

// maxLabelsBytes bounds a labels file: 1 MiB holds tens of thousands of
// names.
const maxLabelsBytes = 1 << 20

// labelsFlag registers --labels on fs.
func labelsFlag(fs *flag.FlagSet) *string {
	return fs.String("labels", "", "class names for the model's output units, one per line in unit order (a labels file as TF Lite and Triton use them); they replace any the model file holds. A Keras file holds none")
}

// applyLabels gives m the class names of the labels file at path ("" does
// nothing). The names must be one per output unit (two for a single
// sigmoid unit).
func applyLabels(m *gokeras.Model, path string) error {
	if path == "" {
		return nil
	}
	names, err := readLabels(path)
	if err != nil {
		return err
	}
	if err := m.SetClasses(names); err != nil {
		return fmt.Errorf("--labels %s: %w", path, err)
	}
	return nil
}

// readLabels reads a labels file: one name per line ("\n" or "\r\n"),
// blank lines at the end ignored, none elsewhere.
func readLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--labels: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLabelsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--labels %s: %w", path, err)
	}
	if len(data) > maxLabelsBytes {
		return nil, fmt.Errorf("--labels %s is over %d bytes; a labels file holds one class name per line", path, maxLabelsBytes)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("--labels %s is not UTF-8 text; a labels file holds one class name per line", path)
	}
	text := strings.TrimRight(string(data), "\r\n")
	if text == "" {
		return nil, fmt.Errorf("--labels %s is empty; a labels file holds one class name per line", path)
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(lines[i]) == "" {
			return nil, fmt.Errorf("--labels %s: line %d is blank; give one class name per line, in the order of the model's output units", path, i+1)
		}
	}
	return lines, nil
}

// fileExists reports whether path names a regular file (following links).
func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
