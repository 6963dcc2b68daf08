package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// NPYArray is an array read from a .npy file: its dtype as numpy spells it
// ("|u1", "<f8", …), its shape and its raw little-endian bytes.
type NPYArray struct {
	Dtype string
	Shape []int
	Data  []byte
}

// npyTypes are the dtypes ReadNPY accepts, with their item size.
var npyTypes = map[string]int{
	"|u1": 1, "|i1": 1, "|b1": 1, "<u1": 1, "<i1": 1,
	"<i2": 2, "<u2": 2, "<i4": 4, "<u4": 4, "<i8": 8, "<u8": 8,
	"<f4": 4, "<f8": 8,
}

// ReadNPY reads one array in numpy's .npy format (version 1, 2 or 3),
// C order, little-endian numeric dtypes only; object arrays (pickles) are
// refused, as np.load(allow_pickle=False) does.
func ReadNPY(r io.Reader) (*NPYArray, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("dataset: npy: reading the magic string: %w", err)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("dataset: npy: bad magic string %q: not a .npy file", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		var n uint16
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("dataset: npy: reading the header length: %w", err)
		}
		hlen = int(n)
	case 2, 3:
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("dataset: npy: reading the header length: %w", err)
		}
		if n > 1<<20 {
			return nil, fmt.Errorf("dataset: npy: header of %d bytes is too long", n)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("dataset: npy: format version %d.%d is not supported", pre[6], pre[7])
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("dataset: npy: reading the header: %w", err)
	}
	a, err := parseNPYHeader(string(header))
	if err != nil {
		return nil, err
	}
	size := npyTypes[a.Dtype]
	for _, d := range a.Shape {
		if d != 0 && size > maxArrayBytes/d {
			return nil, fmt.Errorf("dataset: npy: shape %v is too large", a.Shape)
		}
		size *= d
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(size)))
	if err != nil {
		return nil, fmt.Errorf("dataset: npy: reading data: %w", err)
	}
	if n != int64(size) {
		return nil, fmt.Errorf("dataset: npy: truncated: %s%v needs %d bytes, file has %d", a.Dtype, a.Shape, size, n)
	}
	a.Data = buf.Bytes()
	return a, nil
}

// parseNPYHeader reads the Python dict literal of a .npy header, e.g.
// {'descr': '<f8', 'fortran_order': False, 'shape': (506, 13), }.
func parseNPYHeader(h string) (*NPYArray, error) {
	bad := func(what string) error { return fmt.Errorf("dataset: npy: header %q: %s", h, what) }
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return nil, bad("not a dict")
	}
	body := h[1 : len(h)-1]
	a := &NPYArray{}
	var haveDescr, haveShape, haveOrder bool
	for body = strings.TrimSpace(body); body != ""; body = strings.TrimSpace(body) {
		key, rest, ok := pyString(body)
		if !ok {
			return nil, bad("expected a quoted key")
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return nil, bad("expected ':'")
		}
		rest = strings.TrimSpace(rest[1:])
		switch key {
		case "descr":
			v, r2, ok := pyString(rest)
			if !ok {
				return nil, bad("descr is not a string (structured dtypes are not supported)")
			}
			if _, ok := npyTypes[v]; !ok {
				return nil, bad(fmt.Sprintf("dtype %q is not supported", v))
			}
			a.Dtype, rest, haveDescr = v, r2, true
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				rest = rest[5:]
			case strings.HasPrefix(rest, "True"):
				return nil, bad("Fortran-order arrays are not supported")
			default:
				return nil, bad("fortran_order is not a bool")
			}
			haveOrder = true
		case "shape":
			if !strings.HasPrefix(rest, "(") {
				return nil, bad("shape is not a tuple")
			}
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return nil, bad("shape tuple is not closed")
			}
			a.Shape = []int{}
			for _, f := range strings.Split(rest[1:end], ",") {
				if f = strings.TrimSpace(f); f == "" {
					continue
				}
				d, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
				if err != nil || d < 0 || d > math.MaxInt32 {
					return nil, bad(fmt.Sprintf("bad dimension %q", f))
				}
				a.Shape = append(a.Shape, d)
			}
			rest, haveShape = rest[end+1:], true
		default:
			return nil, bad(fmt.Sprintf("unknown key %q", key))
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = rest[1:]
		} else if rest != "" {
			return nil, bad("expected ','")
		}
		body = rest
	}
	if !haveDescr || !haveShape || !haveOrder {
		return nil, bad("missing descr, fortran_order or shape")
	}
	return a, nil
}

// pyString reads a single- or double-quoted Python string at the start of s.
func pyString(s string) (v, rest string, ok bool) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, false
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, false
	}
	return s[1 : 1+end], s[end+2:], true
}

// Uint8 returns a as a Uint8Array; its dtype must be u1.
func (a *NPYArray) Uint8() (*Uint8Array, error) {
	if a.Dtype != "|u1" && a.Dtype != "<u1" {
		return nil, fmt.Errorf("dataset: npy: dtype %s is not uint8", a.Dtype)
	}
	return &Uint8Array{Shape: append([]int(nil), a.Shape...), Data: a.Data}, nil
}

// Float32 converts any numeric dtype to float32.
func (a *NPYArray) Float32() []float32 {
	size := npyTypes[a.Dtype]
	n := len(a.Data) / size
	out := make([]float32, n)
	le := binary.LittleEndian
	for i := range out {
		b := a.Data[i*size:]
		switch a.Dtype {
		case "|u1", "<u1", "|b1":
			out[i] = float32(b[0])
		case "|i1", "<i1":
			out[i] = float32(int8(b[0]))
		case "<i2":
			out[i] = float32(int16(le.Uint16(b)))
		case "<u2":
			out[i] = float32(le.Uint16(b))
		case "<i4":
			out[i] = float32(int32(le.Uint32(b)))
		case "<u4":
			out[i] = float32(le.Uint32(b))
		case "<i8":
			out[i] = float32(int64(le.Uint64(b)))
		case "<u8":
			out[i] = float32(le.Uint64(b))
		case "<f4":
			out[i] = math.Float32frombits(le.Uint32(b))
		case "<f8":
			out[i] = float32(math.Float64frombits(le.Uint64(b)))
		}
	}
	return out
}

// ReadNPZ reads every array of a .npz archive (what np.savez and
// np.savez_compressed write), keyed by name without the .npy suffix.
func ReadNPZ(r io.ReaderAt, size int64) (map[string]*NPYArray, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("dataset: npz: %w", err)
	}
	out := make(map[string]*NPYArray)
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".npy") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("dataset: npz: %s: %w", f.Name, err)
		}
		a, err := ReadNPY(rc)
		if err == nil {
			// Reading to the end makes archive/zip check the CRC.
			_, err = io.Copy(io.Discard, rc)
		}
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("dataset: npz: %s: %w", f.Name, err)
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = a
	}
	return out, nil
}
