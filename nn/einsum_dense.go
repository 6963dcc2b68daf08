package nn

// EinsumDense, as Keras 3's keras.layers.EinsumDense
// (keras/src/layers/core/einsum_dense.py: _analyze_einsum_string and
// _analyze_split_string give the kernel, bias and output shapes).

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/constraint"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/regularizer"
	"github.com/gokeras/gokeras/tensor"
)

// EinsumDense is a dense layer whose product is an einsum of the input and
// the kernel, as Keras's EinsumDense: Equation names the input's axes
// (the batch first), the kernel's and the output's, as "ab,bc->ac" (a
// Dense layer), "abc,cd->abd" (one applied at every step) or
// "abc,cde->abde" (a multi-head projection); "...b,bc->...c" elides leading
// axes and "ab...,bc->ac..." trailing ones. OutputShape gives the output's
// sizes after the batch, -1 where the input gives it (Keras's None); the
// kernel's shape follows from the input and the output. BiasAxes names
// the output axes a bias runs along ("" for none). Labels repeated within
// one operand (diagonals) are not implemented.
//
// The einsum runs as batched matrix products: the input and the kernel are
// laid out as (shared, rows, contracted) and (shared, contracted,
// columns), multiplied by the GEMM kernel, and the result is laid out in
// the output's order; the gradients are the two transposed products.
type EinsumDense struct {
	Trainability
	Name                               string
	InputShape                         tensor.Shape // optional: declares the model input, like input_shape=
	Equation                           string
	PartialOutput                      []int // Keras's output_shape, without the batch; -1: as the input
	Activation                         activation.Func
	BiasAxes                           string
	KernelInitializer                  Initializer // zero value: GlorotUniform
	BiasInitializer                    Initializer // zero value: Zeros
	KernelRegularizer, BiasRegularizer regularizer.Regularizer
	ActivityRegularizer                regularizer.Regularizer
	KernelConstraint, BiasConstraint   constraint.Constraint

	kern, bias Param
	plan       einsumPlan
	x, z, y    *tensor.Tensor
	dx, dz     *tensor.Tensor
	act        *tensor.Tensor
	buf        einsumBufs
	skipInputG bool
}

func init() {
	// Keys as einsum_dense.py's get_config writes them.
	register("EinsumDense", func(r *cfgReader) Layer {
		l := &EinsumDense{InputShape: r.inputShape(), Equation: r.Str("equation", ""),
			Activation: r.activation("activation"), BiasAxes: r.Str("bias_axes", ""),
			KernelInitializer: r.initializer("kernel_initializer"), BiasInitializer: r.initializer("bias_initializer"),
			KernelRegularizer: r.readRegularizer("kernel_regularizer"), BiasRegularizer: r.readRegularizer("bias_regularizer"),
			ActivityRegularizer: r.readRegularizer("activity_regularizer"),
			KernelConstraint:    r.readConstraint("kernel_constraint"), BiasConstraint: r.readConstraint("bias_constraint")}
		if v, ok := r.Get("output_shape"); ok {
			if _, isNum := v.(float64); isNum {
				l.PartialOutput = []int{r.Int("output_shape", 0)}
			} else {
				l.PartialOutput = r.ints("output_shape") // null entries become -1
			}
		} else if r.Err == nil {
			r.Failf(`"output_shape" is required: the output's sizes after the batch (null where the input gives them)`)
		}
		if l.Equation == "" && r.Err == nil {
			r.Failf(`"equation" is required, e.g. "ab,bc->ac"`)
		}
		r.loraKeys()
		r.null("quantization_config", "gokeras does not quantize weights")
		r.null("gptq_config", "gokeras does not quantize weights")
		return l
	})
}

func (l *EinsumDense) LayerName() string                { return l.Name }
func (l *EinsumDense) SetLayerName(s string)            { l.Name = s }
func (l *EinsumDense) Class() string                    { return "EinsumDense" }
func (l *EinsumDense) DeclaredInputShape() tensor.Shape { return l.InputShape }
func (l *EinsumDense) SkipInputGrad(skip bool)          { l.skipInputG = skip }

func (l *EinsumDense) Params() []*Param {
	if l.BiasAxes == "" {
		return []*Param{&l.kern}
	}
	return []*Param{&l.kern, &l.bias}
}

