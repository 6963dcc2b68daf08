package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// TestIntegerLookupKerasExamples: every example in Keras's IntegerLookup
// docstring (integer_lookup.py), with its documented output.
func TestIntegerLookupKerasExamples(t *testing.T) {
	vocab := []int64{12, 36, 1138, 42}
	data := fromSlice([]float32{12, 1138, 42, 42, 1000, 36}, 2, 3)
	sameValues(t, "known vocabulary", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab}, data), []int{2, 3}, []float32{1, 3, 4, 4, 0, 2})

	adapted := &nn.IntegerLookup{}
	if err := adapted.Adapt(data); err != nil {
		t.Fatal(err)
	}
	if want := []int64{42, 1138, 1000, 36, 12}; !slices.Equal(adapted.Vocabulary, want) { // get_vocabulary without the OOV token -1
		t.Errorf("adapted vocabulary %v, want %v", adapted.Vocabulary, want)
	}
	sameValues(t, "adapted", runEncoding(t, adapted, data), []int{2, 3}, []float32{5, 2, 1, 1, 3, 4})

	two := fromSlice([]float32{12, 1138, 42, 37, 1000, 36}, 2, 3)
	sameValues(t, "two OOV indices", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, NumOOVIndices: new(2)}, two), []int{2, 3}, []float32{2, 4, 5, 1, 0, 3})

	column := fromSlice([]float32{12, 36, 1138, 42, 7}, 5, 1)
	sameValues(t, "one_hot", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, OutputMode: "one_hot"}, column), []int{5, 5},
		[]float32{0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0})

	rows := fromSlice([]float32{12, 1138, 42, 42, 42, 7, 36, 7}, 2, 4)
	sameValues(t, "multi_hot", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, OutputMode: "multi_hot"}, rows), []int{2, 5},
		[]float32{0, 1, 0, 1, 1, 1, 0, 1, 0, 1})
	sameValues(t, "count", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, OutputMode: "count"}, rows), []int{2, 5},
		[]float32{0, 1, 0, 1, 2, 2, 0, 1, 0, 1})

	tfidf := runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, OutputMode: "tf_idf", IDFWeights: []float64{0.25, 0.75, 0.6, 0.4}}, rows)
	closeValues(t, "tf_idf", tfidf, []float32{0, 0.25, 0, 0.6, 0.8, 1.0, 0, 0.75, 0, 0.4})
	tfidfOOV := runEncoding(t, &nn.IntegerLookup{Vocabulary: append([]int64{-1}, vocab...), OutputMode: "tf_idf",
		IDFWeights: []float64{0.9, 0.25, 0.75, 0.6, 0.4}}, rows)
	closeValues(t, "tf_idf with the OOV weight", tfidfOOV, []float32{0, 0.25, 0, 0.6, 0.8, 1.8, 0, 0.75, 0, 0.4})

	indices := fromSlice([]float32{1, 3, 4, 4, 0, 2}, 2, 3)
	sameValues(t, "invert", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, Invert: true}, indices), []int{2, 3}, []float32{12, 1138, 42, 42, -1, 36})

	// Forward and inverse pairs: get_vocabulary's list (with the OOV token).
	fwd := runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab}, data)
	back := runEncoding(t, &nn.IntegerLookup{Vocabulary: append([]int64{-1}, vocab...), Invert: true}, fwd)
	sameValues(t, "forward then inverse", back, []int{2, 3}, []float32{12, 1138, 42, 42, -1, 36})
}

func closeValues(t *testing.T, what string, got *tensor.Tensor, want []float32) {
	t.Helper()
	for i, v := range want {
		if math.Abs(float64(got.Data[i]-v)) > 1e-6 {
			t.Fatalf("%s: got %v, want %v", what, got.Data, want)
		}
	}
}

