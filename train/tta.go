package train

import (
	"fmt"
	"strings"

	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TTA is a test-time augmentation: evaluate averages the model's outputs
// over several views of each image. Keras has no such option; it is the
// usual CIFAR practice (e.g. Keller Jordan's airbench averages the same
// views as TTAFlipShift).
type TTA int

const (
	// TTANone evaluates the images as they are.
	TTANone TTA = iota
	// TTAFlip averages each image and its left-right mirror.
	TTAFlip
	// TTAFlipShift averages TTAFlip's pair with weight 1/2 and, with weight
	// 1/4 each, the pairs of the image shifted one pixel up-left and one
	// pixel down-right (edges reflected): 6 views.
	TTAFlipShift
)

var ttaNames = []string{"none", "flip", "flip-shift"}

func (t TTA) String() string {
	if t >= 0 && int(t) < len(ttaNames) {
		return ttaNames[t]
	}
	return fmt.Sprintf("TTA(%d)", int(t))
}

// ParseTTA reads a TTA name: none, flip or flip-shift.
func ParseTTA(s string) (TTA, error) {
	for i, n := range ttaNames {
		if s == n {
			return TTA(i), nil
		}
	}
	return 0, fmt.Errorf("train: unknown test-time augmentation %q; use one of %s", s, strings.Join(ttaNames, ", "))
}

// EvaluateTTA is Evaluate with the outputs averaged over the views of t
// (images N×H×W×C only). With TTANone it is Evaluate. EvaluateWith takes
// sample weights too.
func EvaluateTTA(m *Model, x Inputs, y *tensor.Tensor, batchSize int, t TTA) (Logs, error) {
	return EvaluateWith(m, x, y, EvaluateOptions{BatchSize: batchSize, TTA: t})
}

// ttaViews averages the network's outputs over a batch's views, in
// buffers reused from batch to batch.
type ttaViews struct {
	net                *nn.Stack
	t                  TTA
	view, shifted, avg *tensor.Tensor
}

func (v *ttaViews) infer(xb *tensor.Tensor) *tensor.Tensor {
	first := v.net.Infer(xb)
	v.avg = tensor.Ensure(v.avg, first.Shape...)
	clear(v.avg.Data)
	v.view = tensor.Ensure(v.view, xb.Shape...)
	if v.t == TTAFlip {
		v.pair(xb, first, 1)
		return v.avg
	}
	v.pair(xb, first, 0.5)
	v.shifted = tensor.Ensure(v.shifted, xb.Shape...)
	for _, d := range []int{-1, 1} {
		shiftInto(v.shifted, xb, d)
		v.pair(v.shifted, v.net.Infer(v.shifted), 0.25)
	}
	return v.avg
}

// pair adds w/2 of out (the outputs for x) and w/2 of the outputs for x's
// mirror to the average.
func (v *ttaViews) pair(x, out *tensor.Tensor, w float32) {
	kernel.Axpy(w/2, out.Data, v.avg.Data)
	flipInto(v.view, x)
	kernel.Axpy(w/2, v.net.Infer(v.view).Data, v.avg.Data)
}

// flipInto writes the left-right mirror of the NHWC images src into dst.
func flipInto(dst, src *tensor.Tensor) {
	h, w, c := src.Shape[1], src.Shape[2], src.Shape[3]
	for row := 0; row < src.Shape[0]*h; row++ {
		s, d := src.Data[row*w*c:(row+1)*w*c], dst.Data[row*w*c:(row+1)*w*c]
		for x := 0; x < w; x++ {
			copy(d[(w-1-x)*c:(w-x)*c], s[x*c:(x+1)*c])
		}
	}
}

// shiftInto writes src moved by d pixels along both axes into dst: dst(y,
// x) = src(y-d, x-d), cells from outside reflected back in (PyTorch's
// "reflect" padding: -1 reads 1, h reads h-2).
func shiftInto(dst, src *tensor.Tensor, d int) {
	h, w, c := src.Shape[1], src.Shape[2], src.Shape[3]
	reflect := func(i, n int) int {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
		return max(0, min(n-1, i))
	}
	for n := 0; n < src.Shape[0]; n++ {
		img := src.Data[n*h*w*c : (n+1)*h*w*c]
		out := dst.Data[n*h*w*c : (n+1)*h*w*c]
		for y := 0; y < h; y++ {
			sy := reflect(y-d, h)
			for x := 0; x < w; x++ {
				sx := reflect(x-d, w)
				copy(out[(y*w+x)*c:(y*w+x+1)*c], img[(sy*w+sx)*c:(sy*w+sx+1)*c])
			}
		}
	}
}