func (l *EinsumDense) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["equation"] = l.Equation
	out := make([]any, len(l.PartialOutput))
	for i, d := range l.PartialOutput {
		out[i] = d
		if d < 0 {
			out[i] = nil
		}
	}
	m["output_shape"] = out
	m["activation"] = l.Activation.String()
	m["bias_axes"] = nil
	if l.BiasAxes != "" {
		m["bias_axes"] = l.BiasAxes
	}
	m["kernel_initializer"] = initConfig(l.KernelInitializer, GlorotUniform)
	m["bias_initializer"] = initConfig(l.BiasInitializer, Zeros)
	m["kernel_regularizer"] = regularizer.Serialize(l.KernelRegularizer)
	m["bias_regularizer"] = regularizer.Serialize(l.BiasRegularizer)
	m["kernel_constraint"] = constraint.Serialize(l.KernelConstraint)
	m["bias_constraint"] = constraint.Serialize(l.BiasConstraint)
	m["activity_regularizer"] = regularizer.Serialize(l.ActivityRegularizer)
	return m
}

// OutputRegularizer returns the activity regularizer (nn.ActivityRegularized).
func (l *EinsumDense) OutputRegularizer() regularizer.Regularizer { return l.ActivityRegularizer }

var (
	einsumPlain = regexp.MustCompile(`^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$`)
	einsumLeft  = regexp.MustCompile(`^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$`)
	einsumRight = regexp.MustCompile(`^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$`)
)

// einsumShapes is _analyze_einsum_string for an input of per-sample shape
// in: the full specs (elided axes given fresh labels), the kernel's and
// the bias's shapes (nil for none) and the output's per-sample shape.
type einsumShapes struct {
	xSpec, wSpec, oSpec string
	kernel, bias        []int
	out                 tensor.Shape
}