// TestIntegerLookupMask: the mask token is index 0 in "int" mode (the OOV
// index moves to 1) and is dropped from the other encodings; inverted,
// index 0 gives the mask back.
func TestIntegerLookupMask(t *testing.T) {
	vocab := []int64{5, 6}
	x := fromSlice([]float32{0, 5, 6, 9}, 1, 4)
	sameValues(t, "int", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, MaskToken: new(int64(0))}, x), []int{1, 4}, []float32{0, 2, 3, 1})
	sameValues(t, "multi_hot", runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, MaskToken: new(int64(0)), OutputMode: "count"}, x), []int{1, 3}, []float32{1, 1, 1})
	inv := runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, MaskToken: new(int64(0)), Invert: true, OOVToken: new(int64(-7))}, fromSlice([]float32{0, 1, 2, 3, 4}, 1, 5))
	sameValues(t, "invert", inv, []int{1, 5}, []float32{0, -7, 5, 6, -7})
	// get_vocabulary's list with the mask and OOV tokens in front.
	lead := runEncoding(t, &nn.IntegerLookup{Vocabulary: []int64{0, -1, 5, 6}, MaskToken: new(int64(0))}, x)
	sameValues(t, "vocabulary with the special tokens", lead, []int{1, 4}, []float32{0, 2, 3, 1})
	// No OOV index: an unknown value is -1 (Keras raises an error).
	none := runEncoding(t, &nn.IntegerLookup{Vocabulary: vocab, NumOOVIndices: new(0)}, x)
	sameValues(t, "no OOV index", none, []int{1, 4}, []float32{-1, 0, 1, -1})
}

// kerasIntegerLookupNumPy transcribes index_lookup.py's adapt
// (update_state, finalize_state, _inverse_document_frequency) and call for
// integers in NumPy.
const kerasIntegerLookupNumPy = `
import json, sys
import numpy as np

out = []
for c in json.load(sys.stdin):
    x = np.array(c["x"], dtype="int64").reshape(c["shape"])
    mask, oov, num_oov, mode, max_tokens = c["mask"], -1, c["num_oov"], c["mode"], c["max_tokens"]
    tokens, counts = np.unique(x.reshape(-1), return_counts=True)
    keep = [t != oov and (mask is None or t != mask) for t in tokens]
    tokens, counts = tokens[keep], counts[keep]
    order = np.lexsort((tokens, counts))[::-1]
    oov_start = 1 if mask is not None and mode == "int" else 0
    token_start = oov_start + num_oov
    if max_tokens:
        order = order[: max_tokens - token_start]
    vocab = tokens[order]
    index = {int(t): token_start + i for i, t in enumerate(vocab)}
    def look(t):
        if mask is not None and t == mask:
            return 0 if mode == "int" else -1
        if t in index:
            return index[t]
        if num_oov == 0:
            return -1
        if num_oov == 1:
            return oov_start
        return oov_start + int(np.mod(t, num_oov))
    idx = np.vectorize(look)(x)
    depth = token_start + len(vocab)
    res = {"vocab": vocab.tolist()}
    if mode == "int":
        y = idx.astype("float32")
    else:
        y = np.zeros((x.shape[0], depth), dtype="float32")
        for r in range(x.shape[0]):
            for k in idx[r]:
                if k >= 0:
                    y[r, k] += 1
        if mode == "multi_hot":
            y = np.minimum(y, 1)
        if mode == "tf_idf":
            docs = np.array([sum(1 for row in x if t in row) for t in vocab], dtype="int64")
            idf = np.log(1 + x.shape[0] / (1 + docs)).astype("float32")
            idf = np.concatenate([np.full(token_start, idf.mean(), dtype="float32"), idf])
            y = y * idf
            res["idf"] = idf.tolist()
    res["y"] = y.reshape(-1).tolist()
    out.append(res)
json.dump(out, sys.stdout)
`

