package hdf5

import (
	"bytes"
	"fmt"
	"strings"
)

// Attr is an attribute of a group or dataset: a small array of one
// datatype stored in the object header (IV.A.2.m).
type Attr struct {
	Name  string
	f     *File
	owner string
	dtype Datatype
	space dataspace
	raw   []byte
}

// Shape returns the attribute's dimensions; a scalar has none.
func (a *Attr) Shape() []int { return a.space.shape() }

// Datatype returns the element type.
func (a *Attr) Datatype() Datatype { return a.dtype }

func (a *Attr) wrap(err error) error {
	return fmt.Errorf("%s attribute %q: %w", a.owner, a.Name, err)
}

// Strings returns the values of a string attribute (fixed- or
// variable-length); a scalar gives one string.
func (a *Attr) Strings() ([]string, error) {
	v, err := a.f.decodeStrings(a.raw, a.dtype)
	if err != nil {
		return nil, a.wrap(err)
	}
	return v, nil
}

// String returns the value of a scalar or one-element string attribute.
func (a *Attr) String() (string, error) {
	v, err := a.Strings()
	if err != nil {
		return "", err
	}
	if len(v) != 1 {
		return "", a.wrap(fmt.Errorf("holds %d strings, want one", len(v)))
	}
	return v[0], nil
}

// Int64s returns the values of an integer attribute.
func (a *Attr) Int64s() ([]int64, error) {
	v, err := decodeInt64(a.raw, a.dtype)
	if err != nil {
		return nil, a.wrap(err)
	}
	return v, nil
}

// Float64s returns the values of a floating-point attribute.
func (a *Attr) Float64s() ([]float64, error) {
	v, err := decodeFloat64(a.raw, a.dtype)
	if err != nil {
		return nil, a.wrap(err)
	}
	return v, nil
}

// Value returns the attribute as a Go value: string or []string, int64 or
// []int64, float64 or []float64 (scalars and one-element arrays alike
// give a slice only when the attribute has a dimension).
func (a *Attr) Value() (any, error) {
	var v any
	var err error
	switch a.dtype.Class {
	case String:
		v, err = a.Strings()
	case Integer:
		v, err = a.Int64s()
	default:
		v, err = a.Float64s()
	}
	if err != nil || a.space.dims != nil || a.space.null {
		return v, err
	}
	switch s := v.(type) {
	case []string:
		return s[0], nil
	case []int64:
		return s[0], nil
	case []float64:
		return s[0], nil
	}
	return v, nil
}

