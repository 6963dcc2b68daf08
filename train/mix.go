// MixUp and CutMix follow Keras 3's preprocessing layers
// (keras/src/layers/preprocessing/image_preprocessing/mix_up.py and
// cut_mix.py), which a Keras user applies to (images, labels) batches in
// the data pipeline; here Fit applies them to each training batch.

package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/internal/randdist"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/tensor"
)

// Mixer blends each training batch with a shuffled copy of itself, inputs
// and targets alike (label-mixing augmentation): Options.Mix. Validation,
// Evaluate and Predict never mix.
type Mixer interface {
	// Check says whether the mixer can blend inputs with rows of this
	// shape (without the batch axis).
	Check(row tensor.Shape) error
	// Mix blends x in place: sample i with sample perm[i]. It writes into
	// own[i] the share of sample i's own target in its blended target;
	// the rest (1 - own[i]) goes to perm[i]'s. r is the batch's random
	// stream.
	Mix(r *rand.Rand, x *tensor.Tensor, perm []int, own []float32)
	// Name is the mixer's Keras class name, for messages.
	Name() string
}

// MixUp is Keras's MixUp(alpha): each batch is blended with a shuffled
// copy of itself, x = λ·x + (1-λ)·x[perm] and the same for the targets,
// with one λ per batch drawn from Beta(alpha, alpha). Alpha 0 is Keras's
// default, 0.2.
type MixUp struct {
	Alpha float64

	keep []float32 // the batch before blending
}

// MixUpDefaultAlpha is Keras's default alpha.
const MixUpDefaultAlpha = 0.2

// Name returns "MixUp".
func (*MixUp) Name() string { return "MixUp" }

func (m *MixUp) alpha() float64 {
	if m.Alpha == 0 {
		return MixUpDefaultAlpha
	}
	return m.Alpha
}

// Check accepts inputs of any shape; alpha must be positive and finite.
func (m *MixUp) Check(tensor.Shape) error {
	if a := m.alpha(); !(a > 0) || math.IsInf(a, 1) {
		return fmt.Errorf("train: MixUp alpha %v must be positive, e.g. 0.2 (Keras's default)", m.Alpha)
	}
	return nil
}

// Mix blends the batch with one λ ~ Beta(alpha, alpha).
func (m *MixUp) Mix(r *rand.Rand, x *tensor.Tensor, perm []int, own []float32) {
	lam := float32(betaRand(r, m.alpha(), m.alpha()))
	m.keep = append(m.keep[:0], x.Data...)
	row := len(x.Data) / len(perm)
	for i, j := range perm {
		dst, a, b := x.Data[i*row:(i+1)*row], m.keep[i*row:(i+1)*row], m.keep[j*row:(j+1)*row]
		for k := range dst {
			dst[k] = lam*a[k] + (1-lam)*b[k]
		}
		own[i] = lam
	}
}

// CutMix is Keras's CutMix(factor): each image gets a box cut from another
// image of the batch pasted in, and its target becomes the two targets
// weighted by area. Per batch, α is drawn uniformly from Factor (a range,
// [0, f] when only f is given) plus 1e-6; per image, λ ~ Beta(α, α) sets
// the box's sides to √(1-λ) of the image's, at a uniformly drawn place;
// the image keeps 1 - (box area)/(image area) of its own target. A zero
// Factor is Keras's default, 1.0 (so [0, 1]). Images are (N, H, W, C).
type CutMix struct {
	// Factor is [lo, hi] in [0, 1]; a single value f means [0, f].
	Factor []float64

	keep []float32
}

// Name returns "CutMix".
func (*CutMix) Name() string { return "CutMix" }

func (c *CutMix) bounds() (lo, hi float64) {
	switch len(c.Factor) {
	case 0:
		return 0, 1
	case 1:
		return 0, c.Factor[0]
	}
	return c.Factor[0], c.Factor[1]
}

// Check accepts images (H, W, C) and a factor in [0, 1].
func (c *CutMix) Check(row tensor.Shape) error {
	lo, hi := c.bounds()
	if len(c.Factor) > 2 || !(lo >= 0 && lo <= hi && hi <= 1) {
		return fmt.Errorf("train: CutMix factor %v must be one number in [0, 1] or a range [lo, hi] within it, e.g. 1.0 (Keras's default)", c.Factor)
	}
	if len(row) != 3 {
		return fmt.Errorf("train: CutMix pastes boxes between images (N, H, W, C); the inputs' rows have shape %v", row)
	}
	return nil
}

