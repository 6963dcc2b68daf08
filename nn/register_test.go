package nn_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// offset is a small custom layer: y = x + Shift, no weights.
type offset struct {
	nn.Trainability
	Name  string
	Shift float64
	class string // "" is "Offset"
}

func (o *offset) LayerName() string     { return o.Name }
func (o *offset) SetLayerName(s string) { o.Name = s }
func (o *offset) Class() string {
	if o.class != "" {
		return o.class
	}
	return "Offset"
}
func (o *offset) OutputShape(in tensor.Shape) (tensor.Shape, error) { return in.Clone(), nil }
func (o *offset) Build(in tensor.Shape, _ *rand.Rand) error         { return nil }
func (o *offset) Params() []*nn.Param                               { return nil }
func (o *offset) Backward(dy *tensor.Tensor) *tensor.Tensor         { return dy }
func (o *offset) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	y := tensor.New(x.Shape...)
	for i, v := range x.Data {
		y.Data[i] = v + float32(o.Shift)
	}
	return y
}
func (o *offset) Config() map[string]any { return map[string]any{"shift": o.Shift} }

// rigid is a custom layer without nn.Trainability: it cannot be frozen.
type rigid struct{ name string }

func (l *rigid) LayerName() string                                 { return l.name }
func (l *rigid) SetLayerName(s string)                             { l.name = s }
func (l *rigid) Class() string                                     { return "Rigid" }
func (l *rigid) OutputShape(in tensor.Shape) (tensor.Shape, error) { return in.Clone(), nil }
func (l *rigid) Build(tensor.Shape, *rand.Rand) error              { return nil }
func (l *rigid) Params() []*nn.Param                               { return nil }
func (l *rigid) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor   { return x }
func (l *rigid) Backward(dy *tensor.Tensor) *tensor.Tensor         { return dy }
func (l *rigid) Config() map[string]any                            { return map[string]any{} }

// registerForTest registers class for the test only.
func registerForTest(t *testing.T, class string, mk func(r *nn.ConfigReader) nn.Layer) {
	t.Helper()
	nn.Register(class, mk)
	t.Cleanup(func() { nn.Unregister(class) })
}

func TestRegister(t *testing.T) {
	registerForTest(t, "Offset", func(r *nn.ConfigReader) nn.Layer {
		o := &offset{Shift: r.Num("shift", 0)}
		if o.Shift < 0 {
			r.Failf("shift %v is negative; give a shift >= 0", o.Shift)
		}
		return o
	})
	// A config the layer wrote reads back, with name and trainable.
	src := &offset{Name: "off", Shift: 0.5}
	src.SetTrainable(false)
	l, err := nn.FromConfig("Offset", nn.LayerConfig(src))
	if err != nil {
		t.Fatal(err)
	}
	if o := l.(*offset); o.Shift != 0.5 || o.Name != "off" || nn.IsTrainable(o) {
		t.Errorf("read back %+v (trainable %v), want shift 0.5, name off, frozen", o, nn.IsTrainable(o))
	}
	// The strict rule applies to custom classes too.
	for _, tt := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"shift": 1.0, "shfit": 2.0}, `nn: Offset config: unknown key "shfit" (value 2); Offset takes `},
		{map[string]any{"shift": -1.0}, "shift -1 is negative"},
		{map[string]any{"shift": "one"}, `"shift" is one; want a number`},
	} {
		if _, err := nn.FromConfig("Offset", tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.cfg, err, tt.want)
		}
	}
	// Replica rebuilds registered layers.
	s := &nn.Stack{}
	s.Add(&offset{Shift: 2})
	if err := s.Build(tensor.Shape{2}, 1); err != nil {
		t.Fatal(err)
	}
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Layers[0].(*offset).Shift; got != 2 {
		t.Errorf("replica shift %v, want 2", got)
	}
	if !slicesContain(nn.Classes(), "Offset") {
		t.Errorf("Classes() = %v, want Offset listed", nn.Classes())
	}
}

func slicesContain(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// TestRegisterMistakes: Register panics, as database/sql.Register does, on
// an empty name, a nil factory and a taken class (built-in or custom); a
// factory whose layer names another class, or that cannot be frozen when
// the config says trainable false, fails FromConfig.
func TestRegisterMistakes(t *testing.T) {
	mk := func(r *nn.ConfigReader) nn.Layer { return &offset{} }
	panics := func(name string, f func()) (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		f()
		return "no panic"
	}
	for _, tt := range []struct {
		name string
		f    func()
		want string
	}{
		{"empty", func() { nn.Register("", mk) }, "empty class name"},
		{"nil", func() { nn.Register("NilFactory", nil) }, "nil factory"},
		{"built-in", func() { nn.Register("Dense", mk) }, `Register("Dense"): the class is already registered`},
	} {
		if got := panics(tt.name, tt.f); !strings.Contains(got, tt.want) {
			t.Errorf("%s: panic %q, want %q", tt.name, got, tt.want)
		}
	}
	registerForTest(t, "Twice", mk)
	if got := panics("twice", func() { nn.Register("Twice", mk) }); !strings.Contains(got, "already registered") {
		t.Errorf("second Register: %q", got)
	}

	registerForTest(t, "Misnamed", func(r *nn.ConfigReader) nn.Layer { return &offset{class: "Other"} })
	if _, err := nn.FromConfig("Misnamed", nil); err == nil || !strings.Contains(err.Error(), `made a layer of class "Other"`) {
		t.Errorf("class mismatch: %v", err)
	}
	registerForTest(t, "Nil", func(r *nn.ConfigReader) nn.Layer { return nil })
	if _, err := nn.FromConfig("Nil", nil); err == nil || !strings.Contains(err.Error(), "returned no layer") {
		t.Errorf("nil layer: %v", err)
	}
	registerForTest(t, "Rigid", func(r *nn.ConfigReader) nn.Layer { return &rigid{} })
	if _, err := nn.FromConfig("Rigid", map[string]any{"trainable": true}); err != nil {
		t.Errorf("trainable true on a layer that cannot be frozen: %v", err)
	}
	if _, err := nn.FromConfig("Rigid", map[string]any{"trainable": false}); err == nil || !strings.Contains(err.Error(), "cannot be frozen") {
		t.Errorf("trainable false on a layer that cannot be frozen: %v", err)
	}
	if _, err := nn.FromConfig("NoSuchLayer", nil); err == nil || !strings.Contains(err.Error(), "nn.Register") {
		t.Errorf("unknown class: %v, want a hint at nn.Register", err)
	}
}
