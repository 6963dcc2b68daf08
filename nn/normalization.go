package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// Normalization standardises each feature (the last axis) with a mean and
// variance learned from data by Adapt, as Keras's Normalization layer with
// adapt(). The statistics are non-trainable weights, so a saved model
// normalises raw inputs by itself.
type Normalization struct {
	Trainability
	Name       string
	InputShape tensor.Shape

	cols           int
	mean, variance Param
	count          Param
	y, dx          *tensor.Tensor
	scale          []float32
}

// Adapter is implemented by layers that learn statistics from the
// training inputs before training (Normalization).
type Adapter interface {
	// Adapt computes the statistics from x, the layer's input for the whole
	// training set (batch axis first).
	Adapt(x *tensor.Tensor) error
}

// SampleAdapter is an Adapter that needs only a sample of the training
// inputs: at most AdaptSample rows, which the model picks evenly spaced.
type SampleAdapter interface {
	Adapter
	AdaptSample() int
}

func init() {
	register("Normalization", func(r *cfgReader) Layer {
		if ax := r.ints("axis"); len(ax) == 1 && ax[0] != -1 && r.Err == nil {
			r.Err = fmt.Errorf("axis %d is not supported; gokeras normalises the last axis (-1)", ax[0])
		}
		return &Normalization{InputShape: r.inputShape()}
	})
}

func (n *Normalization) LayerName() string                { return n.Name }
func (n *Normalization) SetLayerName(s string)            { n.Name = s }
func (n *Normalization) Class() string                    { return "Normalization" }
func (n *Normalization) DeclaredInputShape() tensor.Shape { return n.InputShape }
func (n *Normalization) Config() map[string]any {
	m := baseConfig(n.Name, n.InputShape)
	m["axis"] = -1
	return m
}

func (n *Normalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; nothing to normalise")
	}
	return in.Clone(), nil
}

func (n *Normalization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := n.OutputShape(in); err != nil {
		return err
	}
	n.cols = in[len(in)-1]
	n.mean = Param{Name: "mean", Value: tensor.New(n.cols)}
	n.variance = Param{Name: "variance", Value: tensor.New(n.cols)}
	n.variance.Value.Fill(1)
	n.count = Param{Name: "count", Value: tensor.New(1)}
	n.scale = make([]float32, n.cols)
	return nil
}

func (n *Normalization) Params() []*Param { return []*Param{&n.mean, &n.variance, &n.count} }

// Adapt sets the mean and (biased) variance of each feature from x.
func (n *Normalization) Adapt(x *tensor.Tensor) error {
	if n.cols == 0 {
		return fmt.Errorf("nn: Normalization: build the model before adapting")
	}
	if x.Shape[len(x.Shape)-1] != n.cols {
		return fmt.Errorf("nn: Normalization: data has %d features, the layer %d", x.Shape[len(x.Shape)-1], n.cols)
	}
	rows := len(x.Data) / n.cols
	if rows == 0 {
		return fmt.Errorf("nn: Normalization: cannot adapt to empty data")
	}
	for j := 0; j < n.cols; j++ {
		var s, sq float64
		for r := 0; r < rows; r++ {
			s += float64(x.Data[r*n.cols+j])
		}
		mean := s / float64(rows)
		for r := 0; r < rows; r++ {
			d := float64(x.Data[r*n.cols+j]) - mean
			sq += d * d
		}
		n.mean.Value.Data[j] = float32(mean)
		n.variance.Value.Data[j] = float32(sq / float64(rows))
	}
	n.count.Value.Data[0] = float32(rows)
	return nil
}

func (n *Normalization) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	// Keras divides by max(sqrt(variance), epsilon) with epsilon 1e-7
	// (keras/src/layers/preprocessing/normalization.py).
	for j, v := range n.variance.Value.Data {
		n.scale[j] = float32(1 / math.Max(math.Sqrt(float64(v)), 1e-7))
	}
	n.y = tensor.Ensure(n.y, x.Shape...)
	mean := n.mean.Value.Data
	for i, v := range x.Data {
		j := i % n.cols
		n.y.Data[i] = (v - mean[j]) * n.scale[j]
	}
	return n.y
}

func (n *Normalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n.dx = tensor.Ensure(n.dx, dy.Shape...)
	for i, g := range dy.Data {
		n.dx.Data[i] = g * n.scale[i%n.cols]
	}
	return n.dx
}
