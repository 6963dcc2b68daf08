package hdf5

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Builder assembles an HDF5 file and writes it in the layout
// h5py writes by default (and so Keras): superblock version 0, version-1
// object headers, symbol-table groups with version-1 B-trees and local
// heaps, contiguous datasets, attributes in the object header, and
// variable-length strings in global heap collections.
type Builder struct {
	root *BuildGroup
}

// NewBuilder returns a Builder holding an empty root group.
func NewBuilder() *Builder {
	return &Builder{root: &BuildGroup{}}
}

// Root returns the root group.
func (b *Builder) Root() *BuildGroup { return b.root }

// BuildGroup is a group being built.
type BuildGroup struct {
	members map[string]any // *BuildGroup or *buildDataset
	attrs   []buildAttr

	// Addresses of the object header, B-tree and local heap, set by
	// WriteTo.
	addr, btree, heap uint64
}

type buildDataset struct {
	dtype Datatype
	shape []int
	data  []byte
	addr  uint64
}

type buildAttr struct {
	name  string
	dtype Datatype
	shape []int // nil: scalar
	data  []byte
	strs  []string // variable-length strings, encoded by WriteTo
}

// FixedStrings is an attribute value stored as an array of fixed-length
// NULL-padded ASCII strings as long as the longest, as Keras 2 (through
// NumPy bytes arrays) stores layer_names and weight_names.
type FixedStrings []string

// ASCIIString is an attribute value stored as a scalar variable-length
// string whose character set is ASCII, as h5py stores a Python bytes
// value (Keras's legacy .h5 writer stores its JSON configs so).
type ASCIIString string

// ASCIIStrings is an attribute value stored as an array of
// variable-length ASCII strings, as h5py stores a list of Python bytes
// (Keras's legacy .h5 layer_names and weight_names).
type ASCIIStrings []string

func checkName(name string) error {
	if name == "" || name == "." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("hdf5: invalid member name %q (empty, \".\", or containing '/' or NUL)", name)
	}
	return nil
}

func (g *BuildGroup) add(name string, v any) error {
	if err := checkName(name); err != nil {
		return err
	}
	if g.members == nil {
		g.members = map[string]any{}
	}
	if _, ok := g.members[name]; ok {
		return fmt.Errorf("hdf5: member %q already exists", name)
	}
	g.members[name] = v
	return nil
}

// Group returns the member group name, creating it if it does not exist.
func (g *BuildGroup) Group(name string) (*BuildGroup, error) {
	if m, ok := g.members[name]; ok {
		if sub, ok := m.(*BuildGroup); ok {
			return sub, nil
		}
		return nil, fmt.Errorf("hdf5: member %q is a dataset, not a group", name)
	}
	sub := &BuildGroup{}
	if err := g.add(name, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

func elements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 || d > 0 && n > math.MaxInt32/d {
			return 0, fmt.Errorf("hdf5: invalid shape %v", shape)
		}
		n *= d
	}
	return n, nil
}

func (g *BuildGroup) dataset(name string, t Datatype, shape []int, n int, put func([]byte)) error {
	want, err := elements(shape)
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("hdf5: dataset %q: %d values for shape %v (%d elements)", name, n, shape, want)
	}
	if len(shape) > maxRank {
		return fmt.Errorf("hdf5: dataset %q: rank %d exceeds %d", name, len(shape), maxRank)
	}
	b := make([]byte, n*t.Size)
	put(b)
	return g.add(name, &buildDataset{dtype: t, shape: slices.Clone(shape), data: b})
}

var (
	float32Type = Datatype{Class: Float, Size: 4}
	float64Type = Datatype{Class: Float, Size: 8}
	int64Type   = Datatype{Class: Integer, Size: 8, Signed: true}
)

// AddFloat32 adds a float32 dataset of the given shape (nil or empty for a
// scalar) holding data in row-major order.
func (g *BuildGroup) AddFloat32(name string, shape []int, data []float32) error {
	return g.dataset(name, float32Type, shape, len(data), func(b []byte) {
		for i, v := range data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	})
}

// AddFloat64 adds a float64 dataset.
func (g *BuildGroup) AddFloat64(name string, shape []int, data []float64) error {
	return g.dataset(name, float64Type, shape, len(data), func(b []byte) {
		for i, v := range data {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
		}
	})
}

// AddInt64 adds an int64 dataset (Keras's optimizer iteration count is a
// scalar one).
func (g *BuildGroup) AddInt64(name string, shape []int, data []int64) error {
	return g.dataset(name, int64Type, shape, len(data), func(b []byte) {
		for i, v := range data {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		}
	})
}