func (l *EinsumDense) analyze(in tensor.Shape) (einsumShapes, error) {
	var es einsumShapes
	eq := strings.ReplaceAll(l.Equation, "...", "0")
	var m []string
	left := false
	if m = einsumPlain.FindStringSubmatch(eq); m == nil {
		if m = einsumLeft.FindStringSubmatch(eq); m != nil {
			left = true
		} else if m = einsumRight.FindStringSubmatch(eq); m == nil {
			return es, fmt.Errorf("equation %q is not of the form [X],[Y]->[Z], ...[X],[Y]->...[Z] or [X]...,[Y]->[Z]..., as Keras requires", l.Equation)
		}
	}
	inSpec, wSpec, outSpec := m[1], m[2], m[3]
	for _, s := range []string{inSpec, wSpec, outSpec} {
		for i, c := range s {
			if strings.ContainsRune(s[i+1:], c) {
				return es, fmt.Errorf("equation %q repeats the label %q within one operand (a diagonal); gokeras does not implement it", l.Equation, c)
			}
		}
	}
	input := append([]int{-1}, in...) // the batch is Keras's None
	elided := len(input) - len(inSpec)
	if elided < 0 {
		return es, fmt.Errorf("equation %q names %d input axes but the input has %d (with the batch)", l.Equation, len(inSpec), len(input))
	}
	hasEllipsis := strings.Contains(eq, "0")
	if !hasEllipsis && elided != 0 {
		return es, fmt.Errorf("equation %q names %d input axes but the input has %d (with the batch); add ... for the others", l.Equation, len(inSpec), len(input))
	}
	output := append([]int{-1}, l.PartialOutput...)
	if elided > 0 && left {
		// The elided axes in the input's order: the einsum's. Keras's
		// _analyze_split_string inserts each at position 1, which reverses
		// two or more of them in its declared shape (not in its output).
		for i := 1; i < elided; i++ {
			output = slices.Insert(output, i, input[i])
		}
	} else if elided > 0 {
		output = append(output, input[len(input)-elided:]...)
	}
	inMap, outMap := map[rune]int{}, map[rune]int{}
	for i, c := range inSpec {
		if left {
			inMap[c] = i + elided
		} else {
			inMap[c] = i
		}
	}
	for i, c := range outSpec {
		if left {
			outMap[c] = i + elided
		} else {
			outMap[c] = i
		}
	}
	if len(output) != len(outSpec)+elided {
		return es, fmt.Errorf("output_shape %v has %d axes but equation %q's output has %d after the batch", l.PartialOutput, len(l.PartialOutput), l.Equation, len(outSpec)-1)
	}
	for _, c := range inSpec {
		if j, ok := outMap[c]; ok && output[j] >= 0 && input[inMap[c]] >= 0 && output[j] != input[inMap[c]] {
			return es, fmt.Errorf("input shape and output shape do not match at shared dimension %q: input %d, output %d", c, input[inMap[c]], output[j])
		}
	}
	for _, c := range outSpec {
		if !strings.ContainsRune(inSpec, c) && !strings.ContainsRune(wSpec, c) {
			return es, fmt.Errorf("dimension %q of the output %q is in neither the input %q nor the kernel %q", c, outSpec, inSpec, wSpec)
		}
	}
	// The output's None dims come from the input; the batch stays -1.
	for c, j := range outMap {
		if i, ok := inMap[c]; ok && output[j] < 0 {
			output[j] = input[i]
		}
	}
	for _, c := range wSpec {
		d := -1
		if i, ok := inMap[c]; ok {
			d = input[i]
		} else if j, ok := outMap[c]; ok {
			d = output[j]
		}
		if d <= 0 {
			return es, fmt.Errorf("kernel dimension %q has no size: it must match an input axis or a given output axis (not the batch)", c)
		}
		es.kernel = append(es.kernel, d)
	}
	if l.BiasAxes != "" {
		first := len(outSpec)
		for _, c := range l.BiasAxes {
			k := strings.IndexRune(outSpec, c)
			if k < 0 {
				return es, fmt.Errorf("bias dimension %q is not in the output spec %q", c, outSpec)
			}
			first = min(first, k)
		}
		off := 0
		if left {
			off = elided
		}
		for i, c := range outSpec[first:] {
			if strings.ContainsRune(l.BiasAxes, c) {
				es.bias = append(es.bias, output[first+i+off])
			} else {
				es.bias = append(es.bias, 1)
			}
		}
		if !left {
			for range elided {
				es.bias = append(es.bias, 1)
			}
		}
	}
	// Full specs: fresh labels for the elided axes (Keras's quantization
	// path names them the same way).
	var fresh []rune
	for c := 'a'; c <= 'z' && len(fresh) < elided; c++ {
		if !strings.ContainsRune(inSpec+wSpec+outSpec, c) {
			fresh = append(fresh, c)
		}
	}
	for c := 'A'; c <= 'Z' && len(fresh) < elided; c++ {
		if !strings.ContainsRune(inSpec+wSpec+outSpec, c) {
			fresh = append(fresh, c)
		}
	}
	es.xSpec, es.wSpec, es.oSpec = inSpec, wSpec, outSpec
	if left {
		es.xSpec, es.oSpec = string(fresh)+inSpec, string(fresh)+outSpec
	} else if elided > 0 {
		es.xSpec, es.oSpec = inSpec+string(fresh), outSpec+string(fresh)
	}
	if es.xSpec[0] != es.oSpec[0] || strings.ContainsRune(wSpec, rune(es.xSpec[0])) {
		return es, fmt.Errorf("equation %q must keep the batch axis: the input's first label must be the output's first and not the kernel's", l.Equation)
	}
	es.out = tensor.Shape(output[1:])
	for _, d := range es.out {
		if d <= 0 {
			return es, fmt.Errorf("output shape %v has an axis of unknown size", es.out)
		}
	}
	return es, nil
}

// shapes is analyze plus the checks Build needs: the activation keeps
// the last axis, and the kernel is not too large.
func (l *EinsumDense) shapes(in tensor.Shape) (einsumShapes, error) {
	if l.Activation.Widens() != 1 {
		return einsumShapes{}, fmt.Errorf("activation %s changes the last axis's size, which EinsumDense does not support", l.Activation)
	}
	es, err := l.analyze(in)
	if err != nil {
		return es, err
	}
	if _, err := checkedSize(es.kernel); err != nil {
		return es, fmt.Errorf("kernel: %w", err)
	}
	return es, nil
}

func (l *EinsumDense) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	es, err := l.shapes(in)
	return es.out, err
}

