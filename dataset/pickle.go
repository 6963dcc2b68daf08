package dataset

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// This file reads the subset of Python's pickle format that the CIFAR
// "python version" batches use: dicts, lists, tuples, ints, strings and
// bytes, and numpy arrays (numpy.core.multiarray._reconstruct + BUILD).
// It is no general unpickler: it calls no code, and a GLOBAL other than the
// numpy array reconstructors is an error. Protocols 0–5 framing is read;
// the text-mode protocol 0 opcodes are not.

// pyList is a mutable Python list (the memo may hold it while it grows).
type pyList struct{ items []any }

// pyDict is a Python dict; keys (str or bytes) are kept as Go strings.
type pyDict map[string]any

type pyTuple []any

type pyGlobal struct{ module, name string }

// pyDtype is a numpy dtype, e.g. "u1".
type pyDtype struct{ name, order string }

// pyArray is a numpy ndarray rebuilt from its pickled state.
type pyArray struct {
	dtype *pyDtype
	shape []int
	data  []byte
}

type pyMark struct{}

// PickleError reports bad or unsupported pickle data.
type PickleError struct {
	Offset int
	Msg    string
}

func (e *PickleError) Error() string {
	return fmt.Sprintf("dataset: pickle: at byte %d: %s", e.Offset, e.Msg)
}

