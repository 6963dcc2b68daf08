package gokeras

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/internal/hdf5"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
)

// Keras's own model files, read by Load and LoadKerasWeights. Keras writes
// three formats, all HDF5 underneath:
//
//   - .keras (Keras 3, keras/src/saving/saving_lib.py): a zip holding
//     config.json (the model's config and compile_config), metadata.json
//     and model.weights.h5, whose variables sit at
//     layers/<snake_case class>[_N]/vars/<i> (a nested model's at
//     layers/<its path>/layers/<inner>/vars/<i>), the optimizer's under
//     optimizer/vars/<i>;
//   - legacy .h5 (Keras 2, and Keras 3's save("m.h5"),
//     keras/src/legacy/saving/legacy_h5_format.py): root attributes
//     model_config, keras_version, backend and training_config, weights
//     under model_weights/<layer>/..., ordered by the layer_names and
//     weight_names attributes;
//   - .weights.h5 (save_weights): model.weights.h5's layout alone; the
//     architecture comes from code (LoadKerasWeights).
//
// The format is decided by the file's content, never its name: a zip, an
// HDF5 signature at offset 0 or at a power-of-two user-block offset of at
// least 512 (HDF5 spec II.A), or else gokeras's own safetensors file.

// hdf5Signature starts every HDF5 superblock (HDF5 spec II.A.1).
const hdf5Signature = "\x89HDF\r\n\x1a\n"

// kerasKind is what sniffKerasFile found.
type kerasKind int

const (
	notKeras  kerasKind = iota
	kerasZip            // a .keras zip
	kerasHDF5           // a legacy .h5 or a .weights.h5 file
)

// sniffKerasFile decides a file's format by its content. For HDF5 it
// returns the superblock's offset.
func sniffKerasFile(data []byte) (kerasKind, int64) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")) {
		return kerasZip, 0
	}
	for off := int64(0); off+int64(len(hdf5Signature)) <= int64(len(data)); {
		if string(data[off:off+int64(len(hdf5Signature))]) == hdf5Signature {
			return kerasHDF5, off
		}
		if off == 0 {
			off = 512
		} else {
			off *= 2
		}
	}
	return notKeras, 0
}

// kerasError is an error about a Keras file; it matches ErrBadModelFile
// (errors.Is), as Load's errors about gokeras files do.
type kerasError string

func (e kerasError) Error() string        { return string(e) }
func (e kerasError) Is(target error) bool { return target == ErrBadModelFile }

const (
	errBadKeras  = kerasError("not a Keras model file gokeras can read")
	errWeightFit = kerasError("the file's weights do not fit the model")
)

// ErrNotKerasModel is wrapped by the errors of a Keras file gokeras
// cannot turn into a model: a weights-only file given to Load, a
// subclassed model, a Keras 1 file.
var ErrNotKerasModel = errors.New("cannot rebuild the Keras model")

// loadKeras reads a .keras zip or a legacy .h5 model from data.
func loadKeras(data []byte, kind kerasKind, off int64) (*Sequential, error) {
	var (
		cfg, compileCfg []byte
		f               *hdf5.File
		legacy          bool
		weightBytes     = int64(len(data)) - off
		err             error
	)
	if kind == kerasZip {
		var w io.ReaderAt
		cfg, w, weightBytes, err = openKerasZip(data)
		if err != nil {
			return nil, err
		}
		if cfg, err = withKerasAssets(data, cfg); err != nil {
			return nil, err
		}
		if f, err = hdf5.Open(w, weightBytes); err != nil {
			return nil, fmt.Errorf("%w: model.weights.h5: %w", errBadKeras, err)
		}
	} else {
		if f, err = openHDF5(data, off); err != nil {
			return nil, err
		}
		legacy = true
	}
	root, err := f.Root()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadKeras, err)
	}
	var notes []string
	if legacy {
		if cfg, compileCfg, notes, err = legacyConfig(root); err != nil {
			return nil, err
		}
	}
	m, more, err := modelFromKerasConfig(cfg, compileCfg, weightBytes)
	if err != nil {
		return nil, err
	}
	notes = append(notes, more...)
	if legacy {
		wg, err := root.Group("model_weights")
		if err != nil {
			return nil, fmt.Errorf("%w: the file has a model_config but no model_weights group: %w", errBadKeras, err)
		}
		if err := loadLegacyWeights(m, wg); err != nil {
			return nil, wrapBad(err)
		}
		if k, err := root.Kind("optimizer_weights"); err == nil && k == hdf5.KindGroup {
			why := "no optimizer_weights group"
			if og, err := root.Group("optimizer_weights"); err == nil {
				why = loadLegacyOptimizer(m, og)
			}
			if why != "" {
				notes = append(notes, fmt.Sprintf("the file's optimizer state (optimizer_weights) was not loaded (%s): the optimizer starts afresh, with the compile config's settings", why))
			}
		}
	} else {
		n, err := loadKeras3Weights(m, root)
		if err != nil {
			return nil, wrapBad(err)
		}
		if n > 0 {
			if why := loadKeras3Optimizer(m, root, n); why != "" {
				notes = append(notes, fmt.Sprintf("the file's optimizer state (%d variables under optimizer/vars) was not loaded (%s): the optimizer starts afresh, with the compile config's settings", n, why))
			}
		}
	}
	m.loadNotes = notes
	return m, nil
}

