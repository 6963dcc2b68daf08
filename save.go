package gokeras

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// A saved model is one safetensors file
// (https://github.com/huggingface/safetensors, "Format" section): an
// 8-byte little-endian header length, a JSON header mapping each tensor
// name to {"dtype", "shape", "data_offsets": [begin, end]} relative to the
// data that follows, and a "__metadata__" map of strings. gokeras stores
// the model file JSON (layers and compile settings) and the training state
// in the metadata, the weights as "<layer>/<weight>" and the optimiser's
// state as "optimizer/<slot>".

const formatName = "gokeras-model-v1"

// ErrBadModelFile is wrapped by every error Load returns for a file that is
// not a complete, consistent gokeras model.
var ErrBadModelFile = errors.New("not a valid gokeras model file")

type tensorEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

type namedTensor struct {
	name string
	t    *tensor.Tensor
}

// Save writes the model, its weights and the optimiser's state (so that
// training resumes where it stopped) to path, atomically: a crash leaves
// either the old file or the new one. It refuses a path that is a
// directory, a device or a FIFO, or a read-only file; it writes through a
// symlink to its target and keeps a replaced file's mode (see writeAtomic).
// A path ending in .keras gets Keras 3's format instead (SaveKeras), one
// ending in .h5 or .hdf5 Keras's legacy HDF5 format (SaveKerasH5), as
// Keras's model.save decides by the same extensions.
func (m *Sequential) Save(path string) error {
	if isKerasPath(path) {
		return m.SaveKeras(path) // kerassave.go
	}
	if isKerasH5Path(path) {
		return m.SaveKerasH5(path) // kerash5save.go
	}
	if !m.net.Built() {
		return fmt.Errorf("gokeras: save: the model is not built yet; fit it or call Build first")
	}
	cfg, err := m.ToJSON()
	if err != nil {
		return fmt.Errorf("gokeras: save: %w", err)
	}
	meta := map[string]string{
		"format": formatName,
		"model":  string(cfg),
		"epoch":  strconv.Itoa(m.epoch),
		"seed":   strconv.FormatUint(m.Seed, 10),
	}
	if m.DatasetName != "" {
		meta["dataset"] = m.DatasetName
	}
	if m.Classes != nil {
		cb, _ := json.Marshal(m.Classes)
		meta["classes"] = string(cb)
	}
	if m.Features != nil {
		fb, _ := json.Marshal(m.Features)
		meta["features"] = string(fb)
	}
	switch m.PixelRange {
	case 0, 1:
	case 255:
		meta["pixel_range"] = "255"
	default:
		return fmt.Errorf("gokeras: save: PixelRange is %d; use 0 or 1 for pixels in [0, 1], 255 for [0, 255]", m.PixelRange)
	}
	var ts []namedTensor
	for _, l := range m.net.Layers {
		for _, p := range l.Params() {
			ts = append(ts, namedTensor{l.LayerName() + "/" + p.Name, p.Value})
		}
	}
	if m.compiled {
		meta["optimizer_iterations"] = strconv.FormatInt(m.model.Optimizer.Iterations(), 10)
		var order []string
		for _, s := range m.model.Optimizer.State() {
			ts = append(ts, namedTensor{"optimizer/" + s.Name, s.Value})
			order = append(order, s.Name)
		}
		// JSON objects are unordered; SetState wants State's order back.
		ob, _ := json.Marshal(order)
		meta["optimizer_slots"] = string(ob)
	}
	return writeSafetensors(path, ts, meta)
}

