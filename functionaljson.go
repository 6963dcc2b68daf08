package gokeras

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/nn"
)

// Functional model files. Keras 3's model.to_json() of a Functional model
// (keras/src/models/functional.py, get_config and functional_from_config)
// lists every layer with the calls made of it, its "inbound_nodes", and
// names the model's inputs and outputs by [layer, node index, tensor
// index]:
//
//	{"class_name": "Functional", "config": {"name": "resnet", "trainable": true,
//	 "layers": [
//	  {"class_name": "InputLayer", "name": "input_layer", "config": {...}, "inbound_nodes": []},
//	  {"class_name": "Conv2D", "name": "conv2d", "config": {...}, "inbound_nodes": [
//	    {"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 32, 32, 3],
//	      "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]},
//	  {"class_name": "Add", "name": "add", "config": {...}, "inbound_nodes": [
//	    {"args": [[{...conv2d...}, {...conv2d_1...}]], "kwargs": {}}]},
//	  ...],
//	 "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense", 0, 0]]}}
//
// The node index counts the calls of one layer (a shared layer has nodes
// 0, 1, ...); the tensor index picks one of a call's outputs (gokeras
// layers have one). A call's arguments are serialised as
// keras/src/saving/serialization_lib.py does: a tensor is a
// "__keras_tensor__" object, and a merge layer's list of tensors is a list,
// so Add()([a, b]) has "args": [[a, b]]. Keras 2 (class_name "Model", or
// "Functional" from tf.keras 2.4 on) writes each call as a list of its
// inputs, [["conv2d", 0, 0, {kwargs}], ...]; both are read.

func init() {
	// A Functional model nested in another: {"class_name": "Functional",
	// "config": {...}} among its layers, read as a model file's config (as
	// nested.go reads a nested Sequential).
	nn.Register("Functional", func(r *nn.ConfigReader) nn.Layer {
		cfg := map[string]any{}
		for _, k := range functionalConfigKeys {
			if v, ok := r.Get(k); ok && k != "trainable" { // FromConfig applies trainable to the nested layer
				cfg[k] = v
			}
		}
		data, err := json.Marshal(map[string]any{"class_name": "Functional", "config": cfg})
		if err != nil {
			r.Failf("%v", err)
			return nil
		}
		spec, err := parseModelJSON(data, false)
		if err != nil {
			r.Failf("the nested model: %v", err)
			return nil
		}
		name, _ := cfg["name"].(string)
		return nn.NewNested(name, &spec.Model.net)
	})
}

// The keys a layer entry of a Functional model may have: serialize_keras_object's
// (module, class_name, config, registered_name, build_config) and the two
// get_config adds (name, inbound_nodes).
var functionalLayerKeys = []string{"module", "class_name", "config", "registered_name", "build_config", "name", "inbound_nodes"}

type functionalLayerJSON struct {
	Module         string         `json:"module"`
	ClassName      string         `json:"class_name"`
	Config         map[string]any `json:"config"`
	RegisteredName *string        `json:"registered_name"`
	Name           string         `json:"name"`
	InboundNodes   []callJSON     `json:"inbound_nodes"`
}

type callJSON struct {
	Args   []any          `json:"args"`
	Kwargs map[string]any `json:"kwargs"`
}

type functionalModelJSON struct {
	Module    string `json:"module"`
	ClassName string `json:"class_name"`
	Config    struct {
		Name         string                `json:"name"`
		Trainable    bool                  `json:"trainable"`
		Layers       []functionalLayerJSON `json:"layers"`
		InputLayers  [][3]any              `json:"input_layers"`
		OutputLayers [][3]any              `json:"output_layers"`
	} `json:"config"`
	RegisteredName string         `json:"registered_name"`
	CompileConfig  *CompileConfig `json:"compile_config,omitempty"`
}

