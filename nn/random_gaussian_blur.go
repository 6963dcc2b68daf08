package nn

// RandomGaussianBlur, as Keras 3's keras.layers.RandomGaussianBlur
// (keras/src/layers/preprocessing/image_preprocessing/
// random_gaussian_blur.py, with keras.ops.image.gaussian_blur as
// keras/src/backend/numpy/image.py computes it).

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/tensor"
)

// RandomGaussianBlur blurs some images with a Gaussian kernel of
// KernelSize × KernelSize (odd), zero beyond the border, and clips every
// image to ValueRange. Per batch it draws the kernel's standard deviations
// across and down, each uniformly from Sigma plus 1e-6; per image a
// probability p from Factor, blurring when a uniform draw in [0, 1) is
// below p. The kernel is the outer product of two normalised 1-D kernels
// exp(-x²/2σ²) at x = i - (k-1)/2. Factor and Sigma follow Keras's
// _set_factor with bounds (0, 1): a number f gives (0, f), a pair is
// sorted. The zero values are Keras's defaults: Factor (0, 1), KernelSize
// 3, Sigma (0, 1), ValueRange (0, 255). Keras also takes two kernel sizes;
// its backends disagree on non-square kernels, so only one is taken here.
// At inference the layer is the identity.
type RandomGaussianBlur struct {
	Trainability
	Name       string
	Factor     [2]float64 // (lower, upper) of the blur probability; zero: (0, 1)
	KernelSize int        // odd; zero: 3
	Sigma      [2]float64 // (lower, upper) of the standard deviations; zero: (0, 1)
	ValueRange [2]float64 // (min, max) the output is clipped to; zero: (0, 255)

	augRand
	apply     []bool
	sig       [2]float64 // this batch's deviations (across, down)
	kx, ky    []float32  // and their 1-D kernels
	z, tmp    *tensor.Tensor
	train     bool
	y, dz, dx *tensor.Tensor
}

func init() {
	register("RandomGaussianBlur", func(r *cfgReader) Layer {
		r.augment()
		l := &RandomGaussianBlur{Factor: r.baseFactor("factor", 0, 1), Sigma: r.baseFactor("sigma", 0, 1), ValueRange: r.valueRange(false)}
		if _, present := r.Get("factor"); present && l.Factor == [2]float64{} {
			r.Failf(`"factor" 0 never blurs; leave the layer out`)
		}
		if _, present := r.Get("sigma"); present && l.Sigma == [2]float64{} {
			r.Failf(`"sigma" 0 (a deviation of 1e-6) never blurs; leave the layer out`)
		}
		p, isPair, ok := r.numberOrPair("kernel_size")
		switch {
		case !ok:
		case isPair && p[0] != p[1]:
			r.Failf(`"kernel_size" %v: give one odd size (Keras's backends disagree on non-square kernels)`, jsonValue(r.M["kernel_size"]))
		default:
			if k := int(p[0]); float64(k) != p[0] || k < 1 || k%2 == 0 || k > maxBlurKernel {
				r.fail("kernel_size", r.M["kernel_size"], fmt.Sprintf("an odd whole number from 1 to %d", maxBlurKernel))
			} else {
				l.KernelSize = k
			}
		}
		return l
	})
}

// maxBlurKernel bounds the kernel a file may ask for.
const maxBlurKernel = 101

func (l *RandomGaussianBlur) LayerName() string     { return l.Name }
func (l *RandomGaussianBlur) SetLayerName(s string) { l.Name = s }
func (l *RandomGaussianBlur) Class() string         { return "RandomGaussianBlur" }
func (l *RandomGaussianBlur) Params() []*Param      { return nil }
func (l *RandomGaussianBlur) Config() map[string]any {
	m := baseConfig(l.Name, nil)
	m["factor"] = pairConfig(l.factor())
	m["kernel_size"] = []any{l.kernel(), l.kernel()}
	m["sigma"] = pairConfig(l.sigma())
	m["value_range"] = pairConfig(orDefaultRange(l.ValueRange))
	m["seed"] = nil
	return m
}

func (l *RandomGaussianBlur) factor() [2]float64 {
	if l.Factor == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Factor
}

func (l *RandomGaussianBlur) sigma() [2]float64 {
	if l.Sigma == [2]float64{} {
		return [2]float64{0, 1}
	}
	return l.Sigma
}

func (l *RandomGaussianBlur) kernel() int {
	if l.KernelSize == 0 {
		return 3
	}
	return l.KernelSize
}

