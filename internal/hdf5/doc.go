// Package hdf5 reads and writes the small subset of HDF5 that Keras uses
// for its model files: the model.weights.h5 member of a .keras zip, legacy
// .h5 models and .weights.h5 files (keras/src/saving/saving_lib.py,
// keras/src/legacy/saving/legacy_h5_format.py). It is written against the
// HDF5 File Format Specification version 3.0 (section numbers in comments
// refer to it) and is pure Go.
//
// Reading: Open a file (an io.ReaderAt and its size; for a .keras zip, the
// stored model.weights.h5 member), take its Root group, list Members (in
// byte order, which is not Keras's order: order weights by the
// layer_names/weight_names attributes or the vars/0, 1, ... index), open
// each with Group or Dataset (Kind tells which), or Walk everything. A
// Dataset has a Shape and Datatype and reads as ReadFloat32, ReadFloat64,
// ReadInt64 or ReadStrings; an Attr reads as String, Strings, Int64s,
// Float64s or Value. Errors about the file wrap ErrFormat.
//
// Writing: NewBuilder, then Root().Group(name) for groups, AddFloat32,
// AddFloat64 and AddInt64 for datasets, SetAttr for attributes (string and
// []string are variable-length UTF-8 strings, as h5py writes Python str;
// ASCIIString and ASCIIStrings variable-length ASCII strings, as h5py
// writes Python bytes; FixedStrings are Keras 2's fixed-length arrays),
// and WriteTo.
//
// Supported when reading:
//   - superblock versions 0 and 1 (II.A; 2-, 4- or 8-byte offsets and lengths),
//     and versions 2 and 3 (II.A) when the objects use the structures below;
//     at offset 0 or after a user block (at 512, 1024, 2048, ... bytes);
//   - version-1 object headers (IV.A.1.a) with continuation blocks, and
//     version-2 object headers (IV.A.1.b; their checksums and the
//     version 2/3 superblock's are verified);
//   - old-style groups: symbol table message, version-1 B-trees of group
//     nodes, symbol table nodes and local heaps (III.A.1, III.B, III.D);
//     new-style compact groups made of link messages (hard links only);
//   - datasets with contiguous or compact layout (data layout message
//     versions 3 and 4), no filters; unallocated storage reads as zeros;
//   - datatypes: little- or big-endian integers of 1, 2, 4, 8 bytes,
//     IEEE float16/32/64, fixed-length strings (NULL-terminated, NULL- or
//     space-padded) and variable-length strings in the global heap (III.E);
//   - dataspaces: scalar, simple (rank ≤ 32) and null;
//   - attribute messages versions 1, 2 and 3 stored in the object header.
//
// Refused with an error naming the structure: chunked layout, filters
// (compression), shared or committed datatypes, dense link or attribute
// storage (fractal heaps, version-2 B-trees), soft and external links,
// compound, enum, array, reference, opaque and variable-length sequence
// types, and anything else not listed above.
//
// Hardening: every address and length a file supplies is checked against
// the file size before it is read, so allocations stay proportional to
// the file size; the element count times the element size of a dataset or attribute
// must fit in its storage; B-tree descent requires strictly decreasing
// levels and visits each node once; object header continuation chains are
// bounded; Group.Walk visits each object once and bounds the depth. A bad
// file returns an error, never a panic or a hang (FuzzOpen). Parsed
// headers and heaps kept for reuse total at most twice the file size.
//
// The Builder writes files in the layout Keras's h5py writes by default
// (superblock 0, version-1 object headers, symbol-table groups, contiguous
// datasets, variable-length UTF-8 or ASCII string attributes in a global
// heap);
// tests read every file it writes back with h5py, through which Keras
// reads. Each group is one B-tree leaf node (the file's group K grows to
// fit the largest group), and an attribute holds at most 64000 bytes in
// its header (Keras splits longer name lists itself).
package hdf5