// functionalJSON is ToJSON for a Functional model: Keras 3's layout, with
// cc as the compile settings (nil when the model is not compiled).
func (m *Model) functionalJSON(cc *CompileConfig) ([]byte, error) {
	s := &m.net
	if err := s.AssignNames(); err != nil {
		return nil, fmt.Errorf("gokeras: %w", err)
	}
	gin, gout := s.GraphInputs(), s.GraphOutputs()
	// Inputs are named as Keras names them: input_layer, input_layer_1, ...
	taken := map[string]string{} // name -> class
	for _, l := range s.Layers {
		taken[l.LayerName()] = l.Class()
	}
	for _, n := range gin {
		in := n.Input()
		if in.Name == "" {
			in.Name = "input_layer"
			for i := 1; taken[in.Name] != ""; i++ {
				in.Name = fmt.Sprintf("input_layer_%d", i)
			}
		}
		if class := taken[in.Name]; class != "" {
			return nil, fmt.Errorf("gokeras: an Input and a %s layer are both named %q; names must be unique", class, in.Name)
		}
		taken[in.Name] = "InputLayer"
	}
	// Where each node's output comes from: its layer and which call of it.
	type history struct {
		layer string
		index int
	}
	hist := map[*nn.Node]history{}
	for _, n := range gin {
		hist[n] = history{n.Input().Name, 0}
	}
	calls := map[nn.Layer][]*nn.Node{}
	for _, n := range s.Nodes() {
		hist[n] = history{n.Layer().LayerName(), len(calls[n.Layer()])}
		calls[n.Layer()] = append(calls[n.Layer()], n)
	}
	tensorJSON := func(n *nn.Node) map[string]any { // an inbound node's tensor: Keras 3 counts from 0
		h := hist[n]
		shape := []any{nil}
		for _, d := range n.Shape() {
			shape = append(shape, d)
		}
		dtype := "float32"
		if in := n.Input(); in != nil && in.DType != "" {
			dtype = in.DType
		}
		return map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{
			"shape": shape, "dtype": dtype, "keras_history": []any{h.layer, h.index, 0}}}
	}

	var fj functionalModelJSON
	fj.Module, fj.ClassName, fj.RegisteredName = "keras.src.models.functional", "Functional", "Functional"
	fj.Config.Name = m.Name
	for _, n := range gin {
		il := &nn.InputLayer{Name: n.Input().Name, Shape: n.Shape(), DType: n.Input().DType}
		fj.Config.Layers = append(fj.Config.Layers, functionalLayerJSON{
			Module: "keras.layers", ClassName: "InputLayer", Config: il.Config(), Name: il.Name, InboundNodes: []callJSON{}})
	}
	for _, l := range s.Layers {
		fj.Config.Trainable = fj.Config.Trainable || nn.IsTrainable(l)
		cfg := nn.LayerConfig(l)
		delete(cfg, "batch_shape") // the InputLayer carries it
		lj := functionalLayerJSON{Module: "keras.layers", ClassName: l.Class(), Config: cfg, Name: l.LayerName(), InboundNodes: []callJSON{}}
		switch l.Class() { // where Keras finds the nested models' classes
		case "Sequential":
			lj.Module = "keras"
		case "Functional":
			lj.Module, lj.RegisteredName = "keras.src.models.functional", &fj.RegisteredName
		}
		for _, n := range calls[l] {
			var arg any
			if _, merge := l.(nn.Merger); merge {
				xs := []any{}
				for _, x := range n.Inputs() {
					xs = append(xs, tensorJSON(x))
				}
				arg = xs
			} else {
				arg = tensorJSON(n.Inputs()[0])
			}
			lj.InboundNodes = append(lj.InboundNodes, callJSON{Args: []any{arg}, Kwargs: map[string]any{}})
		}
		fj.Config.Layers = append(fj.Config.Layers, lj)
	}
	fj.Config.InputLayers, fj.Config.OutputLayers = [][3]any{}, [][3]any{}
	for _, n := range gin {
		fj.Config.InputLayers = append(fj.Config.InputLayers, [3]any{n.Input().Name, 0, 0})
	}
	for _, n := range gout {
		h := hist[n]
		fj.Config.OutputLayers = append(fj.Config.OutputLayers, [3]any{h.layer, h.index + nodeOffset(n.Layer(), false, true), 0})
	}
	fj.CompileConfig = cc
	return json.MarshalIndent(fj, "", "  ")
}

