package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// SpectralNormalization is Keras 3's SpectralNormalization wrapper
// (keras/src/layers/normalization/spectral_normalization.py; Miyato et
// al., 2018): it keeps the spectral norm of the wrapped layer's kernel
// (or an Embedding's embeddings) near 1. Before each training step it
// estimates the kernel's largest singular value σ by PowerIterations
// rounds of power iteration from the stored vector u, and divides the
// kernel by it in place (unless the kernel is all zeros), keeping the new
// u; then the wrapped layer runs as it is. With W the kernel as a matrix
// of its last axis (rows: every other axis),
//
//	v = normalize(u·Wᵀ);  u = normalize(v·W)   (PowerIterations times)
//	σ = v·W·uᵀ;  kernel ← kernel/σ
//
// normalize(x) = x/max(|x|, 1e-7), ops.nn.normalize's. Inference leaves
// the kernel alone.
//
// The gradient is the wrapped layer's at the normalised kernel, and the
// optimizer updates that kernel: Keras's behaviour with the TensorFlow and
// PyTorch backends, where the assignment to the kernel is not
// differentiated. (With JAX, Keras drops assignments to trainable
// variables made inside the step, so the kernel is never overwritten and
// the gradient flows through σ: the paper's reparametrisation.)
//
// Weights: the wrapped layer's, then vector_u (1, units), non-trainable,
// drawn from TruncatedNormal(stddev 0.02). Keras's .keras file keeps the
// kernel and vector_u in the wrapper's own group and the wrapped layer's
// weights under layer/ (KerasGroups).
type SpectralNormalization struct {
	Trainability
	Name            string
	Layer           Layer
	PowerIterations int // 0 means Keras's 1

	kernel *Param
	u      Param
	w, v   []float64 // scratch: the kernel as float64 rows, v
	uu     []float64
}

// maxPowerIterations bounds the power iterations a config may ask for.
const maxPowerIterations = 1000

func init() {
	// Keys as Wrapper.get_config and SpectralNormalization.get_config
	// write them: the base layer's, "layer" (serialised), power_iterations.
	register("SpectralNormalization", func(r *cfgReader) Layer {
		l := &SpectralNormalization{PowerIterations: r.Int("power_iterations", 1)}
		if l.PowerIterations <= 0 || l.PowerIterations > maxPowerIterations {
			r.Failf("power_iterations is %d; give a count from 1 (Keras's default) to %d", l.PowerIterations, maxPowerIterations)
		}
		v, _ := r.Get("layer")
		obj, _ := v.(map[string]any)
		class, _ := obj["class_name"].(string)
		cfg, _ := obj["config"].(map[string]any)
		if class == "" {
			r.Failf(`"layer" must be the wrapped layer, serialised as {"class_name": "Dense", "config": {...}}`)
			return l
		}
		if cfg == nil {
			cfg = map[string]any{}
		}
		in, err := FromConfig(class, cfg)
		if err != nil {
			r.Failf("the wrapped layer: %v", err)
			return l
		}
		l.Layer = in
		return l
	})
}

func (l *SpectralNormalization) LayerName() string     { return l.Name }
func (l *SpectralNormalization) SetLayerName(s string) { l.Name = s }
func (l *SpectralNormalization) Class() string         { return "SpectralNormalization" }

func (l *SpectralNormalization) iterations() int {
	if l.PowerIterations == 0 {
		return 1
	}
	return l.PowerIterations
}

// DeclaredInputShape is the wrapped layer's input_shape, if it declares one.
func (l *SpectralNormalization) DeclaredInputShape() tensor.Shape {
	if s, ok := l.Layer.(InputShaper); ok {
		return s.DeclaredInputShape()
	}
	return nil
}