// TestIntegerLookupMatchesNumPy: adapted vocabularies (frequency order,
// ties, max_tokens, mask and OOV tokens left out), several OOV indices and
// every mode against the NumPy transcription.
func TestIntegerLookupMatchesNumPy(t *testing.T) {
	type tcase struct {
		X         []float32 `json:"x"`
		Shape     []int     `json:"shape"`
		Mask      *int64    `json:"mask"`
		NumOOV    int       `json:"num_oov"`
		Mode      string    `json:"mode"`
		MaxTokens int       `json:"max_tokens"`
	}
	r := rand.New(rand.NewPCG(8, 9))
	draw := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(12) - 2) // -2..9: the OOV token -1 and ties
		}
		return x
	}
	var cases []tcase
	for _, mode := range []string{"int", "one_hot", "multi_hot", "count", "tf_idf"} {
		shape := []int{30, 4}
		if mode == "one_hot" {
			shape = []int{120, 1}
		}
		cases = append(cases,
			tcase{draw(120), shape, nil, 1, mode, 0},
			tcase{draw(120), shape, new(int64(3)), 1, mode, 0},
			tcase{draw(120), shape, nil, 3, mode, 6},
			tcase{draw(120), shape, new(int64(0)), 2, mode, 7})
	}
	var want []struct {
		Vocab []int64   `json:"vocab"`
		Y     []float32 `json:"y"`
		IDF   []float32 `json:"idf"`
	}
	pyref.Run(t, kerasIntegerLookupNumPy, cases, &want, "numpy")
	for i, c := range cases {
		l := &nn.IntegerLookup{MaskToken: c.Mask, NumOOVIndices: new(c.NumOOV), OutputMode: c.Mode, MaxTokens: c.MaxTokens}
		x := fromSlice(c.X, c.Shape...)
		if err := l.Adapt(x); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		tokens := l.Vocabulary
		if c.Mode == "tf_idf" { // learned with the special tokens in front
			tokens = tokens[len(tokens)-len(want[i].Vocab):]
		}
		if !slices.Equal(tokens, want[i].Vocab) {
			t.Fatalf("case %d (%s): vocabulary %v, want %v", i, c.Mode, tokens, want[i].Vocab)
		}
		got := runEncoding(t, l, x)
		for j, v := range want[i].Y {
			if math.Abs(float64(got.Data[j]-v)) > 1e-6*math.Max(1, math.Abs(float64(v))) {
				t.Fatalf("case %d (%s): value %d is %v, want %v", i, c.Mode, j, got.Data[j], v)
			}
		}
	}
}

// TestIntegerLookupGradient: the lookup is piecewise constant.
func TestIntegerLookupGradient(t *testing.T) {
	halves := func(r *rand.Rand, x []float32) {
		for i := range x {
			x[i] = float32(r.IntN(6)) + 0.5
		}
	}
	for _, mode := range []string{"int", "one_hot", "multi_hot", "count", "tf_idf"} {
		l := &nn.IntegerLookup{Vocabulary: []int64{1, 2, 3}, OutputMode: mode}
		if mode == "tf_idf" {
			l.IDFWeights = []float64{0.5, 1, 2}
		}
		nntest.CheckGradients(t, l, tensor.Shape{3}, nntest.GradOptions{Input: halves})
	}
}