func (l *RandomGaussianBlur) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if err := checkBaseFactor("factor", l.factor(), 0, 1); err != nil {
		return nil, err
	}
	if s := l.sigma(); !(s[0] >= 0 && s[0] <= s[1]) || math.IsInf(s[1], 1) {
		return nil, fmt.Errorf("sigma %v must be a sorted (lower, upper) pair of standard deviations, at least 0", s)
	}
	if k := l.kernel(); k < 1 || k%2 == 0 || k > maxBlurKernel {
		return nil, fmt.Errorf("kernel_size %d must be odd, from 1 to %d", k, maxBlurKernel)
	}
	if err := checkValueRange(orDefaultRange(l.ValueRange)); err != nil {
		return nil, err
	}
	return in.Clone(), checkImage(in)
}

func (l *RandomGaussianBlur) Build(in tensor.Shape, rng *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	l.seed(rng)
	return nil
}

// gaussKernel writes the normalised 1-D Gaussian of standard deviation s
// into k.
func gaussKernel(k []float32, s float64) {
	var sum float64
	mid := float64(len(k)-1) / 2
	for i := range k {
		x := (float64(i) - mid) / s
		v := math.Exp(-0.5 * x * x)
		k[i] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] = float32(float64(k[i]) / sum)
	}
}

// blurSeparable writes into y the blur of image x (H, W, C) by kx across
// and ky down, zero beyond the border; tmp holds the first pass. The
// kernels are symmetric, so it is its own transpose.
func blurSeparable(y, tmp, x []float32, h, w, c int, kx, ky []float32) {
	r := len(kx) / 2
	for i := range h {
		for j := range w {
			for ch := range c {
				var s float32
				for t, kv := range kx {
					if jj := j + t - r; jj >= 0 && jj < w {
						s += kv * x[(i*w+jj)*c+ch]
					}
				}
				tmp[(i*w+j)*c+ch] = s
			}
		}
	}
	for i := range h {
		for j := range w {
			for ch := range c {
				var s float32
				for t, kv := range ky {
					if ii := i + t - r; ii >= 0 && ii < h {
						s += kv * tmp[(ii*w+j)*c+ch]
					}
				}
				y[(i*w+j)*c+ch] = s
			}
		}
	}
}

func (l *RandomGaussianBlur) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	l.train = training
	if !training {
		return x
	}
	f, s, k := l.factor(), l.sigma(), l.kernel()
	l.apply = l.apply[:0]
	for range x.Shape[0] {
		p := l.uniform(f[0], f[1])
		l.apply = append(l.apply, l.uniform(0, 1) < p)
	}
	l.kx, l.ky = grow(l.kx, k), grow(l.ky, k)
	l.sig = [2]float64{l.uniform(s[0], s[1]) + 1e-6, l.uniform(s[0], s[1]) + 1e-6}
	gaussKernel(l.kx, l.sig[0])
	gaussKernel(l.ky, l.sig[1])
	h, w, c := x.Shape[1], x.Shape[2], x.Shape[3]
	sz := h * w * c
	l.z = tensor.Ensure(l.z, x.Shape...)
	l.tmp = tensor.Ensure(l.tmp, h, w, c)
	l.y = tensor.Ensure(l.y, x.Shape...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	for b, a := range l.apply {
		src, z := x.Data[b*sz:(b+1)*sz], l.z.Data[b*sz:(b+1)*sz]
		if a {
			blurSeparable(z, l.tmp.Data, src, h, w, c, l.kx, l.ky)
		} else {
			copy(z, src)
		}
	}
	for i, v := range l.z.Data {
		l.y.Data[i] = min(max(v, lo), hi)
	}
	return l.y
}

// Backward passes dy where the output was not clipped, through the blur
// (its own transpose) for the blurred images.
func (l *RandomGaussianBlur) Backward(dy *tensor.Tensor) *tensor.Tensor {
	if !l.train {
		return dy
	}
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	l.dz = tensor.Ensure(l.dz, dy.Shape[1:]...)
	vr := orDefaultRange(l.ValueRange)
	lo, hi := float32(vr[0]), float32(vr[1])
	h, w, c := dy.Shape[1], dy.Shape[2], dy.Shape[3]
	sz := h * w * c
	for b, a := range l.apply {
		g, z, out := dy.Data[b*sz:(b+1)*sz], l.z.Data[b*sz:(b+1)*sz], l.dx.Data[b*sz:(b+1)*sz]
		dz := out
		if a {
			dz = l.dz.Data
		}
		for i, v := range g {
			if zv := z[i]; zv < lo || zv > hi {
				v = 0
			}
			dz[i] = v
		}
		if a {
			blurSeparable(out, l.tmp.Data, dz, h, w, c, l.kx, l.ky)
		}
	}
	return l.dx
}
