package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// Keras's own files given to --load (gokeras.Load reads .keras and legacy
// .h5 models; kerasfile.go in the root package). A file that holds weights
// only (.weights.h5, save_weights) or a model gokeras cannot rebuild (a
// subclassed one) takes its architecture from --model.

// loadModel is gokeras.Load(load), except that a Keras file without an
// architecture gokeras can rebuild is loaded into --model's architecture
// when --model is given (modelSet). What Load says about the file (its
// skipped optimizer state) goes to notes, once.
func loadModel(cmd, load, model string, modelSet bool, notes io.Writer) (*gokeras.Sequential, error) {
	m, err := gokeras.Load(load)
	if errors.Is(err, gokeras.ErrNotKerasModel) && modelSet {
		src, serr := loadModelSource(model)
		if serr != nil {
			return nil, serr
		}
		if werr := src.model.LoadKerasWeights(load); werr != nil {
			return nil, fmt.Errorf("--model %s with the weights in --load: %w", model, werr)
		}
		m, err = src.model, nil
		if m.DatasetName == "" {
			m.DatasetName = src.dataset
		}
	}
	if err != nil {
		return nil, err
	}
	for _, n := range m.LoadNotes() {
		fmt.Fprintf(notes, "gokeras %s: %s\n", cmd, n)
	}
	return m, nil
}

// kerasData adapts a data set to a model loaded from a Keras file as its
// Keras user would by hand, saying so once on notes: samples with the
// model's number of values in another shape (MNIST's (28, 28, 1) for a
// model built on (28, 28)) are reshaped, and integer labels are one-hot
// encoded for a model compiled with categorical_crossentropy
// (keras.utils.to_categorical). Anything else is left for checkFits and
// Evaluate to refuse.
func kerasData(cmd string, m *gokeras.Sequential, x gokeras.Inputs, y *tensor.Tensor, notes io.Writer) (gokeras.Inputs, *tensor.Tensor) {
	n := &onceNotes{w: notes, cmd: cmd}
	return reshapeInputs(m, x, n), oneHotLabels(m, y, n)
}

// onceNotes writes each kind of note once per command.
type onceNotes struct {
	w    io.Writer
	cmd  string
	said map[string]bool
}

func (n *onceNotes) say(kind, format string, args ...any) {
	if n.said[kind] {
		return
	}
	if n.said == nil {
		n.said = map[string]bool{}
	}
	n.said[kind] = true
	fmt.Fprintf(n.w, "gokeras %s: "+format+"\n", append([]any{n.cmd}, args...)...)
}

// reshapeInputs gives x the model's input shape when its samples have as
// many values in another shape.
func reshapeInputs(m *gokeras.Sequential, x gokeras.Inputs, n *onceNotes) gokeras.Inputs {
	want := m.Net().DeclaredInputShape()
	got := x.RowShape()
	if want == nil || got.Equal(want) || got.Size() != want.Size() {
		return x
	}
	shape := append(tensor.Shape{x.Len()}, want...)
	switch v := x.(type) {
	case *tensor.Tensor:
		x = &tensor.Tensor{Shape: shape, Data: v.Data}
	case *tensor.Bytes:
		x = &tensor.Bytes{Shape: shape, Data: v.Data, Divisor: v.Divisor}
	default:
		return x
	}
	n.say("reshape", "the model takes inputs of shape %v and the data's samples are %v, the same %d values: reshaping them, as x.reshape(-1, %s) would in Keras",
		want, got, want.Size(), dims(want))
	return x
}

// reshapeSets reshapes the samples of sets in place (see reshapeInputs).
func reshapeSets(m *gokeras.Sequential, n *onceNotes, sets ...*dataset.Set) {
	for _, s := range sets {
		switch {
		case s == nil:
		case s.Pixels != nil:
			s.Pixels = reshapeInputs(m, s.Pixels, n).(*tensor.Bytes)
		case s.X != nil:
			s.X = reshapeInputs(m, s.X, n).(*tensor.Tensor)
		}
	}
}

// oneHotLabels one-hot encodes class indices y for a model compiled with
// categorical_crossentropy; other labels are returned as they are.
func oneHotLabels(m *gokeras.Sequential, y *tensor.Tensor, n *onceNotes) *tensor.Tensor {
	categorical := false
	switch m.Loss().(type) {
	case loss.CategoricalCrossentropy, *loss.CategoricalCrossentropy:
		categorical = true
	}
	out := m.Net().OutputShape()
	if !categorical || y == nil || len(y.Shape) != 1 || len(out) != 1 || out[0] < 2 {
		return y
	}
	k := out[0]
	oh := tensor.New(y.Shape[0], k)
	for i, v := range y.Data {
		c := int(v)
		if float32(c) != v || c < 0 || c >= k {
			return y // not class indices: Evaluate or Fit says what is wrong
		}
		oh.Data[i*k+c] = 1
	}
	n.say("onehot", "the model's loss is categorical_crossentropy: one-hot encoding the integer labels to %d columns, as keras.utils.to_categorical would", k)
	return oh
}

// dims is a shape as Python writes its axes: "28, 28".
func dims(s tensor.Shape) string {
	out := ""
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(d)
	}
	return out
}
