package nn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TestConfigZeroIsNotDefault is S10: in a model file only an absent key
// means the default; an explicit 0 (or a negative size) is an error, as in
// Keras, instead of silently becoming the default.
func TestConfigZeroIsNotDefault(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"MaxPooling2D", map[string]any{"pool_size": []any{0.0, 0.0}}, "pool_size must be positive, got [0 0]; Keras rejects 0 too"},
		{"MaxPooling2D", map[string]any{"pool_size": 2.0, "strides": []any{0.0, 0.0}}, "strides must be positive, got [0 0]"},
		{"AveragePooling2D", map[string]any{"pool_size": -2.0}, "pool_size must be positive, got [-2]"},
		{"AveragePooling2D", map[string]any{"strides": 0.0}, "strides must be positive"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 0.0}, "kernel_size must be positive, got [0]"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "strides": []any{1.0, 0.0}}, "strides must be positive, got [1 0]"},
		{"Conv2D", map[string]any{"filters": 2.0, "kernel_size": 3.0, "dilation_rate": []any{0.0, 0.0}}, "dilation_rate must be positive"},
		{"PatchWhitening", map[string]any{"kernel_size": []any{0.0, 0.0}}, "kernel_size must be positive"},
		{"PatchWhitening", map[string]any{"epsilon": 0.0}, "epsilon"},
		{"PatchWhitening", map[string]any{"max_images": 0.0}, "max_images"},
		{"BatchNormalization", map[string]any{"momentum": 0.0}, "momentum"},
		{"BatchNormalization", map[string]any{"epsilon": 0.0}, "epsilon"},
	}
	for _, tt := range tests {
		_, err := nn.FromConfig(tt.class, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: err = %v, want %q", tt.class, tt.cfg, err, tt.want)
		}
		var ce *nn.ConfigError
		if !errors.As(err, &ce) || ce.Class != tt.class {
			t.Errorf("%s %v: err = %#v, want a *nn.ConfigError", tt.class, tt.cfg, err)
		}
	}

	// Absent keys and null (Keras's None) still mean the default.
	for class, cfg := range map[string]map[string]any{
		"MaxPooling2D":       {"strides": nil},
		"AveragePooling2D":   {},
		"Conv2D":             {"filters": 2.0, "kernel_size": 3.0, "strides": nil},
		"PatchWhitening":     {},
		"BatchNormalization": {"momentum": nil},
	} {
		l, err := nn.FromConfig(class, cfg)
		if err != nil {
			t.Errorf("%s %v: %v", class, cfg, err)
			continue
		}
		s := &nn.Stack{}
		s.Add(l)
		if err := s.Build(tensor.Shape{6, 6, 2}, 1); err != nil {
			t.Errorf("%s %v: Build: %v", class, cfg, err)
		}
	}
}

// TestZeroPoolSizeGoAPI: in Go the zero value is the default, but a
// negative or half-zero size is an error that names the field.
func TestPoolSizeGoAPI(t *testing.T) {
	for _, p := range []*nn.MaxPooling2D{{PoolSize: [2]int{0, 2}}, {PoolSize: [2]int{-1, -1}}, {Strides: [2]int{2, 0}}} {
		if _, err := p.OutputShape(tensor.Shape{4, 4, 1}); err == nil || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("%+v: err = %v", p, err)
		}
	}
	if out, err := (&nn.MaxPooling2D{}).OutputShape(tensor.Shape{4, 4, 1}); err != nil || !out.Equal(tensor.Shape{2, 2, 1}) {
		t.Errorf("zero value: %v, %v; want (2, 2, 1)", out, err)
	}
}