func (f *File) attrs(h *objectHeader, owner string) ([]*Attr, error) {
	if m := h.find(msgAttrInfo); m != nil {
		c := &cursor{b: m.data, f: f}
		c.u8()
		if c.u8()&1 != 0 {
			c.skip(2) // maximum creation index
		}
		if heap := c.addr(); c.err == nil && heap != f.undef() {
			return nil, formatErr("%s: dense attribute storage (fractal heap) is not supported", owner)
		}
	}
	var out []*Attr
	for _, m := range h.msgs {
		if m.typ != msgAttribute {
			continue
		}
		a, err := f.parseAttr(m.data, owner)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (f *File) attr(h *objectHeader, owner, name string) (*Attr, error) {
	all, err := f.attrs(h, owner)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("hdf5: %s has no attribute %q", owner, name)
}

// parseAttr decodes an attribute message, versions 1-3 (IV.A.2.m).
func (f *File) parseAttr(b []byte, owner string) (*Attr, error) {
	c := &cursor{b: b, f: f}
	version := c.u8()
	flags := c.u8()
	nameSize, typeSize, spaceSize := int(c.u16()), int(c.u16()), int(c.u16())
	pad := func(n int) int { return n }
	switch version {
	case 1:
		pad = align8
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		return nil, formatErr("%s: attribute message version %d is not supported", owner, version)
	}
	if version > 1 && flags&3 != 0 {
		return nil, formatErr("%s: attribute with a shared datatype or dataspace is not supported", owner)
	}
	name := c.bytes(pad(nameSize))
	typ := c.bytes(pad(typeSize))
	space := c.bytes(pad(spaceSize))
	if c.err != nil || nameSize == 0 || typeSize > len(typ) || spaceSize > len(space) {
		return nil, formatErr("%s: truncated attribute message", owner)
	}
	name = name[:nameSize]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	a := &Attr{Name: string(name), f: f, owner: owner}
	var err error
	if a.dtype, err = f.parseDatatype(typ[:typeSize]); err != nil {
		return nil, a.wrap(err)
	}
	if a.space, err = f.parseDataspace(space[:spaceSize]); err != nil {
		return nil, a.wrap(err)
	}
	count, size := a.space.count(), uint64(a.dtype.Size) // count ≤ file size
	if count != 0 && size > uint64(c.remaining())/count {
		return nil, a.wrap(formatErr("needs %d elements of %d bytes, the message holds %d bytes", count, size, c.remaining()))
	}
	n := count * size
	if n > uint64(c.remaining()) {
		return nil, a.wrap(formatErr("needs %d bytes of data, the message holds %d", n, c.remaining()))
	}
	a.raw = c.bytes(int(n))
	return a, nil
}

// decodeStrings decodes fixed-length strings (trimmed by their padding)
// or variable-length strings read from the global heap.
func (f *File) decodeStrings(b []byte, t Datatype) ([]string, error) {
	if t.Class != String {
		return nil, fmt.Errorf("hdf5: cannot read %s as strings", t)
	}
	out := make([]string, len(b)/t.Size)
	total := uint64(0)
	for i := range out {
		e := b[i*t.Size : (i+1)*t.Size]
		if !t.Variable {
			if t.Pad == 2 {
				out[i] = strings.TrimRight(string(e), " ")
			} else if j := bytes.IndexByte(e, 0); j >= 0 {
				out[i] = string(e[:j])
			} else {
				out[i] = string(e)
			}
			continue
		}
		// Variable-length element: length, global heap ID (III.E).
		c := &cursor{b: e, f: f}
		n := uint64(c.u32())
		addr := c.addr()
		idx := c.u32()
		if n == 0 && (addr == 0 || addr == f.undef()) {
			continue
		}
		obj, err := f.globalObject(addr, idx)
		if err != nil {
			return nil, err
		}
		if n > uint64(len(obj)) {
			return nil, formatErr("string of %d bytes in a heap object of %d", n, len(obj))
		}
		total += n
		if total > f.size {
			// Many elements naming one large object: refuse rather
			// than multiply the file's size in memory.
			return nil, formatErr("strings total more bytes than the file holds")
		}
		s := obj[:n]
		if j := bytes.IndexByte(s, 0); j >= 0 && t.Pad != 1 {
			s = s[:j]
		}
		out[i] = string(s)
	}
	return out, nil
}

// globalObject returns object idx of the global heap collection at addr
// (III.E), parsing each collection once.
func (f *File) globalObject(addr uint64, idx uint32) ([]byte, error) {
	objs, ok := f.gheaps[addr]
	if !ok {
		hdr, err := f.read(addr, uint64(8+f.lenSize))
		if err != nil {
			return nil, formatErr("global heap: %v", err)
		}
		if !bytes.Equal(hdr[:4], []byte("GCOL")) || hdr[4] != 1 {
			return nil, formatErr("global heap collection at %d lacks its GCOL signature or has version %d", addr, hdr[4])
		}
		c := &cursor{b: hdr, off: 8, f: f}
		size := c.length()
		if size < uint64(len(hdr)) {
			return nil, formatErr("global heap collection at %d has size %d", addr, size)
		}
		b, err := f.read(addr, size)
		if err != nil {
			return nil, formatErr("global heap collection at %d: %v", addr, err)
		}
		if err := f.cache(size); err != nil {
			return nil, err
		}
		objs = map[uint16][]byte{}
		c = &cursor{b: b, off: len(hdr), f: f}
		for c.remaining() >= 8+f.lenSize {
			i := c.u16()
			c.skip(6) // reference count, reserved
			n := c.length()
			if i == 0 {
				break // free space
			}
			if n > uint64(c.remaining()) {
				return nil, formatErr("global heap object %d of %d bytes overruns its collection", i, n)
			}
			objs[i] = c.bytes(int(n))
			c.skip(min(align8(int(n))-int(n), c.remaining()))
		}
		f.gheaps[addr] = objs
	}
	if idx > 0xffff {
		return nil, formatErr("global heap index %d", idx)
	}
	obj, ok := objs[uint16(idx)]
	if !ok {
		return nil, formatErr("global heap collection at %d has no object %d", addr, idx)
	}
	return obj, nil
}
