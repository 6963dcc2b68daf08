package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// Uint8Array is an n-dimensional uint8 array, row-major: what Keras's
// loaders return for images and labels.
type Uint8Array struct {
	Shape []int
	Data  []uint8
}

// maxArrayBytes bounds what a header may claim, so a corrupt or hostile
// file cannot make a reader allocate without limit.
const maxArrayBytes = 1 << 32

// ReadIDX reads an IDX file of unsigned bytes (LeCun's MNIST format: magic
// 0x00 0x00 0x08 NDIMS, big-endian int32 sizes, then the data), gzipped or
// not: a gzip stream is detected by its magic number.
func ReadIDX(r io.Reader) (*Uint8Array, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("dataset: idx: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("dataset: idx: reading the magic number: %w", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("dataset: idx: bad magic number % x: not an IDX file", magic)
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("dataset: idx: element type 0x%02x is not supported (only 0x08, unsigned byte)", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("dataset: idx: zero dimensions")
	}
	shape := make([]int, nd)
	size := 1
	for i := range shape {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("dataset: idx: reading dimension %d: %w", i, err)
		}
		shape[i] = int(d)
		if d != 0 && size > maxArrayBytes/int(d) {
			return nil, fmt.Errorf("dataset: idx: shape %v is too large", shape[:i+1])
		}
		size *= int(d)
	}
	// Read through a limit instead of allocating size up front: a truncated
	// file then costs only what it holds.
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(br, int64(size)))
	if err != nil {
		return nil, fmt.Errorf("dataset: idx: reading data: %w", err)
	}
	if n != int64(size) {
		return nil, fmt.Errorf("dataset: idx: truncated: shape %v needs %d bytes of data, file has %d", shape, size, n)
	}
	// Read to the end: a gzip stream checks its length and CRC only there.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, fmt.Errorf("dataset: idx: after the data: %w", err)
	}
	return &Uint8Array{Shape: shape, Data: buf.Bytes()}, nil
}