// LoadNotes are what Load had to say about a Keras file it read: optimizer
// state it skipped, for example. Each is said once; nil for a gokeras file.
func (m *Model) LoadNotes() []string { return m.loadNotes }

// maxKerasJSON bounds config.json and metadata.json (Keras's configs are
// kilobytes; a large model's a few megabytes).
const maxKerasJSON = 64 << 20

// openKerasZip returns a .keras file's config.json and its
// model.weights.h5 member. A stored member (Keras's default) is read in
// place; a compressed one is inflated up to the size of the file's own
// weights could be, MaxParams float32 values.
func openKerasZip(data []byte) (cfg []byte, weights io.ReaderAt, size int64, err error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: a zip file, but not a readable one (a .keras file is a zip): %w", errBadKeras, err)
	}
	var cf, wf *zip.File
	for _, zf := range zr.File {
		switch zf.Name {
		case "config.json":
			cf = zf
		case "model.weights.h5":
			wf = zf
		}
	}
	if cf == nil || wf == nil {
		var names []string
		for _, zf := range zr.File {
			names = append(names, zf.Name)
		}
		return nil, nil, 0, fmt.Errorf("%w: a zip without config.json and model.weights.h5 (it holds %s), so not a Keras 3 .keras file", errBadKeras, abbreviate(quoteAll(names), 5))
	}
	read := func(zf *zip.File, limit int64) ([]byte, error) {
		if zf.UncompressedSize64 > uint64(limit) {
			return nil, fmt.Errorf("%w: %s declares %d bytes, more than gokeras reads (%d)", errBadKeras, zf.Name, zf.UncompressedSize64, limit)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errBadKeras, zf.Name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, limit+1))
		if err == nil && int64(len(b)) > limit {
			err = fmt.Errorf("more than %d bytes", limit)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errBadKeras, zf.Name, err)
		}
		return b, nil
	}
	if cfg, err = read(cf, maxKerasJSON); err != nil {
		return nil, nil, 0, err
	}
	if wf.Method == zip.Store {
		off, err := wf.DataOffset()
		if err != nil || off < 0 || off > int64(len(data)) || wf.CompressedSize64 > uint64(int64(len(data))-off) {
			return nil, nil, 0, fmt.Errorf("%w: model.weights.h5 lies outside the zip; the file is truncated", errBadKeras)
		}
		return cfg, bytes.NewReader(data[off : off+int64(wf.CompressedSize64)]), int64(wf.CompressedSize64), nil
	}
	w, err := read(wf, 4*int64(MaxParams)+maxKerasJSON)
	if err != nil {
		return nil, nil, 0, err
	}
	return cfg, bytes.NewReader(w), int64(len(w)), nil
}

// openHDF5 opens the HDF5 file whose superblock is at off. After a user
// block (off > 0) the file's addresses count from the superblock (its base
// address), so the file starts there.
func openHDF5(data []byte, off int64) (*hdf5.File, error) {
	f, err := hdf5.Open(bytes.NewReader(data[off:]), int64(len(data))-off)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadKeras, err)
	}
	return f, nil
}