// SetAttr sets attribute name, replacing one of that name. Values:
// string (a scalar variable-length UTF-8 string, as h5py writes Python
// str), []string (an array of them), ASCIIString and ASCIIStrings (the
// same with the ASCII character set, as h5py writes Python bytes),
// FixedStrings, int64, []int64,
// float32, []float32, float64, []float64 (an empty []float64 is the
// zero-length array Keras 2 writes for layers without weights).
func (g *BuildGroup) SetAttr(name string, v any) error {
	if name == "" || strings.ContainsRune(name, 0) {
		return fmt.Errorf("hdf5: invalid attribute name %q", name)
	}
	a := buildAttr{name: name}
	vlen := Datatype{Class: String, Size: 16, Variable: true, UTF8: true}
	vlenASCII := Datatype{Class: String, Size: 16, Variable: true}
	switch v := v.(type) {
	case string:
		a.dtype, a.strs = vlen, []string{v}
	case []string:
		a.dtype, a.strs, a.shape = vlen, slices.Clone(v), []int{len(v)}
	case ASCIIString:
		a.dtype, a.strs = vlenASCII, []string{string(v)}
	case ASCIIStrings:
		a.dtype, a.strs, a.shape = vlenASCII, slices.Clone([]string(v)), []int{len(v)}
	case FixedStrings:
		size := 1
		for _, s := range v {
			size = max(size, len(s))
		}
		a.dtype, a.shape = Datatype{Class: String, Size: size, Pad: 1}, []int{len(v)}
		a.data = make([]byte, size*len(v))
		for i, s := range v {
			if strings.ContainsRune(s, 0) {
				return fmt.Errorf("hdf5: attribute %q: string %q contains NUL", name, s)
			}
			copy(a.data[i*size:], s)
		}
	case int64:
		a.dtype, a.data = int64Type, binary.LittleEndian.AppendUint64(nil, uint64(v))
	case []int64:
		a.dtype, a.shape = int64Type, []int{len(v)}
		for _, x := range v {
			a.data = binary.LittleEndian.AppendUint64(a.data, uint64(x))
		}
	case float32:
		a.dtype, a.data = float32Type, binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
	case []float32:
		a.dtype, a.shape = float32Type, []int{len(v)}
		for _, x := range v {
			a.data = binary.LittleEndian.AppendUint32(a.data, math.Float32bits(x))
		}
	case float64:
		a.dtype, a.data = float64Type, binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))
	case []float64:
		a.dtype, a.shape = float64Type, []int{len(v)}
		for _, x := range v {
			a.data = binary.LittleEndian.AppendUint64(a.data, math.Float64bits(x))
		}
	default:
		return fmt.Errorf("hdf5: attribute %q: unsupported value type %T", name, v)
	}
	for _, s := range a.strs {
		if strings.ContainsRune(s, 0) {
			return fmt.Errorf("hdf5: attribute %q: string contains NUL", name)
		}
	}
	// A version-1 object header message holds at most 64 KiB; HDF5 would
	// move larger attributes to dense storage, which Keras avoids by
	// splitting them (legacy_h5_format.py, save_attributes_to_hdf5_group).
	if size := len(a.data) + 16*len(a.strs); size > maxAttrData {
		return fmt.Errorf("hdf5: attribute %q: %d bytes of data exceed the %d an object header message holds; split it", name, size, maxAttrData)
	}
	for i := range g.attrs {
		if g.attrs[i].name == name {
			g.attrs[i] = a
			return nil
		}
	}
	g.attrs = append(g.attrs, a)
	return nil
}

const (
	maxAttrData = 64000
	leafK       = 4  // symbol table node holds 2*leafK entries (superblock)
	minInternK  = 16 // group B-tree node holds 2*K children
	undefAddr   = ^uint64(0)
	gheapMin    = 4096 // H5HG_MINSIZE: collections are at least this large
)

// fileWriter lays the file out in order. WriteTo runs it twice: first
// with no output, to learn the addresses the superblock at offset 0 holds
// (the root group's header is written last), then writing to the output.
// Dataset bytes go straight to the output, never into buf.
type fileWriter struct {
	buf     []byte    // metadata not yet written
	flushed uint64    // bytes before buf
	out     io.Writer // nil in the sizing pass
	err     error     // first write error
	internK int
	heapIDs map[*buildAttr][]heapID
}

type heapID struct {
	addr uint64
	idx  uint32
}

func (w *fileWriter) pos() uint64 { return w.flushed + uint64(len(w.buf)) }

// flush writes buf out (or drops it in the sizing pass).
func (w *fileWriter) flush() {
	w.raw(nil)
}

