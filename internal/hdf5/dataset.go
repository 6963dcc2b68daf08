package hdf5

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Dataset is an HDF5 dataset: an n-dimensional array of one datatype.
type Dataset struct {
	f     *File
	hdr   *objectHeader
	path  string
	dtype Datatype
	space dataspace
	// Storage: contiguous data at addr (undefined: never written, reads
	// as zeros) or compact data held in the header.
	addr    uint64
	compact []byte
}

func (f *File) openDataset(h *objectHeader, path string) (*Dataset, error) {
	d := &Dataset{f: f, hdr: h, path: path}
	wrap := func(err error) error { return fmt.Errorf("%s: %w", path, err) }
	var err error
	if d.dtype, d.space, err = f.typeAndSpace(h); err != nil {
		return nil, wrap(err)
	}
	if m := h.find(msgFilters); m != nil {
		return nil, wrap(formatErr("filters (compression, checksums) are not supported; save without compression"))
	}
	if h.find(msgExternal) != nil {
		return nil, wrap(formatErr("external storage is not supported"))
	}
	nbytes := d.space.count() * uint64(d.dtype.Size)
	if d.space.count() != 0 && nbytes/d.space.count() != uint64(d.dtype.Size) || nbytes > f.size {
		return nil, wrap(formatErr("dataset of %d elements of %d bytes is larger than the file", d.space.count(), d.dtype.Size))
	}
	// Data layout message (IV.A.2.i), versions 3 and 4 for the contiguous
	// and compact classes, which encode them the same way.
	m := h.find(msgLayout)
	c := &cursor{b: m.data, f: f}
	version := c.u8()
	if version != 3 && version != 4 {
		return nil, wrap(formatErr("data layout message version %d is not supported", version))
	}
	switch class := c.u8(); class {
	case 0: // compact
		n := int(c.u16())
		d.compact = c.bytes(n)
		if c.err == nil && uint64(n) < nbytes {
			return nil, wrap(formatErr("compact data holds %d bytes, the dataset needs %d", n, nbytes))
		}
	case 1: // contiguous
		d.addr = c.addr()
		size := c.length()
		if c.err == nil && d.addr != f.undef() {
			if size < nbytes {
				return nil, wrap(formatErr("contiguous storage of %d bytes, the dataset needs %d", size, nbytes))
			}
			if nbytes > f.size || d.addr > f.size-nbytes {
				return nil, wrap(formatErr("contiguous data at %d (%d bytes) runs past the end of the file (%d bytes)", d.addr, nbytes, f.size))
			}
		}
	case 2:
		return nil, wrap(formatErr("chunked storage is not supported; save with contiguous datasets"))
	default:
		return nil, wrap(formatErr("data layout class %d is not supported", class))
	}
	if c.err != nil {
		return nil, wrap(formatErr("truncated data layout message"))
	}
	return d, nil
}

// typeAndSpace reads the datatype and dataspace messages of a dataset or
// returns an error if one is missing or shared.
func (f *File) typeAndSpace(h *objectHeader) (Datatype, dataspace, error) {
	tm, sm := h.find(msgDatatype), h.find(msgDataspace)
	if tm == nil || sm == nil {
		return Datatype{}, dataspace{}, formatErr("dataset lacks a datatype or dataspace message")
	}
	if tm.flags&0x02 != 0 || sm.flags&0x02 != 0 {
		return Datatype{}, dataspace{}, formatErr("shared (committed) datatypes or dataspaces are not supported")
	}
	t, err := f.parseDatatype(tm.data)
	if err != nil {
		return t, dataspace{}, err
	}
	s, err := f.parseDataspace(sm.data)
	return t, s, err
}

// Path is the dataset's path from the root.
func (d *Dataset) Path() string { return d.path }

// Shape returns the dimensions; a scalar has none.
func (d *Dataset) Shape() []int { return d.space.shape() }

// Len is the number of elements.
func (d *Dataset) Len() int { return int(d.space.count()) }

// Datatype returns the element type.
func (d *Dataset) Datatype() Datatype { return d.dtype }