func writeSafetensors(path string, ts []namedTensor, meta map[string]string) error {
	header := map[string]any{"__metadata__": meta}
	var off int64
	for _, nt := range ts {
		n := int64(len(nt.t.Data)) * 4
		header[nt.name] = tensorEntry{DType: "F32", Shape: nt.t.Shape, Offsets: [2]int64{off, off + n}}
		off += n
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("gokeras: save: %w", err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned.
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	buf := make([]byte, 8+len(hb)+int(off))
	binary.LittleEndian.PutUint64(buf, uint64(len(hb)))
	copy(buf[8:], hb)
	p := 8 + len(hb)
	for _, nt := range ts {
		for _, v := range nt.t.Data {
			binary.LittleEndian.PutUint32(buf[p:], math.Float32bits(v))
			p += 4
		}
	}
	return writeAtomic(path, buf)
}

// readSafetensors parses and validates a whole file. Every entry's dtype,
// shape and byte span is checked, and the spans must not overlap, before
// any tensor is decoded: the tensors then hold at most the file's own
// bytes. A NaN or infinite value is an error naming the tensor
// (safetensors has no checksum; a flipped exponent bit often gives one).
func readSafetensors(data []byte) (map[string]*tensor.Tensor, map[string]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadModelFile, fmt.Sprintf(format, args...))
	}
	if len(data) < 8 {
		return nil, nil, bad("the file is %d bytes, too short for a safetensors header", len(data))
	}
	hl := binary.LittleEndian.Uint64(data)
	if hl > uint64(len(data)-8) || hl > 100<<20 {
		return nil, nil, bad("header length %d exceeds the file (%d bytes); the file is truncated or not safetensors", hl, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+hl], &raw); err != nil {
		return nil, nil, bad("header is not valid JSON: %v", err)
	}
	body := data[8+hl:]
	meta := map[string]string{}
	if mb, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(mb, &meta); err != nil {
			return nil, nil, bad("__metadata__: %v", err)
		}
		delete(raw, "__metadata__")
	}
	type span struct {
		b, e  int64
		name  string
		shape []int
	}
	spans := make([]span, 0, len(raw))
	for name, rb := range raw {
		var e tensorEntry
		if err := json.Unmarshal(rb, &e); err != nil {
			return nil, nil, bad("tensor %q: %v", name, err)
		}
		if e.DType != "F32" {
			return nil, nil, bad("tensor %q has dtype %s; gokeras stores F32", name, e.DType)
		}
		n := int64(1)
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && n > math.MaxInt32/int64(d)) {
				return nil, nil, bad("tensor %q has shape %v", name, e.Shape)
			}
			n *= int64(d)
		}
		b, en := e.Offsets[0], e.Offsets[1]
		if b < 0 || en < b || en > int64(len(body)) || en-b != 4*n {
			return nil, nil, bad("tensor %q spans bytes [%d, %d) of %d for shape %v; the file is truncated or corrupt", name, b, en, len(body), e.Shape)
		}
		spans = append(spans, span{b, en, name, e.Shape})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].b != spans[j].b {
			return spans[i].b < spans[j].b
		}
		return spans[i].name < spans[j].name
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].b < spans[i-1].e {
			return nil, nil, bad("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	out := make(map[string]*tensor.Tensor, len(spans))
	for _, sp := range spans {
		t := &tensor.Tensor{Shape: tensor.Shape(sp.shape), Data: make([]float32, (sp.e-sp.b)/4)}
		nonFinite, first := 0, -1
		for i := range t.Data {
			v := math.Float32frombits(binary.LittleEndian.Uint32(body[sp.b+4*int64(i):]))
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				if nonFinite == 0 {
					first = i
				}
				nonFinite++
			}
			t.Data[i] = v
		}
		if nonFinite > 0 {
			return nil, nil, bad("tensor %q holds %d non-finite value%s (the first, %v, at index %d); the file is corrupt or was saved from a run that diverged: use an earlier checkpoint or retrain",
				sp.name, nonFinite, plural(nonFinite), t.Data[first], first)
		}
		out[sp.name] = t
	}
	return out, meta, nil
}

// Load reads a model written by Save: architecture, weights, compile
// settings and optimiser state. It also reads Keras's own model files, a
// Keras 3 .keras zip or a legacy .h5 model (see kerasfile.go), deciding by
// the file's content, not its name. A truncated, corrupt or mismatched file is
// an error wrapping ErrBadModelFile; no partly loaded model is returned.
// Every weight's shape is worked out from the architecture and compared
// with the file's tensors before anything is allocated for the model, so
// a file cannot make Load allocate much more than its own size.
func Load(path string) (*Sequential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gokeras: load: %w", err)
	}
	var m *Sequential
	if kind, off := sniffKerasFile(data); kind != notKeras {
		m, err = loadKeras(data, kind, off) // kerasfile.go
	} else {
		m, err = decodeModel(data)
	}
	if err != nil {
		return nil, fmt.Errorf("gokeras: load %s: %w", path, err)
	}
	return m, nil
}