// check refuses what the wrapper cannot hold.
func (l *SpectralNormalization) check() error {
	switch l.Layer.(type) {
	case nil:
		return fmt.Errorf("no layer to wrap; set Layer to a Dense, a convolution or an Embedding")
	case *Nested, *SpectralNormalization:
		return fmt.Errorf("it wraps a %s; wrap a single layer with a kernel (Dense, a convolution)", l.Layer.Class())
	}
	if l.PowerIterations < 0 || l.PowerIterations > maxPowerIterations {
		return fmt.Errorf("PowerIterations is %d; give a count from 1 to %d (0 means Keras's 1)", l.PowerIterations, maxPowerIterations)
	}
	if a, ok := l.Layer.(ActivityRegularized); ok && a.OutputRegularizer() != nil {
		// Keras adds it twice (the wrapper's activity_regularizer is the
		// wrapped layer's, and both calls add it): say so rather than pick.
		return fmt.Errorf("the wrapped %s has an activity_regularizer, which Keras applies twice through the wrapper; put an ActivityRegularization layer after the wrapper instead", l.Layer.Class())
	}
	return nil
}

func (l *SpectralNormalization) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	return l.Layer.OutputShape(in)
}

// kernelShape finds the wrapped layer's kernel (or embeddings) among the
// weights it would create for in.
func (l *SpectralNormalization) kernelShape(in tensor.Shape) (tensor.Shape, error) {
	ps, ok := l.Layer.(ParamShaper)
	if !ok {
		return nil, fmt.Errorf("the wrapped %s has no kernel nor embeddings to normalise", l.Layer.Class())
	}
	shapes, err := ps.ParamShapes(in)
	if err != nil {
		return nil, err
	}
	for _, s := range shapes {
		if s.Name == "kernel" || s.Name == "embeddings" {
			return s.Shape, nil
		}
	}
	return nil, fmt.Errorf("the wrapped %s has no kernel nor embeddings to normalise", l.Layer.Class())
}

// ParamShapes is the wrapped layer's weights, then vector_u.
func (l *SpectralNormalization) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	if _, err := l.OutputShape(in); err != nil {
		return nil, err
	}
	ks, err := l.kernelShape(in)
	if err != nil {
		return nil, err
	}
	shapes, _ := l.Layer.(ParamShaper).ParamShapes(in)
	return append(shapes, ParamShape{"vector_u", tensor.Shape{1, ks[len(ks)-1]}}), nil
}

func (l *SpectralNormalization) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	if _, err := l.kernelShape(in); err != nil {
		return err
	}
	if l.Layer.LayerName() == "" {
		l.Layer.SetLayerName(SnakeCase(l.Layer.Class()))
	}
	if err := l.Layer.Build(in, rng); err != nil {
		return err
	}
	l.kernel = nil
	for _, p := range l.Layer.Params() {
		if p.Name == "kernel" || p.Name == "embeddings" {
			l.kernel = p
			break
		}
	}
	if l.kernel == nil {
		return fmt.Errorf("the wrapped %s has no kernel nor embeddings to normalise", l.Layer.Class())
	}
	units := l.kernel.Value.Shape[len(l.kernel.Value.Shape)-1]
	l.u = Param{Name: "vector_u", Value: tensor.New(1, units)}
	TruncatedNormal(0, 0.02).fill(l.u.Value.Data, units, units, rng)
	return nil
}

// Params is the wrapped layer's weights (trainable while the wrapper is),
// then vector_u: the order of Keras's trainable_weights +
// non_trainable_weights.
func (l *SpectralNormalization) Params() []*Param {
	if l.Layer == nil || l.kernel == nil {
		return nil
	}
	return append(l.Layer.Params(), &l.u)
}

// KerasGroups lists the weights as Keras 3's saving_lib stores them below
// the wrapper's group: its own variables (the kernel, tracked by the
// wrapper when its build assigns it, then vector_u) in vars, and the
// wrapped layer's under layer/vars.
func (l *SpectralNormalization) KerasGroups() []KerasGroup {
	if l.kernel == nil {
		return nil
	}
	return []KerasGroup{{"vars", []*Param{l.kernel, &l.u}}, {"layer/vars", l.Layer.Params()}}
}

