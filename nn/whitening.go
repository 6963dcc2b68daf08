package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/gokeras/gokeras/tensor"
)

// PatchWhitening is a convolution whose kernel is computed from the
// training images instead of trained: Adapt (as Normalization.adapt) finds
// the covariance of the images' KernelSize patches and sets the filters
// to its eigenvectors scaled by 1/sqrt(eigenvalue + Epsilon), each once
// as it is and once negated, so the layer maps patches to whitened
// coordinates (2·kh·kw·channels output channels, "valid" windows, stride
// 1, "valid" by default). The bias, set so that the average output is zero, is trained. This
// is the first layer of Keller Jordan's airbench (github.com/KellerJordan/
// cifar10-airbench, "94% on CIFAR-10 in 3.29 seconds", 2024), where it
// saves several epochs of a short run. It is a gokeras layer, not a Keras
// one; model files name it "PatchWhitening".
type PatchWhitening struct {
	Trainability
	Name       string
	KernelSize [2]int  // default (2, 2)
	Padding    Padding // Valid (airbench) or Same (keeps even sizes for later 2x2 pools)
	Epsilon    float64 // added to each eigenvalue; default 5e-4 (airbench's)
	// MaxImages caps how many images Adapt reads, evenly spaced through
	// the data (default 5000, as airbench).
	MaxImages  int
	InputShape tensor.Shape

	conv Conv2D
}

func init() {
	register("PatchWhitening", func(r *cfgReader) Layer {
		return &PatchWhitening{
			KernelSize: r.pair("kernel_size"),
			Padding:    r.padding("padding"),
			Epsilon:    r.positive("epsilon", 5e-4),
			MaxImages:  r.positiveInt("max_images", 5000),
			InputShape: r.inputShape(),
		}
	})
}

func (p *PatchWhitening) LayerName() string                { return p.Name }
func (p *PatchWhitening) SetLayerName(s string)            { p.Name = s }
func (p *PatchWhitening) Class() string                    { return "PatchWhitening" }
func (p *PatchWhitening) DeclaredInputShape() tensor.Shape { return p.InputShape }
func (p *PatchWhitening) SkipInputGrad(skip bool)          { p.conv.SkipInputGrad(skip) }

func (p *PatchWhitening) kernelSize() [2]int { return pair(p.KernelSize, [2]int{2, 2}) }

func (p *PatchWhitening) eps() float64 {
	if p.Epsilon > 0 {
		return p.Epsilon
	}
	return 5e-4
}

func (p *PatchWhitening) Config() map[string]any {
	m := baseConfig(p.Name, p.InputShape)
	k := p.kernelSize()
	m["kernel_size"] = []int{k[0], k[1]}
	m["padding"] = p.Padding.String()
	m["epsilon"] = p.eps()
	m["max_images"] = p.maxImages()
	return m
}

// AdaptSample is how many images Adapt reads (MaxImages).
func (p *PatchWhitening) AdaptSample() int { return p.maxImages() }

func (p *PatchWhitening) maxImages() int {
	if p.MaxImages > 0 {
		return p.MaxImages
	}
	return 5000
}

// newConv is the convolution the layer runs for input shape in.
func (p *PatchWhitening) newConv(in tensor.Shape) Conv2D {
	k := p.kernelSize()
	c := 0
	if len(in) == 3 {
		c = in[2]
	}
	return Conv2D{Name: p.Name, Filters: max(1, 2*k[0]*k[1]*c), KernelSize: k, Padding: p.Padding, skipInputG: p.conv.skipInputG}
}

func (p *PatchWhitening) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	c := p.newConv(in)
	return c.OutputShape(in)
}

// Build makes the convolution with Keras's default initialisation, which
// Adapt replaces.
func (p *PatchWhitening) Build(in tensor.Shape, rng *rand.Rand) error {
	p.conv = p.newConv(in)
	return p.conv.Build(in, rng)
}

// Params lists the trained bias, then the computed kernel (not trained).
func (p *PatchWhitening) Params() []*Param {
	return []*Param{&p.conv.bias, {Name: "kernel", Value: p.conv.kernel.Value}}
}

func (p *PatchWhitening) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	return p.conv.Forward(x, training)
}

func (p *PatchWhitening) Backward(dy *tensor.Tensor) *tensor.Tensor {
	// The kernel gradient is computed with the bias's and never applied.
	return p.conv.Backward(dy)
}

// Adapt sets the kernel and bias from the patch statistics of x (N×H×W×C
// images; at most MaxImages of them, evenly spaced, are read).
func (p *PatchWhitening) Adapt(x *tensor.Tensor) error {
	g := p.conv.geom
	if g.C == 0 {
		return fmt.Errorf("nn: PatchWhitening: build the model before adapting")
	}
	if len(x.Shape) != 4 || x.Shape[1] != g.H || x.Shape[2] != g.W || x.Shape[3] != g.C {
		return fmt.Errorf("nn: PatchWhitening: data of shape %v, the layer takes (N, %d, %d, %d)", x.Shape, g.H, g.W, g.C)
	}
	n := x.Shape[0]
	if n == 0 {
		return fmt.Errorf("nn: PatchWhitening: cannot adapt to empty data")
	}
	d := g.KH * g.KW * g.C // patch length, in the kernel's (kh, kw, c) order
	take := min(n, p.maxImages())
	mean := make([]float64, d)
	cov := make([]float64, d*d)
	patch := make([]float64, d)
	count := 0
	img := g.H * g.W * g.C
	for t := range take {
		im := x.Data[(t*n/take)*img:][:img]
		// Only windows inside the image: padding would add zero patches.
		for oy := 0; oy+g.KH <= g.H; oy++ {
			for ox := 0; ox+g.KW <= g.W; ox++ {
				for ky := range g.KH {
					row := im[((oy+ky)*g.W+ox)*g.C:][:g.KW*g.C]
					for i, v := range row {
						patch[ky*g.KW*g.C+i] = float64(v)
					}
				}
				for i, a := range patch {
					mean[i] += a
					r := cov[i*d : i*d+i+1]
					for j := range r {
						r[j] += a * patch[j]
					}
				}
				count++
			}
		}
	}
	for i := range mean {
		mean[i] /= float64(count)
	}
	sym := mat.NewSymDense(d, nil)
	for i := range d {
		for j := 0; j <= i; j++ {
			sym.SetSym(i, j, cov[i*d+j]/float64(count)-mean[i]*mean[j])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return fmt.Errorf("nn: PatchWhitening: the patch covariance has no eigendecomposition (NaN in the data?)")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	// Filter f (largest eigenvalue first) is v_f/sqrt(λ_f+ε); filter d+f
	// is its negation. Kernel layout (kh, kw, c, filters) = (patch index,
	// filter); the bias makes the mean patch map to zero.
	w, b := p.conv.kernel.Value.Data, p.conv.bias.Value.Data
	filters := 2 * d
	for f := range d {
		e := d - 1 - f // gonum sorts eigenvalues ascending
		s := 1 / math.Sqrt(math.Max(vals[e], 0)+p.eps())
		var dot float64
		for i := range d {
			v := vecs.At(i, e) * s
			w[i*filters+f] = float32(v)
			w[i*filters+d+f] = float32(-v)
			dot += v * mean[i]
		}
		b[f], b[d+f] = float32(-dot), float32(dot)
	}
	return nil
}