// Attrs returns the dataset's attributes in the order they are stored.
func (d *Dataset) Attrs() ([]*Attr, error) { return d.f.attrs(d.hdr, d.path) }

// Attr returns the dataset's attribute name.
func (d *Dataset) Attr(name string) (*Attr, error) { return d.f.attr(d.hdr, d.path, name) }

// raw returns the stored bytes of all elements.
func (d *Dataset) raw() ([]byte, error) {
	n := d.space.count() * uint64(d.dtype.Size) // ≤ file size, checked at open
	if d.compact != nil {
		return d.compact[:n], nil
	}
	if d.addr == d.f.undef() || n == 0 {
		return make([]byte, n), nil
	}
	return d.f.read(d.addr, n)
}

// ReadFloat32 reads a float16, float32 or float64 dataset as float32 in
// row-major order (float64 is rounded).
func (d *Dataset) ReadFloat32() ([]float32, error) {
	b, err := d.raw()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	v, err := decodeFloat32(b, d.dtype)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	return v, nil
}

// ReadFloat64 reads a floating-point dataset as float64.
func (d *Dataset) ReadFloat64() ([]float64, error) {
	b, err := d.raw()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	v, err := decodeFloat64(b, d.dtype)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	return v, nil
}

// ReadInt64 reads an integer dataset as int64 (uint64 values above
// MaxInt64 are an error).
func (d *Dataset) ReadInt64() ([]int64, error) {
	b, err := d.raw()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	v, err := decodeInt64(b, d.dtype)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	return v, nil
}

// ReadStrings reads a string dataset.
func (d *Dataset) ReadStrings() ([]string, error) {
	b, err := d.raw()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	v, err := d.f.decodeStrings(b, d.dtype)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	return v, nil
}

func (s dataspace) shape() []int {
	out := make([]int, len(s.dims))
	for i, d := range s.dims {
		out[i] = int(d) // ≤ file size, checked at parse
	}
	return out
}

func order(t Datatype) binary.ByteOrder {
	if t.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func decodeFloat64(b []byte, t Datatype) ([]float64, error) {
	if t.Class != Float {
		return nil, fmt.Errorf("hdf5: cannot read %s as floating point", t)
	}
	o := order(t)
	out := make([]float64, len(b)/t.Size)
	for i := range out {
		e := b[i*t.Size:]
		switch t.Size {
		case 2:
			out[i] = float64(halfToFloat32(o.Uint16(e)))
		case 4:
			out[i] = float64(math.Float32frombits(o.Uint32(e)))
		case 8:
			out[i] = math.Float64frombits(o.Uint64(e))
		}
	}
	return out, nil
}

func decodeFloat32(b []byte, t Datatype) ([]float32, error) {
	if t.Class != Float {
		return nil, fmt.Errorf("hdf5: cannot read %s as floating point", t)
	}
	o := order(t)
	out := make([]float32, len(b)/t.Size)
	for i := range out {
		e := b[i*t.Size:]
		switch t.Size {
		case 2:
			out[i] = halfToFloat32(o.Uint16(e))
		case 4:
			out[i] = math.Float32frombits(o.Uint32(e))
		case 8:
			out[i] = float32(math.Float64frombits(o.Uint64(e)))
		}
	}
	return out, nil
}

func decodeInt64(b []byte, t Datatype) ([]int64, error) {
	if t.Class != Integer {
		return nil, fmt.Errorf("hdf5: cannot read %s as an integer", t)
	}
	o := order(t)
	out := make([]int64, len(b)/t.Size)
	for i := range out {
		e := b[i*t.Size:]
		var u uint64
		switch t.Size {
		case 1:
			u = uint64(e[0])
		case 2:
			u = uint64(o.Uint16(e))
		case 4:
			u = uint64(o.Uint32(e))
		case 8:
			u = o.Uint64(e)
		}
		if t.Signed {
			shift := 64 - 8*t.Size
			out[i] = int64(u<<shift) >> shift
		} else {
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("hdf5: uint64 value %d overflows int64", u)
			}
			out[i] = int64(u)
		}
	}
	return out, nil
}

// halfToFloat32 converts an IEEE binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp == 0:
		v := float32(man) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | man<<13)
}
