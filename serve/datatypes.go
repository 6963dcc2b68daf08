package serve

// Integer input datatypes of the KServe V2 protocol: a model whose
// InputLayer declares an integer dtype (the categories of a Keras tabular
// model) takes that input as the V2 datatype for it, or as FP32. The
// datatype names and their binary element sizes are the protocol's
// (kserve/open-inference-protocol, "Tensor Data Types"); gRPC carries
// INT8-INT32 in int_contents, INT64 in int64_contents, UINT8-UINT32 in
// uint_contents and UINT64 in uint64_contents.

import (
	"encoding/binary"
	"math"

	"github.com/gokeras/gokeras/serve/inferencepb"
)

// v2Types maps Keras's integer dtypes to V2 datatypes and their sizes in
// bytes. BOOL is left out: JSON carries it as true/false, which gokeras's
// tensor parser refuses, and a Keras boolean input is rare.
var v2Types = map[string]struct {
	name string
	size int
}{
	"int8": {"INT8", 1}, "int16": {"INT16", 2}, "int32": {"INT32", 4}, "int64": {"INT64", 8},
	"uint8": {"UINT8", 1}, "uint16": {"UINT16", 2}, "uint32": {"UINT32", 4}, "uint64": {"UINT64", 8},
}

// v2Type is the V2 datatype of an input declared with Keras dtype dt.
func v2Type(dt string) string {
	if t, ok := v2Types[dt]; ok {
		return t.name
	}
	return "FP32"
}

// v2Size is the size in bytes of one element of a V2 datatype.
func v2Size(datatype string) int {
	for _, t := range v2Types {
		if t.name == datatype {
			return t.size
		}
	}
	return 4
}

// maxExact bounds the integers an input may carry: gokeras carries inputs
// as float32, which holds every integer up to 2^24 exactly.
const maxExact = 1 << 24

// checkInt refuses a value of an integer input that is not an integer
// float32 holds exactly.
func checkInt(where string, i int, v float64) error {
	if v != math.Trunc(v) || math.Abs(v) > maxExact {
		return badRequest("%s: element %d is %v; an integer input takes whole numbers within ±2^24 (gokeras carries inputs as float32)", where, i, v)
	}
	return nil
}

// readInts decodes little-endian integers of datatype from b into dst.
func readInts(dst []float32, b []byte, datatype, where string) error {
	size := v2Size(datatype)
	if len(b) != size*len(dst) {
		return badRequest("%s: %d bytes; its shape needs %d %s values, %d bytes", where, len(b), len(dst), datatype, size*len(dst))
	}
	for i := range dst {
		e := b[size*i:]
		var v float64
		switch datatype {
		case "INT8":
			v = float64(int8(e[0]))
		case "UINT8":
			v = float64(e[0])
		case "INT16":
			v = float64(int16(binary.LittleEndian.Uint16(e)))
		case "UINT16":
			v = float64(binary.LittleEndian.Uint16(e))
		case "INT32":
			v = float64(int32(binary.LittleEndian.Uint32(e)))
		case "UINT32":
			v = float64(binary.LittleEndian.Uint32(e))
		case "INT64":
			v = float64(int64(binary.LittleEndian.Uint64(e)))
		case "UINT64":
			v = float64(binary.LittleEndian.Uint64(e))
		}
		if err := checkInt(where, i, v); err != nil {
			return err
		}
		dst[i] = float32(v)
	}
	return nil
}

// readTyped decodes a binary tensor of datatype (FP32 or an integer type).
func readTyped(dst []float32, b []byte, datatype, where string) error {
	if datatype == "FP32" {
		return readFP32(dst, b, where)
	}
	return readInts(dst, b, datatype, where)
}

// intContents returns the gRPC contents field an integer datatype's
// values go in, as float64s, and the field's name.
func intContents(c *inferencepb.InferTensorContents, datatype string) ([]float64, string) {
	var out []float64
	switch datatype {
	case "INT8", "INT16", "INT32":
		for _, v := range c.IntContents {
			out = append(out, float64(v))
		}
		return out, "int_contents"
	case "INT64":
		for _, v := range c.Int64Contents {
			out = append(out, float64(v))
		}
		return out, "int64_contents"
	case "UINT8", "UINT16", "UINT32":
		for _, v := range c.UintContents {
			out = append(out, float64(v))
		}
		return out, "uint_contents"
	default: // UINT64
		for _, v := range c.Uint64Contents {
			out = append(out, float64(v))
		}
		return out, "uint64_contents"
	}
}
