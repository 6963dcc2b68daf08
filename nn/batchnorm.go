package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// BatchNormalization normalises the last axis with the batch's statistics
// during training and with moving averages of them at inference, then
// scales by gamma and shifts by beta. Defaults are Keras's: momentum 0.99,
// epsilon 1e-3; the moving mean and variance are non-trainable weights.
type BatchNormalization struct {
	Trainability
	Name     string
	Momentum float64 // 0 means 0.99
	Epsilon  float64 // 0 means 1e-3
	// NoScale and NoCenter are Keras's scale=False and center=False: the
	// layer has no gamma (scale fixed at 1) or no beta (shift fixed at 0).
	NoScale, NoCenter bool
	// Axis is Keras's axis, counted with the batch axis as 0; 0 and -1
	// mean the last axis (Keras's default), and any other value must name
	// the last axis too: gokeras normalises channels-last tensors. A built
	// Keras 2 layer saves its axis as a positive list, [3] for images.
	Axis       int
	InputShape tensor.Shape
	// GammaRegularizer, BetaRegularizer, GammaConstraint and
	// BetaConstraint are Keras's gamma_regularizer, ... (none by default).
	GammaRegularizer, BetaRegularizer regularizer.Regularizer
	GammaConstraint, BetaConstraint   constraint.Constraint

	cols                   int
	gamma, beta            Param
	movingMean, movingVar  Param
	mean, variance, invStd []float32
	x, xhat, y, dx         *tensor.Tensor
	train                  bool
}

func init() {
	register("BatchNormalization", func(r *cfgReader) Layer {
		b := &BatchNormalization{Momentum: r.positive("momentum", 0.99), Epsilon: r.positive("epsilon", 1e-3),
			NoScale: !r.Bool("scale", true), NoCenter: !r.Bool("center", true), InputShape: r.inputShape()}
		// Keras allows any axis, or several; gokeras normalises the last,
		// which Build checks once the rank is known.
		if ax := r.ints("axis"); len(ax) > 1 && r.Err == nil {
			r.unsupported("axis", ax, "gokeras normalises the last axis (-1)")
		} else if len(ax) == 1 && ax[0] != -1 {
			b.Axis = ax[0]
		}
		// The other keys of keras/src/layers/normalization/
		// batch_normalization.py get_config: Keras's default initializers
		// only; regularizers and constraints on gamma and beta.
		r.fixedInitializer("beta_initializer", Zeros)
		r.fixedInitializer("gamma_initializer", Ones)
		r.fixedInitializer("moving_mean_initializer", Zeros)
		r.fixedInitializer("moving_variance_initializer", Ones)
		b.GammaRegularizer, b.BetaRegularizer = r.readRegularizer("gamma_regularizer"), r.readRegularizer("beta_regularizer")
		b.GammaConstraint, b.BetaConstraint = r.readConstraint("gamma_constraint"), r.readConstraint("beta_constraint")
		// synchronized syncs the batch statistics across devices: gokeras
		// trains on one, where it changes nothing.
		r.Bool("synchronized", false)
		return b
	})
}

func (b *BatchNormalization) LayerName() string                { return b.Name }
func (b *BatchNormalization) SetLayerName(s string)            { b.Name = s }
func (b *BatchNormalization) Class() string                    { return "BatchNormalization" }
func (b *BatchNormalization) DeclaredInputShape() tensor.Shape { return b.InputShape }

func (b *BatchNormalization) momentum() float64 {
	if b.Momentum == 0 {
		return 0.99
	}
	return b.Momentum
}

func (b *BatchNormalization) epsilon() float32 {
	if b.Epsilon == 0 {
		return 1e-3
	}
	return float32(b.Epsilon)
}

func (b *BatchNormalization) Config() map[string]any {
	m := baseConfig(b.Name, b.InputShape)
	m["axis"] = -1
	if b.Axis > 0 {
		m["axis"] = b.Axis
	}
	m["momentum"] = b.momentum()
	m["epsilon"] = float64(b.epsilon())
	m["center"] = !b.NoCenter
	m["scale"] = !b.NoScale
	m["gamma_regularizer"] = regularizer.Serialize(b.GammaRegularizer)
	m["beta_regularizer"] = regularizer.Serialize(b.BetaRegularizer)
	m["gamma_constraint"] = constraint.Serialize(b.GammaConstraint)
	m["beta_constraint"] = constraint.Serialize(b.BetaConstraint)
	return m
}

