package hdf5

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Group is an HDF5 group: named links to groups and datasets, and
// attributes.
type Group struct {
	f     *File
	hdr   *objectHeader
	path  string
	links []link // sorted by name; nil until read
}

type link struct {
	name string
	addr uint64
}

// Root returns the root group ("/").
func (f *File) Root() (*Group, error) {
	h, err := f.header(f.rootAddr)
	if err != nil {
		return nil, fmt.Errorf("root group: %w", err)
	}
	if !isGroup(h) {
		return nil, formatErr("root object is not a group")
	}
	return &Group{f: f, hdr: h, path: "/"}, nil
}

// Path is the group's path from the root, as it was opened ("/" for the root).
func (g *Group) Path() string { return g.path }

func isGroup(h *objectHeader) bool {
	return h.find(msgSymbolTable) != nil || h.find(msgLinkInfo) != nil || h.find(msgLink) != nil || h.find(msgGroupInfo) != nil
}

func isDataset(h *objectHeader) bool { return h.find(msgLayout) != nil }

// Members returns the names of the group's members in name (byte) order,
// the order HDF5 stores them in; it is not the order Keras wrote them in.
func (g *Group) Members() ([]string, error) {
	if err := g.readLinks(); err != nil {
		return nil, err
	}
	names := make([]string, len(g.links))
	for i, l := range g.links {
		names[i] = l.name
	}
	return names, nil
}

// Kind is what a group member is.
type Kind int

// Member kinds.
const (
	KindOther Kind = iota
	KindGroup
	KindDataset
)

// Kind reports whether member name is a group or a dataset.
func (g *Group) Kind(name string) (Kind, error) {
	h, err := g.member(name)
	if err != nil {
		return KindOther, err
	}
	switch {
	case isGroup(h):
		return KindGroup, nil
	case isDataset(h):
		return KindDataset, nil
	}
	return KindOther, nil
}

// Group returns the member group name.
func (g *Group) Group(name string) (*Group, error) {
	h, err := g.member(name)
	if err != nil {
		return nil, err
	}
	if !isGroup(h) {
		return nil, fmt.Errorf("hdf5: %s is not a group", g.join(name))
	}
	return &Group{f: g.f, hdr: h, path: g.join(name)}, nil
}

// Dataset returns the member dataset name.
func (g *Group) Dataset(name string) (*Dataset, error) {
	h, err := g.member(name)
	if err != nil {
		return nil, err
	}
	if !isDataset(h) {
		return nil, fmt.Errorf("hdf5: %s is not a dataset", g.join(name))
	}
	return g.f.openDataset(h, g.join(name))
}

// Attrs returns the group's attributes in the order they are stored.
func (g *Group) Attrs() ([]*Attr, error) { return g.f.attrs(g.hdr, g.path) }

// Attr returns the group's attribute name.
func (g *Group) Attr(name string) (*Attr, error) { return g.f.attr(g.hdr, g.path, name) }

func (g *Group) join(name string) string {
	if g.path == "/" {
		return "/" + name
	}
	return g.path + "/" + name
}

func (g *Group) member(name string) (*objectHeader, error) {
	if err := g.readLinks(); err != nil {
		return nil, err
	}
	i, ok := slices.BinarySearchFunc(g.links, name, func(l link, n string) int { return strings.Compare(l.name, n) })
	if !ok {
		return nil, fmt.Errorf("hdf5: %s: no such member", g.join(name))
	}
	h, err := g.f.header(g.links[i].addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", g.join(name), err)
	}
	return h, nil
}

// Walk calls fn for every group and dataset below g, depth first in name
// order, with its path; exactly one of sub and d is non-nil. Each object is
// visited once even if several links lead to it (the later links are
// skipped), and nesting deeper than 64 levels is an error. An error from
// fn stops the walk and is returned.
func (g *Group) Walk(fn func(path string, sub *Group, d *Dataset) error) error {
	seen := map[uint64]bool{g.hdr.addr: true}
	return g.walk(fn, seen, 0)
}

