package plot

import (
	"math"
	"strings"
	"testing"
)

func TestParamScores(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		scores []float64
	}{
		{"numeric", []string{"0.1", "0.1", "0.5", "0.5", "0.8"}, []float64{0.9, 0.8, 0.85, math.NaN(), 0.7}},
		{"log", []string{"0.0001", "0.001", "0.01", "0.1"}, []float64{0.5, 0.7, 0.9, 0.6}},
		{"categorical", []string{"relu", "tanh", "relu"}, []float64{0.9, 0.8, 0.95}},
		{"one value", []string{"32"}, []float64{0.9}},
	}
	for _, tt := range tests {
		img, err := ParamScores("p", "val_accuracy", tt.values, tt.scores)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if b := img.Bounds(); b.Dx() != PanelWidth || b.Dy() != PanelHeight {
			t.Errorf("%s: size %v, want %dx%d", tt.name, b.Size(), PanelWidth, PanelHeight)
		}
		if n := countNear(img, img.Bounds(), ValColor); n == 0 {
			t.Errorf("%s: no trial dots drawn", tt.name)
		}
		if n := countNear(img, img.Bounds(), TrainColor); n == 0 {
			t.Errorf("%s: no mean line drawn", tt.name)
		}
	}
	if _, err := ParamScores("p", "s", []string{"1"}, nil); err == nil || !strings.Contains(err.Error(), "1 values for 0 scores") {
		t.Errorf("mismatched lengths: %v", err)
	}
	if _, err := ParamScores("p", "s", nil, nil); err == nil {
		t.Error("no trials: no error")
	}
}
