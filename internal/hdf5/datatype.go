package hdf5

import "fmt"

// Class is the kind of a Datatype.
type Class int

// Datatype classes this package reads (IV.A.2.d).
const (
	Integer Class = iota // fixed-point
	Float                // IEEE floating point
	String               // fixed-length or variable-length string
)

// Datatype describes the elements of a dataset or attribute.
type Datatype struct {
	Class     Class
	Size      int  // bytes per element as stored (16 for variable-length strings with 8-byte offsets)
	Signed    bool // integers
	BigEndian bool // numbers
	Variable  bool // variable-length string in the global heap
	UTF8      bool // string character set is UTF-8, not ASCII
	Pad       int  // string padding: 0 NULL-terminated, 1 NULL-padded, 2 space-padded
}

// String names the type as NumPy would: float32, int64, uint8, string.
func (t Datatype) String() string {
	switch t.Class {
	case Integer:
		if t.Signed {
			return fmt.Sprintf("int%d", 8*t.Size)
		}
		return fmt.Sprintf("uint%d", 8*t.Size)
	case Float:
		return fmt.Sprintf("float%d", 8*t.Size)
	}
	if t.Variable {
		return "string"
	}
	return fmt.Sprintf("string%d", t.Size)
}

// parseDatatype decodes a datatype message (IV.A.2.d).
func (f *File) parseDatatype(b []byte) (Datatype, error) {
	c := &cursor{b: b, f: f}
	cv := c.u8()
	bits := c.uint(3)
	size := c.u32()
	if c.err != nil {
		return Datatype{}, formatErr("truncated datatype message")
	}
	class, version := cv&0x0f, cv>>4
	if version < 1 || version > 4 {
		return Datatype{}, formatErr("datatype version %d", version)
	}
	t := Datatype{Size: int(size)}
	switch class {
	case 0: // fixed-point: bit 0 byte order, bit 3 signed
		t.Class = Integer
		t.BigEndian = bits&1 != 0
		t.Signed = bits&8 != 0
		off, prec := c.u16(), c.u16()
		if c.err != nil || off != 0 || int(prec) != 8*t.Size || (t.Size != 1 && t.Size != 2 && t.Size != 4 && t.Size != 8) {
			return Datatype{}, formatErr("integer type of size %d, offset %d, precision %d is not supported", size, off, prec)
		}
	case 1: // floating point; only IEEE binary16/32/64 layouts
		t.Class = Float
		t.BigEndian = bits&1 != 0
		if bits&0x40 != 0 {
			return Datatype{}, formatErr("VAX floating-point byte order is not supported")
		}
		off, prec := c.u16(), c.u16()
		expLoc, expSize, manLoc, manSize := c.u8(), c.u8(), c.u8(), c.u8()
		bias := c.u32()
		sign := (bits >> 8) & 0xff
		ok := c.err == nil && off == 0
		switch t.Size {
		case 2:
			ok = ok && prec == 16 && expLoc == 10 && expSize == 5 && manLoc == 0 && manSize == 10 && bias == 15 && sign == 15
		case 4:
			ok = ok && prec == 32 && expLoc == 23 && expSize == 8 && manLoc == 0 && manSize == 23 && bias == 127 && sign == 31
		case 8:
			ok = ok && prec == 64 && expLoc == 52 && expSize == 11 && manLoc == 0 && manSize == 52 && bias == 1023 && sign == 63
		default:
			ok = false
		}
		if !ok {
			return Datatype{}, formatErr("floating-point type of size %d is not IEEE binary16/32/64 (bfloat16 and others are not supported)", size)
		}
	case 3: // string: bits 0-3 padding, 4-7 character set
		t.Class = String
		t.Pad = int(bits & 0x0f)
		t.UTF8 = (bits>>4)&0x0f == 1
		if t.Size == 0 {
			return Datatype{}, formatErr("fixed-length string of size 0")
		}
	case 9: // variable-length: bits 0-3 type (1 string), 4-7 padding, 8-11 character set
		if bits&0x0f != 1 {
			return Datatype{}, formatErr("variable-length sequences are not supported (only variable-length strings)")
		}
		t.Class = String
		t.Variable = true
		t.Pad = int((bits >> 4) & 0x0f)
		t.UTF8 = (bits>>8)&0x0f == 1
		if t.Size != 4+f.offSize+4 {
			return Datatype{}, formatErr("variable-length string of size %d, want %d", size, 4+f.offSize+4)
		}
	default:
		names := map[uint8]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum", 10: "array"}
		n := names[class]
		if n == "" {
			n = fmt.Sprintf("class %d", class)
		}
		return Datatype{}, formatErr("%s datatype is not supported", n)
	}
	return t, nil
}

// dataspace is a parsed dataspace message (IV.A.2.b).
type dataspace struct {
	dims []uint64 // nil for scalar
	null bool
}

// count is the number of elements.
func (s dataspace) count() uint64 {
	if s.null {
		return 0
	}
	n := uint64(1)
	for _, d := range s.dims {
		n *= d // overflow ruled out in parseDataspace
	}
	return n
}

func (f *File) parseDataspace(b []byte) (dataspace, error) {
	c := &cursor{b: b, f: f}
	version := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	var s dataspace
	switch version {
	case 1:
		c.skip(5)
	case 2:
		switch c.u8() {
		case 0, 1:
		case 2:
			s.null = true
		default:
			return s, formatErr("dataspace type unknown")
		}
	default:
		return s, formatErr("dataspace version %d is not supported", version)
	}
	if rank > maxRank {
		return s, formatErr("dataspace rank %d exceeds %d", rank, maxRank)
	}
	if rank > 0 {
		s.dims = make([]uint64, rank)
	}
	n := uint64(1)
	for i := range s.dims {
		d := c.length()
		s.dims[i] = d
		if d != 0 && n > f.size/d {
			// More elements than bytes in the file: no storage could
			// hold them.
			return s, formatErr("dataspace %v has more elements than the file has bytes", s.dims[:i+1])
		}
		n *= d
	}
	if flags&1 != 0 {
		for range s.dims {
			c.length() // maximum dimensions
		}
	}
	if c.err != nil {
		return s, formatErr("truncated dataspace message")
	}
	return s, nil
}
