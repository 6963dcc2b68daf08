package nn

import (
	"fmt"
	"math"

	"github.com/gokeras/gokeras/tensor"
)

// adaptivePool is what the adaptive pooling layers share: the output
// size, the bins it cuts the input into, and the buffers. Output cell i of
// n over an axis of length in covers [floor(i*in/n), ceil((i+1)*in/n)),
// PyTorch's rule (aten/src/ATen/native/AdaptivePooling.h, start_index and
// end_index), which Keras 3's ops.adaptive_avg_pool and adaptive_max_pool
// follow (keras/src/layers/pooling/adaptive_pooling2d_test.py checks them
// against torch). Neighbouring bins overlap by a row when n does not
// divide in, and an output larger than the input repeats rows.
type adaptivePool struct {
	h, w, c  int
	oh, ow   int
	rlo, rhi []int // input rows of output row i: [rlo[i], rhi[i])
	clo, chi []int // input columns of output column j
	y, dx    *tensor.Tensor
	arg      []int32 // max pooling: the input offset within its image of each output value
}

// outputSize reads output_size, which Keras requires: an integer, or a
// list of dims integers (the 2-D layers repeat a single integer).
func (r *cfgReader) outputSize(dims int) [2]int {
	if _, ok := r.Get("output_size"); !ok {
		r.Failf("output_size is missing; Keras's adaptive pooling layers require it (the output's spatial size)")
		return [2]int{}
	}
	s := r.ints("output_size")
	if r.Err != nil {
		return [2]int{}
	}
	for _, d := range s {
		if d <= 0 {
			r.Failf("output_size must be positive, got %v", s)
			return [2]int{}
		}
	}
	switch {
	case dims == 1 && len(s) == 1:
		return [2]int{1, s[0]}
	case dims == 2 && len(s) == 1:
		return [2]int{s[0], s[0]}
	case dims == 2 && len(s) == 2:
		return [2]int{s[0], s[1]}
	}
	r.fail("output_size", s, fmt.Sprintf("an integer or a list of %d", dims))
	return [2]int{}
}

// adaptiveConfig is the config Keras's adaptive pooling layers write.
func adaptiveConfig(name string, size any) map[string]any {
	m := baseConfig(name, nil)
	m["output_size"] = size
	m["data_format"] = "channels_last"
	return m
}

// adaptiveBins returns the bins of n outputs over an axis of length in.
func adaptiveBins(in, n int) (lo, hi []int) {
	lo, hi = make([]int, n), make([]int, n)
	for i := range n {
		lo[i] = i * in / n
		hi[i] = ((i+1)*in + n - 1) / n
	}
	return lo, hi
}

// adaptiveShape checks the input (height, width, channels) and the output
// size, and returns the output shape.
func adaptiveShape(class string, size [2]int, in tensor.Shape) (tensor.Shape, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("input shape %v has %d axes besides the batch; %s takes (batch, height, width, channels)", in, len(in), class)
	}
	if size[0] <= 0 || size[1] <= 0 {
		return nil, fmt.Errorf("output_size %v: %s needs a positive height and width, e.g. OutputSize: [2]int{7, 7}", size, class)
	}
	if size[0] > maxAdaptiveCells || size[1] > maxAdaptiveCells || size[0]*size[1] > maxAdaptiveCells {
		return nil, fmt.Errorf("output_size %v has %d cells, more than %s allows (%d); pick an output size no larger than the input", size, size[0]*size[1], class, maxAdaptiveCells)
	}
	return tensor.Shape{size[0], size[1], in[2]}, nil
}

// maxAdaptiveCells bounds the output grid a config can ask for, so that a
// file cannot make Build allocate without limit (a 4096x4096 image's worth).
const maxAdaptiveCells = 1 << 24

func (p *adaptivePool) build(class string, size [2]int, in tensor.Shape) error {
	if _, err := adaptiveShape(class, size, in); err != nil {
		return err
	}
	if in[0]*in[1]*in[2] > math.MaxInt32 {
		return fmt.Errorf("input shape %v holds more than 2^31 values per image; %s indexes an image with 32 bits", in, class)
	}
	p.h, p.w, p.c = in[0], in[1], in[2]
	p.oh, p.ow = size[0], size[1]
	p.rlo, p.rhi = adaptiveBins(p.h, p.oh)
	p.clo, p.chi = adaptiveBins(p.w, p.ow)
	return nil
}

