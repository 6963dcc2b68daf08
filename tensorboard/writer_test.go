package tensorboard

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// readRecords splits a TFRecord file as the spec says
// (tensorflow/core/lib/io/record_reader.cc): uint64 length, masked CRC-32C
// of the length, data, masked CRC-32C of the data; both checksums are
// checked with a mask written here independently of MaskedCRC.
func readRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	mask := func(p []byte) uint32 {
		c := crc32.Update(0, crc32.MakeTable(0x82f63b78), p)
		return bits.RotateLeft32(c, -15) + 0xa282ead8
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%d trailing bytes, too few for a record header", len(b))
		}
		n := binary.LittleEndian.Uint64(b)
		if got, want := binary.LittleEndian.Uint32(b[8:]), mask(b[:8]); got != want {
			t.Fatalf("length CRC %#x, want %#x", got, want)
		}
		if uint64(len(b)-16) < n {
			t.Fatalf("record of %d bytes, %d left", n, len(b)-16)
		}
		data := b[12 : 12+n]
		if got, want := binary.LittleEndian.Uint32(b[12+n:]), mask(data); got != want {
			t.Fatalf("data CRC %#x, want %#x", got, want)
		}
		out = append(out, data)
		b = b[16+n:]
	}
	return out
}

// fields decodes one message level into field number -> raw values
// (varints as uint64, fixed64 as uint64, bytes as []byte).
func fields(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	m := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			v, n = protowire.ConsumeFixed32(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d has wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		m[num] = append(m[num], v)
		b = b[n:]
	}
	return m
}

func one(t *testing.T, m map[protowire.Number][]any, num protowire.Number) any {
	t.Helper()
	if len(m[num]) != 1 {
		t.Fatalf("field %d occurs %d times, want once", num, len(m[num]))
	}
	return m[num][0]
}

// event is a decoded Event holding one tensor summary value.
type event struct {
	wall    float64
	step    int64
	version string
	tag     string
	plugin  string
	class   uint64
	dtype   uint64
	shape   []int64
	content []byte
}

func decodeEvent(t *testing.T, rec []byte) event {
	t.Helper()
	f := fields(t, rec)
	var e event
	e.wall = math.Float64frombits(one(t, f, 1).(uint64))
	if s, ok := f[2]; ok {
		e.step = int64(s[0].(uint64))
	}
	if v, ok := f[3]; ok {
		e.version = string(v[0].([]byte))
		return e
	}
	sum := fields(t, one(t, f, 5).([]byte))
	val := fields(t, one(t, sum, 1).([]byte))
	e.tag = string(one(t, val, 1).([]byte))
	meta := fields(t, one(t, val, 9).([]byte))
	pd := fields(t, one(t, meta, 1).([]byte))
	e.plugin = string(one(t, pd, 1).([]byte))
	e.class = one(t, meta, 4).(uint64)
	ten := fields(t, one(t, val, 8).([]byte))
	e.dtype = one(t, ten, 1).(uint64)
	for _, d := range fields(t, one(t, ten, 2).([]byte))[2] {
		e.shape = append(e.shape, int64(one(t, fields(t, d.([]byte)), 1).(uint64)))
	}
	e.content = one(t, ten, 4).([]byte)
	return e
}

func TestMaskedCRC(t *testing.T) {
	// CRC-32C's check value (RFC 3720 B.4 and every CRC catalogue):
	// "123456789" -> 0xe3069283; masked by hand: rotate right 15, add.
	c := uint32(0xe3069283)
	want := (c>>15 | c<<17) + 0xa282ead8
	if got := MaskedCRC([]byte("123456789")); got != want {
		t.Errorf("MaskedCRC = %#x, want %#x", got, want)
	}
}

