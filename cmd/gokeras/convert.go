package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gokeras/gokeras"
)

func init() {
	register(command{"convert", "convert a model between Keras's .keras, legacy .h5 and gokeras's format", runConvert})
}

// runConvert reads IN (gokeras's safetensors file, a Keras 3 .keras zip
// or a legacy Keras .h5 model, told apart by content, as gokeras.Load
// does; with --model, a Keras weights-only file too) and writes OUT in the
// format its extension names: .keras for Keras 3, .h5 or .hdf5 for
// Keras's legacy HDF5 format (as Keras 3's model.save("m.h5") writes it,
// without the optimizer's state), anything else for gokeras's own.
func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", stdout)
	modelFlag := fs.String("model", "", "the architecture (a preset or a model JSON) when IN holds Keras weights only (.weights.h5)")
	labels := labelsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("give the input and output files: gokeras convert [--model M] IN OUT (OUT's extension picks the format: .keras for Keras 3, .h5 or .hdf5 for Keras's legacy format, any other for gokeras's)")
	}
	in, out := fs.Arg(0), fs.Arg(1)
	ext := strings.ToLower(filepath.Ext(out))
	keras := ext == ".keras" || ext == ".h5" || ext == ".hdf5"
	if err := gokeras.CheckSavePath(out); err != nil {
		return err
	}
	m, err := loadModel("convert", in, *modelFlag, flagSet(fs, "model"), stderr)
	if err != nil {
		return err
	}
	if err := applyLabels(m, *labels); err != nil {
		return err
	}
	if keras {
		var lost []string
		if m.DatasetName != "" {
			lost = append(lost, "data set name")
		}
		if len(m.Classes) > 0 {
			lost = append(lost, "class names")
		}
		if len(m.Features) > 0 {
			lost = append(lost, "feature names")
		}
		if m.PixelRange == 255 {
			lost = append(lost, "pixel range (255)")
		}
		if len(lost) > 0 {
			fmt.Fprintf(stderr, "gokeras convert: a Keras %s file has no place for the model's %s; they are not written\n", ext, strings.Join(lost, ", "))
		}
		save := m.SaveKeras
		if ext != ".keras" {
			save = m.SaveKerasH5
		}
		if err := save(out); err != nil {
			return err
		}
	} else if err := m.Save(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", out)
	return nil
}