func (l *EinsumDense) ParamShapes(in tensor.Shape) ([]ParamShape, error) {
	es, err := l.analyze(in)
	if err != nil {
		return nil, err
	}
	ps := []ParamShape{{"kernel", tensor.Shape(es.kernel)}}
	if es.bias != nil {
		ps = append(ps, ParamShape{"bias", tensor.Shape(es.bias)})
	}
	return ps, nil
}

func (l *EinsumDense) Build(in tensor.Shape, rng *rand.Rand) error {
	es, err := l.shapes(in)
	if err != nil {
		return err
	}
	if err := checkActivity(l.ActivityRegularizer, es.out); err != nil {
		return err
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	l.kern = Param{Name: "kernel", Value: tensor.New(es.kernel...), Grad: tensor.New(es.kernel...)}
	if err := withPenalty(&l.kern, "kernel", l.KernelRegularizer, l.KernelConstraint); err != nil {
		return err
	}
	l.KernelInitializer.or(GlorotUniform).fillShape(l.kern.Value.Data, es.kernel, rng)
	if es.bias != nil {
		l.bias = Param{Name: "bias", Value: tensor.New(es.bias...), Grad: tensor.New(es.bias...)}
		if err := withPenalty(&l.bias, "bias", l.BiasRegularizer, l.BiasConstraint); err != nil {
			return err
		}
		l.BiasInitializer.or(Zeros).fillShape(l.bias.Value.Data, es.bias, rng)
	}
	l.plan = newEinsumPlan(es, in)
	return nil
}

func (l *EinsumDense) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	if l.kern.Value == nil || !x.Shape[1:].Equal(l.plan.in) {
		if l.kern.Value == nil {
			if err := l.Build(x.Shape[1:], nil); err != nil {
				panic(fmt.Sprintf("nn: EinsumDense: %v", err))
			}
		} else {
			es, err := l.analyze(x.Shape[1:])
			if err != nil || !slices.Equal(es.kernel, l.kern.Value.Shape) {
				panic(fmt.Sprintf("nn: EinsumDense: input shape %v does not fit the built kernel %v", x.Shape[1:], l.kern.Value.Shape))
			}
			l.plan = newEinsumPlan(es, x.Shape[1:])
		}
	}
	l.x = x
	l.z = l.plan.forward(&l.buf, l.z, x, l.kern.Value)
	if l.BiasAxes != "" {
		b := l.bias.Value.Data
		for i := range l.z.Data {
			l.z.Data[i] += b[l.plan.biasIndex(i)]
		}
	}
	l.y = l.z
	if l.Activation != activation.Linear {
		cols := l.z.Shape[len(l.z.Shape)-1]
		l.act = tensor.Ensure(l.act, l.z.Shape...)
		l.Activation.Forward(l.act.Data, l.z.Data, len(l.z.Data)/cols, cols)
		l.y = l.act
	}
	return l.y
}

func (l *EinsumDense) Backward(dy *tensor.Tensor) *tensor.Tensor {
	dz := dy
	if l.Activation != activation.Linear {
		cols := l.z.Shape[len(l.z.Shape)-1]
		l.dz = tensor.Ensure(l.dz, dy.Shape...)
		l.Activation.Backward(l.dz.Data, dy.Data, l.z.Data, l.act.Data, len(l.z.Data)/cols, cols)
		dz = l.dz
	}
	if l.BiasAxes != "" {
		g := l.bias.Grad.Data
		clear(g)
		for i, v := range dz.Data {
			g[l.plan.biasIndex(i)] += v
		}
	}
	var dx *tensor.Tensor
	if !l.skipInputG {
		l.dx = tensor.Ensure(l.dx, l.x.Shape...)
		dx = l.dx
	}
	l.plan.backward(&l.buf, dx, l.kern.Grad, dz, l.x, l.kern.Value)
	return dx
}

// einsumPlan lays an einsum of x (batch first) and the kernel out as
// batched matrix products: x as (S, M, K), the kernel as (S, K, N), the
// product as (S, M, N), where S are the labels of all three, M those of
// the input and output (the batch among them), K the contracted ones and
// N those of the kernel and output. Labels in one operand alone (Rx, Rw)
// are summed over first, and their gradient is spread back.
type einsumPlan struct {
	in                  tensor.Shape
	xSpec, wSpec, oSpec string
	sizes               map[byte]int // label → size (not the batch's)
	batch               byte
	xOrder, wOrder      string // S M K Rx and S K N Rw
	yOrder              string // S M N
	s, mPer, k, n       int    // mPer: M's size without the batch
	rx, rw              int
	oShape              []int   // (batch, out...), for Ensure
	biasIdx             []int32 // per output position of a sample, its bias element
}

