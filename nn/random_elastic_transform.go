package nn

// RandomElasticTransform, as Keras 3's keras.layers.RandomElasticTransform
// (keras/src/layers/preprocessing/image_preprocessing/
// random_elastic_transform.py, with keras.ops.image.elastic_transform).

import (
	"math/rand/v2"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// RandomElasticTransform displaces the pixels of some images by a smooth
// random field: per image two fields of σ·N(0, 1) noise are blurred by a
// Gaussian of deviation σ (kernel int(6σ)|1, zero beyond the border, as
// gaussian_blur) and scaled by α, and output pixel (y, x) reads the input
// at (y + α·dy, x + α·dx) with Interpolation and FillMode. Per batch a
// distortion s is drawn from Scale and α = 0.1·s·max(h, w),
// σ = 0.05·s·min(h, w); per image a probability from Factor decides, as in
// RandomErasing. Every image is then clipped to ValueRange. Factor and
// Scale follow _set_factor with bounds (0, 1): a number f gives (0, f).
// The zero values are Keras's defaults: Factor and Scale (0, 1), FillMode
// reflect, bilinear, ValueRange (0, 255). Keras's NumPy backend samples
// bilinear with reflect whatever the arguments; gokeras, as its other
// backends, uses the layer's. At inference the layer is the identity.
type RandomElasticTransform struct {
	Trainability
	Name          string
	Factor        [2]float64
	Scale         [2]float64
	Interpolation Interpolation
	FillMode      FillMode
	FillValue     float64
	ValueRange    [2]float64

	augRand
	apply      []bool
	field      []float32 // per image: (dy, dx) per pixel
	noise      []float32 // per image: the two noise planes, for tests
	alpha, sig float64
	kern, tmp  []float32
	blurred    []float32
	train      bool
	x, z       *tensor.Tensor
	y, dx      *tensor.Tensor
}

func init() {
	register("RandomElasticTransform", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomElasticTransform{Factor: r.baseFactor("factor", 0, 1), Scale: r.baseFactor("scale", 0, 1), ValueRange: r.valueRange(false)}
		l.FillMode, l.Interpolation, l.FillValue = r.geom()
		if _, present := r.Get("factor"); present && l.Factor == [2]float64{} {
			r.Failf(`"factor" 0 never transforms; leave the layer out`)
		}
		if v, present := r.Get("scale"); present {
			if f, ok := config.Number(v); ok && f == 0 {
				r.Failf(`"scale" 0 moves no pixel; leave the layer out`)
			}
		}
		return l
	})
}

func (l *RandomElasticTransform) LayerName() string     { return l.Name }
func (l *RandomElasticTransform) SetLayerName(s string) { l.Name = s }
func (l *RandomElasticTransform) Class() string         { return "RandomElasticTransform" }
func (l *RandomElasticTransform) Params() []*Param      { return nil }
func (l *RandomElasticTransform) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.factor())
	m["scale"] = pairConfig(l.scale())
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	geomConfig(m, l.FillMode, l.Interpolation, l.FillValue)
	delete(m, "data_format")
	return m
}

func (l *RandomElasticTransform) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Factor
}

func (l *RandomElasticTransform) scale() [2]float64 {
	if l.Scale == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Scale
}

func (l *RandomElasticTransform) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	for _, f := range []struct {
		name string
		p    [2]float64
	}{{"factor", l.factor()}, {"scale", l.scale()}} {
		if err := checkBaseFactor(f.name, f.p, 0, 1); err != nil {
			return nil, err
		}
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomElasticTransform) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

func (l *RandomElasticTransform) sampler() sampler {
	return sampler{fill: l.FillMode, value: float32(l.FillValue), interp: l.Interpolation}
}

func (l *RandomElasticTransform) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	f, sc := l.factor(), l.scale()
	l.apply = l.apply[:0]
	for range n {
		p := l.uniform(f[0], f[1])
		l.apply = append(l.apply, l.uniform(0, 1) < p)
	}
	s := l.uniform(sc[0], sc[1])
	l.alpha, l.sig = float64(max(h, w))*0.1*s, float64(min(h, w))*0.05*s
	k := int(6*l.sig) | 1
	l.kern = grow(l.kern, k)
	if l.sig > 0 {
		gaussKernel(l.kern, l.sig)
	} else {
		clear(l.kern)
		l.kern[k/2] = 1
	}
	hw := h * w
	l.field = grow(l.field, n*2*hw)
	l.noise = grow(l.noise, n*2*hw)
	l.blurred = grow(l.blurred, hw)
	l.tmp = grow(l.tmp, hw)
	for b := range n {
		fld, nz := l.field[b*2*hw:(b+1)*2*hw], l.noise[b*2*hw:(b+1)*2*hw]
		for i := range nz {
			nz[i] = float32(l.stream().NormFloat64() * l.sig)
		}
		for axis := range 2 { // 0: dx (columns), 1: dy (rows), as Keras draws them
			blurSeparable(l.blurred, l.tmp, nz[axis*hw:(axis+1)*hw], h, w, 1, l.kern, l.kern)
			for i, v := range l.blurred {
				fld[2*i+1-axis] = float32(l.alpha) * v
			}
		}
	}
	l.x = x
	l.z = tensor.Ensure(l.z, x.Shape...)
	l.y = tensor.Ensure(l.y, x.Shape...)
	sm := l.sampler()
	sz := hw * c
	var id warp = identityWarp
	for b, a := range l.apply {
		src, dst := x.Data[b*sz:(b+1)*sz], l.z.Data[b*sz:(b+1)*sz]
		if !a {
			copy(dst, src)
			continue
		}
		sm.field = l.field[b*2*hw : (b+1)*2*hw]
		sm.forward(dst, src, &id, h, w, h, w, c)
	}
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	for i, v := range l.z.Data {
		l.y.Data[i] = min(max(v, lo), hi)
	}
	return l.y
}

// Backward passes dy where the output was not clipped, back through the
// sampling of the transformed images.
func (l *RandomElasticTransform) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	h, w, c := dy.Shape[1], dy.Shape[2], dy.Shape[3]
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	hw, sz := h*w, h*w*c
	sm := l.sampler()
	var id warp = identityWarp
	for b, a := range l.apply {
		g, z, out := dy.Data[b*sz:(b+1)*sz], l.z.Data[b*sz:(b+1)*sz], l.dx.Data[b*sz:(b+1)*sz]
		if !a {
			for i, v := range g {
				if zv := z[i]; zv < lo || zv > hi {
					v = 0
				}
				out[i] = v
			}
			continue
		}
		// The clipped gradient, in a scratch of one image.
		l.blurred = grow(l.blurred, sz)
		for i, v := range g {
			if zv := z[i]; zv < lo || zv > hi {
				v = 0
			}
			l.blurred[i] = v
		}
		clear(out)
		sm.field = l.field[b*2*hw : (b+1)*2*hw]
		sm.backward(out, l.blurred, &id, h, w, h, w, c)
	}
	return l.dx
}
