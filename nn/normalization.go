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
// normalises raw inputs by itself. Given Mean and Variance, as Keras's
// Normalization(mean=..., variance=...), the layer uses them instead: it
// has no weights (they are in its config) and Adapt leaves them.
// (keras/src/layers/preprocessing/normalization.py)
type Normalization struct {
	Trainability
	Name       string
	InputShape tensor.Shape
	// Mean and Variance, when set, are the statistics: one value for every
	// feature, or one per feature. Both or neither.
	Mean, Variance []float64
	// Invert maps normalized values back: x*max(sqrt(variance), 1e-7) + mean.
	Invert bool

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
	// Keys as keras/src/layers/preprocessing/normalization.py get_config
	// writes them: axis (a tuple, [-1]), invert, mean and variance (null
	// unless given).
	register("Normalization", func(r *cfgReader) Layer {
		if ax, ok := r.Get("axis"); ok {
			if s := r.ints("axis"); r.Err == nil && (len(s) != 1 || s[0] != -1) {
				r.unsupported("axis", ax, "gokeras normalises the last axis (-1)")
			}
		} else if _, present := r.M["axis"]; present {
			r.unsupported("axis", nil, "gokeras normalises the last axis (-1), not all values with one mean (axis null)")
		}
		n := &Normalization{InputShape: r.inputShape(), Invert: r.Bool("invert", false), Mean: r.Floats("mean"), Variance: r.Floats("variance")}
		if r.Err == nil && (n.Mean == nil) != (n.Variance == nil) {
			r.Failf("mean is %s and variance %s; give both or neither, as Keras requires", jsonValue(r.M["mean"]), jsonValue(r.M["variance"]))
		}
		return n
	})
}

func (n *Normalization) LayerName() string                { return n.Name }
func (n *Normalization) SetLayerName(s string)            { n.Name = s }
func (n *Normalization) Class() string                    { return "Normalization" }
func (n *Normalization) DeclaredInputShape() tensor.Shape { return n.InputShape }
func (n *Normalization) Config() map[string]any {
	m := baseConfig(n.Name, n.InputShape)
	m["axis"] = []int{-1}
	m["invert"] = n.Invert
	m["mean"], m["variance"] = nil, nil
	if n.fixed() {
		m["mean"], m["variance"] = n.Mean, n.Variance
	}
	return m
}

// fixed reports whether the statistics are given rather than adapted.
func (n *Normalization) fixed() bool { return n.Mean != nil || n.Variance != nil }

func (n *Normalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; nothing to normalise")
	}
	if n.fixed() {
		c := in[len(in)-1]
		if len(n.Mean) != len(n.Variance) {
			return nil, fmt.Errorf("mean has %d values and variance %d; give both, of the same length", len(n.Mean), len(n.Variance))
		}
		if len(n.Mean) != 1 && len(n.Mean) != c {
			return nil, fmt.Errorf("mean and variance have %d values for %d features; give one value or one per feature", len(n.Mean), c)
		}
		for i, v := range n.Variance {
			if !(v >= 0) || math.IsInf(v, 0) || math.IsNaN(n.Mean[i]) || math.IsInf(n.Mean[i], 0) {
				return nil, fmt.Errorf("mean %v or variance %v is not finite or the variance is negative", n.Mean[i], v)
			}
		}
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
	if n.fixed() {
		// Broadcast as Keras does, then cast to float32.
		for j := range n.cols {
			k := j % len(n.Mean)
			n.mean.Value.Data[j] = float32(n.Mean[k])
			n.variance.Value.Data[j] = float32(n.Variance[k])
		}
	}
	return nil
}

// Params lists the adapted statistics; given ones are config, not weights.
func (n *Normalization) Params() []*Param {
	if n.fixed() {
		return nil
	}
	return []*Param{&n.mean, &n.variance, &n.count}
}

// Adapt sets the mean and (biased) variance of each feature from x. With
// Mean and Variance given it changes nothing.
func (n *Normalization) Adapt(x *tensor.Tensor) error {
	if n.fixed() {
		return nil
	}
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
	// With invert it multiplies by that and adds the mean back.
	for j, v := range n.variance.Value.Data {
		sd := math.Max(math.Sqrt(float64(v)), 1e-7)
		if n.Invert {
			n.scale[j] = float32(sd)
		} else {
			n.scale[j] = float32(1 / sd)
		}
	}
	n.y = tensor.Ensure(n.y, x.Shape...)
	mean := n.mean.Value.Data
	if n.Invert {
		for i, v := range x.Data {
			j := i % n.cols
			n.y.Data[i] = v*n.scale[j] + mean[j]
		}
		return n.y
	}
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
