package nn

// IntegerLookup, as Keras 3's keras.layers.IntegerLookup
// (keras/src/layers/preprocessing/integer_lookup.py over index_lookup.py).

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gokeras/gokeras/tensor"
)

// IntegerLookup maps integer features (category codes, ids) to indices of
// a vocabulary, as Keras's IntegerLookup, and encodes them by OutputMode:
// "int" (Keras's default: the index), "one_hot", "multi_hot", "count" or
// "tf_idf" (the count times each index's IDFWeights), as catEncoder
// describes, over the vocabulary's size (MaxTokens with PadToMaxTokens).
//
// The indices are Keras's: with a MaskToken in "int" mode index 0 is the
// mask; then come NumOOVIndices out-of-vocabulary indices (Keras's default
// 1; a value not in the vocabulary goes to the first, or with several to
// floormod(value, NumOOVIndices) among them, as Keras does for integers);
// then the vocabulary's tokens. In the other modes a MaskToken value is
// dropped. Inputs are truncated to integers, as Keras's cast of a float
// input; gokeras's float32 inputs hold them exactly up to 2^24, so
// vocabulary tokens must lie within ±2^24.
//
// Give Vocabulary (optionally led by the special tokens, as Keras's
// get_vocabulary returns them: the mask, then NumOOVIndices OOVTokens), or
// learn it with Adapt: every value counted, the mask and OOV tokens left
// out, the most frequent first with ties broken by the larger token, cut to
// MaxTokens; "tf_idf" also learns IDFWeights, log(1 + documents / (1 +
// documents with the token)), each input row a document. Adapt on a layer
// given its vocabulary is an error, as in Keras; a model's Adapt leaves a
// layer that has a vocabulary (Settled), and the layer's own Adapt
// relearns one it learned. In a mode other
// than "int" the output width is the vocabulary's size, so adapt the layer
// itself (layer.Adapt(data)) before calling it in a model, as Keras users
// adapt before building, or give MaxTokens with PadToMaxTokens.
//
// With Invert the layer maps indices back to tokens ("int" mode only): the
// mask index to MaskToken, an unknown index to OOVToken.
//
// With NumOOVIndices 0 a value outside the vocabulary is an error, as in
// Keras, when it is in a model's input (CheckValue, before Fit, Evaluate or
// Predict starts); after other layers, where a forward pass cannot fail,
// it gets index -1 ("int") or encodes to nothing. The gradient is zero.
type IntegerLookup struct {
	Trainability
	Name           string
	InputShape     tensor.Shape // optional: declares the model input, like input_shape=
	Vocabulary     []int64      // given, or learned by Adapt
	IDFWeights     []float64    // "tf_idf": one per Vocabulary entry; learned with it
	MaxTokens      int          // 0: no cap (Keras's None); else > 1, counting the special indices
	NumOOVIndices  *int         // nil: Keras's 1
	MaskToken      *int64       // nil: no mask (Keras's None)
	OOVToken       *int64       // the token Invert gives unknown indices; nil: Keras's -1
	OutputMode     string       // "int" ("" too), "one_hot", "multi_hot", "count", "tf_idf"
	PadToMaxTokens bool
	Invert         bool

	learned bool // Vocabulary came from Adapt, which may replace it
	tokens  []int64
	index   map[int64]int32
	idf     []float32 // per output index ("tf_idf")
	enc     catEncoder
}

// maxExactInt is the largest integer float32 holds with all its neighbours.
const maxExactInt = 1 << 24

func init() {
	// Keys as index_lookup.py's get_config writes them (with
	// integer_lookup.py's int casts), plus Layer's name, trainable, dtype.
	register("IntegerLookup", func(r *cfgReader) Layer {
		r.onlyValue("sparse", "gokeras tensors are dense", false)
		r.onlyValue("vocabulary_dtype", `Keras's IntegerLookup supports only "int64"`, "int64")
		r.Int("vocabulary_size", 0) // Keras's record of the size; the vocabulary gives it
		inputDType(r)               // float32, or the int64 Keras may give a lookup
		l := &IntegerLookup{InputShape: r.inputShape(), MaxTokens: r.Int("max_tokens", 0),
			OutputMode: r.Str("output_mode", modeInt), PadToMaxTokens: r.Bool("pad_to_max_tokens", false),
			Invert: r.Bool("invert", false), IDFWeights: r.Floats("idf_weights")}
		switch l.OutputMode {
		case "binary":
			l.OutputMode = modeMultiHot
		case "tf-idf":
			l.OutputMode = "tf_idf"
		}
		if v, ok := r.Get("num_oov_indices"); ok {
			n := r.Int("num_oov_indices", 1)
			if r.Err == nil && float64(n) != v {
				r.fail("num_oov_indices", v, "a whole number")
			}
			l.NumOOVIndices = &n
		}
		l.MaskToken = r.token("mask_token")
		if _, ok := r.Get("oov_token"); ok {
			l.OOVToken = r.token("oov_token")
		}
		if _, ok := r.Get("vocabulary"); ok {
			for _, v := range r.Floats("vocabulary") {
				if v != math.Trunc(v) || math.Abs(v) > math.MaxInt64/2 {
					r.Failf("vocabulary entry %v is not an integer", v)
					break
				}
				l.Vocabulary = append(l.Vocabulary, int64(v))
			}
			if l.Vocabulary == nil && r.Err == nil {
				l.Vocabulary = []int64{} // given and empty: Build says so
			}
		}
		return l
	})
}

