// Command custom_layer defines a layer and an activation of its own,
// trains a model that uses them on the 8x8 digits, saves it and loads it
// back: what Keras users do with a Layer subclass, get_config and
// custom_objects, here with nn.Register and activation.Register.
//
//	@keras.saving.register_keras_serializable()
//	class ChannelScale(keras.layers.Layer):   # y = x * scale[channel]
//	    ...
//	model = Sequential([Input((8, 8, 1)),
//	                    Conv2D(8, 3, activation=lecun_tanh),
//	                    ChannelScale(), Flatten(), Dense(10, activation="softmax")])
//	model.save("digits.keras"); keras.models.load_model("digits.keras")
//
// The registrations run in init, so that gokeras.Load in this program
// finds the class and the activation by the names the saved file carries.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/examples/internal/extest"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// ChannelScale multiplies each channel (the last axis) by a learned scale,
// y[..., c] = x[..., c] * scale[c], with scale starting at Initial
// (default 1).
type ChannelScale struct {
	nn.Trainability // makes it freezable, as Keras's trainable=False
	Name            string
	Initial         float64 // 0 means 1

	c        int
	scale    nn.Param
	x, y, dx *tensor.Tensor
}

func init() {
	// The factory reads the keys Config writes; any other key in a saved
	// config is an error, as for gokeras's own layers.
	nn.Register("ChannelScale", func(r *nn.ConfigReader) nn.Layer {
		l := &ChannelScale{Initial: r.Num("initial", 1)}
		if !(l.Initial > 0) && r.Err == nil {
			r.Failf("initial is %v; give a positive starting scale", l.Initial)
		}
		return l
	})
}

func (l *ChannelScale) LayerName() string     { return l.Name }
func (l *ChannelScale) SetLayerName(s string) { l.Name = s }
func (l *ChannelScale) Class() string         { return "ChannelScale" }
func (l *ChannelScale) Params() []*nn.Param   { return []*nn.Param{&l.scale} }

func (l *ChannelScale) Config() map[string]any {
	return map[string]any{"name": l.Name, "initial": l.initial()}
}

func (l *ChannelScale) initial() float64 {
	if l.Initial == 0 {
		return 1
	}
	return l.Initial
}

func (l *ChannelScale) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("input has no axes besides the batch; ChannelScale scales the last axis")
	}
	return in.Clone(), nil
}

func (l *ChannelScale) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.c = in[len(in)-1]
	l.scale = nn.Param{Name: "scale", Value: tensor.New(l.c), Grad: tensor.New(l.c)}
	l.scale.Value.Fill(float32(l.initial()))
	return nil
}

func (l *ChannelScale) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	s := l.scale.Value.Data
	for i, v := range x.Data {
		l.y.Data[i] = v * s[i%l.c]
	}
	return l.y
}

// Backward: dscale[c] = Σ dy·x over the positions of channel c, dx = dy·scale.
func (l *ChannelScale) Backward(dy *tensor.Tensor) *tensor.Tensor {
	g, s := l.scale.Grad.Data, l.scale.Value.Data
	clear(g)
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	for i, d := range dy.Data {
		c := i % l.c
		g[c] += d * l.x.Data[i]
		l.dx.Data[i] = d * s[c]
	}
	return l.dx
}

// LeCunTanh is 1.7159·tanh(2z/3), the scaled tanh of LeCun et al.,
// "Efficient BackProp" (1998): f(±1) = ±1.
var LeCunTanh = activation.MustRegister(activation.Custom{
	Name: "lecun_tanh",
	Forward: func(y, z []float32, _, _ int) {
		for i, v := range z {
			y[i] = float32(1.7159 * math.Tanh(2*float64(v)/3))
		}
	},
	// f'(z) = 1.7159·(2/3)·(1 - tanh²(2z/3)) = (2/3)·(1.7159 - y²/1.7159):
	// y is enough, so the layer need not keep z.
	Backward: func(dz, dy, _, y []float32, _, _ int) {
		for i, v := range y {
			dz[i] = dy[i] * float32(2.0/3*(1.7159-float64(v)*float64(v)/1.7159))
		}
	},
})

func main() {
	short := flag.Bool("short", false, "train one epoch on a slice of the data")
	save := flag.String("save", filepath.Join(os.TempDir(), "custom_layer.gkm"), "where to save the model")
	flag.Parse()
	if _, err := run(*short, *save, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// result is what a run measured: the trained model's test logs and whether
// the loaded model predicts the same bits.
type result struct {
	Logs      gokeras.Logs
	SameBits  bool
	Predicted int
}

func run(short bool, path string, out io.Writer) (result, error) {
	var res result
	// 1. data: the 8x8 digits, scaled to [0, 1], split 80/20.
	xy, test, err := dataset.Load("digits", dataset.Options{Seed: 1})
	if err != nil {
		return res, err
	}
	epochs := 20
	if short {
		xy, epochs = extest.Subset(xy, 512), 3
	}

	// 2. a model with the custom layer and activation
	model := gokeras.NewSequential(
		gokeras.Input(8, 8, 1),
		&nn.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Activation: LeCunTanh},
		&ChannelScale{},
		&nn.Flatten{},
		&nn.Dense{Units: 10, Activation: activation.Softmax},
	)
	model.Seed = 1
	if err := model.Summary(out); err != nil {
		return res, err
	}
	if err := model.CompileNamed("sparse_categorical_crossentropy", "adam", "accuracy"); err != nil {
		return res, err
	}
	if _, err := model.Fit(xy.X, xy.Y, gokeras.FitOptions{Epochs: epochs, BatchSize: 32, Verbose: train.OneLine, Out: out}); err != nil {
		return res, err
	}
	if res.Logs, err = model.Evaluate(test.X, test.Y, 0); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "loss: %.4f\nacc: %.4f\n", res.Logs["loss"], res.Logs["accuracy"])

	// 3. save, load back, compare predictions bit for bit
	if err := model.Save(path); err != nil {
		return res, err
	}
	back, err := gokeras.Load(path)
	if err != nil {
		return res, err
	}
	want, err := model.Predict(test.X, 0)
	if err != nil {
		return res, err
	}
	got, err := back.Predict(test.X, 0)
	if err != nil {
		return res, err
	}
	res.SameBits, res.Predicted = slices.Equal(want.Data, got.Data), want.Len()
	fmt.Fprintf(out, "saved to %s and loaded back: %d predictions, identical: %v\n", path, res.Predicted, res.SameBits)
	return res, nil
}