func (b *BatchNormalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; nothing to normalise")
	}
	if m := b.momentum(); m < 0 || m >= 1 {
		return nil, fmt.Errorf("momentum %v is outside [0, 1); Keras's default is 0.99", m)
	}
	if b.Epsilon < 0 {
		return nil, fmt.Errorf("epsilon %v is negative; Keras's default is 1e-3", b.Epsilon)
	}
	if b.Axis != 0 && b.Axis != -1 && b.Axis != len(in) {
		return nil, fmt.Errorf("axis %d is not the last axis of inputs of shape (batch, %v): gokeras normalises the last axis (channels_last); use axis -1 or %d", b.Axis, in, len(in))
	}
	return in.Clone(), nil
}

func (b *BatchNormalization) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := b.OutputShape(in); err != nil {
		return err
	}
	c := in[len(in)-1]
	b.cols = c
	// Without scale or center, gamma and beta are still there for the
	// kernels (ones, zeros) but are not weights: Params leaves them out, so
	// nothing trains or saves them.
	b.gamma = Param{Name: "gamma", Value: tensor.New(c), Grad: tensor.New(c)}
	b.gamma.Value.Fill(1)
	b.beta = Param{Name: "beta", Value: tensor.New(c), Grad: tensor.New(c)}
	b.movingMean = Param{Name: "moving_mean", Value: tensor.New(c)}
	b.movingVar = Param{Name: "moving_variance", Value: tensor.New(c)}
	b.movingVar.Value.Fill(1)
	b.mean, b.variance, b.invStd = make([]float32, c), make([]float32, c), make([]float32, c)
	if err := withPenalty(&b.gamma, "gamma", b.GammaRegularizer, b.GammaConstraint); err != nil {
		return err
	}
	return withPenalty(&b.beta, "beta", b.BetaRegularizer, b.BetaConstraint)
}

func (b *BatchNormalization) Params() []*Param {
	ps := make([]*Param, 0, 4)
	if !b.NoScale {
		ps = append(ps, &b.gamma)
	}
	if !b.NoCenter {
		ps = append(ps, &b.beta)
	}
	return append(ps, &b.movingMean, &b.movingVar)
}

func (b *BatchNormalization) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return b.forward(x, training, false)
}

// forward is Forward, followed by ReLU with relu (the Stack's fusion of a
// ReLU Activation, Node.reluFused): the same bits, in one pass. Backward
// reads xhat (or x), never the output, so it is the same either way.
func (b *BatchNormalization) forward(x *tensor.Tensor, training, relu bool) *tensor.Tensor {
	// A frozen BatchNormalization runs in inference mode, as Keras 3's does
	// ("if training and self.trainable", keras/src/layers/normalization/
	// batch_normalization.py): fine-tuning leaves its statistics alone.
	training = training && b.Trainable()
	b.train = training
	b.x = x
	rows := len(x.Data) / b.cols
	b.y = tensor.Ensure(b.y, x.Shape...)
	apply := kernel.BatchNormApply
	if relu {
		apply = kernel.BatchNormApplyReLU
	}
	if !training {
		kernel.InvStd(b.invStd, b.movingVar.Value.Data, b.epsilon())
		apply(x.Data, b.y.Data, nil, rows, b.cols, b.movingMean.Value.Data, b.invStd, b.gamma.Value.Data, b.beta.Value.Data)
		return b.y
	}
	kernel.ColumnMeanVar(x.Data, rows, b.cols, b.mean, b.variance)
	kernel.InvStd(b.invStd, b.variance, b.epsilon())
	b.xhat = tensor.Ensure(b.xhat, x.Shape...)
	apply(x.Data, b.y.Data, b.xhat.Data, rows, b.cols, b.mean, b.invStd, b.gamma.Value.Data, b.beta.Value.Data)
	m := float32(b.momentum())
	mm, mv := b.movingMean.Value.Data, b.movingVar.Value.Data
	for j := range mm {
		mm[j] = mm[j]*m + b.mean[j]*(1-m)
		mv[j] = mv[j]*m + b.variance[j]*(1-m)
	}
	return b.y
}

func (b *BatchNormalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	rows := len(dy.Data) / b.cols
	b.dx = tensor.Ensure(b.dx, dy.Shape...)
	if !b.train {
		// Inference mode: an affine map with fixed statistics.
		g, mm := b.gamma.Value.Data, b.movingMean.Value.Data
		dg, db := b.gamma.Grad.Data, b.beta.Grad.Data
		clear(dg)
		clear(db)
		for r := 0; r < rows; r++ {
			for j := 0; j < b.cols; j++ {
				i := r*b.cols + j
				b.dx.Data[i] = dy.Data[i] * g[j] * b.invStd[j]
				dg[j] += dy.Data[i] * (b.x.Data[i] - mm[j]) * b.invStd[j]
				db[j] += dy.Data[i]
			}
		}
		return b.dx
	}
	kernel.BatchNormBackward(dy.Data, b.xhat.Data, b.dx.Data, rows, b.cols, b.gamma.Value.Data, b.invStd, b.gamma.Grad.Data, b.beta.Grad.Data)
	return b.dx
}