// legacyConfig reads a legacy .h5 file's model_config and training_config
// attributes, refusing Keras 1 files and weights-only files.
func legacyConfig(root *hdf5.Group) (cfg, compileCfg []byte, notes []string, err error) {
	str := func(name string) (string, bool, error) {
		a, err := root.Attr(name)
		if err != nil {
			return "", false, nil // absent
		}
		s, err := a.String()
		if err != nil {
			return "", true, fmt.Errorf("%w: attribute %s: %w", errBadKeras, name, err)
		}
		return s, true, nil
	}
	mc, ok, err := str("model_config")
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		what := "an HDF5 file without a model_config attribute"
		if _, err := root.Attr("layer_names"); err == nil {
			what = "a Keras 2 weights file (save_weights)"
		} else if k, err := root.Kind("layers"); err == nil && k == hdf5.KindGroup {
			what = "a Keras 3 weights file (.weights.h5, save_weights)"
		}
		return nil, nil, nil, fmt.Errorf("%w: %s holds weights but no architecture; build the model in code and call LoadKerasWeights, or on the command line give the architecture as a model JSON with --model next to --load", ErrNotKerasModel, what)
	}
	kv, ok, err := str("keras_version")
	if err != nil {
		return nil, nil, nil, err
	}
	// Keras 2 reads a file without keras_version as Keras 1's
	// (legacy_h5_format.py's original_keras_version = "1").
	if !ok || strings.HasPrefix(kv, "1.") || strings.HasPrefix(kv, "0.") {
		if !ok {
			kv = "1 (the file records no keras_version)"
		}
		return nil, nil, nil, fmt.Errorf("%w: the file was written by Keras %s, whose layer configs and weight layouts gokeras does not read; load it in Keras 2 or 3 and save it again (model.save(\"model.keras\")), or give the architecture as a Keras 3 model JSON with --model and its weights with LoadKerasWeights", ErrNotKerasModel, kv)
	}
	tc, ok, err := str("training_config")
	if err != nil {
		return nil, nil, nil, err
	}
	if ok {
		if compileCfg, notes, err = trainingToCompileConfig([]byte(tc)); err != nil {
			return nil, nil, nil, err
		}
	}
	return []byte(mc), compileCfg, notes, nil
}

// trainingToCompileConfig turns a legacy training_config (loss, metrics,
// weighted_metrics, loss_weights, optimizer_config, ...) into Keras 3's
// compile_config, as legacy_h5_format.py's compile_args_from_training_config
// does.
func trainingToCompileConfig(tc []byte) ([]byte, []string, error) {
	var raw map[string]any
	if err := json.Unmarshal(tc, &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: training_config is not valid JSON: %w", errBadKeras, err)
	}
	cc := map[string]any{}
	for _, k := range []string{"loss", "metrics", "weighted_metrics", "loss_weights"} {
		if v, ok := raw[k]; ok && v != nil {
			cc[k] = v
		}
	}
	var notes []string
	if v, ok := raw["optimizer_config"]; ok && v != nil {
		// saving_utils.py's _adapt_optimizer_config: a "Custom>" prefix on
		// Keras 2's own optimizers goes, as do jit_compile and
		// is_legacy_optimizer; base_optimizer.py then drops decay with a
		// warning ("no longer supported and will be ignored").
		if oc, ok := v.(map[string]any); ok {
			oc = maps.Clone(oc)
			if name, ok := oc["class_name"].(string); ok {
				oc["class_name"] = strings.TrimPrefix(name, "Custom>")
			}
			if in, ok := oc["config"].(map[string]any); ok {
				in = maps.Clone(in)
				delete(in, "jit_compile")
				delete(in, "is_legacy_optimizer")
				if d, ok := in["decay"]; ok {
					if f, isNum := d.(float64); d != nil && (!isNum || f != 0) {
						notes = append(notes, fmt.Sprintf("the optimizer's decay %v is ignored, as Keras 3 ignores it; give a learning-rate schedule instead", compactJSON(d)))
					}
					delete(in, "decay")
				}
				oc["config"] = in
			}
			v = oc
		}
		cc["optimizer"] = v
	}
	b, err := json.Marshal(cc)
	return b, notes, err
}