// raw flushes buf, then writes p.
func (w *fileWriter) raw(p []byte) {
	for _, b := range [][]byte{w.buf, p} {
		if w.out != nil && w.err == nil && len(b) > 0 {
			_, w.err = w.out.Write(b)
		}
		w.flushed += uint64(len(b))
	}
	w.buf = w.buf[:0]
}

func (w *fileWriter) u8(v uint8)   { w.buf = append(w.buf, v) }
func (w *fileWriter) u16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *fileWriter) u32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *fileWriter) u64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }
func (w *fileWriter) pad8() {
	for w.pos()%8 != 0 {
		w.buf = append(w.buf, 0)
	}
}
func (w *fileWriter) zeros(n int) { w.buf = append(w.buf, make([]byte, n)...) }

// WriteTo writes the file to out.
func (b *Builder) WriteTo(out io.Writer) (int64, error) {
	internK := minInternK
	// The B-tree K of groups is one value per file: make it large enough
	// that each group's B-tree is a single leaf node.
	var sizeK func(g *BuildGroup)
	sizeK = func(g *BuildGroup) {
		nodes := (len(g.members) + 2*leafK - 1) / (2 * leafK)
		internK = max(internK, (nodes+1)/2)
		for _, m := range g.members {
			if sub, ok := m.(*BuildGroup); ok {
				sizeK(sub)
			}
		}
	}
	sizeK(b.root)
	if internK > 0x7fff {
		return 0, fmt.Errorf("hdf5: a group has too many members (%d B-tree nodes)", 2*internK)
	}
	sizing := &fileWriter{internK: internK, heapIDs: map[*buildAttr][]heapID{}}
	sizing.zeros(superblockSize)
	sizing.writeGlobalHeaps(b.root)
	sizing.writeGroup(b.root)
	sizing.pad8()
	eof := sizing.pos()
	// The second pass lays out the same bytes at the same addresses; the
	// superblock takes the root group's addresses from the first.
	w := &fileWriter{out: out, internK: internK, heapIDs: map[*buildAttr][]heapID{}}
	w.superblock(b.root, eof)
	w.writeGlobalHeaps(b.root)
	w.writeGroup(b.root)
	w.pad8()
	w.flush()
	if w.err == nil && w.pos() != eof {
		panic(fmt.Sprintf("hdf5: writer passes disagree: %d and %d bytes", eof, w.pos()))
	}
	return int64(w.pos()), w.err
}

const superblockSize = 96

// superblock writes the version-0 superblock (II.A).
func (w *fileWriter) superblock(root *BuildGroup, eof uint64) {
	w.buf = append(w.buf, signature...)
	w.buf = append(w.buf, 0, 0, 0, 0, 0, 8, 8, 0) // versions, sizes of offsets and lengths
	w.u16(leafK)
	w.u16(uint16(w.internK))
	w.u32(0)         // file consistency flags
	w.u64(0)         // base address
	w.u64(undefAddr) // free-space info
	w.u64(eof)
	w.u64(undefAddr) // driver information block
	w.buf = append(w.buf, root.entry(0)...)
}

// entry encodes a symbol table entry (III.C) for a group: cache type 1
// holds its B-tree and local heap addresses, as HDF5 writes them.
func (g *BuildGroup) entry(nameOff uint64) []byte {
	w := &fileWriter{}
	w.u64(nameOff)
	w.u64(g.addr)
	w.u32(1)
	w.u32(0)
	w.u64(g.btree)
	w.u64(g.heap)
	return w.buf
}

// writeGlobalHeaps stores every variable-length string of every attribute
// in global heap collections (III.E), one object per string.
func (w *fileWriter) writeGlobalHeaps(g *BuildGroup) {
	var all []*buildAttr
	var collect func(g *BuildGroup)
	collect = func(g *BuildGroup) {
		for i := range g.attrs {
			if g.attrs[i].strs != nil {
				all = append(all, &g.attrs[i])
			}
		}
		for _, name := range sortedNames(g) {
			if sub, ok := g.members[name].(*BuildGroup); ok {
				collect(sub)
			}
		}
	}
	collect(g)
	var objs [][]byte
	var owners []*buildAttr
	for _, a := range all {
		for _, s := range a.strs {
			objs = append(objs, []byte(s))
			owners = append(owners, a)
		}
	}
	for start := 0; start < len(objs); {
		// One collection holds up to 65535 objects (16-bit index).
		end := min(start+0xffff, len(objs))
		addr := w.pos()
		used := 16
		for _, o := range objs[start:end] {
			used += 16 + align8(len(o))
		}
		size := used
		if used < gheapMin {
			size = gheapMin
		}
		w.buf = append(w.buf, "GCOL"...)
		w.u8(1)
		w.zeros(3)
		w.u64(uint64(size))
		for i, o := range objs[start:end] {
			w.u16(uint16(i + 1))
			w.u16(0) // reference count, 0 as HDF5 writes it
			w.u32(0)
			w.u64(uint64(len(o)))
			w.buf = append(w.buf, o...)
			w.pad8()
			owners[start+i].heapIDsAppend(w, heapID{addr, uint32(i + 1)})
		}
		if size > used {
			// Free space object: index 0, size includes its header.
			w.u16(0)
			w.u16(0)
			w.u32(0)
			w.u64(uint64(size - used))
			w.zeros(size - used - 16)
		}
		start = end
	}
}