// einsumBufs are the plan's work buffers, reused across batches.
type einsumBufs struct {
	x2, w2, y2, dy2, dx2, dw2, tmp []float32
	odo, strides, shape            []int
}

func newEinsumPlan(es einsumShapes, in tensor.Shape) einsumPlan {
	p := einsumPlan{in: in.Clone(), xSpec: es.xSpec, wSpec: es.wSpec, oSpec: es.oSpec, sizes: map[byte]int{}, batch: es.xSpec[0]}
	for i := 1; i < len(es.xSpec); i++ {
		p.sizes[es.xSpec[i]] = in[i-1]
	}
	for i := range es.wSpec {
		p.sizes[es.wSpec[i]] = es.kernel[i]
	}
	for i := 1; i < len(es.oSpec); i++ {
		p.sizes[es.oSpec[i]] = es.out[i-1]
	}
	has := func(spec string, c byte) bool { return strings.IndexByte(spec, c) >= 0 }
	var S, M, K, N, Rx, Rw []byte
	for i := range es.xSpec {
		switch c := es.xSpec[i]; {
		case has(es.wSpec, c) && has(es.oSpec, c):
			S = append(S, c)
		case has(es.oSpec, c):
			M = append(M, c)
		case has(es.wSpec, c):
			K = append(K, c)
		default:
			Rx = append(Rx, c)
		}
	}
	for i := range es.wSpec {
		switch c := es.wSpec[i]; {
		case has(es.xSpec, c): // in S or K already
		case has(es.oSpec, c):
			N = append(N, c)
		default:
			Rw = append(Rw, c)
		}
	}
	p.xOrder = string(S) + string(M) + string(K) + string(Rx)
	p.wOrder = string(S) + string(K) + string(N) + string(Rw)
	p.yOrder = string(S) + string(M) + string(N)
	size := func(ls []byte) int {
		n := 1
		for _, c := range ls {
			if c != p.batch {
				n *= p.sizes[c]
			}
		}
		return n
	}
	p.s, p.mPer, p.k, p.n, p.rx, p.rw = size(S), size(M), size(K), size(N), size(Rx), size(Rw)
	p.oShape = append([]int{0}, es.out...)
	if es.bias != nil {
		// The bias covers the output's last len(bias) axes, broadcast
		// where its size is 1.
		out, nb := es.out, len(es.bias)
		p.biasIdx = make([]int32, out.Size())
		for j := range p.biasIdx {
			rem, idx, stride := j, 0, 1
			for a := len(out) - 1; a >= 0; a-- {
				i := rem % out[a]
				rem /= out[a]
				if b := a - (len(out) - nb); b >= 0 {
					if es.bias[b] != 1 {
						idx += i * stride
					}
					stride *= es.bias[b]
				}
			}
			p.biasIdx[j] = int32(idx)
		}
	}
	return p
}

// shapeOf is the sizes of spec's labels, the batch's being batch.
func (p *einsumPlan) shapeOf(dst []int, spec string, batch int) []int {
	dst = dst[:0]
	for i := range spec {
		if spec[i] == p.batch {
			dst = append(dst, batch)
		} else {
			dst = append(dst, p.sizes[spec[i]])
		}
	}
	return dst
}

// permute copies src, laid out in srcSpec's order, into dst laid out in
// order (the same labels).
func (p *einsumPlan) permute(b *einsumBufs, dst, src []float32, srcSpec, order string, batch int) {
	if srcSpec == order {
		copy(dst, src)
		return
	}
	n := len(order)
	b.shape = p.shapeOf(b.shape, order, batch)
	if cap(b.strides) < n {
		b.strides, b.odo = make([]int, n), make([]int, n)
	}
	strides, odo := b.strides[:n], b.odo[:n]
	for i := range n {
		st := 1
		for j := len(srcSpec) - 1; srcSpec[j] != order[i]; j-- {
			if srcSpec[j] == p.batch {
				st *= batch
			} else {
				st *= p.sizes[srcSpec[j]]
			}
		}
		strides[i], odo[i] = st, 0
	}
	off := 0
	for d := range dst {
		dst[d] = src[off]
		for a := n - 1; a >= 0; a-- {
			odo[a]++
			off += strides[a]
			if odo[a] < b.shape[a] {
				break
			}
			off -= strides[a] * b.shape[a]
			odo[a] = 0
		}
	}
}