// token reads an integer token, or nil for null.
func (r *ConfigReader) token(key string) *int64 {
	v, ok := r.Get(key)
	if !ok {
		return nil
	}
	f, isNum := v.(float64)
	if !isNum || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64/2 {
		r.fail(key, v, "an integer or null")
		return nil
	}
	t := int64(f)
	return &t
}

func (l *IntegerLookup) LayerName() string                { return l.Name }
func (l *IntegerLookup) SetLayerName(s string)            { l.Name = s }
func (l *IntegerLookup) Class() string                    { return "IntegerLookup" }
func (l *IntegerLookup) Params() []*Param                 { return nil }
func (l *IntegerLookup) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *IntegerLookup) mode() string { return cmp.Or(l.OutputMode, modeInt) }

func (l *IntegerLookup) numOOV() int {
	if l.NumOOVIndices == nil {
		return 1
	}
	return *l.NumOOVIndices
}

func (l *IntegerLookup) oovToken() int64 {
	if l.OOVToken == nil {
		return -1
	}
	return *l.OOVToken
}

// oovStart is where the OOV indices begin: after the mask in "int" mode.
func (l *IntegerLookup) oovStart() int {
	if l.MaskToken != nil && l.mode() == modeInt {
		return 1
	}
	return 0
}

func (l *IntegerLookup) tokenStart() int { return l.oovStart() + l.numOOV() }

func (l *IntegerLookup) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["invert"] = l.Invert
	m["max_tokens"] = nil
	if l.MaxTokens > 0 {
		m["max_tokens"] = l.MaxTokens
	}
	m["num_oov_indices"] = l.numOOV()
	m["oov_token"] = l.oovToken()
	m["mask_token"] = nil
	if l.MaskToken != nil {
		m["mask_token"] = *l.MaskToken
	}
	m["output_mode"] = l.mode()
	m["sparse"] = false
	m["pad_to_max_tokens"] = l.PadToMaxTokens
	m["vocabulary_dtype"] = "int64"
	m["idf_weights"], m["vocabulary"], m["vocabulary_size"] = nil, nil, nil
	if l.IDFWeights != nil {
		m["idf_weights"] = slices.Clone(l.IDFWeights)
	}
	if l.Vocabulary != nil {
		m["vocabulary"] = slices.Clone(l.Vocabulary)
		tokens, _ := l.splitVocabulary()
		m["vocabulary_size"] = l.tokenStart() + len(tokens)
	}
	return m
}

// splitVocabulary returns the vocabulary's tokens and whether it is led by
// the special tokens, as get_vocabulary returns it (the mask in "int"
// mode, then NumOOVIndices OOV tokens), which are then left out.
func (l *IntegerLookup) splitVocabulary() (tokens []int64, found bool) {
	start := l.tokenStart()
	found = len(l.Vocabulary) >= start && len(l.Vocabulary) > 0
	for i := 0; found && i < start; i++ {
		want := l.oovToken()
		if i < l.oovStart() {
			want = *l.MaskToken
		}
		found = l.Vocabulary[i] == want
	}
	if found {
		return l.Vocabulary[start:], true
	}
	return l.Vocabulary, false
}

// depth is the width of the non-int encodings for a vocabulary of n
// tokens.
func (l *IntegerLookup) depth(n int) int {
	if l.PadToMaxTokens {
		return l.MaxTokens
	}
	return l.tokenStart() + n
}

// lookupTables are what a built IntegerLookup looks values up in.
type lookupTables struct {
	tokens []int64
	index  map[int64]int32
	idf    []float32 // per output index ("tf_idf")
}