func (a *buildAttr) heapIDsAppend(w *fileWriter, id heapID) {
	w.heapIDs[a] = append(w.heapIDs[a], id)
}

func sortedNames(g *BuildGroup) []string {
	names := make([]string, 0, len(g.members))
	for n := range g.members {
		names = append(names, n)
	}
	slices.Sort(names) // byte order, the B-tree's order
	return names
}

// writeGroup writes the members (depth first), then the group's local
// heap of names (III.D), symbol table nodes (III.B), B-tree (III.A.1)
// and object header.
func (w *fileWriter) writeGroup(g *BuildGroup) {
	names := sortedNames(g)
	for _, n := range names {
		switch m := g.members[n].(type) {
		case *BuildGroup:
			w.writeGroup(m)
		case *buildDataset:
			w.writeDataset(m)
		}
	}
	// Local heap: offset 0 is the empty string, then each name
	// NUL-terminated and padded to 8 bytes.
	offsets := make([]uint64, len(names))
	var seg []byte
	seg = append(seg, make([]byte, 8)...)
	for i, n := range names {
		offsets[i] = uint64(len(seg))
		seg = append(seg, n...)
		seg = append(seg, make([]byte, align8(len(n)+1)-len(n))...)
	}
	g.heap = w.pos()
	w.buf = append(w.buf, "HEAP"...)
	w.u8(0)
	w.zeros(3)
	w.u64(uint64(len(seg)))
	w.u64(1) // free list head: H5HL_FREE_NULL, no free block
	w.u64(g.heap + 32)
	w.buf = append(w.buf, seg...)
	// Symbol table nodes of up to 2*leafK entries.
	var nodes []uint64
	var lastNames []uint64
	for start := 0; start < len(names); start += 2 * leafK {
		end := min(start+2*leafK, len(names))
		nodes = append(nodes, w.pos())
		lastNames = append(lastNames, offsets[end-1])
		w.buf = append(w.buf, "SNOD"...)
		w.u8(1)
		w.u8(0)
		w.u16(uint16(end - start))
		for i := start; i < end; i++ {
			switch m := g.members[names[i]].(type) {
			case *BuildGroup:
				w.buf = append(w.buf, m.entry(offsets[i])...)
			case *buildDataset:
				w.u64(offsets[i])
				w.u64(m.addr)
				w.zeros(24) // cache type 0, reserved, scratch pad
			}
		}
		w.zeros((2*leafK - (end - start)) * 40) // the node's full size
	}
	// One leaf B-tree node: key 0 is the empty name, key i+1 the last
	// name of child i; sized for 2K children as the reader expects.
	g.btree = w.pos()
	w.buf = append(w.buf, "TREE"...)
	w.u8(0) // group node
	w.u8(0) // level
	w.u16(uint16(len(nodes)))
	w.u64(undefAddr)
	w.u64(undefAddr)
	w.u64(0)
	for i, n := range nodes {
		w.u64(n)
		w.u64(lastNames[i])
	}
	w.zeros((2*w.internK - len(nodes)) * 16)
	// Object header: symbol table message (IV.A.2.r) and attributes.
	st := binary.LittleEndian.AppendUint64(nil, g.btree)
	st = binary.LittleEndian.AppendUint64(st, g.heap)
	msgs := []message{{typ: msgSymbolTable, data: st}}
	msgs = append(msgs, w.attrMessages(g.attrs)...)
	g.addr = w.writeHeader(msgs)
}