// TestIntegerLookupRefusals: Keras's rules and gokeras's limits, each with
// what to change.
func TestIntegerLookupRefusals(t *testing.T) {
	for _, c := range []struct {
		l    *nn.IntegerLookup
		want string
	}{
		{&nn.IntegerLookup{Vocabulary: []int64{1, 2, 1}}, "repeated"},
		{&nn.IntegerLookup{Vocabulary: []int64{}}, "empty"},
		{&nn.IntegerLookup{Vocabulary: []int64{1 << 30}}, "2^24"},
		{&nn.IntegerLookup{Vocabulary: []int64{1, 0}, MaskToken: new(int64(0))}, "mask token 0 is in the vocabulary"},
		{&nn.IntegerLookup{Vocabulary: []int64{1, -1}, Invert: true}, "OOV token -1"},
		{&nn.IntegerLookup{Vocabulary: []int64{1, 2, 3}, MaxTokens: 3}, "more than max_tokens 3"},
		{&nn.IntegerLookup{MaxTokens: 1}, "more than 1"},
		{&nn.IntegerLookup{PadToMaxTokens: true}, "needs max_tokens"},
		{&nn.IntegerLookup{NumOOVIndices: new(-1)}, "num_oov_indices is -1"},
		{&nn.IntegerLookup{Invert: true, OutputMode: "count"}, "invert needs"},
		{&nn.IntegerLookup{OutputMode: "one_hot"}, "layer.Adapt(data)"},
		{&nn.IntegerLookup{Vocabulary: []int64{1}, OutputMode: "tf_idf"}, "needs idf_weights"},
		{&nn.IntegerLookup{Vocabulary: []int64{1}, OutputMode: "tf_idf", IDFWeights: []float64{1, 2}}, "one per entry"},
		{&nn.IntegerLookup{Vocabulary: []int64{1}, IDFWeights: []float64{1}}, "only for output_mode"},
		{&nn.IntegerLookup{Vocabulary: []int64{1}, OutputMode: "tf_idf", IDFWeights: []float64{math.NaN()}}, "not finite"},
	} {
		if err := c.l.Build(tensor.Shape{2}, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want it to say %q", c.l, err, c.want)
		}
	}
	// A model built with an adapted width cannot change it by adapting again.
	l := &nn.IntegerLookup{OutputMode: "multi_hot"}
	if err := l.Adapt(fromSlice([]float32{1, 2, 3}, 1, 3)); err != nil {
		t.Fatal(err)
	}
	runEncoding(t, l, tensor.New(1, 3))
	if err := l.Adapt(fromSlice([]float32{1, 2, 3, 4}, 1, 4)); err == nil || !strings.Contains(err.Error(), "built 4 wide") {
		t.Errorf("re-adapting to a wider vocabulary: err = %v", err)
	}
	if len(l.Vocabulary) != 3 {
		t.Errorf("a failed Adapt changed the vocabulary to %v", l.Vocabulary)
	}
	if err := l.Adapt(fromSlice([]float32{float32(math.NaN())}, 1, 1)); err == nil {
		t.Error("adapting to NaN was accepted")
	}
	// A given vocabulary is not adapted, as in Keras.
	given := &nn.IntegerLookup{Vocabulary: []int64{7}}
	if err := given.Adapt(fromSlice([]float32{1, 2}, 1, 2)); err == nil || !strings.Contains(err.Error(), "refuses to adapt") || !slices.Equal(given.Vocabulary, []int64{7}) {
		t.Errorf("Adapt on a given vocabulary: %v, vocabulary %v", err, given.Vocabulary)
	}
}

// TestIntegerLookupConfig: the config Keras writes loads, and a layer's
// config (learned tf_idf weights included) goes through JSON unchanged and
// encodes the same.
func TestIntegerLookupConfig(t *testing.T) {
	keras := map[string]any{"name": "lookup", "trainable": true,
		"dtype":  map[string]any{"module": "keras", "class_name": "DTypePolicy", "config": map[string]any{"name": "int64"}, "registered_name": nil},
		"invert": false, "max_tokens": nil, "num_oov_indices": 1.0, "oov_token": -1.0, "mask_token": nil, "output_mode": "one_hot",
		"sparse": false, "pad_to_max_tokens": false, "vocabulary_dtype": "int64", "idf_weights": nil,
		"vocabulary": []any{12.0, 36.0}, "vocabulary_size": 3.0}
	l, err := nn.FromConfig("IntegerLookup", keras)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, "from Keras's config", runEncoding(t, l, fromSlice([]float32{36, 5}, 2, 1)), []int{2, 3}, []float32{0, 0, 1, 1, 0, 0})
	for _, bad := range []map[string]any{{"num_oov_indices": 1.5}, {"mask_token": "x"}, {"vocabulary": []any{1.5}}, {"vocabulary_dtype": "string"}, {"sparse": true}} {
		if _, err := nn.FromConfig("IntegerLookup", bad); err == nil {
			t.Errorf("config %v was accepted", bad)
		}
	}

	tf := &nn.IntegerLookup{Name: "words", OutputMode: "tf_idf", MaskToken: new(int64(0)), MaxTokens: 8, PadToMaxTokens: true}
	x := fromSlice([]float32{1, 2, 2, 0, 3, 1, 1, 4, 5}, 3, 3)
	if err := tf.Adapt(x); err != nil {
		t.Fatal(err)
	}
	y := runEncoding(t, tf, x)
	raw, _ := json.Marshal(nn.LayerConfig(tf))
	var decoded map[string]any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	back, err := nn.FromConfig("IntegerLookup", decoded)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	again, _ := json.Marshal(nn.LayerConfig(back))
	if string(again) != string(raw) {
		t.Errorf("config after the round trip\n got %s\nwant %s", again, raw)
	}
	sameValues(t, "reloaded tf_idf", runEncoding(t, back, x), y.Shape, y.Data)
}
