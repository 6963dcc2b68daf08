package activation

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Custom is an activation defined outside this package. Register gives it
// a Func that layers, configs and model files use like the built-in ones:
// a model whose layers use it saves its Name and loads back in any program
// that registered the same Name.
type Custom struct {
	// Name is the Keras-style name configs carry ("swish2"); it must not
	// be a built-in name.
	Name string
	// Forward computes y = f(z) over rows×cols values (rows are the batch,
	// cols the last axis, for activations that normalise a row as softmax
	// does). y and z may be the same slice unless NeedsInput is set.
	Forward func(y, z []float32, rows, cols int)
	// Backward computes dz = dy * f'(z) given z and y = f(z); dz and dy
	// may be the same slice. z is valid only when NeedsInput is set.
	Backward func(dz, dy, z, y []float32, rows, cols int)
	// NeedsInput says Backward reads z, so layers keep it.
	NeedsInput bool
}

// customs holds the registered activations, Func(len(names)+i) being
// customs[i]. It is copied on write, so Forward and Backward read it
// without a lock.
var (
	customMu sync.Mutex
	customs  atomic.Pointer[[]Custom]
)

func customList() []Custom {
	if p := customs.Load(); p != nil {
		return *p
	}
	return nil
}

// custom returns f's registration, if f is a registered activation.
func (f Func) custom() (Custom, bool) {
	i := int(f) - len(names)
	if cs := customList(); i >= 0 && i < len(cs) {
		return cs[i], true
	}
	return Custom{}, false
}

// Register adds a custom activation and returns its Func. It fails for an
// empty or taken name or a missing Forward or Backward. Register in an
// init function, before loading models that name it.
func Register(c Custom) (Func, error) {
	if c.Name == "" {
		return 0, fmt.Errorf("activation: Register: empty name")
	}
	if c.Forward == nil || c.Backward == nil {
		return 0, fmt.Errorf("activation: Register(%q): Forward and Backward are both required", c.Name)
	}
	customMu.Lock()
	defer customMu.Unlock()
	if _, err := Parse(c.Name); err == nil || slices.Contains([]string{"", "None", "none"}, c.Name) {
		return 0, fmt.Errorf("activation: Register(%q): the name is taken; choose another", c.Name)
	}
	cs := append(slices.Clip(customList()), c)
	customs.Store(&cs)
	return Func(len(names) + len(cs) - 1), nil
}

// MustRegister is Register for init functions: it panics on an error.
func MustRegister(c Custom) Func {
	f, err := Register(c)
	if err != nil {
		panic(err)
	}
	return f
}