func decodeModel(data []byte) (*Sequential, error) {
	ts, meta, err := readSafetensors(data)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %w", ErrBadModelFile, fmt.Errorf(format, args...))
	}
	if meta["format"] != formatName {
		return nil, bad("metadata format is %q, want %q", meta["format"], formatName)
	}
	spec, err := parseModelJSON([]byte(meta["model"]), false)
	if err != nil {
		return nil, bad("%w", err)
	}
	m := spec.Model
	if m.Seed, err = strconv.ParseUint(meta["seed"], 10, 64); err != nil {
		return nil, bad("seed %q", meta["seed"])
	}
	if m.epoch, err = strconv.Atoi(meta["epoch"]); err != nil || m.epoch < 0 {
		return nil, bad("epoch %q", meta["epoch"])
	}
	m.DatasetName = meta["dataset"]
	if c := meta["classes"]; c != "" {
		if err := json.Unmarshal([]byte(c), &m.Classes); err != nil {
			return nil, bad("classes: %v", err)
		}
	}
	if f := meta["features"]; f != "" {
		if err := json.Unmarshal([]byte(f), &m.Features); err != nil {
			return nil, bad("features: %v", err)
		}
	}
	switch p := meta["pixel_range"]; p {
	case "":
	case "255":
		m.PixelRange = 255
	default:
		return nil, bad("pixel_range %q, want \"255\" or none", p)
	}
	// Compare the weights the architecture needs with the file's tensors
	// before building allocates them.
	plan, err := m.net.ParamShapes(nil)
	if err != nil {
		return nil, bad("%w", layerContext(err))
	}
	for _, p := range plan {
		t, ok := ts[p.Name]
		if !ok {
			return nil, bad("weight %q is missing", p.Name)
		}
		if !t.Shape.Equal(p.Shape) {
			return nil, bad("weight %q has shape %v, the model needs %v", p.Name, t.Shape, p.Shape)
		}
	}
	if err := m.build(nil); err != nil {
		return nil, bad("%w", layerContext(err))
	}
	if err := m.checkSampleSizes(); err != nil {
		return nil, bad("%w", err)
	}
	if err := m.checkClasses(); err != nil {
		return nil, bad("%w", err)
	}
	used := 0
	for _, l := range m.net.Layers {
		for _, p := range l.Params() {
			name := l.LayerName() + "/" + p.Name
			t, ok := ts[name]
			if !ok || !t.Shape.Equal(p.Value.Shape) {
				// ParamShapes and Build disagree: a bug, tested against.
				return nil, bad("weight %q does not match the model that was built", name)
			}
			copy(p.Value.Data, t.Data)
			used++
		}
	}
	var order []string
	if o := meta["optimizer_slots"]; o != "" {
		if err := json.Unmarshal([]byte(o), &order); err != nil {
			return nil, bad("optimizer_slots: %v", err)
		}
	}
	var slots []optim.Slot
	for _, name := range order {
		t, ok := ts["optimizer/"+name]
		if !ok {
			return nil, bad("optimizer slot %q is missing", name)
		}
		slots = append(slots, optim.Slot{Name: name, Value: t})
		used++
	}
	if used != len(ts) {
		return nil, bad("the file has %d tensors the model does not use", len(ts)-used)
	}
	if m.compiled {
		it, err := strconv.ParseInt(meta["optimizer_iterations"], 10, 64)
		if err != nil {
			return nil, bad("optimizer_iterations %q", meta["optimizer_iterations"])
		}
		if it > 0 || len(slots) > 0 {
			if err := m.model.Optimizer.SetState(it, slots); err != nil {
				return nil, bad("%w", err)
			}
		}
	}
	return m, nil
}

// SetClasses names the model's output classes, one per output unit (two
// for a single sigmoid unit): the names Predict's callers, serve's
// :classify and the saved file carry. A count that does not fit the built
// model is refused and the names are left as they were.
func (m *Sequential) SetClasses(names []string) error {
	prev := m.Classes
	m.Classes = names
	if err := m.checkClasses(); err != nil {
		m.Classes = prev
		return err
	}
	return nil
}

// checkClasses fails when the model has class names whose number differs
// from its outputs (Load, and Fit before the first epoch). One output with
// two names is a binary (sigmoid) classifier.
func (m *Sequential) checkClasses() error {
	if len(m.Classes) == 0 || !m.net.Built() {
		return nil
	}
	units := m.net.OutputShape().Size()
	if n := len(m.Classes); n != units && !(units == 1 && n == 2) {
		return fmt.Errorf("%d class name%s (%s) for a model with %d output%s; give one name per output unit (two for a single sigmoid unit)",
			n, plural(n), abbreviate(m.Classes, 5), units, plural(units))
	}
	return nil
}

// abbreviate joins the first n names, saying how many more there are.
func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// plural is the suffix ("s", or the one given) for n things.
func plural(n int, suffix ...string) string {
	if n == 1 {
		return ""
	}
	if len(suffix) > 0 {
		return suffix[0]
	}
	return "s"
}
