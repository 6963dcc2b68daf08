package serve

// Cutting the tensors out of a V2 request before encoding/json reads it.
//
// A V2 inference request is a small object around large "data" arrays.
// encoding/json scans every byte of a json.RawMessage to find where it
// ends, with its general state machine, and gokeras's tensor parser then
// reads the same bytes again: in the load test (BENCHMARKS.md) that double
// pass was most of the server's CPU. cutV2Data finds each input's "data"
// array with a much simpler scan and replaces it with null in a copy of
// the body, so that encoding/json reads only the envelope; the arrays are
// parsed once, by parseTensor. Anything the scan does not recognise (an
// escaped key, a body that is not well formed) is left in place, and
// encoding/json reads it as before: the result is the same either way.

// cutV2Data returns body with the value of every "data" member of the
// objects in the top-level object's "inputs" array replaced by null, and
// the spans the values had in body, by the input's index (nil where
// nothing was cut). ok is false when it cut nothing.
func cutV2Data(body []byte) (slim []byte, spans [][2]int, ok bool) {
	// The scan keeps the path to the current position: containers (the
	// byte that opened them) and, for objects, the last key.
	var (
		stack  []byte
		keys   []string
		expect []bool // in an object: a key comes next
		input  = -1   // index of the current object in "inputs"

		inputsSeen bool
	)
	i, last := 0, 0
	for i < len(body) {
		c := body[i]
		switch c {
		case '{', '[':
			if len(stack) == 2 && c == '{' && stack[1] == '[' && keys[0] == "inputs" {
				input++
			}
			if len(stack) == 1 && c == '[' && keys[0] == "inputs" {
				if inputsSeen {
					return nil, nil, false // "inputs" twice: leave it to encoding/json
				}
				inputsSeen = true
			}
			stack = append(stack, c)
			keys = append(keys, "")
			expect = append(expect, c == '{')
			i++
		case '}', ']':
			if len(stack) == 0 {
				return nil, nil, false
			}
			stack, keys, expect = stack[:len(stack)-1], keys[:len(keys)-1], expect[:len(expect)-1]
			i++
		case '"':
			end := stringEnd(body, i)
			if end < 0 {
				return nil, nil, false
			}
			if n := len(stack); n > 0 && stack[n-1] == '{' && expect[n-1] {
				keys[n-1] = string(body[i+1 : end-1])
				expect[n-1] = false
			}
			i = end
		case ',':
			if n := len(stack); n > 0 && stack[n-1] == '{' {
				expect[n-1] = true
			}
			i++
		case ':':
			i++
			for i < len(body) && isSpace(body[i]) {
				i++
			}
			// An input object's "data": the top object, "inputs", the input.
			if len(stack) == 3 && keys[0] == "inputs" && stack[1] == '[' && keys[2] == "data" && i < len(body) && body[i] == '[' && input >= 0 {
				end := arrayEnd(body, i)
				if end < 0 {
					return nil, nil, false
				}
				for len(spans) <= input {
					spans = append(spans, [2]int{})
				}
				spans[input] = [2]int{i, end}
				slim = append(slim, body[last:i]...)
				slim = append(slim, "null"...)
				last, i = end, end
			}
		default:
			i++
		}
	}
	if spans == nil {
		return nil, nil, false
	}
	return append(slim, body[last:]...), spans, true
}

// stringEnd returns the index after the string that starts at b[i] ('"'),
// or -1 when it does not end.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// arrayEnd returns the index after the array that starts at b[i] ('['),
// or -1 when it does not end or holds an object (not a tensor: left to
// encoding/json); strings inside it are skipped whole.
func arrayEnd(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '{', '}':
			return -1
		case '[':
			depth++
		case ']':
			if depth--; depth == 0 {
				return j + 1
			}
		case '"':
			end := stringEnd(b, j)
			if end < 0 {
				return -1
			}
			j = end - 1
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