// modelFromKerasConfig builds the model a Keras config (config.json, or a
// legacy model_config) describes, compiled as its compile config says.
// The weights are allocated but not yet read; weightBytes is the size of
// the HDF5 file that holds them.
func modelFromKerasConfig(cfg, compileCfg []byte, weightBytes int64) (*Sequential, []string, error) {
	var top map[string]any
	if err := json.Unmarshal(cfg, &top); err != nil {
		return nil, nil, fmt.Errorf("%w: the model config is not valid JSON: %w", errBadKeras, err)
	}
	class, _ := top["class_name"].(string)
	switch class {
	case "Sequential", "Functional", "Model":
	default:
		reg := ""
		if r, ok := top["registered_name"].(string); ok && r != "" && r != class {
			reg = fmt.Sprintf(" (registered as %q)", r)
		}
		return nil, nil, fmt.Errorf("%w: it holds a subclassed model, class %q%s: its architecture is Python code (its call method), which the config does not hold, so gokeras cannot rebuild it; rebuild it in Keras as a Sequential or Functional model and save that (model.save(\"model.keras\")), or write its architecture as a Keras model JSON, give it with --model next to --load, or build it in Go and call LoadKerasWeights", ErrNotKerasModel, class, reg)
	}
	// A Keras 2.0-2.2 Sequential's bare list of layers is read by
	// parseModelJSON (withLayersObject).
	if compileCfg != nil {
		var cc any
		if err := json.Unmarshal(compileCfg, &cc); err != nil {
			return nil, nil, fmt.Errorf("%w: compile config: %w", errBadKeras, err)
		}
		top["compile_config"] = cc
	}
	// Keras 3 writes an empty compile_config for a model never compiled.
	if cc, ok := top["compile_config"].(map[string]any); ok && (len(cc) == 0 || cc["loss"] == nil) {
		delete(top, "compile_config")
	}
	data, err := json.Marshal(top)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errBadKeras, err)
	}
	spec, err := parseModelJSON(data, true)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the model config: %w", errBadKeras, err)
	}
	m := spec.Model
	var notes []string
	if spec.Compile == nil {
		notes = append(notes, "the file has no compile config; compile the model before evaluating or training it")
	}
	if m.net.DeclaredInputShape() == nil && !m.net.Functional() {
		return nil, nil, fmt.Errorf("%w: the model config declares no input shape (no InputLayer or batch_shape), so its weights' shapes are unknown; add an InputLayer to the config", errBadKeras)
	}
	// Before Build allocates the weights: they must fit in the file that
	// should hold them, as at least float16 values (Keras writes float32),
	// so a few bytes of config cannot make Load allocate much more than
	// the file's size.
	if plan, err := m.net.ParamShapes(nil); err == nil {
		total := 0
		for _, p := range plan {
			total += p.Shape.Size()
		}
		if int64(total) > weightBytes/2 {
			return nil, nil, fmt.Errorf("%w: the config asks for %s weights, more than its weights file of %s bytes can hold; the file is truncated or its config does not match its weights", errBadKeras, commas(total), commas(int(weightBytes)))
		}
	}
	if err := m.Build(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errBadKeras, err)
	}
	return m, notes, nil
}

// kerasVar is one weight and where Keras keeps it.
type kerasVar struct {
	layer string // the layer's path in the model, "sequential/dense"
	param *nn.Param
	path  string // its dataset in the file
}

// keras3Vars lists the model's weights with their model.weights.h5 paths,
// as saving_lib.py's _save_container_state names them (keras3Walk); a
// layer's variables are vars/0, vars/1, ... in the order
// Layer.save_own_variables writes them (trainable then non-trainable, in
// creation order: nn.Layer.Params' order).
func keras3Vars(layers []nn.Layer, prefix, owner string) []kerasVar {
	var out []kerasVar
	keras3Walk(layers, prefix, owner, func(path, where string, l nn.Layer) {
		if _, ok := l.(*nn.Nested); ok {
			return // its layers are visited next
		}
		for _, g := range kerasGroups(l) {
			for i, p := range g.Params {
				out = append(out, kerasVar{where, p, path + "/" + g.Path + "/" + strconv.Itoa(i)})
			}
		}
	})
	return out
}

// kerasGroups is where Keras 3 keeps a layer's variables below its group:
// all in vars, or as the layer says (nn.KerasGrouper, a wrapper's).
func kerasGroups(l nn.Layer) []nn.KerasGroup {
	if g, ok := l.(nn.KerasGrouper); ok {
		return g.KerasGroups()
	}
	return []nn.KerasGroup{{Path: "vars", Params: l.Params()}}
}