// writeDataset writes the raw data, then the object header with the
// dataspace, datatype, fill value and layout messages as HDF5 writes
// them for h5py's defaults.
func (w *fileWriter) writeDataset(d *buildDataset) {
	dataAddr := undefAddr // zero elements: storage never allocated
	if len(d.data) > 0 {
		w.pad8()
		dataAddr = w.pos()
		w.raw(d.data)
	}
	layout := []byte{3, 1} // version 3, contiguous (IV.A.2.i)
	layout = binary.LittleEndian.AppendUint64(layout, dataAddr)
	layout = binary.LittleEndian.AppendUint64(layout, uint64(len(d.data)))
	msgs := []message{
		{typ: msgDataspace, data: encodeDataspace(d.shape)},
		{typ: msgDatatype, flags: 1, data: encodeDatatype(d.dtype)},
		// Fill value message version 2 (IV.A.2.f): allocation time late,
		// fill written if set, fill value defined as the default.
		{typ: msgFill, flags: 1, data: []byte{2, 2, 2, 1, 0, 0, 0, 0}},
		{typ: msgLayout, data: layout},
	}
	d.addr = w.writeHeader(msgs)
}

// writeHeader writes a version-1 object header (IV.A.1.a) and returns its
// address.
func (w *fileWriter) writeHeader(msgs []message) uint64 {
	w.pad8()
	addr := w.pos()
	size := 0
	for _, m := range msgs {
		size += 8 + align8(len(m.data))
	}
	w.u8(1)
	w.u8(0)
	w.u16(uint16(len(msgs)))
	w.u32(1) // reference count
	w.u32(uint32(size))
	w.zeros(4)
	for _, m := range msgs {
		w.u16(m.typ)
		w.u16(uint16(align8(len(m.data))))
		w.u8(m.flags)
		w.zeros(3)
		w.buf = append(w.buf, m.data...)
		w.pad8()
	}
	if len(w.buf) > 1<<16 {
		w.flush()
	}
	return addr
}

// attrMessages encodes attribute messages version 1 (IV.A.2.m), as HDF5
// writes them by default.
func (w *fileWriter) attrMessages(attrs []buildAttr) []message {
	var out []message
	for i := range attrs {
		a := &attrs[i]
		data := a.data
		if a.strs != nil {
			data = nil
			for j, id := range w.heapIDs[a] {
				data = binary.LittleEndian.AppendUint32(data, uint32(len(a.strs[j])))
				data = binary.LittleEndian.AppendUint64(data, id.addr)
				data = binary.LittleEndian.AppendUint32(data, id.idx)
			}
		}
		name := append([]byte(a.name), 0)
		dt := encodeDatatype(a.dtype)
		ds := encodeDataspace(a.shape)
		m := []byte{1, 0}
		m = binary.LittleEndian.AppendUint16(m, uint16(len(name)))
		m = binary.LittleEndian.AppendUint16(m, uint16(len(dt)))
		m = binary.LittleEndian.AppendUint16(m, uint16(len(ds)))
		for _, part := range [][]byte{name, dt, ds} {
			m = append(m, part...)
			m = append(m, make([]byte, align8(len(part))-len(part))...)
		}
		m = append(m, data...)
		out = append(out, message{typ: msgAttribute, data: m})
	}
	return out
}

// encodeDataspace encodes a version-1 dataspace message (IV.A.2.b) with
// maximum dimensions equal to the dimensions, as h5py writes them.
func encodeDataspace(shape []int) []byte {
	flags := byte(0)
	if len(shape) > 0 {
		flags = 1
	}
	b := []byte{1, byte(len(shape)), flags, 0, 0, 0, 0, 0}
	for range 2 {
		for _, d := range shape {
			b = binary.LittleEndian.AppendUint64(b, uint64(d))
		}
	}
	return b
}

// encodeDatatype encodes a datatype message (IV.A.2.d), version 1.
func encodeDatatype(t Datatype) []byte {
	var b []byte
	switch {
	case t.Class == Float && t.Size == 4:
		b = []byte{0x11, 0x20, 0x1f, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0}
	case t.Class == Float && t.Size == 8:
		b = []byte{0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0}
	case t.Class == Integer: // signed little-endian, 8 bytes
		b = []byte{0x10, 0x08, 0, 0, 8, 0, 0, 0, 0, 0, 64, 0}
	case t.Class == String && t.Variable:
		// Variable-length string of UTF-8 (or ASCII), NULL-terminated,
		// whose base type is an unsigned byte, as HDF5 encodes H5T_C_S1
		// variable.
		b = []byte{0x19, 0x01, 0x01, 0x00, 16, 0, 0, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0}
		if !t.UTF8 {
			b[2] = 0x00 // character set bits 8-11: 0, ASCII
		}
	case t.Class == String:
		b = []byte{0x13, byte(t.Pad), 0, 0}
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Size))
	}
	return b
}