// Mix pastes one box per image, with Keras's formulas: the box is
// [x0, x0+w) × [y0, y0+h) in pixel coordinates, a pixel taken when its
// integer coordinates fall in it, and the label weight uses the box's
// real-valued area, as Keras does (which computes in float32, here in
// float64: they differ only for a box edge within rounding of a pixel).
func (c *CutMix) Mix(r *rand.Rand, x *tensor.Tensor, perm []int, own []float32) {
	lo, hi := c.bounds()
	alpha := lo + (hi-lo)*r.Float64() + 1e-6
	h, w, ch := x.Shape[1], x.Shape[2], x.Shape[3]
	c.keep = append(c.keep[:0], x.Data...)
	row := h * w * ch
	for i, j := range perm {
		lam := betaRand(r, alpha, alpha)
		b := cutBox(h, w, lam, r.Float64(), r.Float64())
		own[i] = float32(1 - (b.x1-b.x0)*(b.y1-b.y0)/float64(w*h))
		b.paste(x.Data[i*row:(i+1)*row], c.keep[j*row:(j+1)*row], h, w, ch)
	}
}

// box is a CutMix box in pixel coordinates: [x0, x1) × [y0, y1).
type box struct{ x0, x1, y0, y1 float64 }

// cutBox is Keras's box for mix weight lam and uniform draws ux, uy: sides
// √(1-lam) of the image's, placed at ux·(w - side), uy·(h - side).
func cutBox(h, w int, lam, ux, uy float64) box {
	side := math.Sqrt(1 - lam)
	bw, bh := side*float64(w), side*float64(h)
	x0, y0 := ux*(float64(w)-bw), uy*(float64(h)-bh)
	return box{x0, x0 + bw, y0, y0 + bh}
}

// paste copies into dst the pixels of src whose integer coordinates fall
// in the box (Keras's mask: grid_x >= x0 & grid_x < x1, and so for y).
func (b box) paste(dst, src []float32, h, w, ch int) {
	xa := max(int(math.Ceil(b.x0)), 0)
	xb := xa
	for xb < w && float64(xb) < b.x1 {
		xb++
	}
	if xb <= xa {
		return
	}
	for y := max(int(math.Ceil(b.y0)), 0); y < h && float64(y) < b.y1; y++ {
		copy(dst[(y*w+xa)*ch:(y*w+xb)*ch], src[(y*w+xa)*ch:(y*w+xb)*ch])
	}
}

// betaRand draws from Beta(a, b) (see randdist.Beta).
func betaRand(r *rand.Rand, a, b float64) float64 { return randdist.Beta(r, a, b) }

// mixing is Fit's state for a Mixer: the batch's random stream, pairing
// and shares, and the blended targets, all reused from batch to batch.
type mixing struct {
	mixer Mixer
	seed  uint64
	pcg   rand.PCG
	rng   *rand.Rand
	perm  []int
	own   []float32

	// Sparse class labels become blended one-hot rows scored by the
	// categorical twin of the loss (exactly Keras's MixUp on one-hot
	// labels with categorical_crossentropy); the metrics see each
	// sample's dominant label, the argmax of its blended row.
	twin      loss.Loss
	twinFused loss.SoftmaxFused
	twinIs    bool
	dense     *tensor.Tensor // blended targets
	dominant  *tensor.Tensor // sparse: the labels the metrics see
	keepY     []float32
	shape     tensor.Shape // the predictions' shape, for dense
}

// newMixing checks that mixer can train m on inputs x and prepares it.
func newMixing(m *Model, mixer Mixer, x Inputs, seed uint64) (*mixing, error) {
	if len(m.Outputs) != 0 {
		return nil, fmt.Errorf("train: %s mixes one input and one target per sample; the model has several outputs", mixer.Name())
	}
	if err := mixer.Check(x.RowShape()); err != nil {
		return nil, err
	}
	mx := &mixing{mixer: mixer, seed: seed ^ 0x6d69787570} // "mixup": a stream apart from shuffling's and dropout's
	mx.rng = rand.New(&mx.pcg)
	switch l := m.Loss.(type) {
	case loss.SparseCategoricalCrossentropy:
		mx.twin = loss.CategoricalCrossentropy{FromLogits: l.FromLogits, LabelSmoothing: l.LabelSmoothing, Reduction: l.Reduction}
	case *loss.SparseCategoricalCrossentropy:
		mx.twin = loss.CategoricalCrossentropy{FromLogits: l.FromLogits, LabelSmoothing: l.LabelSmoothing, Reduction: l.Reduction}
	}
	if mx.twin != nil {
		if a, ok := m.Net.LastActivated(); ok && a.ActivationFunc() == activation.Softmax {
			mx.twinFused, mx.twinIs = loss.Fused(mx.twin)
		}
	}
	return mx, nil
}

