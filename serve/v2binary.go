package serve

import (
	"encoding/binary"
	"math"
	"net/http"
	"strconv"
)

// The V2 protocol's binary tensor data extension (Triton's
// docs/protocol/extension_binary_data.md; KServe's "Binary Tensor Data
// Extension" page says the same): the request body is a JSON object of
// Inference-Header-Content-Length bytes followed by the tensors' raw
// bytes, little-endian, row-major, without padding, in the order of the
// inputs whose parameters give "binary_data_size". An output comes back
// the same way when its parameters say "binary_data": true, or for every
// output when the request's parameters say "binary_data_output": true;
// the response then carries Inference-Header-Content-Length too and each
// such output's "binary_data_size" instead of "data".
//
// It exists for speed: a JSON array costs a number parse per element
// (most of the server's CPU in the load test, BENCHMARKS.md), the raw
// bytes a copy.

// headerLength is the extension's request and response header.
const headerLength = "Inference-Header-Content-Length"

// splitBinary splits body at the request's Inference-Header-Content-Length,
// when it has one: the JSON part and the binary part (nil without the
// header).
func splitBinary(r *http.Request, body []byte) (js, bin []byte, err error) {
	v := r.Header.Get(headerLength)
	if v == "" {
		return body, nil, nil
	}
	n, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || n < 0 || n > int64(len(body)) {
		return nil, nil, badRequest("%s: %q is not a length within the body's %d bytes; give the length of the JSON part in bytes", headerLength, v, len(body))
	}
	return body[:n], body[n:], nil
}

// paramInt reads an integer parameter; ok is false when it is absent.
func paramInt(where, key string, p map[string]any) (n int64, ok bool, err error) {
	v, ok := p[key]
	if !ok {
		return 0, false, nil
	}
	f, isNum := v.(float64)
	if !isNum || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false, badRequest("%s: parameter %q is %v; it takes a byte count, a whole number", where, key, v)
	}
	return int64(f), true, nil
}

// paramBool reads a boolean parameter, false when absent.
func paramBool(where, key string, p map[string]any) (bool, error) {
	v, ok := p[key]
	if !ok {
		return false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, badRequest("%s: parameter %q is %v; it takes true or false", where, key, v)
	}
	return b, nil
}

// readFP32 decodes count little-endian float32 values from b into dst,
// refusing NaN and infinities as the JSON path does (JSON has no way to
// write them).
func readFP32(dst []float32, b []byte, what string) error {
	if len(b) != 4*len(dst) {
		return badRequest("%s: binary_data_size is %d bytes; its shape needs %d FP32 values, %d bytes", what, len(b), len(dst), 4*len(dst))
	}
	b = b[:4*len(dst)]
	for i := range dst {
		// An all-ones exponent is NaN or ±Inf (IEEE 754 binary32).
		u := binary.LittleEndian.Uint32(b[4*i:])
		if u&0x7f800000 == 0x7f800000 {
			return badRequest("%s: element %d is %v; inputs must be finite", what, i, math.Float32frombits(u))
		}
		dst[i] = math.Float32frombits(u)
	}
	return nil
}

// appendFP32 appends data as little-endian float32 bytes.
func appendFP32(b []byte, data []float32) []byte {
	for _, v := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// checkBinaryParams refuses the extension's parameters where they do not
// belong: binary_data_size goes on inputs, binary_data on outputs,
// binary_data_output on the request; allowed is the one p may hold.
func checkBinaryParams(where string, p map[string]any, allowed string) error {
	for _, k := range []string{"binary_data", "binary_data_output", "binary_data_size"} {
		if _, ok := p[k]; ok && k != allowed {
			return badRequest("%s: parameter %q does not belong here (the binary tensor data extension puts binary_data_size on inputs, binary_data on outputs, binary_data_output on the request)", where, k)
		}
	}
	return nil
}

// errBinaryLeft reports bytes after the last binary input.
func errBinaryLeft(n int) error {
	return badRequest("%d bytes follow the last binary input; %s must be the JSON part's length and the binary_data_size values must add up to the rest", n, headerLength)
}
