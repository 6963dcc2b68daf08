package regularizer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/tensor"
)

// readers maps the names Keras 3 resolves (keras/src/regularizers/__init__.py,
// ALL_OBJECTS_DICT: each class name and its snake case) to a reader of the
// class's config.
var readers = map[string]func(*config.Reader) Regularizer{
	"L1":                     readL1,
	"l1":                     readL1,
	"L2":                     readL2,
	"l2":                     readL2,
	"L1L2":                   func(c *config.Reader) Regularizer { return readL1L2(c, 0) },
	"l1l2":                   func(c *config.Reader) Regularizer { return readL1L2(c, 0) },
	"OrthogonalRegularizer":  readOrthogonal,
	"orthogonal_regularizer": readOrthogonal,
}

func known() string {
	names := make([]string, 0, len(readers)+1)
	for n := range readers {
		names = append(names, fmt.Sprintf("%q", n))
	}
	names = append(names, `"l1_l2"`)
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// Parse reads a regularizer as a Keras model file gives it: null (none), a
// name ("l2", "L1L2", "orthogonal_regularizer", ...; every class at its
// defaults), or an object:
//
//	{"module": "keras.regularizers", "class_name": "L2",
//	 "config": {"l2": 0.009999999776482582}, "registered_name": null}
//
// as Keras 3 writes it, or {"class_name": "L2", "config": {"l2": ...}} as
// Keras 2 does. The name "l1_l2" is L1L2 with 0.01 for both factors, as
// Keras 2's deserialize and Keras 3's docstring have it (Keras 3's get
// finds no such name; "l1l2" gives its class defaults, 0 and 0). A config
// key the class does not take is an error, as are a negative or
// non-finite factor (Keras's validate_float_arg) and a custom class.
// Factors keep the float64 read, so Config writes them back unchanged.
func Parse(v any) (Regularizer, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if x == "l1_l2" {
			return L1L2{L1: 0.01, L2: 0.01}, nil
		}
		read, ok := readers[x]
		if !ok {
			return nil, fmt.Errorf("regularizer: unknown regularizer %q; gokeras has %s", x, known())
		}
		return read(config.New(nil)), nil
	case map[string]any:
		return parseObject(x)
	}
	return nil, fmt.Errorf("regularizer: %v is not a regularizer; give a name such as \"l2\" or an object such as {\"class_name\": \"L2\", \"config\": {\"l2\": 0.01}}", v)
}

func parseObject(obj map[string]any) (Regularizer, error) {
	outer := config.New(obj)
	class := outer.Str("class_name", "")
	if outer.Err != nil || class == "" {
		return nil, fmt.Errorf("regularizer: object without a class name (%v); write {\"class_name\": \"L2\", \"config\": {\"l2\": 0.01}}", obj)
	}
	read, ok := readers[class]
	if !ok {
		return nil, fmt.Errorf("regularizer: unknown regularizer class %q; gokeras has %s", class, known())
	}
	if m := outer.Str("module", ""); m != "" && m != "keras.regularizers" && !strings.HasPrefix(m, "keras.src.regularizers") {
		return nil, fmt.Errorf("regularizer: %s from module %q is a custom class; gokeras has Keras's own (module \"keras.regularizers\")", class, m)
	}
	if rn, ok := outer.Get("registered_name"); ok && rn != class {
		return nil, fmt.Errorf("regularizer: %s registered as %v is a custom class; gokeras has Keras's own (registered_name null)", class, rn)
	}
	var inner map[string]any
	if c, ok := outer.Get("config"); ok {
		if inner, ok = c.(map[string]any); !ok {
			return nil, fmt.Errorf("regularizer: %s config is %v; want an object such as {\"l2\": 0.01}", class, c)
		}
	}
	if u := outer.Unknown(); len(u) > 0 {
		return nil, fmt.Errorf("regularizer: %s has unknown key %q; a regularizer object has class_name, config, module and registered_name", class, u[0])
	}
	r := config.New(inner)
	reg := read(r)
	if r.Err != nil {
		return nil, fmt.Errorf("regularizer: %s config: %w", class, r.Err)
	}
	if u := r.Unknown(); len(u) > 0 {
		return nil, fmt.Errorf("regularizer: %s config has unknown key %q; it takes %s", class, u[0], strings.Join(r.Read(), ", "))
	}
	return reg, nil
}

// Serialize returns what a layer config holds for r: r.Config(), or nil
// (JSON null, Keras's None) for no regularizer.
func Serialize(r Regularizer) any {
	if r == nil {
		return nil
	}
	return r.Config()
}

// Checker is implemented by regularizers that can reject a factor or a
// shape before training (OrthogonalRegularizer takes rank 2 only).
type Checker interface {
	Check(shape tensor.Shape) error
}

// Check returns r's objection to penalising a tensor of shape shape (an
// axis of 0 or less is of unknown size), or nil; a nil r, or one that is
// not a Checker, has none. Layers call it in Build.
func Check(r Regularizer, shape tensor.Shape) error {
	if c, ok := r.(Checker); ok {
		return c.Check(shape)
	}
	return nil
}