// readPickle decodes one pickled object from data.
func readPickle(data []byte) (any, error) {
	var (
		stack []any
		memo  = map[int]any{}
		pos   int
	)
	fail := func(format string, args ...any) (any, error) {
		return nil, &PickleError{Offset: pos, Msg: fmt.Sprintf(format, args...)}
	}
	take := func(n int) ([]byte, bool) {
		if n < 0 || n > len(data)-pos {
			return nil, false
		}
		b := data[pos : pos+n]
		pos += n
		return b, true
	}
	pop := func() (any, bool) {
		if len(stack) == 0 {
			return nil, false
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return v, true
	}
	// popMark returns the items above the topmost mark and removes them and it.
	popMark := func() ([]any, bool) {
		for i := len(stack) - 1; i >= 0; i-- {
			if _, ok := stack[i].(pyMark); ok {
				items := append([]any(nil), stack[i+1:]...)
				stack = stack[:i]
				return items, true
			}
		}
		return nil, false
	}
	line := func() (string, bool) {
		for i := pos; i < len(data); i++ {
			if data[i] == '\n' {
				s := string(data[pos:i])
				pos = i + 1
				return s, true
			}
		}
		return "", false
	}
	for {
		if pos >= len(data) {
			return fail("data ends before STOP")
		}
		op := data[pos]
		pos++
		switch op {
		case 0x80: // PROTO
			if _, ok := take(1); !ok {
				return fail("truncated PROTO")
			}
		case 0x95: // FRAME
			if _, ok := take(8); !ok {
				return fail("truncated FRAME")
			}
		case '.': // STOP
			v, ok := pop()
			if !ok {
				return fail("STOP on an empty stack")
			}
			return v, nil
		case '(':
			stack = append(stack, pyMark{})
		case '}':
			stack = append(stack, pyDict{})
		case ']':
			stack = append(stack, &pyList{})
		case ')':
			stack = append(stack, pyTuple{})
		case 'N':
			stack = append(stack, nil)
		case 0x88:
			stack = append(stack, true)
		case 0x89:
			stack = append(stack, false)
		case 'K': // BININT1
			b, ok := take(1)
			if !ok {
				return fail("truncated BININT1")
			}
			stack = append(stack, int64(b[0]))
		case 'M': // BININT2
			b, ok := take(2)
			if !ok {
				return fail("truncated BININT2")
			}
			stack = append(stack, int64(binary.LittleEndian.Uint16(b)))
		case 'J': // BININT
			b, ok := take(4)
			if !ok {
				return fail("truncated BININT")
			}
			stack = append(stack, int64(int32(binary.LittleEndian.Uint32(b))))
		case 0x8a: // LONG1
			nb, ok := take(1)
			if !ok {
				return fail("truncated LONG1")
			}
			b, ok := take(int(nb[0]))
			if !ok {
				return fail("truncated LONG1")
			}
			v, ok := decodeLong(b)
			if !ok {
				return fail("LONG1 does not fit in 64 bits")
			}
			stack = append(stack, v)
		case 'G': // BINFLOAT
			b, ok := take(8)
			if !ok {
				return fail("truncated BINFLOAT")
			}
			stack = append(stack, math.Float64frombits(binary.BigEndian.Uint64(b)))
		case 'U', 'C', 0x8c: // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
			nb, ok := take(1)
			if !ok {
				return fail("truncated string length")
			}
			b, ok := take(int(nb[0]))
			if !ok {
				return fail("truncated string")
			}
			stack = append(stack, pyStr(op, b))
		case 'T', 'B', 'X': // BINSTRING, BINBYTES, BINUNICODE
			nb, ok := take(4)
			if !ok {
				return fail("truncated string length")
			}
			n := binary.LittleEndian.Uint32(nb)
			if op == 'T' && int32(n) < 0 {
				return fail("negative BINSTRING length")
			}
			b, ok := take(int(n))
			if !ok {
				return fail("string of %d bytes runs past the end", n)
			}
			stack = append(stack, pyStr(op, b))
		case 0x8d, 0x8e: // BINUNICODE8, BINBYTES8
			nb, ok := take(8)
			if !ok {
				return fail("truncated string length")
			}
			n := binary.LittleEndian.Uint64(nb)
			if n > uint64(len(data)-pos) {
				return fail("string of %d bytes runs past the end", n)
			}
			b, _ := take(int(n))
			stack = append(stack, pyStr(op, b))
		case 'c': // GLOBAL
			mod, ok1 := line()
			name, ok2 := line()
			if !ok1 || !ok2 {
				return fail("truncated GLOBAL")
			}
			stack = append(stack, pyGlobal{mod, name})
		case 0x93: // STACK_GLOBAL
			name, ok1 := pop()
			mod, ok2 := pop()
			ms, ok3 := mod.(string)
			ns, ok4 := name.(string)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return fail("STACK_GLOBAL needs two strings")
			}
			stack = append(stack, pyGlobal{ms, ns})
		case 'q', 'r', 0x94: // BINPUT, LONG_BINPUT, MEMOIZE
			var idx int
			switch op {
			case 'q':
				b, ok := take(1)
				if !ok {
					return fail("truncated BINPUT")
				}
				idx = int(b[0])
			case 'r':
				b, ok := take(4)
				if !ok {
					return fail("truncated LONG_BINPUT")
				}
				idx = int(binary.LittleEndian.Uint32(b))
			default:
				idx = len(memo)
			}
			if len(stack) == 0 {
				return fail("PUT on an empty stack")
			}
			memo[idx] = stack[len(stack)-1]
		case 'h', 'j': // BINGET, LONG_BINGET
			var idx int
			if op == 'h' {
				b, ok := take(1)
				if !ok {
					return fail("truncated BINGET")
				}
				idx = int(b[0])
			} else {
				b, ok := take(4)
				if !ok {
					return fail("truncated LONG_BINGET")
				}
				idx = int(binary.LittleEndian.Uint32(b))
			}
			v, ok := memo[idx]
			if !ok {
				return fail("GET of memo entry %d that was never PUT", idx)
			}
			stack = append(stack, v)
		case 'a': // APPEND
			v, ok1 := pop()
			if !ok1 || len(stack) == 0 {
				return fail("APPEND on a short stack")
			}
			l, ok := stack[len(stack)-1].(*pyList)
			if !ok {
				return fail("APPEND to a %T", stack[len(stack)-1])
			}
			l.items = append(l.items, v)
		case 'e': // APPENDS
			items, ok := popMark()
			if !ok || len(stack) == 0 {
				return fail("APPENDS without a mark or list")
			}
			l, ok := stack[len(stack)-1].(*pyList)
			if !ok {
				return fail("APPENDS to a %T", stack[len(stack)-1])
			}
			l.items = append(l.items, items...)
		case 's', 'u': // SETITEM, SETITEMS
			var items []any
			if op == 's' {
				if len(stack) < 3 {
					return fail("SETITEM on a short stack")
				}
				items = append([]any(nil), stack[len(stack)-2:]...)
				stack = stack[:len(stack)-2]
			} else {
				var ok bool
				if items, ok = popMark(); !ok {
					return fail("SETITEMS without a mark")
				}
			}
			if len(stack) == 0 || len(items)%2 != 0 {
				return fail("SETITEM(S) on a short stack")
			}
			d, ok := stack[len(stack)-1].(pyDict)
			if !ok {
				return fail("SETITEM on a %T", stack[len(stack)-1])
			}
			for i := 0; i < len(items); i += 2 {
				k, ok := pyKey(items[i])
				if !ok {
					return fail("dict key of type %T", items[i])
				}
				d[k] = items[i+1]
			}
		case 't': // TUPLE
			items, ok := popMark()
			if !ok {
				return fail("TUPLE without a mark")
			}
			stack = append(stack, pyTuple(items))
		case 0x85, 0x86, 0x87: // TUPLE1..3
			n := int(op - 0x84)
			if len(stack) < n {
				return fail("TUPLE%d on a short stack", n)
			}
			t := append(pyTuple(nil), stack[len(stack)-n:]...)
			stack = append(stack[:len(stack)-n], t)
		case 'R': // REDUCE
			args, ok1 := pop()
			fn, ok2 := pop()
			if !ok1 || !ok2 {
				return fail("REDUCE on a short stack")
			}
			v, err := pyReduce(fn, args)
			if err != nil {
				return fail("%v", err)
			}
			stack = append(stack, v)
		case 'b': // BUILD
			state, ok := pop()
			if !ok || len(stack) == 0 {
				return fail("BUILD on a short stack")
			}
			if err := pyBuild(stack[len(stack)-1], state); err != nil {
				return fail("%v", err)
			}
		default:
			return fail("opcode 0x%02x is not supported", op)
		}
	}
}

