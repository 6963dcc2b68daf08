package main

import (
	"io"
	"math"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/tensor"
)

// FuzzPredictCSV: any CSV gives rows of finite values of the model's width
// or an error, by name (with feature names) or by position, never a panic.
func FuzzPredictCSV(f *testing.F) {
	f.Add("a,b,c\n1,2,3\n4,5,6\n", true)
	f.Add("c,a,b,extra\n3,1,2,9\n", true)
	f.Add("1,2,3\nNaN,2,3\n", false)
	f.Add("x,y\n1,2\n", false)
	f.Add("a,a,b,c\n1,1,2,3\n", true)
	f.Add("\"a\nb\",b,c\n1,2,3\n", true)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, data string, named bool) {
		r := inputReader{in: tensor.Shape{3}, notes: io.Discard, cmd: "predict"}
		if named {
			r.features = []string{"a", "b", "c"}
		}
		x, labels, err := r.readCSV(strings.NewReader(data), "f.csv")
		if err != nil {
			return
		}
		if len(x.Shape) != 2 || x.Shape[1] != 3 || x.Shape[0] != len(labels) || len(x.Data) != 3*len(labels) {
			t.Fatalf("shape %v for %d labels", x.Shape, len(labels))
		}
		for _, v := range x.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite value %v accepted from %q", v, data)
			}
		}
	})
}