func einGrow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// sumLast sums groups of r consecutive values in place: (n·r) → n.
func sumLast(v []float32, r int) []float32 {
	if r == 1 {
		return v
	}
	n := len(v) / r
	for i := range n {
		var s float32
		for _, u := range v[i*r : (i+1)*r] {
			s += u
		}
		v[i] = s
	}
	return v[:n]
}

// spreadRepeat repeats each of the n values of src r times into dst: the
// gradient of sumLast.
func spreadRepeat(dst, src []float32, r int) {
	if r == 1 {
		copy(dst, src)
		return
	}
	for i, v := range src {
		for j := range r {
			dst[i*r+j] = v
		}
	}
}

func (p *einsumPlan) forward(b *einsumBufs, z, x, w *tensor.Tensor) *tensor.Tensor {
	batch := x.Shape[0]
	m := batch * p.mPer
	b.x2 = einGrow(b.x2, p.s*m*p.k*p.rx)
	p.permute(b, b.x2, x.Data, p.xSpec, p.xOrder, batch)
	x2 := sumLast(b.x2, p.rx)
	b.w2 = einGrow(b.w2, p.s*p.k*p.n*p.rw)
	p.permute(b, b.w2, w.Data, p.wSpec, p.wOrder, batch)
	w2 := sumLast(b.w2, p.rw)
	b.y2 = einGrow(b.y2, p.s*m*p.n)
	for s := range p.s {
		kernel.Gemm(false, false, m, p.n, p.k, 1, x2[s*m*p.k:], p.k, w2[s*p.k*p.n:], p.n, 0, b.y2[s*m*p.n:], p.n)
	}
	p.oShape[0] = batch
	z = tensor.Ensure(z, p.oShape...)
	p.permute(b, z.Data, b.y2, p.yOrder, p.oSpec, batch)
	return z
}

// backward writes the input's gradient into dx (nil: not needed) and the
// kernel's into dw, from dz, the output's; x and w are the forward pass's.
func (p *einsumPlan) backward(b *einsumBufs, dx, dw, dz, x, w *tensor.Tensor) {
	batch := dz.Shape[0]
	m := batch * p.mPer
	b.dy2 = einGrow(b.dy2, p.s*m*p.n)
	p.permute(b, b.dy2, dz.Data, p.oSpec, p.yOrder, batch)
	x2, w2 := b.x2[:p.s*m*p.k], b.w2[:p.s*p.k*p.n] // summed by forward
	b.tmp = einGrow(b.tmp, max(p.s*p.k*p.n, p.s*m*p.k))
	dw2 := b.tmp[:p.s*p.k*p.n]
	for s := range p.s {
		kernel.Gemm(true, false, p.k, p.n, m, 1, x2[s*m*p.k:], p.k, b.dy2[s*m*p.n:], p.n, 0, dw2[s*p.k*p.n:], p.n)
	}
	b.dw2 = einGrow(b.dw2, p.s*p.k*p.n*p.rw)
	spreadRepeat(b.dw2, dw2, p.rw)
	p.permute(b, dw.Data, b.dw2, p.wOrder, p.wSpec, batch)
	if dx == nil {
		return
	}
	dx2 := b.tmp[:p.s*m*p.k]
	for s := range p.s {
		kernel.Gemm(false, true, m, p.k, p.n, 1, b.dy2[s*m*p.n:], p.n, w2[s*p.k*p.n:], p.n, 0, dx2[s*m*p.k:], p.k)
	}
	b.dx2 = einGrow(b.dx2, p.s*m*p.k*p.rx)
	spreadRepeat(b.dx2, dx2, p.rx)
	p.permute(b, dx.Data, b.dx2, p.xOrder, p.xSpec, batch)
}

// biasIndex is the bias element of output element i (flat, batch first).
func (p *einsumPlan) biasIndex(i int) int { return int(p.biasIdx[i%len(p.biasIdx)]) }