// tables checks the settings and the vocabulary and makes the tables,
// changing nothing in l (OutputShape may run while the layer serves).
func (l *IntegerLookup) tables() (lookupTables, error) {
	var none lookupTables
	mode := l.mode()
	switch mode {
	case modeInt, modeOneHot, modeMultiHot, modeCount, "tf_idf":
	default:
		return none, fmt.Errorf("output_mode %q is not one of \"int\", \"one_hot\", \"multi_hot\", \"count\", \"tf_idf\"", mode)
	}
	if l.MaxTokens < 0 || l.MaxTokens == 1 {
		return none, fmt.Errorf("max_tokens is %d; when set it must be more than 1 (it counts the mask and OOV indices)", l.MaxTokens)
	}
	if l.MaxTokens > 1<<24 {
		return none, fmt.Errorf("max_tokens %d is more than 2^24", l.MaxTokens)
	}
	if l.PadToMaxTokens && l.MaxTokens == 0 {
		return none, fmt.Errorf("pad_to_max_tokens needs max_tokens")
	}
	if n := l.numOOV(); n < 0 || n > 1<<20 {
		return none, fmt.Errorf("num_oov_indices is %d; give 0 to 2^20 (Keras's default is 1)", n)
	}
	if l.Invert && mode != modeInt {
		return none, fmt.Errorf("invert needs output_mode \"int\", not %q", mode)
	}
	if l.IDFWeights != nil && mode != "tf_idf" {
		return none, fmt.Errorf("idf_weights are only for output_mode \"tf_idf\", not %q", mode)
	}
	if len(l.Vocabulary) > 1<<24 {
		return none, fmt.Errorf("the vocabulary has %d tokens, more than 2^24", len(l.Vocabulary))
	}
	if l.Vocabulary != nil && len(l.Vocabulary) == 0 {
		return none, fmt.Errorf("the vocabulary is empty; give at least one token, or none and adapt the layer")
	}
	start := l.tokenStart()
	tokens, found := l.splitVocabulary()
	index := make(map[int64]int32, len(tokens))
	for i, t := range tokens {
		if t > maxExactInt || t < -maxExactInt {
			return none, fmt.Errorf("vocabulary token %d is beyond ±2^24: gokeras's float32 inputs cannot hold it exactly", t)
		}
		if _, dup := index[t]; dup {
			return none, fmt.Errorf("vocabulary token %d is repeated; give each token once, as Keras requires", t)
		}
		if l.MaskToken != nil && t == *l.MaskToken {
			return none, fmt.Errorf("the mask token %d is in the vocabulary; leave it out, or put the special tokens only at the start", t)
		}
		if l.Invert && t == l.oovToken() {
			return none, fmt.Errorf("the OOV token %d is in the vocabulary; leave it out, or put the special tokens only at the start", t)
		}
		index[t] = int32(start + i)
	}
	if l.MaxTokens > 0 && start+len(tokens) > l.MaxTokens {
		return none, fmt.Errorf("the vocabulary has %d indices with the special ones, more than max_tokens %d", start+len(tokens), l.MaxTokens)
	}
	if mode != modeInt && !l.PadToMaxTokens && l.Vocabulary == nil {
		return none, fmt.Errorf("output_mode %q needs the vocabulary's size to build: give Vocabulary, set MaxTokens with PadToMaxTokens, or adapt the layer itself (layer.Adapt(data)) before calling it in a model, as Keras's adapt comes before the model", mode)
	}
	if mode == "tf_idf" && l.Vocabulary != nil {
		if l.IDFWeights == nil {
			return none, fmt.Errorf("output_mode \"tf_idf\" with a vocabulary needs idf_weights, one per vocabulary entry, as Keras requires")
		}
		if len(l.IDFWeights) != len(l.Vocabulary) {
			return none, fmt.Errorf("%d idf_weights for %d vocabulary entries; give one per entry", len(l.IDFWeights), len(l.Vocabulary))
		}
		for _, w := range l.IDFWeights {
			if math.IsNaN(w) || math.IsInf(w, 0) {
				return none, fmt.Errorf("idf weight %v is not finite", w)
			}
		}
	}
	t := lookupTables{tokens: tokens, index: index}
	if mode == "tf_idf" && l.Vocabulary != nil {
		// set_vocabulary's padding: the average in front of the tokens
		// (when the special tokens are not given), zeros up to max_tokens.
		front := 0
		var avg float64
		if !found {
			front = start
			for _, w := range l.IDFWeights {
				avg += w
			}
			avg /= float64(len(l.IDFWeights))
		}
		t.idf = make([]float32, l.depth(len(tokens)))
		for i := range t.idf {
			switch {
			case i < front:
				t.idf[i] = float32(avg)
			case i-front < len(l.IDFWeights):
				t.idf[i] = float32(l.IDFWeights[i-front])
			}
		}
	}
	return t, nil
}

