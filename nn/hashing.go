package nn

// Hashing, as Keras 3's keras.layers.Hashing
// (keras/src/layers/preprocessing/hashing.py), for numeric inputs.

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/dchest/siphash"
	farm "github.com/dgryski/go-farm"

	"github.com/gokeras/gokeras/tensor"
)

// Hashing puts each value into one of NumBins bins by a hash, as Keras's
// Hashing does for numbers: the value is cast to int64 (truncated; NaN
// and values int64 cannot hold become -2^63, as the x86 conversion
// TensorFlow runs gives them), written in decimal, and hashed with
// FarmHash's Fingerprint64 (TensorFlow's to_hash_bucket_fast), or with
// SipHash-2-4 keyed by Salt (to_hash_bucket_strong, TensorFlow's
// StrongKeyedHash); the bin is the hash modulo the bins. With MaskValue
// bin 0 is kept for the values equal to it and the others go to 1..NumBins-1.
// The bins are encoded by OutputMode as catEncoder describes ("int", Keras's
// default, "one_hot", "multi_hot" or "count"). The hashes come from the
// ecosystem's libraries (github.com/dgryski/go-farm, github.com/dchest/
// siphash) and are checked against Google's C++ FarmHash and HighwayHash's
// SipHash, the code TensorFlow links. String inputs, Keras's main use, do
// not exist in gokeras. The gradient is zero.
type Hashing struct {
	Trainability
	Name       string
	InputShape tensor.Shape // optional: declares the model input, like input_shape=
	NumBins    int          // required, positive
	MaskValue  *int64       // nil: no mask (Keras's None)
	Salt       *[2]int64    // nil: FarmHash; else SipHash-2-4 with this key
	OutputMode string       // "int" ("" too), "one_hot", "multi_hot", "count"

	enc catEncoder
	buf []byte // a value's decimal digits
}

func init() {
	// Keys as hashing.py's get_config writes them: num_bins, salt (a pair
	// or null), mask_value, output_mode, sparse, plus Layer's; Keras sets
	// dtype to int64 in "int" mode.
	register("Hashing", func(r *cfgReader) Layer {
		r.onlyValue("sparse", "gokeras tensors are dense", false)
		inputDType(r)
		if _, ok := r.Get("num_bins"); !ok {
			r.Failf(`"num_bins" is required: the number of hash bins`)
		}
		l := &Hashing{InputShape: r.inputShape(), NumBins: r.Int("num_bins", 0), OutputMode: r.Str("output_mode", modeInt)}
		if v, ok := r.Get("mask_value"); ok {
			if _, isStr := v.(string); isStr {
				r.unsupported("mask_value", v, "gokeras hashes numbers; a string mask is for string inputs")
			} else {
				l.MaskValue = r.token("mask_value")
			}
		}
		if v, ok := r.Get("salt"); ok {
			switch s := v.(type) {
			case float64:
				t := r.token("salt")
				if t != nil {
					l.Salt = &[2]int64{*t, *t}
				}
			case []any:
				ks := r.Ints("salt")
				if len(s) != 2 || len(ks) != 2 {
					r.fail("salt", v, "an integer or a pair of integers, as Keras takes it")
				} else {
					l.Salt = &[2]int64{int64(ks[0]), int64(ks[1])}
				}
			default:
				r.fail("salt", v, "an integer or a pair of integers, as Keras takes it")
			}
		}
		return l
	})
}

func (l *Hashing) LayerName() string                { return l.Name }
func (l *Hashing) SetLayerName(s string)            { l.Name = s }
func (l *Hashing) Class() string                    { return "Hashing" }
func (l *Hashing) Params() []*Param                 { return nil }
func (l *Hashing) DeclaredInputShape() tensor.Shape { return l.InputShape }

func (l *Hashing) mode() string {
	if l.OutputMode == "" {
		return modeInt
	}
	return l.OutputMode
}

func (l *Hashing) Config() map[string]any {
	m := baseConfig(l.Name, l.InputShape)
	m["num_bins"] = l.NumBins
	m["salt"] = nil
	if l.Salt != nil {
		m["salt"] = []int64{l.Salt[0], l.Salt[1]}
	}
	m["mask_value"] = nil
	if l.MaskValue != nil {
		m["mask_value"] = *l.MaskValue
	}
	m["output_mode"] = l.mode()
	m["sparse"] = false
	return m
}

func (l *Hashing) OutputShape(in tensor.Shape) (tensor.Shape, error) {
	if l.NumBins <= 0 {
		return nil, fmt.Errorf("num_bins is %d; give the number of hash bins, a positive integer", l.NumBins)
	}
	if l.NumBins > 1<<24 {
		return nil, fmt.Errorf("num_bins %d is more than 2^24: gokeras's float32 tensors hold bin numbers exactly only up to 2^24", l.NumBins)
	}
	return catOutputShape(l.mode(), l.NumBins, in)
}

func (l *Hashing) Build(in tensor.Shape, _ *rand.Rand) error {
	if _, err := l.OutputShape(in); err != nil {
		return err
	}
	return l.enc.build(l.mode(), l.NumBins, in)
}

func (l *Hashing) rebuild(in tensor.Shape) error { return l.Build(in, nil) }

// HashBin is the bin of v, as Forward computes it.
func (l *Hashing) HashBin(v float32) int64 {
	bins, masked := uint64(l.NumBins), false
	if l.MaskValue != nil && bins > 1 {
		bins--
		masked = float64(v) == float64(*l.MaskValue)
		if masked {
			return 0
		}
	}
	l.buf = strconv.AppendInt(l.buf[:0], toInt64(v), 10)
	var h uint64
	if l.Salt != nil {
		h = siphash.Hash(uint64(l.Salt[0]), uint64(l.Salt[1]), l.buf)
	} else {
		h = farm.Fingerprint64(l.buf)
	}
	bin := int64(h % bins)
	if l.MaskValue != nil && l.NumBins > 1 {
		bin++
	}
	return bin
}

func (l *Hashing) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	idx := l.enc.indices(x, l.rebuild)
	for i, v := range x.Data {
		idx[i] = int32(l.HashBin(v))
	}
	return l.enc.encode(x)
}

// Backward is zero: the bins are piecewise constant in the input.
func (l *Hashing) Backward(dy *tensor.Tensor) *tensor.Tensor { return l.enc.backward(dy) }