func TestWriterRecords(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(filepath.Join(dir, "train"))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	re := regexp.MustCompile(`^events\.out\.tfevents\.\d{10}\.` + regexp.QuoteMeta(host) + fmt.Sprintf(`\.%d\.\d+\.v2$`, os.Getpid()))
	if !re.MatchString(filepath.Base(w.Path())) {
		t.Errorf("file name %q does not match %v", filepath.Base(w.Path()), re)
	}
	if err := w.Scalar("epoch_loss", 0, 0.75); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("epoch_loss", 3, -2.5); err != nil {
		t.Fatal(err)
	}
	if err := w.Histogram("dense/kernel/histogram", 1, []float32{0, 1, 1, 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.KerasModel([]byte(`{"class_name": "Sequential"}`)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, b)
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	first := decodeEvent(t, recs[0])
	if first.version != "brain.Event:2" || first.step != 0 || first.wall < 1e9 {
		t.Errorf("first event %+v, want file_version brain.Event:2 at step 0 with a wall time", first)
	}
	for i, c := range []struct {
		step int64
		v    float32
	}{{0, 0.75}, {3, -2.5}} {
		e := decodeEvent(t, recs[1+i])
		if e.tag != "epoch_loss" || e.step != c.step || e.plugin != "scalars" || e.class != 1 || e.dtype != 1 || len(e.shape) != 0 || len(e.content) != 4 {
			t.Fatalf("scalar event %+v", e)
		}
		if got := math.Float32frombits(binary.LittleEndian.Uint32(e.content)); got != c.v {
			t.Errorf("scalar %d = %v, want %v", i, got, c.v)
		}
	}
	h := decodeEvent(t, recs[3])
	if h.tag != "dense/kernel/histogram" || h.step != 1 || h.plugin != "histograms" || h.class != 2 || h.dtype != 2 ||
		len(h.shape) != 2 || h.shape[0] != 30 || h.shape[1] != 3 || len(h.content) != 30*3*8 {
		t.Fatalf("histogram event %+v", h)
	}
	// 0, 1, 1, 3 in 30 buckets of width 0.1: 0 in the first, the 1s in
	// bucket 10 (floor(1/0.1) = 10), 3 clamped into the last.
	counts := map[int]float64{}
	for i := range 30 {
		if c := math.Float64frombits(binary.LittleEndian.Uint64(h.content[(i*3+2)*8:])); c != 0 {
			counts[i] = c
		}
	}
	if len(counts) != 3 || counts[0] != 1 || counts[10] != 2 || counts[29] != 1 {
		t.Errorf("histogram counts %v, want 1 at 0, 2 at 10, 1 at 29", counts)
	}

	// Keras's write_graph summary: tag "keras", plugin graph_keras_model
	// with content "1", no data class, a DT_STRING scalar.
	ev := fields(t, recs[4])
	val := fields(t, one(t, fields(t, one(t, ev, 5).([]byte)), 1).([]byte))
	meta := fields(t, one(t, val, 9).([]byte))
	pd := fields(t, one(t, meta, 1).([]byte))
	ten := fields(t, one(t, val, 8).([]byte))
	if string(one(t, val, 1).([]byte)) != "keras" || string(one(t, pd, 1).([]byte)) != "graph_keras_model" || string(one(t, pd, 2).([]byte)) != "1" ||
		len(meta[4]) != 0 || one(t, ten, 1).(uint64) != 7 || string(one(t, ten, 8).([]byte)) != `{"class_name": "Sequential"}` || len(ten[4]) != 0 {
		t.Errorf("keras model event: value %v, metadata %v, tensor %v", val, meta, ten)
	}

	// protoc's own decoder, when Debian's protobuf-compiler is installed.
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Skip("protoc not installed (apt-get install protobuf-compiler); skipping --decode_raw")
	}
	wants := [][]string{
		{`3: "brain.Event:2"`},
		{`1: 0x`, `5 {`, `1: "epoch_loss"`, `1: "scalars"`, `4: 1`, `8 {`, `1: 1`, `2: ""`, `4: "\000\000@?"`},
		{`2: 3`, `1: "epoch_loss"`, `1: "scalars"`, `4: "\000\000 \300"`},
		{`2: 1`, `1: "dense/kernel/histogram"`, `1: "histograms"`, `4: 2`, "2 { 1: 30 } 2 { 1: 3 }"},
		{`1: "keras"`, `9 { 1 { 1: "graph_keras_model" 2: "1" } }`, `8 { 1: 7 2: "" 8: "{\"class_name\": \"Sequential\"}" }`},
	}
	for i, rec := range recs {
		cmd := exec.Command(protoc, "--decode_raw")
		cmd.Stdin = bytes.NewReader(rec)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("protoc --decode_raw on record %d: %v\n%s", i, err, out)
		}
		flat := strings.Join(strings.Fields(string(out)), " ") // one space between tokens
		for _, w := range wants[i] {
			if !strings.Contains(flat, w) {
				t.Errorf("record %d: protoc --decode_raw output lacks %q:\n%s", i, w, out)
			}
		}
	}
}