// encoding is the catEncoder mode: "tf_idf" counts, then weighs.
func (l *IntegerLookup) encoding() string {
	if m := l.mode(); m != "tf_idf" {
		return m
	}
	return modeCount
}

func (l *IntegerLookup) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	t, err := l.tables()
	if err != nil {
		return nil, err
	}
	return catOutputShape(l.encoding(), max(l.depth(len(t.tokens)), 1), in)
}

func (l *IntegerLookup) Build(in tensor.Shape, _ *rand.Rand) error {
	t, err := l.tables()
	if err != nil {
		return err
	}
	if _, err := catOutputShape(l.encoding(), max(l.depth(len(t.tokens)), 1), in); err != nil {
		return err
	}
	if err := l.enc.build(l.encoding(), max(l.depth(len(t.tokens)), 1), in); err != nil {
		return err
	}
	l.tokens, l.index, l.idf = t.tokens, t.index, t.idf
	return nil
}

func (l *IntegerLookup) rebuild(in tensor.Shape) error { return l.Build(in, nil) }

// toInt is Keras's cast of a value to int64: truncation; ok is false for
// NaN and values no int64 holds.
func toInt(v float32) (int64, bool) {
	if f := float64(v); f >= -0x1p63 && f < 0x1p63 {
		return int64(f), true
	}
	return 0, false
}

func (l *IntegerLookup) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	idx := l.enc.indices(x, l.rebuild)
	if l.Invert {
		return l.invert(x)
	}
	oovStart, numOOV := int32(l.oovStart()), int64(l.numOOV())
	intMode := l.mode() == modeInt
	for i, v := range x.Data {
		t, ok := toInt(v)
		switch k, in := l.index[t]; {
		case !ok:
			idx[i] = -1
			if numOOV > 0 {
				idx[i] = oovStart
			}
		case l.MaskToken != nil && t == *l.MaskToken:
			idx[i] = -1 // dropped from the encodings
			if intMode {
				idx[i] = 0
			}
		case in:
			idx[i] = k
		case numOOV == 0:
			idx[i] = -1
		case numOOV == 1:
			idx[i] = oovStart
		default:
			idx[i] = oovStart + int32(((t%numOOV)+numOOV)%numOOV) // floormod
		}
	}
	y := l.enc.encode(x)
	if l.idf != nil {
		d := len(l.idf)
		for i := range y.Data {
			y.Data[i] *= l.idf[i%d]
		}
	}
	return y
}

// invert maps indices back to tokens.
func (l *IntegerLookup) invert(x *tensor.Tensor) *tensor.Tensor {
	l.enc.shape[0] = x.Shape[0]
	l.enc.y = tensor.Ensure(l.enc.y, l.enc.shape...)
	start, oov := l.tokenStart(), float32(l.oovToken())
	for i, v := range x.Data {
		y := oov
		k, ok := toInt(v)
		switch {
		case !ok:
		case l.MaskToken != nil && k == 0:
			y = float32(*l.MaskToken)
		case k >= int64(start) && k < int64(start+len(l.tokens)):
			y = float32(l.tokens[k-int64(start)])
		}
		l.enc.y.Data[i] = y
	}
	return l.enc.y
}

// CheckValue refuses, with NumOOVIndices 0, a value outside the vocabulary
// (the mask excepted), as Keras's call does.
func (l *IntegerLookup) CheckValue(v float32) error {
	if l.Invert || l.numOOV() > 0 {
		return nil
	}
	t, ok := toInt(v)
	if _, in := l.index[t]; ok && (in || l.MaskToken != nil && t == *l.MaskToken) {
		return nil
	}
	return fmt.Errorf("value %v is not in the vocabulary: with num_oov_indices 0 every input must be, as Keras requires; set num_oov_indices to 1 to give unknown values an index", v)
}

// ValidValue is 0, or without OOV indices the first token.
func (l *IntegerLookup) ValidValue() float32 {
	if l.Invert || l.numOOV() > 0 || len(l.tokens) == 0 {
		return 0
	}
	return float32(l.tokens[0])
}

