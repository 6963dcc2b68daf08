package nn_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// kerasHashingRef transcribes hashing.py's _hash_values_to_bins for
// numbers, with TensorFlow's hashes taken from the C++ libraries
// TensorFlow links: FarmHash's util::Fingerprint64 (Debian's libfarmhash0)
// for to_hash_bucket_fast, and HighwayHash's SipHash (libhighwayhash0,
// SipHashC) for to_hash_bucket_strong.
const kerasHashingRef = `
import ctypes, json, sys
import numpy as np

try:
    farm = ctypes.CDLL("libfarmhash.so.0")
    sip = ctypes.CDLL("libhighwayhash.so.0")
except OSError as e:
    print(json.dumps({"skip": str(e)}))
    sys.exit(0)
fp64 = farm._ZN4util13Fingerprint64EPKcm
fp64.argtypes, fp64.restype = [ctypes.c_char_p, ctypes.c_size_t], ctypes.c_uint64
sipc = sip.SipHashC
sipc.argtypes, sipc.restype = [ctypes.POINTER(ctypes.c_uint64), ctypes.c_char_p, ctypes.c_uint64], ctypes.c_uint64

out = []
for c in json.load(sys.stdin):
    values = np.array(c["x"], dtype="float32")
    bins, mask, salt = c["num_bins"], c["mask"], c["salt"]
    hash_bins = bins
    masked = np.zeros(values.shape, dtype=bool)
    if mask is not None and hash_bins > 1:
        hash_bins -= 1
        masked = values == mask
    ints = values.astype("int64")  # tf.cast truncates
    res = []
    for v, m in zip(ints, masked):
        s = str(int(v)).encode()
        if salt is not None:
            key = (ctypes.c_uint64 * 2)(salt[0] % 2**64, salt[1] % 2**64)
            h = sipc(key, s, len(s))
        else:
            h = fp64(s, len(s))
        b = h % hash_bins
        if mask is not None and bins > 1:
            b = 0 if m else b + 1
        res.append(int(b))
    out.append(res)
json.dump({"bins": out}, sys.stdout)
`

// TestHashingMatchesTensorFlowHashes: the bins of integers, negative
// numbers, fractions (truncated), large values and masked ones, with
// FarmHash and with two salts, against the C++ hashes TensorFlow uses.
func TestHashingMatchesTensorFlowHashes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := []float32{0, 1, -1, 2.9, -2.9, 7, 1e6, -123456, 16777216, 3e9, -5e18}
	for range 40 {
		x = append(x, float32(r.IntN(2000)-1000))
	}
	type tcase struct {
		X       []float32 `json:"x"`
		NumBins int       `json:"num_bins"`
		Mask    *int64    `json:"mask"`
		Salt    []uint64  `json:"salt"`
	}
	cases := []tcase{{x, 3, nil, nil}, {x, 1000, nil, nil}, {x, 5, new(int64(7)), nil}, {x, 1, new(int64(7)), nil},
		{x, 17, nil, []uint64{133, 137}}, {x, 4, new(int64(-1)), []uint64{1 << 62, 5}}}
	var want struct {
		Bins [][]int64 `json:"bins"`
		Skip string    `json:"skip"`
	}
	pyref.Run(t, kerasHashingRef, cases, &want, "numpy")
	if want.Skip != "" {
		t.Skipf("no C++ reference hashes (apt-get install libfarmhash0 libhighwayhash0): %s", want.Skip)
	}
	for i, c := range cases {
		l := &nn.Hashing{NumBins: c.NumBins, MaskValue: c.Mask}
		if c.Salt != nil {
			l.Salt = &[2]int64{int64(c.Salt[0]), int64(c.Salt[1])}
		}
		y := runEncoding(t, l, fromSlice(c.X, len(c.X), 1))
		for j, b := range want.Bins[i] {
			if int64(y.Data[j]) != b {
				t.Fatalf("case %d: value %v is in bin %v, want %d", i, c.X[j], y.Data[j], b)
			}
		}
	}
}

// TestHashingEncodings: the bins through one_hot, multi_hot and count; a
// zero gradient; no allocation per step; config round trip; refusals.
func TestHashingEncodings(t *testing.T) {
	x := fromSlice([]float32{1, 2, 3, 1, 9, 4}, 2, 3)
	ints := runEncoding(t, &nn.Hashing{NumBins: 6}, x)
	count := runEncoding(t, &nn.Hashing{NumBins: 6, OutputMode: "count"}, x)
	for r := range 2 {
		for j := range 3 {
			// each row's count is one more for each of its values' bins
			b := int(ints.Data[r*3+j])
			if count.Data[r*6+b] < 1 {
				t.Fatalf("row %d: value %v's bin %d not counted: %v", r, x.Data[r*3+j], b, count.Data[r*6:r*6+6])
			}
		}
		var sum float32
		for _, v := range count.Data[r*6 : r*6+6] {
			sum += v
		}
		if sum != 3 {
			t.Fatalf("row %d counts %v", r, count.Data[r*6:r*6+6])
		}
	}
	halves := func(r *rand.Rand, x []float32) {
		for i := range x {
			x[i] = float32(r.IntN(50)) + 0.5
		}
	}
	for _, mode := range []string{"int", "one_hot", "multi_hot", "count"} {
		nntest.CheckGradients(t, &nn.Hashing{NumBins: 4, OutputMode: mode}, tensor.Shape{3}, nntest.GradOptions{Input: halves})
	}
	l := &nn.Hashing{NumBins: 8, OutputMode: "multi_hot", Salt: &[2]int64{3, -4}}
	runEncoding(t, l, x)
	if a := testing.AllocsPerRun(10, func() { l.Backward(l.Forward(x, true)) }); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
	cfg := nn.LayerConfig(&nn.Hashing{Name: "h", NumBins: 5, MaskValue: new(int64(0)), Salt: &[2]int64{1, 2}, OutputMode: "one_hot"})
	raw, _ := json.Marshal(cfg)
	var decoded map[string]any
	json.Unmarshal(raw, &decoded)
	back, err := nn.FromConfig("Hashing", decoded)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(nn.LayerConfig(back)); string(again) != string(raw) {
		t.Errorf("config after the round trip\n got %s\nwant %s", again, raw)
	}
	// Keras's single-integer salt is the pair (s, s); int64 dtype as Keras sets it.
	one, err := nn.FromConfig("Hashing", map[string]any{"num_bins": 3.0, "salt": 7.0, "dtype": "int64"})
	if err != nil || *one.(*nn.Hashing).Salt != [2]int64{7, 7} {
		t.Errorf("salt 7: %v, %v", one, err)
	}
	for _, bad := range []map[string]any{{}, {"num_bins": 3.0, "salt": []any{1.0}}, {"num_bins": 3.0, "mask_value": ""}, {"num_bins": 3.0, "sparse": true}} {
		if _, err := nn.FromConfig("Hashing", bad); err == nil {
			t.Errorf("config %v accepted", bad)
		}
	}
	for _, c := range []struct {
		l    *nn.Hashing
		want string
	}{{&nn.Hashing{}, "num_bins is 0"}, {&nn.Hashing{NumBins: 1 << 25}, "2^24"}, {&nn.Hashing{NumBins: 2, OutputMode: "tf_idf"}, "not one of"}} {
		if err := c.l.Build(tensor.Shape{2}, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.l, err)
		}
	}
	if got := (&nn.Hashing{NumBins: 9}).HashBin(float32(math.NaN())); got < 0 || got >= 9 {
		t.Errorf("NaN's bin %d", got)
	}
}