func (g *Group) walk(fn func(string, *Group, *Dataset) error, seen map[uint64]bool, depth int) error {
	if depth >= maxDepth {
		return formatErr("%s: groups nested deeper than %d", g.path, maxDepth)
	}
	if err := g.readLinks(); err != nil {
		return err
	}
	for _, l := range g.links {
		if seen[l.addr] {
			continue
		}
		seen[l.addr] = true
		h, err := g.f.header(l.addr)
		if err != nil {
			return fmt.Errorf("%s: %w", g.join(l.name), err)
		}
		p := g.join(l.name)
		switch {
		case isGroup(h):
			sub := &Group{f: g.f, hdr: h, path: p}
			if err := fn(p, sub, nil); err != nil {
				return err
			}
			if err := sub.walk(fn, seen, depth+1); err != nil {
				return err
			}
		case isDataset(h):
			d, err := g.f.openDataset(h, p)
			if err != nil {
				return err
			}
			if err := fn(p, nil, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// readLinks reads the group's links once: from the symbol table (old-style
// groups, IV.A.2.r) or from link messages (compact new-style groups,
// IV.A.2.g).
func (g *Group) readLinks() error {
	if g.links != nil {
		return nil
	}
	var links []link
	if m := g.hdr.find(msgSymbolTable); m != nil {
		c := &cursor{b: m.data, f: g.f}
		btree, heap := c.addr(), c.addr()
		if c.err != nil {
			return formatErr("%s: truncated symbol table message", g.path)
		}
		var err error
		if links, err = g.f.readSymbolTable(btree, heap); err != nil {
			return fmt.Errorf("%s: %w", g.path, err)
		}
	} else {
		if m := g.hdr.find(msgLinkInfo); m != nil {
			c := &cursor{b: m.data, f: g.f}
			c.u8() // version
			if c.u8()&1 != 0 {
				c.skip(8) // maximum creation index
			}
			if heap := c.addr(); c.err == nil && heap != g.f.undef() {
				return formatErr("%s: dense link storage (fractal heap) is not supported", g.path)
			}
		}
		for _, m := range g.hdr.msgs {
			if m.typ != msgLink {
				continue
			}
			l, err := g.f.parseLink(m.data)
			if err != nil {
				return fmt.Errorf("%s: %w", g.path, err)
			}
			links = append(links, l)
		}
	}
	slices.SortFunc(links, func(a, b link) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(links); i++ {
		if links[i].name == links[i-1].name {
			return formatErr("%s: member %q appears twice", g.path, links[i].name)
		}
	}
	if links == nil {
		links = []link{}
	}
	g.links = links
	return nil
}

// parseLink decodes a link message (IV.A.2.g); only hard links are read.
func (f *File) parseLink(b []byte) (link, error) {
	c := &cursor{b: b, f: f}
	if v := c.u8(); v != 1 {
		return link{}, formatErr("link message version %d", v)
	}
	flags := c.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		c.skip(1) // character set
	}
	n := int(c.uint(1 << (flags & 3)))
	name := string(c.bytes(n))
	if typ != 0 {
		return link{}, formatErr("link %q is a soft or external link (type %d), which is not supported", name, typ)
	}
	addr := c.addr()
	if c.err != nil {
		return link{}, formatErr("truncated link message")
	}
	if name == "" {
		return link{}, formatErr("link with an empty name")
	}
	return link{name: name, addr: addr}, nil
}

// readSymbolTable lists an old-style group: a version-1 B-tree of group
// nodes (III.A.1) whose leaves point to symbol table nodes (III.B) whose
// entries (III.C) name their links by offsets into a local heap (III.D).
func (f *File) readSymbolTable(btree, heapAddr uint64) ([]link, error) {
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var links []link
	seen := map[uint64]bool{}
	var walk func(addr uint64, level int) error
	walk = func(addr uint64, level int) error {
		if seen[addr] {
			return formatErr("B-tree node %d reached twice", addr)
		}
		seen[addr] = true
		hdr, err := f.read(addr, uint64(8+2*f.offSize))
		if err != nil {
			return formatErr("B-tree node: %v", err)
		}
		if !bytes.Equal(hdr[:4], []byte("TREE")) {
			return formatErr("B-tree node at %d lacks its TREE signature", addr)
		}
		if hdr[4] != 0 {
			return formatErr("B-tree node at %d has type %d, want 0 (group)", addr, hdr[4])
		}
		nodeLevel := int(hdr[5])
		if level >= 0 && nodeLevel != level {
			return formatErr("B-tree node at %d has level %d, want %d", addr, nodeLevel, level)
		}
		if nodeLevel >= maxDepth {
			return formatErr("B-tree node at %d has level %d", addr, nodeLevel)
		}
		used := int(hdr[6]) | int(hdr[7])<<8
		body, err := f.read(addr+uint64(len(hdr)), uint64(used*(f.lenSize+f.offSize)+f.lenSize))
		if err != nil {
			return formatErr("B-tree node at %d: %v", addr, err)
		}
		c := &cursor{b: body, f: f}
		for i := 0; i < used; i++ {
			c.length() // key: heap offset of a name
			child := c.addr()
			if c.err != nil {
				return c.err
			}
			if nodeLevel > 0 {
				err = walk(child, nodeLevel-1)
			} else {
				err = f.readSymbolNode(child, heap, &links, seen)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(btree, -1); err != nil {
		return nil, err
	}
	return links, nil
}

func (f *File) readSymbolNode(addr uint64, heap []byte, links *[]link, seen map[uint64]bool) error {
	if seen[addr] {
		return formatErr("symbol table node %d reached twice", addr)
	}
	seen[addr] = true
	hdr, err := f.read(addr, 8)
	if err != nil {
		return formatErr("symbol table node: %v", err)
	}
	if !bytes.Equal(hdr[:4], []byte("SNOD")) {
		return formatErr("symbol table node at %d lacks its SNOD signature", addr)
	}
	n := int(hdr[6]) | int(hdr[7])<<8
	entrySize := 2*f.offSize + 24
	body, err := f.read(addr+8, uint64(n*entrySize))
	if err != nil {
		return formatErr("symbol table node at %d: %v", addr, err)
	}
	c := &cursor{b: body, f: f}
	for i := 0; i < n; i++ {
		nameOff := c.length()
		obj := c.addr()
		c.skip(24) // cache type, reserved, scratch pad
		if c.err != nil {
			return c.err
		}
		name, err := heapString(heap, nameOff)
		if err != nil {
			return err
		}
		*links = append(*links, link{name: name, addr: obj})
		if uint64(len(*links)) > f.size/uint64(entrySize) {
			return formatErr("symbol table lists more entries than the file can hold")
		}
	}
	return nil
}

// localHeap returns the data segment of the local heap at addr (III.D).
func (f *File) localHeap(addr uint64) ([]byte, error) {
	b, err := f.read(addr, uint64(8+2*f.lenSize+f.offSize))
	if err != nil {
		return nil, formatErr("local heap: %v", err)
	}
	if !bytes.Equal(b[:4], []byte("HEAP")) || b[4] != 0 {
		return nil, formatErr("local heap at %d lacks its HEAP signature or has version %d", addr, b[4])
	}
	c := &cursor{b: b, off: 8, f: f}
	size := c.length()
	c.length() // free list head
	data := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	seg, err := f.read(data, size)
	if err != nil {
		return nil, formatErr("local heap data: %v", err)
	}
	return seg, nil
}

// heapString reads the NUL-terminated name at off in a local heap.
func heapString(heap []byte, off uint64) (string, error) {
	if off >= uint64(len(heap)) {
		return "", formatErr("name offset %d outside the local heap (%d bytes)", off, len(heap))
	}
	s := heap[off:]
	end := bytes.IndexByte(s, 0)
	if end < 0 {
		return "", formatErr("name at heap offset %d is not terminated", off)
	}
	if end == 0 {
		return "", formatErr("empty link name at heap offset %d", off)
	}
	return string(s[:end]), nil
}