// Settled reports whether the layer has a vocabulary (given, learned, or
// from a model file): a model's Adapt then keeps it.
func (l *IntegerLookup) Settled() bool { return l.Vocabulary != nil }

// Backward is zero: the lookup is piecewise constant in the input.
func (l *IntegerLookup) Backward(dy *tensor.Tensor) *tensor.Tensor { return l.enc.backward(dy) }

// Adapt learns the vocabulary (and for "tf_idf" the IDF weights) from x,
// as Keras's adapt; see IntegerLookup.
func (l *IntegerLookup) Adapt(x *tensor.Tensor) error {
	if l.Vocabulary != nil && !l.learned {
		return fmt.Errorf("nn: IntegerLookup: the layer was given its vocabulary (or read it from a file), and Keras refuses to adapt such a layer; make one without a vocabulary to learn it")
	}
	if len(x.Data) == 0 {
		return fmt.Errorf("nn: IntegerLookup: cannot adapt to empty data")
	}
	rows := x.Shape[0]
	if l.mode() == "tf_idf" && len(x.Shape) != 2 {
		return fmt.Errorf("nn: IntegerLookup: \"tf_idf\" adapts to (documents, tokens) data, not shape %v", x.Shape)
	}
	counts := map[int64]int64{}
	docs := map[int64]int64{}
	width := len(x.Data) / max(rows, 1)
	for r := range rows {
		for _, v := range x.Data[r*width : (r+1)*width] {
			t, ok := toInt(v)
			if !ok || t > maxExactInt || t < -maxExactInt {
				return fmt.Errorf("nn: IntegerLookup: adapt value %v is not an integer within ±2^24", v)
			}
			counts[t]++
		}
		if l.mode() == "tf_idf" {
			seen := map[int64]bool{}
			for _, v := range x.Data[r*width : (r+1)*width] {
				t, _ := toInt(v)
				if !seen[t] {
					seen[t] = true
					docs[t]++
				}
			}
		}
	}
	if l.MaskToken != nil {
		delete(counts, *l.MaskToken)
	}
	delete(counts, l.oovToken())
	tokens := make([]int64, 0, len(counts))
	for t := range counts {
		tokens = append(tokens, t)
	}
	// lexsort((tokens, counts))[::-1]: by count, then token, both falling.
	slices.SortFunc(tokens, func(a, b int64) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(b, a)
	})
	if l.MaxTokens > 0 {
		tokens = tokens[:min(len(tokens), max(l.MaxTokens-l.tokenStart(), 0))]
	}
	if len(tokens) == 0 {
		return fmt.Errorf("nn: IntegerLookup: the adapt data has no tokens besides the mask and OOV tokens")
	}
	old := *l
	l.Vocabulary, l.IDFWeights, l.learned = tokens, nil, true
	if l.mode() == "tf_idf" {
		// _inverse_document_frequency in float64, cast to float32; the
		// special indices get the mean, written in front of the
		// vocabulary with the special tokens so that a reload keeps it.
		idf := make([]float32, len(tokens))
		var sum float32
		for i, t := range tokens {
			idf[i] = float32(math.Log(1 + float64(rows)/float64(1+docs[t])))
			sum += idf[i]
		}
		mean := sum / float32(len(idf))
		specials := make([]int64, 0, l.tokenStart())
		for range l.oovStart() {
			specials = append(specials, *l.MaskToken)
		}
		for range l.numOOV() {
			specials = append(specials, l.oovToken())
		}
		l.Vocabulary = append(specials, tokens...)
		for range specials {
			l.IDFWeights = append(l.IDFWeights, float64(mean))
		}
		for _, w := range idf {
			l.IDFWeights = append(l.IDFWeights, float64(w))
		}
	}
	in := l.enc.in
	t, err := l.tables()
	if err != nil {
		*l = old
		return fmt.Errorf("nn: IntegerLookup: %w", err)
	}
	l.tokens, l.index, l.idf = t.tokens, t.index, t.idf
	if in != nil {
		if l.mode() != modeInt && !l.PadToMaxTokens && l.depth(len(t.tokens)) != old.enc.depth {
			*l = old
			return fmt.Errorf("nn: IntegerLookup: the learned vocabulary has %d indices, but the %q output was built %d wide; adapt the layer (layer.Adapt) before calling it in a model, or set MaxTokens with PadToMaxTokens", l.tokenStart()+len(tokens), l.mode(), old.enc.depth)
		}
		if err := l.Build(in, nil); err != nil {
			*l = old
			return fmt.Errorf("nn: IntegerLookup: %w", err)
		}
	}
	return nil
}
