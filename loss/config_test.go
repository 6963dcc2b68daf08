package loss

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFromConfig(t *testing.T) {
	tests := []struct {
		class, cfg string
		want       Loss
	}{
		// Keras 3's get_config of CategoricalCrossentropy(label_smoothing=0.1).
		{"CategoricalCrossentropy", `{"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false, "label_smoothing": 0.1, "axis": -1}`,
			CategoricalCrossentropy{LabelSmoothing: 0.1}},
		{"SparseCategoricalCrossentropy", `{"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "ignore_class": null}`,
			SparseCategoricalCrossentropy{FromLogits: true}},
		{"SparseCategoricalCrossentropy", `{"label_smoothing": 0.2}`, SparseCategoricalCrossentropy{LabelSmoothing: 0.2}},
		{"MeanSquaredError", `{"name": "mean_squared_error", "reduction": "sum_over_batch_size"}`, MSE{}},
		{"Huber", `{"delta": 2.0}`, Huber{Delta: 2}},
	}
	for _, tt := range tests {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tt.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		got, err := FromConfig(tt.class, cfg)
		if err != nil || got != tt.want {
			t.Errorf("FromConfig(%s, %s) = %#v, %v; want %#v", tt.class, tt.cfg, got, err, tt.want)
			continue
		}
		// Config writes it back so that FromConfig reads the same loss.
		class, out, ok := Config(got)
		if !ok {
			if _, err := Parse(got.Name()); err != nil {
				t.Errorf("%#v: Config gives nothing and Parse(%q) fails", got, got.Name())
			}
			continue
		}
		b, _ := json.Marshal(out)
		var back map[string]any
		json.Unmarshal(b, &back)
		if again, err := FromConfig(class, back); err != nil || again != got {
			t.Errorf("round trip of %#v: %#v, %v", got, again, err)
		}
	}
}

func TestFromConfigErrors(t *testing.T) {
	tests := []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"GeneralizedCrossEntropy", nil, "unknown loss class"},
		{"CategoricalCrossentropy", map[string]any{"label_smoothing": 1.5}, "use a value in [0, 1]"},
		{"CategoricalCrossentropy", map[string]any{"reduction": "auto"}, "reduction auto is not one of"},
		{"CategoricalCrossentropy", map[string]any{"smoothing": 0.1}, `unknown key "smoothing"`},
		{"BinaryCrossentropy", map[string]any{"label_smoothing": 2.0}, "use a value in [0, 1]"},
	}
	for _, tt := range tests {
		if _, err := FromConfig(tt.class, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromConfig(%s, %v): %v, want an error containing %q", tt.class, tt.cfg, err, tt.want)
		}
	}
}

func TestWithLabelSmoothing(t *testing.T) {
	l, err := WithLabelSmoothing(SparseCategoricalCrossentropy{}, 0.1)
	if err != nil || l != (SparseCategoricalCrossentropy{LabelSmoothing: 0.1}) {
		t.Errorf("got %#v, %v", l, err)
	}
	if _, err := WithLabelSmoothing(MSE{}, 0.1); err == nil || !strings.Contains(err.Error(), "has no label smoothing") {
		t.Errorf("MSE: %v", err)
	}
	if _, err := WithLabelSmoothing(CategoricalCrossentropy{}, -1); err == nil {
		t.Error("ls -1 accepted")
	}
}