// SetTrainable freezes or unfreezes the wrapper and the wrapped layer, as
// Keras's trainable setter does for a layer's sublayers.
func (l *SpectralNormalization) SetTrainable(on bool) {
	l.Trainability.SetTrainable(on)
	if f, ok := l.Layer.(Freezable); ok {
		f.SetTrainable(on)
	}
}

// SkipInputGrad passes the request on to the wrapped layer.
func (l *SpectralNormalization) SkipInputGrad(skip bool) {
	if s, ok := l.Layer.(InputGradSkipper); ok {
		s.SkipInputGrad(skip)
	}
}

// Forward normalises the kernel when training, then runs the wrapped layer.
func (l *SpectralNormalization) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	if training { // as Keras's call(training=True), frozen or not
		l.normalize()
	}
	return l.Layer.Forward(x, training)
}

// normalize is normalized_weights and the two assignments of Keras's call.
func (l *SpectralNormalization) normalize() {
	k := l.kernel.Value.Data
	zero := true
	for _, x := range k {
		if x != 0 {
			zero = false
			break
		}
	}
	if zero {
		return
	}
	cols := len(l.u.Value.Data)
	rows := len(k) / cols
	l.w = resize(l.w, len(k))
	l.v = resize(l.v, rows)
	l.uu = resize(l.uu, cols)
	for i, x := range k {
		l.w[i] = float64(x)
	}
	for j, x := range l.u.Value.Data {
		l.uu[j] = float64(x)
	}
	w, v, u := l.w, l.v, l.uu
	for range l.iterations() {
		for i := range rows { // v = u·Wᵀ
			row := w[i*cols : (i+1)*cols]
			s := 0.0
			for j, x := range row {
				s += x * u[j]
			}
			v[i] = s
		}
		unit(v)
		for j := range u { // u = v·W
			u[j] = 0
		}
		for i := range rows {
			row := w[i*cols : (i+1)*cols]
			for j, x := range row {
				u[j] += v[i] * x
			}
		}
		unit(u)
	}
	sigma := 0.0 // v·W·uᵀ
	for i := range rows {
		row := w[i*cols : (i+1)*cols]
		s := 0.0
		for j, x := range row {
			s += x * u[j]
		}
		sigma += v[i] * s
	}
	for j, x := range u {
		l.u.Value.Data[j] = float32(x)
	}
	for i, x := range w {
		k[i] = float32(x / sigma)
	}
}

// unit scales x to length 1 as ops.nn.normalize does: x·min(1/|x|, 1e7).
func unit(x []float64) {
	s := 0.0
	for _, e := range x {
		s += e * e
	}
	inv := math.Min(1/math.Sqrt(s), 1/1e-7)
	for i := range x {
		x[i] *= inv
	}
}

func resize(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// Backward is the wrapped layer's.
func (l *SpectralNormalization) Backward(dy *tensor.Tensor) *tensor.Tensor {
	return l.Layer.Backward(dy)
}

// Config is Keras's: the base keys, the wrapped layer serialised, and
// power_iterations.
func (l *SpectralNormalization) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["power_iterations"] = l.iterations()
	if l.Layer != nil {
		m["layer"] = map[string]any{"module": "keras.layers", "class_name": l.Layer.Class(), "config": LayerConfig(l.Layer), "registered_name": nil}
	}
	return m
}

// KerasGroup is one group of a layer's variables in a Keras 3 weights file
// (its path below the layer's group, "vars" or "layer/vars") and the
// weights it holds, in order.
type KerasGroup struct {
	Path   string
	Params []*Param
}

// KerasGrouper is implemented by layers whose variables Keras 3's
// saving_lib stores in more than one group, as a wrapper's: the model-file
// code writes and reads them there. Other layers' Params go to "vars".
type KerasGrouper interface {
	KerasGroups() []KerasGroup
}