// tensorRef is a call's input: the output of call `node` of `layer`.
// legacy marks Keras 2's list layout, where a nested model's calls count
// from 1 (see nodeOffset).
type tensorRef struct {
	layer        string
	node, tensor int
	legacy       bool
	// dtype is the integer dtype a Keras 3 reference declares ("" for
	// float32); only an integer InputLayer's output may have one.
	dtype string
}

// nodeOffset is what a file adds to the index of a nested model's calls.
// Keras 2 counted a nested model's own inner node as its node 0, so its
// calls are nodes 1, 2, ... in Keras 2 files; Keras 3's get_config still
// starts a nested Functional model's nodes at 1 in input_layers and
// output_layers (and functional_from_config subtracts it there), but its
// inbound nodes count from 0 (keras/src/models/functional.py).
func nodeOffset(l nn.Layer, legacy, modelIO bool) int {
	if _, nested := l.(*nn.Nested); !nested {
		return 0
	}
	if legacy || (modelIO && l.Class() == "Functional") {
		return 1
	}
	return 0
}

// callSpec is one call of a layer as the file gives it.
type callSpec struct {
	layer  int // index in the file's layer list
	index  int // which call of the layer (its node index)
	inputs []tensorRef
	list   bool // called on a list of tensors (a merge layer)
	sym    nn.Symbolic
}