// keras3Walk visits every layer of a container (a model's layers) and of
// the models nested in it, in order, with its group in model.weights.h5
// and its path in the model, as saving_lib.py's _save_container_state
// names them: each container names its members after their class in
// snake case, adding _1, _2, ... for the second, third of a class; a
// nested model's layers sit under its group's layers/. One naming rule
// for reading (keras3Vars) and writing (kerassave.go).
func keras3Walk(layers []nn.Layer, prefix, owner string, visit func(path, where string, l nn.Layer)) {
	used := map[string]int{}
	for _, l := range layers {
		name := nn.SnakeCase(l.Class())
		if n, ok := used[name]; ok {
			used[name] = n + 1
			name = name + "_" + strconv.Itoa(n+1)
		} else {
			used[name] = 0
		}
		path := prefix + "layers/" + name
		where := owner + l.LayerName()
		visit(path, where, l)
		if n, ok := l.(*nn.Nested); ok {
			keras3Walk(n.Net.Layers, path+"/", where+"/", visit)
		}
	}
}

// loadKeras3Weights reads a model.weights.h5 (or .weights.h5) into the
// built model m. Every dataset's shape is compared with its weight's
// before it is read, and every dataset under layers/ must be used. It
// returns the number of optimizer variables it skipped.
func loadKeras3Weights(m *Model, root *hdf5.Group) (int, error) {
	vars := keras3Vars(m.net.Layers, "", "")
	inFile := map[string]bool{}
	skipped := 0
	err := root.Walk(func(path string, _ *hdf5.Group, d *hdf5.Dataset) error {
		if d == nil {
			return nil
		}
		path = strings.TrimPrefix(path, "/")
		switch {
		case strings.HasPrefix(path, "optimizer/"):
			skipped++
		default:
			inFile[path] = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var problems []string
	for _, v := range vars {
		if !inFile[v.path] {
			problems = append(problems, fmt.Sprintf("weight %s of layer %q (%v) is missing: no dataset %s", v.param.Name, v.layer, v.param.Value.Shape, v.path))
			continue
		}
		delete(inFile, v.path)
	}
	for path := range inFile {
		problems = append(problems, fmt.Sprintf("dataset %s belongs to no weight of the model", path))
	}
	if len(problems) > 0 {
		slices.Sort(problems[len(problems)-len(inFile):])
		return 0, fmt.Errorf("Keras names them layers/<class in snake_case>[_N]/vars/<i>, in the model's layer order: %s", strings.Join(abbreviateProblems(problems, 12), "; "))
	}
	if err := readWeights(root, vars); err != nil {
		return 0, err
	}
	return skipped, nil
}

// abbreviateProblems keeps the first n of a long list of problems and
// says how many more there are.
func abbreviateProblems(ps []string, n int) []string {
	if len(ps) <= n {
		return ps
	}
	return append(ps[:n:n], fmt.Sprintf("and %d more", len(ps)-n))
}

// readWeights checks every dataset's shape and type against its weight
// (nothing is read until all fit: a file cannot make the reader allocate
// more than the model's own weights, nor leave the model half loaded by a
// mismatch), then reads them, refusing non-finite values.
func readWeights(root *hdf5.Group, vars []kerasVar) error {
	ds := make([]*hdf5.Dataset, len(vars))
	for i, v := range vars {
		d, err := datasetAt(root, v.path)
		if err != nil {
			return fmt.Errorf("layer %q, weight %s: %w", v.layer, v.param.Name, err)
		}
		if got := tensor.Shape(d.Shape()); !got.Equal(v.param.Value.Shape) {
			return fmt.Errorf("layer %q, weight %s: the file's %s has shape %v, the model's weight %v; the file was saved from another architecture or input shape", v.layer, v.param.Name, v.path, got, v.param.Value.Shape)
		}
		if d.Datatype().Class != hdf5.Float {
			return fmt.Errorf("layer %q, weight %s: %s holds %s, not floating-point values", v.layer, v.param.Name, v.path, d.Datatype())
		}
		ds[i] = d
	}
	vals := make([][]float32, len(vars))
	for i, v := range vars {
		x, err := ds[i].ReadFloat32()
		if err != nil {
			return fmt.Errorf("layer %q, weight %s: %w", v.layer, v.param.Name, err)
		}
		for j, f := range x {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return fmt.Errorf("layer %q, weight %s: value %d is %v; the model was saved from a run that diverged", v.layer, v.param.Name, j, f)
			}
		}
		vals[i] = x
	}
	for i, v := range vars {
		copy(v.param.Value.Data, vals[i])
	}
	return nil
}

// datasetAt opens the dataset at a slash-separated path below g.
func datasetAt(g *hdf5.Group, path string) (*hdf5.Dataset, error) {
	dir, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	g, err := groupAt(g, dir)
	if err != nil {
		return nil, err
	}
	return g.Dataset(name)
}

// groupAt opens the group at a slash-separated path below g ("" is g).
func groupAt(g *hdf5.Group, path string) (*hdf5.Group, error) {
	for _, p := range strings.Split(path, "/") {
		if p == "" {
			continue
		}
		var err error
		if g, err = g.Group(p); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// legacyWeights is a layer's weights in the order Keras's legacy format
// stores them (legacy_h5_format.py's _legacy_weights: trainable_weights
// then non_trainable_weights). A plain layer's is Params' order; a nested
// model's weights are its layers' in order, the trainable ones first.
func legacyWeights(l nn.Layer) []*nn.Param {
	n, ok := l.(*nn.Nested)
	if !ok {
		return l.Params()
	}
	var tr, non []*nn.Param
	var walk func(ls []nn.Layer, on bool)
	walk = func(ls []nn.Layer, on bool) {
		for _, il := range ls {
			on := on && nn.IsTrainable(il)
			if in, ok := il.(*nn.Nested); ok {
				walk(in.Net.Layers, on)
				continue
			}
			for _, p := range il.Params() {
				if on && p.Grad != nil {
					tr = append(tr, p)
				} else {
					non = append(non, p)
				}
			}
		}
	}
	walk(n.Net.Layers, nn.IsTrainable(n))
	return append(tr, non...)
}

// loadLegacyWeights reads a legacy model_weights group (or a Keras 2
// save_weights file's root) into the built model m, as
// attrStrings reads a legacy file's list-of-names attribute (layer_names,
// weight_names); Keras 2 writes an empty float64 array for "none".
func attrStrings(g *hdf5.Group, name string) ([]string, error) {
	a, err := g.Attr(name)
	if err != nil {
		return nil, err
	}
	if a.Datatype().Class != hdf5.String {
		if a.Shape() != nil && len(a.Shape()) == 1 && a.Shape()[0] == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("attribute %s of %s holds %s, not names", name, g.Path(), a.Datatype())
	}
	return a.Strings()
}

// load_weights_from_hdf5_group does: the layers with weights, in model
// order, take the file's layers with weights in layer_names order, and
// each layer's weights are its weight_names in order.
func loadLegacyWeights(m *Model, g *hdf5.Group) error {
	layerNames, err := attrStrings(g, "layer_names")
	if err != nil {
		return fmt.Errorf("model_weights: %w", err)
	}
	type fileLayer struct {
		name    string
		weights []string
	}
	var file []fileLayer
	for _, name := range layerNames {
		lg, err := groupAt(g, name)
		if err != nil {
			return fmt.Errorf("layer_names lists %q: %w", name, err)
		}
		wn, err := attrStrings(lg, "weight_names")
		if err != nil {
			return fmt.Errorf("layer %q: %w", name, err)
		}
		if len(wn) > 0 {
			file = append(file, fileLayer{name, wn})
		}
	}
	var model []nn.Layer
	for _, l := range m.net.Layers {
		if len(legacyWeights(l)) > 0 {
			model = append(model, l)
		}
	}
	if len(file) != len(model) {
		names := func(n int, at func(int) string) string {
			s := make([]string, n)
			for i := range s {
				s[i] = strconv.Quote(at(i))
			}
			return abbreviate(s, 8)
		}
		return fmt.Errorf("the file has weights for %d layers (%s), the model has %d layers with weights (%s)",
			len(file), names(len(file), func(i int) string { return file[i].name }),
			len(model), names(len(model), func(i int) string { return model[i].LayerName() }))
	}
	var vars []kerasVar
	for k, fl := range file {
		l := model[k]
		ps := legacyWeights(l)
		if len(ps) != len(fl.weights) {
			return fmt.Errorf("layer %q (%s) has %d weights, the file's layer %q has %d (%s)", l.LayerName(), l.Class(), len(ps), fl.name, len(fl.weights), strings.Join(fl.weights, ", "))
		}
		for i, p := range ps {
			vars = append(vars, kerasVar{l.LayerName(), p, fl.name + "/" + fl.weights[i]})
		}
	}
	return readWeights(g, vars)
}

// LoadKerasWeights reads weights Keras saved into the model, whose
// architecture comes from code or a model JSON: a Keras 3 .weights.h5
// (model.save_weights), a Keras 2 weights .h5, or the weights of a .keras
// or legacy .h5 model file. The format is decided by the file's content.
// The model is built first if it declares its input shape; every weight's
// shape is checked against the file before anything is read, and a file
// that does not fit leaves the model's weights as they were.
//
// Keras finds a layer's weights by the layer's class and its place in the
// model's layer order (Keras 3) or by its place among the layers with
// weights (legacy files), not by its name. A model read from Keras's JSON
// (ParseModelJSON) has Keras's order; one built in Go must add or call its
// layers in the order Keras lists them (model.layers in Python): for a
// Functional model with parallel branches that is Keras's topological
// order, which may differ from the order the Go code calls the layers in,
// and two same-shaped layers swapped would load without an error.
func (m *Model) LoadKerasWeights(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("gokeras: load weights: %w", err)
	}
	if err := m.loadKerasWeights(data); err != nil {
		return fmt.Errorf("gokeras: load weights %s: %w", path, err)
	}
	return nil
}

func (m *Model) loadKerasWeights(data []byte) error {
	if !m.net.Built() {
		if err := m.Build(); err != nil {
			return fmt.Errorf("the model is not built and %w", err)
		}
	}
	kind, off := sniffKerasFile(data)
	var f *hdf5.File
	var err error
	switch kind {
	case kerasZip:
		_, w, size, err := openKerasZip(data)
		if err != nil {
			return err
		}
		if f, err = hdf5.Open(w, size); err != nil {
			return fmt.Errorf("%w: model.weights.h5: %w", errBadKeras, err)
		}
	case kerasHDF5:
		if f, err = openHDF5(data, off); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: neither a zip nor an HDF5 file, so not weights Keras saved", errBadKeras)
	}
	root, err := f.Root()
	if err != nil {
		return fmt.Errorf("%w: %w", errBadKeras, err)
	}
	if k, err := root.Kind("model_weights"); err == nil && k == hdf5.KindGroup {
		g, err := root.Group("model_weights")
		if err == nil {
			err = loadLegacyWeights(m, g)
		}
		return wrapBad(err)
	}
	if _, err := root.Attr("layer_names"); err == nil {
		return wrapBad(loadLegacyWeights(m, root))
	}
	n, err := loadKeras3Weights(m, root)
	if err != nil {
		return wrapBad(err)
	}
	if n > 0 {
		if why := loadKeras3Optimizer(m, root, n); why != "" {
			m.loadNotes = append(m.loadNotes, fmt.Sprintf("the file's optimizer state (%d variables under optimizer/vars) was not loaded (%s)", n, why))
		}
	}
	return nil
}

// wrapBad marks an error of matching a file's weights to the model.
func wrapBad(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errWeightFit, err)
}

// loadKeras3Optimizer restores the compiled optimizer's state from the n
// datasets under optimizer/vars (restoreKerasOptimizer).
func loadKeras3Optimizer(m *Sequential, root *hdf5.Group, n int) string {
	ds := make([]*hdf5.Dataset, n)
	for i := range ds {
		path := fmt.Sprintf("optimizer/vars/%d", i)
		d, err := datasetAt(root, path)
		if err != nil {
			return fmt.Sprintf("%s: %v", path, err)
		}
		ds[i] = d
	}
	return restoreKerasOptimizer(m, ds)
}

// loadLegacyOptimizer restores it from a legacy .h5 file's
// optimizer_weights group as Keras 3 writes it
// (keras/src/legacy/saving/legacy_h5_format.py,
// save_optimizer_weights_to_hdf5_group): the datasets named by its
// weight_names attribute, in optimizer.variables order, "iteration" and
// "learning_rate" first. Keras 2's files name and order their slots
// otherwise ("Adam/iter:0", then every m, then every v); they are left.
func loadLegacyOptimizer(m *Sequential, g *hdf5.Group) string {
	names, err := attrStrings(g, "weight_names")
	if err != nil {
		return fmt.Sprintf("optimizer_weights: %v", err)
	}
	if len(names) == 0 || names[0] != "iteration" {
		return "gokeras reads the optimizer_weights Keras 3 writes; these are Keras 2's"
	}
	ds := make([]*hdf5.Dataset, len(names))
	for i, name := range names {
		if ds[i], err = g.Dataset(name); err != nil {
			return fmt.Sprintf("optimizer_weights/%s: %v", name, err)
		}
	}
	return restoreKerasOptimizer(m, ds)
}

// restoreKerasOptimizer restores the compiled optimizer's state from a
// Keras optimizer's variables ds, in its order, as Keras's
// Optimizer.load_own_variables does: the int64 iteration count, the
// float32 learning rate unless a schedule gives it, then the slots of each
// trainable variable in the order Keras's optimizer of the same class
// keeps them (kerasSlotKinds). It returns why it did not ("": restored),
// and changes nothing then: the weights are loaded either way, and the
// optimizer starts afresh.
func restoreKerasOptimizer(m *Sequential, ds []*hdf5.Dataset) string {
	if !m.compiled {
		return "the model is not compiled"
	}
	n := len(ds)
	opt := m.model.Optimizer
	first := 1 // the first slot's index
	if opt.Schedule() == nil {
		first = 2
	}
	// Only the iteration count and learning rate: what an optimizer holds
	// before its first step, of any class.
	kinds, ok := kerasSlotKinds(opt)
	shapes := m.trainableShapes()
	if n == first {
		kinds, shapes = nil, nil
	} else if !ok {
		return fmt.Sprintf("gokeras reads the slots of Keras's Adam, AdamW (without amsgrad) and SGD, without EMA or gradient accumulation; this optimizer is %s", opt.Name())
	} else if want := first + len(kinds)*len(shapes); n != want {
		return fmt.Sprintf("%s with %d trainable variables keeps %d, the file has %d", opt.Name(), len(shapes), want, n)
	}
	for _, d := range ds[:first] {
		if d.Len() != 1 {
			return fmt.Sprintf("%s holds %d values; Keras keeps the iteration count and learning rate as scalars", d.Path(), d.Len())
		}
	}
	var it int64
	if v, err := ds[0].ReadInt64(); err != nil || len(v) != 1 || v[0] < 0 {
		return fmt.Sprintf("its iteration count %s is not one int64 >= 0 (%v)", ds[0].Path(), err)
	} else {
		it = v[0]
	}
	lr := -1.0
	if first == 2 {
		v, err := ds[1].ReadFloat32()
		if err != nil || len(v) != 1 || !(v[0] >= 0) || math.IsInf(float64(v[0]), 0) {
			return fmt.Sprintf("its learning rate is not one finite float >= 0 (%v)", err)
		}
		lr = float64(v[0])
	}
	// Every shape is checked before anything is read, so the file cannot
	// make the reader allocate more than the model's own weights.
	var slots []optim.Slot
	if len(kinds) > 0 {
		slots = make([]optim.Slot, 0, len(kinds)*len(shapes))
	}
	for i, d := range ds[first:] {
		want := shapes[i/len(kinds)]
		if got := tensor.Shape(d.Shape()); !got.Equal(want) || d.Datatype().Class != hdf5.Float {
			return fmt.Sprintf("%s has shape %v and type %s; the %s slot of trainable variable %d needs floats of shape %v (the file's optimizer was built for other variables, or in another order)", d.Path(), got, d.Datatype(), kinds[i%len(kinds)], i/len(kinds), want)
		}
	}
	for i, d := range ds[first:] {
		v, err := d.ReadFloat32()
		if err != nil {
			return fmt.Sprintf("%s: %v", d.Path(), err)
		}
		for j, f := range v {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return fmt.Sprintf("%s: value %d is %v", d.Path(), j, f)
			}
		}
		slots = append(slots, optim.Slot{Name: fmt.Sprintf("%s/%d", kinds[i%len(kinds)], i/len(kinds)), Value: &tensor.Tensor{Shape: shapes[i/len(kinds)].Clone(), Data: v}})
	}
	if err := opt.SetState(it, slots); err != nil {
		return err.Error()
	}
	if lr >= 0 {
		opt.SetLearningRate(lr)
	}
	return ""
}
