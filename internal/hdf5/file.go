package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is wrapped by every error about a malformed or unsupported file.
var ErrFormat = errors.New("hdf5: invalid or unsupported file")

func formatErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, a...)...)
}

// signature is the format signature that starts the superblock (II.A).
var signature = []byte{0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}

// Limits on what a file may make the reader do.
const (
	maxDepth       = 64      // group nesting for Walk and B-tree levels
	maxRank        = 32      // dataspace rank, as in the HDF5 library
	maxHeaderChunk = 1 << 12 // object header continuation blocks per header
)

// File is an open HDF5 file. It is not safe for concurrent use.
type File struct {
	r        io.ReaderAt
	size     uint64
	base     uint64
	offSize  int // size of offsets (addresses) in bytes
	lenSize  int // size of lengths in bytes
	rootAddr uint64

	headers map[uint64]*objectHeader
	gheaps  map[uint64]map[uint16][]byte
	cached  uint64 // bytes held by headers and gheaps
}

// cache counts n more bytes held in the caches; overlapping structures
// in a crafted file could otherwise make them many times the file size.
func (f *File) cache(n uint64) error {
	f.cached += n
	if f.cached > 2*f.size+1<<20 {
		return formatErr("file structures overlap: more than twice the file size parsed")
	}
	return nil
}

// Open reads the superblock of the HDF5 file in r, which holds size bytes,
// and returns the file. The superblock is at offset 0, or after a user
// block at 512, 1024, 2048, ... bytes (II.A: "the superblock may begin at
// certain predefined offsets within the HDF5 file"); addresses are then
// relative to it, as the HDF5 library reads them when the base address
// field does not match the superblock's position.
func Open(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("hdf5: negative file size %d", size)
	}
	at := superblockOffset(r, size)
	f := &File{r: io.NewSectionReader(r, at, size-at), size: uint64(size - at), headers: map[uint64]*objectHeader{}, gheaps: map[uint64]map[uint16][]byte{}}
	if err := f.readSuperblock(); err != nil {
		return nil, err
	}
	return f, nil
}

// superblockOffset finds the signature at 0, 512, 1024, ... (0 when it is
// nowhere, so that the superblock reader reports the missing signature).
func superblockOffset(r io.ReaderAt, size int64) int64 {
	var b [8]byte
	for at := int64(0); at+int64(len(b)) <= size; at = max(512, 2*at) {
		if _, err := r.ReadAt(b[:], at); err == nil && bytes.Equal(b[:], signature) {
			return at
		}
	}
	return 0
}

// readSuperblock parses the superblock (II.A).
func (f *File) readSuperblock() error {
	head, err := f.readAbs(0, 16)
	if err != nil {
		return formatErr("file too short for a superblock (%d bytes)", f.size)
	}
	if !bytes.Equal(head[:8], signature) {
		return formatErr("no HDF5 signature at offset 0, 512, 1024, ... (not an HDF5 file)")
	}
	version := head[8]
	switch version {
	case 0, 1:
		// II.A, versions 0 and 1: versions, sizes, K values, flags, then four addresses
		// and the root group symbol table entry.
		f.offSize, f.lenSize = int(head[13]), int(head[14])
		if err := f.checkSizes(); err != nil {
			return err
		}
		n := 24
		if version == 1 {
			n += 4 // indexed storage internal node K + reserved
		}
		n += 4*f.offSize + 2*f.offSize + 24 // addresses + root entry head
		b, err := f.readAbs(0, uint64(n))
		if err != nil {
			return formatErr("truncated superblock: %v", err)
		}
		c := &cursor{b: b, off: n - 4*f.offSize - 2*f.offSize - 24, f: f}
		f.base = c.addr()
		c.addr() // free-space info
		c.addr() // end of file address
		c.addr() // driver information block
		c.addr() // root link name offset
		f.rootAddr = c.addr()
		if c.err != nil {
			return c.err
		}
	case 2, 3:
		// II.A, versions 2 and 3: sizes, flags, base, extension, EOF, root header, checksum.
		f.offSize, f.lenSize = int(head[9]), int(head[10])
		if err := f.checkSizes(); err != nil {
			return err
		}
		b, err := f.readAbs(0, uint64(12+4*f.offSize+4))
		if err != nil {
			return formatErr("truncated superblock: %v", err)
		}
		if !checksummed(b) {
			return formatErr("superblock checksum mismatch (corrupt file)")
		}
		c := &cursor{b: b, off: 12, f: f}
		f.base = c.addr()
		if ext := c.addr(); ext != f.undef() {
			return formatErr("superblock extension is not supported")
		}
		c.addr() // end of file address
		f.rootAddr = c.addr()
		if c.err != nil {
			return c.err
		}
	default:
		return formatErr("superblock version %d is not supported", version)
	}
	// f.base, the base address field, is the superblock's own position in
	// a file written with a user block; reads are relative to the
	// superblock whatever it says, as the HDF5 library adjusts them.
	return nil
}

func (f *File) checkSizes() error {
	for _, s := range []int{f.offSize, f.lenSize} {
		if s != 2 && s != 4 && s != 8 {
			return formatErr("size of offsets/lengths %d is not 2, 4 or 8", s)
		}
	}
	return nil
}

// undef is the undefined address: all bits set.
func (f *File) undef() uint64 {
	if f.offSize == 8 {
		return ^uint64(0)
	}
	return 1<<(8*f.offSize) - 1
}

// read reads n bytes at address addr, checking both against the file size
// first so that the allocation never exceeds it.
func (f *File) read(addr, n uint64) ([]byte, error) {
	if addr == f.undef() {
		return nil, formatErr("read at the undefined address")
	}
	return f.readAbs(addr, n)
}

func (f *File) readAbs(addr, n uint64) ([]byte, error) {
	if n > f.size || addr > f.size-n {
		return nil, formatErr("%d bytes at offset %d run past the end of the file (%d bytes)", n, addr, f.size)
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, int64(addr)); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		if errors.Is(err, io.EOF) {
			return nil, formatErr("%d bytes at offset %d: unexpected end of file", n, addr)
		}
		return nil, fmt.Errorf("hdf5: read %d bytes at offset %d: %w", n, addr, err)
	}
	return b, nil
}

// cursor decodes little-endian fields from b; the first overrun is kept in
// err and later reads return zeros, so parsers check once at the end.
type cursor struct {
	b   []byte
	off int
	err error
	f   *File
}

func (c *cursor) fail(format string, a ...any) {
	if c.err == nil {
		c.err = formatErr(format, a...)
	}
}

func (c *cursor) bytes(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > len(c.b)-c.off {
		c.fail("structure truncated: need %d bytes at %d of %d", n, c.off, len(c.b))
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *cursor) uint(n int) uint64 {
	b := c.bytes(n)
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (c *cursor) u8() uint8    { return uint8(c.uint(1)) }
func (c *cursor) u16() uint16  { return uint16(c.uint(2)) }
func (c *cursor) u32() uint32  { return uint32(c.uint(4)) }
func (c *cursor) addr() uint64 { return c.uint(c.f.offSize) }
func (c *cursor) length() uint64 {
	return c.uint(c.f.lenSize)
}
func (c *cursor) skip(n int)     { c.bytes(n) }
func (c *cursor) remaining() int { return len(c.b) - c.off }

// align8 rounds n up to a multiple of 8.
func align8(n int) int { return (n + 7) &^ 7 }