// averageForward writes the mean of each bin, summed in float32 row by row
// and divided by the bin's size.
func (p *adaptivePool) averageForward(x *tensor.Tensor) *tensor.Tensor {
	n := x.Shape[0]
	p.y = tensor.Ensure(p.y, n, p.oh, p.ow, p.c)
	c, inImg, outImg := p.c, p.h*p.w*p.c, p.oh*p.ow*p.c
	for b := range n {
		src, dst := x.Data[b*inImg:(b+1)*inImg], p.y.Data[b*outImg:(b+1)*outImg]
		for i := range p.oh {
			for j := range p.ow {
				out := dst[(i*p.ow+j)*c : (i*p.ow+j+1)*c]
				clear(out)
				for r := p.rlo[i]; r < p.rhi[i]; r++ {
					for q := p.clo[j]; q < p.chi[j]; q++ {
						in := src[(r*p.w+q)*c : (r*p.w+q+1)*c]
						for k, v := range in {
							out[k] += v
						}
					}
				}
				inv := 1 / float32((p.rhi[i]-p.rlo[i])*(p.chi[j]-p.clo[j]))
				for k := range out {
					out[k] *= inv
				}
			}
		}
	}
	return p.y
}

// averageBackward spreads each output gradient evenly over its bin.
func (p *adaptivePool) averageBackward(dy *tensor.Tensor) *tensor.Tensor {
	n := dy.Shape[0]
	p.dx = tensor.Ensure(p.dx, n, p.h, p.w, p.c)
	clear(p.dx.Data)
	c, inImg, outImg := p.c, p.h*p.w*p.c, p.oh*p.ow*p.c
	for b := range n {
		g, dst := dy.Data[b*outImg:(b+1)*outImg], p.dx.Data[b*inImg:(b+1)*inImg]
		for i := range p.oh {
			for j := range p.ow {
				inv := 1 / float32((p.rhi[i]-p.rlo[i])*(p.chi[j]-p.clo[j]))
				gc := g[(i*p.ow+j)*c : (i*p.ow+j+1)*c]
				for r := p.rlo[i]; r < p.rhi[i]; r++ {
					for q := p.clo[j]; q < p.chi[j]; q++ {
						d := dst[(r*p.w+q)*c : (r*p.w+q+1)*c]
						for k, v := range gc {
							d[k] += v * inv
						}
					}
				}
			}
		}
	}
	return p.dx
}

// maxForward writes the maximum of each bin and remembers where it was:
// the first maximum in row-major order, and a NaN wins, as in PyTorch.
func (p *adaptivePool) maxForward(x *tensor.Tensor) *tensor.Tensor {
	n := x.Shape[0]
	p.y = tensor.Ensure(p.y, n, p.oh, p.ow, p.c)
	c, inImg, outImg := p.c, p.h*p.w*p.c, p.oh*p.ow*p.c
	if cap(p.arg) >= n*outImg {
		p.arg = p.arg[:n*outImg]
	} else {
		p.arg = make([]int32, n*outImg)
	}
	for b := range n {
		src, dst, arg := x.Data[b*inImg:(b+1)*inImg], p.y.Data[b*outImg:(b+1)*outImg], p.arg[b*outImg:(b+1)*outImg]
		for i := range p.oh {
			for j := range p.ow {
				o := (i*p.ow + j) * c
				first := (p.rlo[i]*p.w + p.clo[j]) * c
				for k := range c {
					dst[o+k], arg[o+k] = src[first+k], int32(first+k)
				}
				for r := p.rlo[i]; r < p.rhi[i]; r++ {
					for q := p.clo[j]; q < p.chi[j]; q++ {
						at := (r*p.w + q) * c
						for k := range c {
							if v := src[at+k]; v > dst[o+k] || (math.IsNaN(float64(v)) && !math.IsNaN(float64(dst[o+k]))) {
								dst[o+k], arg[o+k] = v, int32(at+k)
							}
						}
					}
				}
			}
		}
	}
	return p.y
}

// maxBackward routes each output gradient to the input its maximum came
// from; overlapping bins that share a maximum add their gradients.
func (p *adaptivePool) maxBackward(dy *tensor.Tensor) *tensor.Tensor {
	n := dy.Shape[0]
	p.dx = tensor.Ensure(p.dx, n, p.h, p.w, p.c)
	clear(p.dx.Data)
	inImg, outImg := p.h*p.w*p.c, p.oh*p.ow*p.c
	for b := range n {
		g, dst, arg := dy.Data[b*outImg:(b+1)*outImg], p.dx.Data[b*inImg:(b+1)*inImg], p.arg[b*outImg:(b+1)*outImg]
		for o, v := range g {
			dst[arg[o]] += v
		}
	}
	return p.dx
}

// adaptiveSteps checks a 1-D layer's output size.
func adaptiveSteps(class string, n int) error {
	if n <= 0 {
		return fmt.Errorf("output_size %d: %s needs a positive number of output steps, e.g. OutputSize: 8", n, class)
	}
	return nil
}
