package serve

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// parseTensor reads a JSON tensor: a number, or nested arrays of numbers
// (the KServe V2 "data" field, in natural or flattened form, and TF
// Serving's row and columnar tensors). It returns the elements in
// row-major order and the shape of the nesting, and refuses ragged
// nesting, non-numbers and values that are not finite as float32 (NaN,
// Infinity and -Infinity, which TF Serving's JSON allows, included) with a
// message naming the element. limit bounds the element count.
func parseTensor(b []byte, limit int) ([]float32, []int, error) {
	p := tensorParser{b: b, limit: limit}
	p.ws()
	if err := p.value(0); err != nil {
		return nil, nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, nil, fmt.Errorf("unexpected %s after the tensor", p.what())
	}
	if !p.leafSet {
		// Only empty arrays: [] or [[], []].
		return p.data, p.shape, nil
	}
	return p.data, p.shape[:p.leaf], nil
}

type tensorParser struct {
	b       []byte
	i       int
	limit   int
	data    []float32
	shape   []int // length of the first array at each depth
	seen    []bool
	leaf    int // depth of the numbers
	leafSet bool
}

func (p *tensorParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// what names the byte at p.i for an error message.
func (p *tensorParser) what() string {
	if p.i >= len(p.b) {
		return "end of input"
	}
	switch c := p.b[p.i]; c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return fmt.Sprintf("%q", c)
	}
}

func (p *tensorParser) value(depth int) error {
	if depth > 32 {
		return fmt.Errorf("arrays nested more than 32 deep")
	}
	if p.i < len(p.b) && p.b[p.i] == '[' {
		return p.array(depth)
	}
	if p.leafSet && p.leaf != depth {
		return fmt.Errorf("element %d is a number at depth %d, where the first was at depth %d: the nesting is ragged", len(p.data), depth, p.leaf)
	}
	if !p.leafSet {
		p.leaf, p.leafSet = depth, true
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		p.i++
	}
	// A view of the bytes, not a copy: one allocation per number was most
	// of the parser's cost (a CPU profile of the load test); p.b is not
	// written while the string is in use, and tok does not outlive this
	// call.
	tok := unsafe.String(unsafe.SliceData(p.b[start:p.i]), p.i-start)
	if tok == "" {
		return fmt.Errorf("element %d: want a number, found %s", len(p.data), p.what())
	}
	if len(p.data) >= p.limit {
		return fmt.Errorf("more than %d elements", p.limit)
	}
	switch tok {
	case "NaN", "Infinity", "-Infinity", "+Infinity":
		return fmt.Errorf("element %d is %s: inputs must be finite", len(p.data), tok)
	}
	if !isJSONNumber(tok) {
		p.i = start
		return fmt.Errorf("element %d: want a number, found %s", len(p.data), p.what())
	}
	v, err := strconv.ParseFloat(tok, 32)
	if err != nil || math.IsInf(v, 0) {
		return fmt.Errorf("element %d (%s) is out of float32's range: inputs must be finite FP32 values", len(p.data), tok)
	}
	p.data = append(p.data, float32(v))
	return nil
}

func (p *tensorParser) array(depth int) error {
	p.i++ // '['
	if len(p.shape) <= depth {
		p.shape = append(p.shape, 0)
		p.seen = append(p.seen, false)
	}
	n := 0
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
	} else {
		for {
			p.ws()
			if err := p.value(depth + 1); err != nil {
				return err
			}
			n++
			p.ws()
			if p.i >= len(p.b) {
				return fmt.Errorf("unexpected end of input inside an array")
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == ']' {
				p.i++
				break
			}
			return fmt.Errorf("want ',' or ']' in an array, found %s", p.what())
		}
	}
	if !p.seen[depth] {
		p.shape[depth], p.seen[depth] = n, true
	} else if p.shape[depth] != n {
		return fmt.Errorf("ragged nesting: arrays at depth %d have %d and %d elements", depth+1, p.shape[depth], n)
	}
	if n == 0 && p.leafSet && p.leaf > depth {
		return fmt.Errorf("ragged nesting: an empty array at depth %d, where numbers are at depth %d", depth+1, p.leaf)
	}
	return nil
}

// isJSONNumber reports whether s is a number as JSON writes it
// (-?int frac? exp?), which strconv alone does not check (it takes "0x1p3",
// "1_000", "inf").
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendFloat writes v as the shortest decimal that reads back as the same
// float32. A value JSON cannot hold is written as TF Serving writes it
// (NaN, Infinity, -Infinity; api_rest.md, "JSON conformance").
func appendFloat(b []byte, v float32) []byte {
	switch {
	case v != v:
		return append(b, "NaN"...)
	case math.IsInf(float64(v), 1):
		return append(b, "Infinity"...)
	case math.IsInf(float64(v), -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, float64(v), 'g', -1, 32)
}

// appendFlat writes data as one JSON array.
func appendFlat(b []byte, data []float32) []byte {
	b = append(b, '[')
	for i, v := range data {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, v)
	}
	return append(b, ']')
}

// appendNested writes data (row-major, of the given shape) as nested
// arrays; an empty shape writes the single number.
func appendNested(b []byte, data []float32, shape []int) []byte {
	if len(shape) == 0 {
		return appendFloat(b, data[0])
	}
	if len(shape) == 1 {
		return appendFlat(b, data[:shape[0]])
	}
	inner := 1
	for _, d := range shape[1:] {
		inner *= d
	}
	b = append(b, '[')
	for i := 0; i < shape[0]; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendNested(b, data[i*inner:(i+1)*inner], shape[1:])
	}
	return append(b, ']')
}
