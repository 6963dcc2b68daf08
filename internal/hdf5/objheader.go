package hdf5

import "bytes"

// Header message types (IV.A.2).
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgExternal     = 0x07
	msgLayout       = 0x08
	msgGroupInfo    = 0x0A
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// message is one header message: its type, flags and raw data.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// objectHeader is a parsed object header: all messages of all its chunks.
type objectHeader struct {
	addr uint64
	msgs []message
}

func (h *objectHeader) find(typ uint16) *message {
	for i := range h.msgs {
		if h.msgs[i].typ == typ {
			return &h.msgs[i]
		}
	}
	return nil
}

// header returns the object header at addr, parsing it once per file.
func (f *File) header(addr uint64) (*objectHeader, error) {
	if h, ok := f.headers[addr]; ok {
		return h, nil
	}
	h, err := f.parseHeader(addr)
	if err != nil {
		return nil, err
	}
	f.headers[addr] = h
	return h, nil
}

type chunk struct{ addr, size uint64 }

// parseHeader reads a version-1 (IV.A.1.a) or version-2 (IV.A.1.b) object
// header and follows its continuation messages (IV.A.2.q), each block
// once, at most maxHeaderChunk blocks.
func (f *File) parseHeader(addr uint64) (*objectHeader, error) {
	h := &objectHeader{addr: addr}
	if addr >= f.size {
		return nil, formatErr("object header at %d is past the end of the file (%d bytes)", addr, f.size)
	}
	// A version-1 prefix is 16 bytes; a version-2 header may be shorter.
	pre, err := f.read(addr, min(16, f.size-addr))
	if err != nil {
		return nil, formatErr("object header at %d: %v", addr, err)
	}
	v2 := bytes.HasPrefix(pre, []byte("OHDR"))
	var queue []chunk
	seen := map[uint64]bool{}
	if v2 {
		c := &cursor{b: pre, off: 4, f: f}
		if v := c.u8(); v != 2 {
			return nil, formatErr("object header at %d: OHDR version %d", addr, v)
		}
		flags := c.u8()
		if c.err != nil {
			return nil, formatErr("object header at %d: truncated prefix", addr)
		}
		n := 6
		if flags&0x20 != 0 {
			n += 16 // access, modification, change, birth times
		}
		if flags&0x10 != 0 {
			n += 4 // attribute phase change values
		}
		sizeLen := 1 << (flags & 3)
		b, err := f.read(addr, uint64(n+sizeLen))
		if err != nil {
			return nil, formatErr("object header at %d: %v", addr, err)
		}
		c = &cursor{b: b, off: n, f: f}
		size := c.uint(sizeLen)
		if size > f.size {
			return nil, formatErr("object header at %d: chunk of %d bytes is larger than the file", addr, size)
		}
		// The checksum follows chunk 0 and covers the prefix and chunk.
		whole, err := f.read(addr, uint64(n+sizeLen)+size+4)
		if err != nil {
			return nil, formatErr("object header at %d: %v", addr, err)
		}
		if !checksummed(whole) {
			return nil, formatErr("object header at %d: checksum mismatch (corrupt file)", addr)
		}
		queue = append(queue, chunk{addr + uint64(n+sizeLen), size})
		if err := f.parseChunks(h, queue, seen, true, flags&0x04 != 0); err != nil {
			return nil, err
		}
		return h, nil
	}
	c := &cursor{b: pre, f: f}
	if v := c.u8(); v != 1 {
		return nil, formatErr("object header at %d: version %d is not supported", addr, v)
	}
	c.skip(1)
	c.u16() // number of messages; counted while parsing instead
	c.u32() // reference count
	size := uint64(c.u32())
	if c.err != nil {
		return nil, formatErr("object header at %d: truncated prefix", addr)
	}
	queue = append(queue, chunk{addr + 16, size})
	if err := f.parseChunks(h, queue, seen, false, false); err != nil {
		return nil, err
	}
	return h, nil
}

func (f *File) parseChunks(h *objectHeader, queue []chunk, seen map[uint64]bool, v2, crtOrder bool) error {
	first := true
	for len(queue) > 0 {
		ch := queue[0]
		queue = queue[1:]
		if seen[ch.addr] {
			return formatErr("object header at %d: continuation loop", h.addr)
		}
		seen[ch.addr] = true
		if len(seen) > maxHeaderChunk {
			return formatErr("object header at %d: more than %d continuation blocks", h.addr, maxHeaderChunk)
		}
		b, err := f.read(ch.addr, ch.size)
		if err != nil {
			return formatErr("object header at %d: %v", h.addr, err)
		}
		if err := f.cache(ch.size); err != nil {
			return err
		}
		c := &cursor{b: b, f: f}
		hdrLen := 8
		if v2 {
			if !first {
				if !checksummed(b) {
					return formatErr("object header at %d: continuation block at %d: checksum mismatch (corrupt file)", h.addr, ch.addr)
				}
				if !bytes.Equal(c.bytes(4), []byte("OCHK")) {
					return formatErr("object header at %d: continuation block at %d lacks OCHK", h.addr, ch.addr)
				}
			}
			// The checksum ends every v2 chunk (in the chunk-0 size only
			// for continuation blocks, after the size for chunk 0).
			if !first {
				c.b = c.b[:max(len(c.b)-4, c.off)]
			}
			hdrLen = 4
			if crtOrder {
				hdrLen = 6
			}
		}
		first = false
		for c.err == nil && c.remaining() >= hdrLen {
			var m message
			if v2 {
				m.typ = uint16(c.u8())
				size := int(c.u16())
				m.flags = c.u8()
				if crtOrder {
					c.skip(2)
				}
				m.data = c.bytes(size)
			} else {
				m.typ = c.u16()
				size := int(c.u16())
				m.flags = c.u8()
				c.skip(3)
				m.data = c.bytes(size)
			}
			if c.err != nil {
				return formatErr("object header at %d: message overruns its block", h.addr)
			}
			if m.typ == msgContinuation {
				mc := &cursor{b: m.data, f: f}
				next := chunk{mc.addr(), mc.length()}
				if mc.err != nil {
					return formatErr("object header at %d: bad continuation message", h.addr)
				}
				queue = append(queue, next)
				continue
			}
			if m.typ != msgNil {
				h.msgs = append(h.msgs, m)
			}
		}
	}
	return nil
}