// pyStr converts a string opcode's payload: Python 2 str and bytes stay
// bytes (as pickle.load(encoding="bytes") does), unicode becomes a string.
func pyStr(op byte, b []byte) any {
	switch op {
	case 'X', 0x8c, 0x8d:
		return string(b)
	}
	return b
}

func pyKey(v any) (string, bool) {
	switch k := v.(type) {
	case string:
		return k, true
	case []byte:
		return string(k), true
	case int64:
		return strconv.FormatInt(k, 10), true
	}
	return "", false
}

func decodeLong(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	// Little-endian two's complement.
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if !v.IsInt64() {
		return 0, false
	}
	return v.Int64(), true
}

func isReconstruct(g pyGlobal) bool {
	return (g.module == "numpy.core.multiarray" || g.module == "numpy._core.multiarray") && g.name == "_reconstruct"
}

func pyReduce(fn, args any) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, fmt.Errorf("REDUCE of a %T", fn)
	}
	t, ok := args.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("REDUCE arguments are a %T, not a tuple", args)
	}
	switch {
	case isReconstruct(g):
		return &pyArray{}, nil
	case g.module == "numpy" && g.name == "dtype":
		if len(t) < 1 {
			return nil, fmt.Errorf("numpy.dtype without arguments")
		}
		s, ok := t[0].(string)
		if b, isb := t[0].([]byte); isb {
			s, ok = string(b), true
		}
		if !ok {
			return nil, fmt.Errorf("numpy.dtype of a %T", t[0])
		}
		return &pyDtype{name: s}, nil
	}
	return nil, fmt.Errorf("global %s.%s is not allowed", g.module, g.name)
}

func pyBuild(obj, state any) error {
	t, ok := state.(pyTuple)
	if !ok {
		return fmt.Errorf("BUILD state is a %T, not a tuple", state)
	}
	switch o := obj.(type) {
	case *pyDtype:
		if len(t) > 1 {
			switch s := t[1].(type) {
			case string:
				o.order = s
			case []byte:
				o.order = string(s)
			}
		}
		return nil
	case *pyArray:
		// (version, shape, dtype, is_fortran, data)
		if len(t) != 5 {
			return fmt.Errorf("ndarray state has %d items, want 5", len(t))
		}
		shape, ok := t[1].(pyTuple)
		if !ok {
			return fmt.Errorf("ndarray shape is a %T", t[1])
		}
		size := 1
		for _, d := range shape {
			n, ok := d.(int64)
			if !ok || n < 0 || n > math.MaxInt32 {
				return fmt.Errorf("ndarray dimension %v", d)
			}
			if n != 0 && size > maxArrayBytes/int(n) {
				return fmt.Errorf("ndarray shape %v is too large", shape)
			}
			size *= int(n)
			o.shape = append(o.shape, int(n))
		}
		dt, ok := t[2].(*pyDtype)
		if !ok {
			return fmt.Errorf("ndarray dtype is a %T", t[2])
		}
		o.dtype = dt
		if f, _ := t[3].(bool); f {
			return fmt.Errorf("Fortran-order ndarray is not supported")
		}
		switch d := t[4].(type) {
		case []byte:
			o.data = d
		case string:
			o.data = []byte(d)
		default:
			return fmt.Errorf("ndarray data is a %T", t[4])
		}
		item := map[string]int{"u1": 1, "i1": 1, "b1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "f4": 4, "i8": 8, "u8": 8, "f8": 8}[dt.name]
		if item == 0 {
			return fmt.Errorf("ndarray dtype %q is not supported", dt.name)
		}
		if len(o.data) != size*item {
			return fmt.Errorf("ndarray %v of %s needs %d bytes, has %d", o.shape, dt.name, size*item, len(o.data))
		}
		return nil
	}
	return fmt.Errorf("BUILD of a %T", obj)
}
