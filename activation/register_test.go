package activation

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// softsign is registered for the package's tests: f(z) = z/(1+|z|),
// f'(z) = 1/(1+|z|)^2, so TestGradients (which walks All) checks it too.
var softsign = MustRegister(Custom{
	Name: "test_softsign",
	Forward: func(y, z []float32, _, _ int) {
		for i, v := range z {
			y[i] = v / (1 + float32(math.Abs(float64(v))))
		}
	},
	Backward: func(dz, dy, z, _ []float32, _, _ int) {
		for i, v := range z {
			d := 1 + float32(math.Abs(float64(v)))
			dz[i] = dy[i] / (d * d)
		}
	},
	NeedsInput: true,
})

func TestRegister(t *testing.T) {
	if softsign.String() != "test_softsign" || !softsign.NeedsInput() {
		t.Errorf("String %q, NeedsInput %v", softsign, softsign.NeedsInput())
	}
	if f, err := Parse("test_softsign"); err != nil || f != softsign {
		t.Errorf("Parse = %v, %v", f, err)
	}
	found := false
	for _, f := range All() {
		found = found || f == softsign
	}
	if !found {
		t.Error("All does not list the registered activation")
	}
	// Hand values: f(1) = 0.5, f(-3) = -0.75.
	y := make([]float32, 2)
	softsign.Forward(y, []float32{1, -3}, 1, 2)
	if y[0] != 0.5 || y[1] != -0.75 {
		t.Errorf("Forward = %v, want [0.5 -0.75]", y)
	}
	// It serialises by name, as configs carry it.
	b, err := json.Marshal(map[string]Func{"activation": softsign})
	if err != nil || string(b) != `{"activation":"test_softsign"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back map[string]Func
	if err := json.Unmarshal(b, &back); err != nil || back["activation"] != softsign {
		t.Errorf("Unmarshal = %v, %v", back, err)
	}
	// An unknown name lists the registered ones and says how.
	if _, err := Parse("nope"); err == nil || !strings.Contains(err.Error(), "test_softsign") || !strings.Contains(err.Error(), "activation.Register") {
		t.Errorf("Parse(nope): %v", err)
	}
	fwd := func(y, z []float32, _, _ int) { copy(y, z) }
	bwd := func(dz, dy, _, _ []float32, _, _ int) { copy(dz, dy) }
	for _, c := range []Custom{
		{Name: "", Forward: fwd, Backward: bwd},
		{Name: "relu", Forward: fwd, Backward: bwd},
		{Name: "None", Forward: fwd, Backward: bwd},
		{Name: "test_softsign", Forward: fwd, Backward: bwd},
		{Name: "no_backward", Forward: fwd},
	} {
		if _, err := Register(c); err == nil {
			t.Errorf("Register(%q): no error", c.Name)
		}
	}
}