// mix blends batch s of epoch in place and returns the targets to train
// on and those the metrics see.
func (mx *mixing) mix(epoch, s int, x, y *tensor.Tensor, out tensor.Shape) (train, metrics *tensor.Tensor) {
	n := x.Shape[0]
	mx.pcg.Seed(mix(mx.seed, uint64(epoch), uint64(s)))
	if cap(mx.perm) < n {
		mx.perm, mx.own = make([]int, n), make([]float32, n)
	}
	mx.perm, mx.own = mx.perm[:n], mx.own[:n]
	for i := range mx.perm {
		mx.perm[i] = i
	}
	mx.rng.Shuffle(n, func(i, j int) { mx.perm[i], mx.perm[j] = mx.perm[j], mx.perm[i] })
	mx.mixer.Mix(mx.rng, x, mx.perm, mx.own)
	if mx.twin != nil {
		mx.shape = append(append(mx.shape[:0], n), out...)
		return mx.oneHot(y)
	}
	// Dense targets blend as the inputs do (Keras's transform_labels).
	mx.keepY = append(mx.keepY[:0], y.Data...)
	row := len(y.Data) / n
	for i, j := range mx.perm {
		lam := mx.own[i]
		dst, a, b := y.Data[i*row:(i+1)*row], mx.keepY[i*row:(i+1)*row], mx.keepY[j*row:(j+1)*row]
		for k := range dst {
			dst[k] = lam*a[k] + (1-lam)*b[k]
		}
	}
	return y, y
}

// oneHot turns sparse labels y (one per position, positions per sample
// alike) into blended one-hot rows of the predictions' shape mx.shape, and
// the dominant labels: argmax of each row, the lower class on a tie as
// NumPy's argmax.
func (mx *mixing) oneHot(y *tensor.Tensor) (train, metrics *tensor.Tensor) {
	n := len(mx.perm)
	per := len(y.Data) / n
	classes := mx.shape[len(mx.shape)-1]
	mx.dense = tensor.Ensure(mx.dense, mx.shape...)
	mx.dense.Zero()
	mx.dominant = tensor.Ensure(mx.dominant, y.Shape...)
	for i, j := range mx.perm {
		lam := mx.own[i]
		for p := range per {
			a, b := y.Data[i*per+p], y.Data[j*per+p]
			row := mx.dense.Data[(i*per+p)*classes : (i*per+p+1)*classes]
			row[int(a)] += lam
			row[int(b)] += 1 - lam
			d := a
			if row[int(b)] > row[int(a)] || row[int(b)] == row[int(a)] && b < a {
				d = b
			}
			mx.dominant.Data[i*per+p] = d
		}
	}
	return mx.dense, mx.dominant
}

// step blends batch s of epoch and trains m on it.
func (mx *mixing) step(m *Model, epoch, s int, x, y *tensor.Tensor, w []float32) float64 {
	yt, ym := mx.mix(epoch, s, x, y, m.Net.OutputShape())
	if mx.twin != nil {
		return m.stepOn(x, yt, ym, w, mx.twin, mx.twinFused, mx.twinIs)
	}
	return m.step(x, yt, w)
}

// MixerFromConfig returns the mixer a Keras layer config describes: class
// "MixUp" (alpha, default 0.2) or "CutMix" (factor: a number f for
// [0, f], or a pair; default 1.0), with the keys Keras's get_config writes
// (name, trainable, dtype, data_format "channels_last", seed, which
// gokeras takes from the run's seed). It lets a model file's fit_config
// name the label-mixing augmentation of its recipe.
func MixerFromConfig(class string, cfg map[string]any) (Mixer, error) {
	r := config.New(cfg)
	for _, k := range []string{"name", "trainable", "dtype", "seed"} {
		r.Get(k)
	}
	if df := r.Str("data_format", "channels_last"); df != "channels_last" {
		r.Failf("data_format %q: gokeras images are channels_last", df)
	}
	var m Mixer
	switch class {
	case "MixUp":
		mu := &MixUp{Alpha: r.Num("alpha", MixUpDefaultAlpha)}
		m = mu
	case "CutMix":
		c := &CutMix{}
		if v, ok := r.Get("factor"); ok {
			if f, isNum := config.Number(v); isNum {
				c.Factor = []float64{0, f}
			} else if list, isList := v.([]any); isList && len(list) == 2 {
				lo, ok1 := config.Number(list[0])
				hi, ok2 := config.Number(list[1])
				if !ok1 || !ok2 {
					r.Failf("factor %v is not a number or a pair of numbers", v)
				}
				c.Factor = []float64{min(lo, hi), max(lo, hi)}
			} else {
				r.Failf("factor %v is not a number or a pair of numbers", v)
			}
		}
		m = c
	default:
		return nil, fmt.Errorf("train: unknown mixer %q; use MixUp or CutMix", class)
	}
	if r.Err != nil {
		return nil, fmt.Errorf("train: %s config: %w", class, r.Err)
	}
	if unknown := r.Unknown(); len(unknown) > 0 {
		return nil, fmt.Errorf("train: %s config has unknown key %q", class, unknown[0])
	}
	// The settings' own check; the input shape is checked when Fit starts.
	if err := m.Check(tensor.Shape{1, 1, 1}); err != nil {
		return nil, err
	}
	return m, nil
}
