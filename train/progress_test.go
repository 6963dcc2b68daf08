package train

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, Auto, 1563)
	p.epochBegin(2, 10)
	p.batchEnd(5, Logs{"loss": 2}) // not a terminal: nothing until the end
	p.epochEnd(1563, 37.6, Logs{"loss": 1.20344, "accuracy": 0.56111, "val_loss": 1.1, "val_accuracy": 0.6})
	want := "Epoch 3/10\n1563/1563 [==============================] - 38s 24ms/step - loss: 1.2034 - accuracy: 0.5611 - val_loss: 1.1000 - val_accuracy: 0.6000\n"
	if b.String() != want {
		t.Errorf("progress output\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	p = newProgress(&b, OneLine, 10)
	p.epochBegin(0, 1)
	p.epochEnd(10, 0.5, Logs{"loss": 0.00001})
	if got := b.String(); !strings.Contains(got, "10/10 - 0s - 50ms/step - loss: 1.0000e-05") {
		t.Errorf("verbose 2 line = %q", got)
	}
	b.Reset()
	p = newProgress(&b, Silent, 10)
	p.epochBegin(0, 1)
	p.epochEnd(10, 1, Logs{"loss": 1})
	if b.Len() != 0 {
		t.Errorf("silent progress printed %q", b.String())
	}
}

func TestBar(t *testing.T) {
	p := &progress{steps: 100}
	tests := []struct {
		step int
		want string
	}{
		{1, "  1/100 [..............................]"},
		{50, " 50/100 [==============>...............]"},
		{100, "100/100 [==============================]"},
	}
	for _, tt := range tests {
		if got := p.bar(tt.step); got != tt.want {
			t.Errorf("bar(%d) = %q, want %q", tt.step, got, tt.want)
		}
	}
	if got := formatETA(75); got != "1:15" {
		t.Errorf("formatETA(75) = %q", got)
	}
	if got := formatETA(3725); got != "1:02:05" {
		t.Errorf("formatETA(3725) = %q", got)
	}
}

func TestSplitValidationTakesTheLastPart(t *testing.T) {
	tests := []struct {
		n    int
		frac float64
		want int // first held-out sample; 0 for an error
	}{
		{10, 0.25, 7}, // floor(10*0.75) = 7 training samples, then the last 3
		{10, 0.2, 8},
		{3, 0.5, 1},
		{10, 0, 0},
		{10, 1, 0},
		{2, 0.01, 1},
		{1, 0.5, 0}, // nothing left to train on
	}
	for _, tt := range tests {
		got, err := splitAt(tt.n, tt.frac)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("splitAt(%d, %v) = %d, want an error", tt.n, tt.frac, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("splitAt(%d, %v) = %d, %v; want %d", tt.n, tt.frac, got, err, tt.want)
		}
	}
}