// functionalFromJSON builds the Functional model data describes (Keras 3
// "Functional" or Keras 2 "Model"), as functional_from_config does: every
// layer from its config, then every call once the calls it reads from
// exist. Model-level keys are checked by checkModelKeys.
func functionalFromJSON(data []byte) (*Model, error) {
	var top struct {
		Config struct {
			Name         string            `json:"name"`
			Layers       []json.RawMessage `json:"layers"`
			InputLayers  any               `json:"input_layers"`
			OutputLayers any               `json:"output_layers"`
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	cfg := top.Config
	if len(cfg.Layers) == 0 {
		return nil, fmt.Errorf("no layers under config.layers")
	}
	layers := make([]nn.Layer, len(cfg.Layers))
	names := make([]string, len(cfg.Layers))
	byName := map[string]int{}
	var specs []*callSpec
	first := make([]int, len(cfg.Layers)) // layer i's calls are specs[first[i]:first[i]+ncalls[i]]
	ncalls := make([]int, len(cfg.Layers))
	var layerErrs []error // every layer that cannot be read, not just the first
	for i, raw := range cfg.Layers {
		l, name, nodes, err := functionalLayer(i, raw)
		if err != nil {
			layerErrs = append(layerErrs, err)
			continue
		}
		if len(layerErrs) > 0 {
			continue // only the layers are checked now
		}
		where := fmt.Sprintf("layer %d %q (%s)", i, name, l.Class())
		if _, dup := byName[name]; dup {
			return nil, fmt.Errorf("%s: two layers are named %q; layer names must be unique", where, name)
		}
		byName[name], layers[i], names[i] = i, l, name
		_, isInput := l.(*nn.InputLayer)
		switch {
		case isInput && len(nodes) > 0:
			return nil, fmt.Errorf("%s: an InputLayer is not called on anything; its inbound_nodes must be empty", where)
		case !isInput && len(nodes) == 0:
			return nil, fmt.Errorf("%s: it is never called (inbound_nodes is empty); remove it or give its inputs", where)
		}
		first[i], ncalls[i] = len(specs), len(nodes)
		if isInput {
			ncalls[i] = 1 // the Input itself is node 0
		}
		for k, raw := range nodes {
			refs, list, err := parseCall(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: inbound node %d: %w", where, k, err)
			}
			specs = append(specs, &callSpec{layer: i, index: k, inputs: refs, list: list})
		}
	}
	if err := joinLayerErrors(layerErrs, len(cfg.Layers)); err != nil {
		return nil, err
	}
	legacy := false // a Keras 2 file
	for _, c := range specs {
		for _, r := range c.inputs {
			legacy = legacy || r.legacy
		}
	}
	// resolve finds the call a reference reads from: nil for an Input.
	// modelIO says it comes from input_layers or output_layers.
	resolve := func(r tensorRef, modelIO bool) (*callSpec, error) {
		i, ok := byName[r.layer]
		if !ok {
			return nil, fmt.Errorf("no layer is named %q", r.layer)
		}
		off := nodeOffset(layers[i], r.legacy || (modelIO && legacy), modelIO)
		if r.node < off || r.node-off >= ncalls[i] {
			if off > 0 {
				return nil, fmt.Errorf("nested model %q has %d call%s, numbered from %d in this file, so there is no node %d", r.layer, ncalls[i], plural(ncalls[i]), off, r.node)
			}
			return nil, fmt.Errorf("layer %q has %d call%s, so there is no node %d", r.layer, ncalls[i], plural(ncalls[i]), r.node)
		}
		r.node -= off
		if r.tensor != 0 {
			return nil, fmt.Errorf("tensor index %d of layer %q: gokeras layers have one output (index 0)", r.tensor, r.layer)
		}
		if in, isInput := layers[i].(*nn.InputLayer); isInput {
			if r.dtype != "" && r.dtype != in.DType {
				return nil, fmt.Errorf("a tensor of input %q has dtype %q but the input is declared %s", r.layer, r.dtype, cmp.Or(in.DType, "float32"))
			}
			return nil, nil
		}
		if r.dtype != "" {
			return nil, fmt.Errorf("the output of layer %q has dtype %q; gokeras tensors are float32 (only an input may be an integer type)", r.layer, r.dtype)
		}
		return specs[first[i]+r.node], nil
	}
	// Kahn's algorithm over the calls: a call is made once those it
	// reads from are, so a file in any order (or with a cycle) is safe.
	waiting := make(map[*callSpec]int, len(specs))
	readers := map[*callSpec][]*callSpec{}
	for _, c := range specs {
		for _, r := range c.inputs {
			from, err := resolve(r, false)
			if err != nil {
				return nil, fmt.Errorf("layer %q, inbound node %d: %w", names[c.layer], c.index, err)
			}
			if from != nil {
				waiting[c]++
				readers[from] = append(readers[from], c)
			}
		}
	}
	var ready []*callSpec
	for _, c := range specs {
		if waiting[c] == 0 {
			ready = append(ready, c)
		}
	}
	pos := make(map[*callSpec]int, len(specs))
	for i, c := range specs {
		pos[c] = i
	}
	made := 0
	for len(ready) > 0 {
		// Of the calls that can be made, the first in the file: a file in
		// Keras's order (every call after its inputs) is made in that
		// order, which is the order gokeras runs, names and saves them in.
		k := 0
		for i, c := range ready {
			if pos[c] < pos[ready[k]] {
				k = i
			}
		}
		c := ready[k]
		ready = slices.Delete(ready, k, k+1)
		xs := make([]nn.Symbolic, len(c.inputs))
		for j, r := range c.inputs {
			if from, _ := resolve(r, false); from != nil {
				xs[j] = from.sym
			} else {
				xs[j] = layers[byName[r.layer]].(*nn.InputLayer)
			}
		}
		sym, err := makeCall(layers[c.layer], xs, c.list)
		if err != nil {
			return nil, fmt.Errorf("layer %q, inbound node %d: %w", names[c.layer], c.index, err)
		}
		c.sym = sym
		made++
		for _, d := range readers[c] {
			if waiting[d]--; waiting[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if made < len(specs) {
		var stuck []string
		for _, c := range specs {
			if c.sym == nil && !slices.Contains(stuck, names[c.layer]) {
				stuck = append(stuck, names[c.layer])
			}
		}
		return nil, fmt.Errorf("layers %s cannot be called: their inputs come from a cycle of calls (a layer reading its own output); a model's graph cannot loop", abbreviate(quoteAll(stuck), 5))
	}
	symbols := func(what string) ([]nn.Symbolic, []tensorRef, error) {
		v := cfg.InputLayers
		if what == "output_layers" {
			v = cfg.OutputLayers
		}
		refs, err := modelTensors(v)
		if err != nil {
			return nil, nil, fmt.Errorf("config.%s: %w", what, err)
		}
		if len(refs) == 0 {
			return nil, nil, fmt.Errorf("config.%s is empty; a model needs at least one", what)
		}
		var syms []nn.Symbolic
		for _, r := range refs {
			from, err := resolve(r, true)
			if err != nil {
				return nil, nil, fmt.Errorf("config.%s: %w", what, err)
			}
			if from == nil {
				syms = append(syms, layers[byName[r.layer]].(*nn.InputLayer))
			} else {
				syms = append(syms, from.sym)
			}
		}
		return syms, refs, nil
	}
	ins, inRefs, err := symbols("input_layers")
	if err != nil {
		return nil, err
	}
	for i, in := range ins {
		if _, ok := in.(*nn.InputLayer); !ok {
			return nil, fmt.Errorf("config.input_layers names layer %q, which is not an InputLayer; a model's inputs must be", inRefs[i].layer)
		}
	}
	outs, _, err := symbols("output_layers")
	if err != nil {
		return nil, err
	}
	g, err := nn.NewGraph(ins, outs)
	if err != nil {
		return nil, layerContext(err)
	}
	// Every layer and call in the file must be part of the model, as in a
	// file Keras writes: anything else would be dropped without a word.
	for i, l := range layers {
		if il, ok := l.(*nn.InputLayer); ok && !slices.Contains(ins, nn.Symbolic(il)) {
			return nil, fmt.Errorf("InputLayer %q is not among the model's inputs (config.input_layers); remove it or list it there", names[i])
		}
	}
	for _, c := range specs {
		if n, ok := c.sym.(*nn.Node); ok && !g.Uses(n) {
			return nil, fmt.Errorf("call %d of layer %q does not lead to the model's outputs; remove it", c.index, names[c.layer])
		}
	}
	m := &Model{Name: "functional", net: *g}
	if cfg.Name != "" {
		m.Name = cfg.Name
	}
	return m, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// functionalLayer reads one entry of config.layers: the layer, its name
// and its calls (undecoded).
func functionalLayer(i int, raw json.RawMessage) (nn.Layer, string, []json.RawMessage, error) {
	var entry map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entry); err != nil {
		return nil, "", nil, fmt.Errorf("layer %d: want an object with class_name, name, config and inbound_nodes: %w", i, err)
	}
	var class, name string
	if err := json.Unmarshal(entry["class_name"], &class); err != nil || class == "" {
		return nil, "", nil, fmt.Errorf("layer %d: class_name must be a layer class such as \"Dense\"", i)
	}
	if err := json.Unmarshal(entry["name"], &name); err != nil || name == "" {
		return nil, "", nil, fmt.Errorf("layer %d (%s): a layer of a Functional model needs its \"name\", which the calls refer to", i, class)
	}
	where := fmt.Sprintf("layer %d %q (%s)", i, name, class)
	for k := range entry {
		if !slices.Contains(functionalLayerKeys, k) {
			return nil, "", nil, fmt.Errorf("%s: unknown key %q; a layer entry has %s", where, k, strings.Join(functionalLayerKeys, ", "))
		}
	}
	var cfg map[string]any
	if c, ok := entry["config"]; ok {
		if err := json.Unmarshal(c, &cfg); err != nil {
			return nil, "", nil, fmt.Errorf("%s: config must be an object: %w", where, err)
		}
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	if own, ok := cfg["name"]; ok && own != name {
		return nil, "", nil, fmt.Errorf("%s: its config names it %s; the two names must agree", where, compactJSON(own))
	}
	var nodes []json.RawMessage
	if err := json.Unmarshal(entry["inbound_nodes"], &nodes); err != nil {
		return nil, "", nil, fmt.Errorf("%s: inbound_nodes must be a list of calls: %w", where, err)
	}
	l, err := nn.FromConfig(class, cfg)
	if err != nil {
		var ce *nn.ConfigError
		if errors.As(err, &ce) {
			err = ce.Err
		}
		return nil, "", nil, fmt.Errorf("%s: %w", where, err)
	}
	if l.LayerName() == "" {
		l.SetLayerName(name)
	}
	return l, name, nodes, nil
}

// parseCall reads one inbound node: Keras 3's {"args": [...], "kwargs":
// {...}} or Keras 2's [[layer, node, tensor, {kwargs}], ...]. list says
// the layer was called on a list of tensors.
func parseCall(raw json.RawMessage) (refs []tensorRef, list bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items [][]any
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, false, fmt.Errorf("want a list of [layer, node index, tensor index] inputs: %w", err)
		}
		if len(items) == 0 {
			return nil, false, fmt.Errorf("a call with no inputs")
		}
		for _, it := range items {
			if len(it) != 3 && len(it) != 4 {
				return nil, false, fmt.Errorf("input %s: want [layer, node index, tensor index] or with a kwargs object", compactJSON(it))
			}
			r, err := historyRef(it[:3])
			if err != nil {
				return nil, false, err
			}
			r.legacy = true
			if len(it) == 4 {
				kw, ok := it[3].(map[string]any)
				if !ok {
					return nil, false, fmt.Errorf("input %s: its fourth element must be the call's kwargs object", compactJSON(it))
				}
				if err := checkCallKwargs(kw); err != nil {
					return nil, false, err
				}
			}
			refs = append(refs, r)
		}
		return refs, len(items) > 1, nil
	}
	var call map[string]json.RawMessage
	if err := json.Unmarshal(raw, &call); err != nil {
		return nil, false, fmt.Errorf("want {\"args\": [...], \"kwargs\": {...}} (Keras 3) or a list of inputs (Keras 2): %w", err)
	}
	for k := range call {
		if k != "args" && k != "kwargs" {
			return nil, false, fmt.Errorf("unknown key %q; a call has args and kwargs", k)
		}
	}
	var args []any
	if raw, ok := call["args"]; !ok {
		return nil, false, fmt.Errorf("args is missing; want \"args\": [a tensor or a list of tensors]")
	} else if err := json.Unmarshal(raw, &args); err != nil || len(args) != 1 {
		return nil, false, fmt.Errorf("args %s: want one argument, a tensor or a list of tensors", compactJSONRaw(raw))
	}
	if kw, ok := call["kwargs"]; ok {
		var kwargs map[string]any
		if err := json.Unmarshal(kw, &kwargs); err != nil {
			return nil, false, fmt.Errorf("kwargs must be an object: %w", err)
		}
		if err := checkCallKwargs(kwargs); err != nil {
			return nil, false, err
		}
	}
	switch a := args[0].(type) {
	case map[string]any:
		r, err := kerasTensorRef(a)
		if err != nil {
			return nil, false, err
		}
		return []tensorRef{r}, false, nil
	case []any:
		if len(a) == 0 {
			return nil, false, fmt.Errorf("called on an empty list of tensors")
		}
		for _, x := range a {
			t, ok := x.(map[string]any)
			if !ok {
				return nil, false, fmt.Errorf("argument %s is not a tensor; gokeras layers take tensors only", compactJSON(x))
			}
			r, err := kerasTensorRef(t)
			if err != nil {
				return nil, false, err
			}
			refs = append(refs, r)
		}
		return refs, true, nil
	}
	return nil, false, fmt.Errorf("argument %s is not a tensor; gokeras layers take tensors only", compactJSON(args[0]))
}

func compactJSONRaw(b json.RawMessage) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	return compactJSON(v)
}

// kerasTensorRef reads serialization_lib's tensor object:
// {"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history"}}.
func kerasTensorRef(t map[string]any) (tensorRef, error) {
	bad := func(format string, args ...any) (tensorRef, error) {
		return tensorRef{}, fmt.Errorf("tensor %s: %s", abbreviateJSON(t), fmt.Sprintf(format, args...))
	}
	if t["class_name"] != "__keras_tensor__" {
		return bad("want {\"class_name\": \"__keras_tensor__\", \"config\": {...}}")
	}
	for k := range t {
		if k != "class_name" && k != "config" {
			return bad("unknown key %q", k)
		}
	}
	cfg, ok := t["config"].(map[string]any)
	if !ok {
		return bad("its config must be an object with keras_history")
	}
	for k, v := range cfg {
		switch k {
		case "shape", "keras_history":
		case "dtype":
			if v != nil && v != "float32" && !nn.IsIntegerDType(v) {
				return bad("dtype %s; gokeras tensors are float32", compactJSON(v))
			}
		default:
			return bad("unknown key %q in its config; a tensor has shape, dtype and keras_history", k)
		}
	}
	h, ok := cfg["keras_history"].([]any)
	if !ok {
		return bad("keras_history must be [layer, node index, tensor index]")
	}
	r, err := historyRef(h)
	if dt, _ := cfg["dtype"].(string); err == nil && dt != "float32" && nn.IsIntegerDType(dt) {
		r.dtype = dt
	}
	return r, err
}

func abbreviateJSON(v any) string {
	s := compactJSON(v)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// historyRef reads [layer name, node index, tensor index].
func historyRef(h []any) (tensorRef, error) {
	if len(h) != 3 {
		return tensorRef{}, fmt.Errorf("%s: want [layer, node index, tensor index]", abbreviateJSON(h))
	}
	name, ok := h[0].(string)
	if !ok || name == "" {
		return tensorRef{}, fmt.Errorf("%s: the first element must be a layer's name", abbreviateJSON(h))
	}
	var ix [2]int
	for j, v := range h[1:] {
		f, ok := v.(float64)
		if !ok || f < 0 || f != math.Trunc(f) || f > 1<<30 {
			return tensorRef{}, fmt.Errorf("%s: the node and tensor indexes must be whole numbers from 0", abbreviateJSON(h))
		}
		ix[j] = int(f)
	}
	return tensorRef{layer: name, node: ix[0], tensor: ix[1]}, nil
}

// checkCallKwargs applies the key rule to a call's keyword arguments:
// Keras writes {"mask": null} for layers that could take a mask, which
// changes nothing; anything else changes the call.
func checkCallKwargs(kw map[string]any) error {
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := kw[k]
		switch {
		case k == "mask" && v == nil:
		case k == "training":
			return fmt.Errorf("the layer is called with training=%s, which gokeras does not support: a layer runs in training mode in fit and in inference mode otherwise", compactJSON(v))
		default:
			return fmt.Errorf("call argument %s=%s is not supported; gokeras calls a layer on its inputs only", k, abbreviateJSON(v))
		}
	}
	return nil
}

// modelTensors reads config.input_layers or output_layers: one
// [layer, node, tensor] (Keras 3, a model made from single tensors), a
// list of them, or a dict of them by name.
func modelTensors(v any) ([]tensorRef, error) {
	switch t := v.(type) {
	case []any:
		if len(t) == 3 {
			if _, leaf := t[0].(string); leaf {
				r, err := historyRef(t)
				return []tensorRef{r}, err
			}
		}
		var refs []tensorRef
		for _, x := range t {
			h, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: want [layer, node index, tensor index]", abbreviateJSON(x))
			}
			r, err := historyRef(h)
			if err != nil {
				return nil, err
			}
			refs = append(refs, r)
		}
		return refs, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var refs []tensorRef
		for _, k := range keys {
			h, ok := t[k].([]any)
			if !ok {
				return nil, fmt.Errorf("%q: want [layer, node index, tensor index]", k)
			}
			r, err := historyRef(h)
			if err != nil {
				return nil, err
			}
			refs = append(refs, r)
		}
		return refs, nil
	}
	return nil, fmt.Errorf("%s: want [[layer, node index, tensor index]]", abbreviateJSON(v))
}

// makeCall calls l on xs as the file says: a merge layer on the list, any
// other layer on its one tensor.
func makeCall(l nn.Layer, xs []nn.Symbolic, list bool) (nn.Symbolic, error) {
	if m, ok := l.(nn.Merger); ok {
		if !list {
			return nil, fmt.Errorf("%s takes a list of tensors, not one tensor", l.Class())
		}
		return nn.Merge(m, xs...), nil
	}
	if list {
		return nil, fmt.Errorf("%s takes one tensor, not a list of %d", l.Class(), len(xs))
	}
	return nn.Call(l, xs[0]), nil
}
