package main

import (
	"strings"
	"testing"
)

func TestTrainClassWeight(t *testing.T) {
	out, errOut, code := runCLI(t, "train", "--epochs", "1", "--steps-per-epoch", "2", "--verbose", "2", "--class-weight", "balanced")
	if code != 0 {
		t.Fatalf("--class-weight balanced: exit %d: %s", code, errOut)
	}
	// The digits set has 10 classes of about 180 samples each.
	line := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "class_weight (balanced): ") {
			line = l
		}
	}
	if !strings.Contains(line, "0: ") || !strings.Contains(line, ", 9: ") {
		t.Errorf("no balanced weights for classes 0 to 9 in the output:\n%s", out)
	}
	if _, errOut, code := runCLI(t, "train", "--epochs", "1", "--steps-per-epoch", "1", "--verbose", "0", "--class-weight", `{"0": 2, "3": 0.5}`); code != 0 {
		t.Errorf("--class-weight JSON: exit %d: %s", code, errOut)
	}
	cases := []struct {
		value, want string
		code        int
	}{
		{"heavy", `want "balanced" or a JSON object`, 1},
		{`{"a": 1}`, `class "a" is not a class index`, 1},
		{`{"1": -1}`, "class 1 has weight -1", 1},
		{`{"12": 2}`, "class_weight has class 12; the model's sparse_categorical_crossentropy scores classes 0 to 9", 1},
	}
	for _, tc := range cases {
		_, errOut, code := runCLI(t, "train", "--epochs", "1", "--steps-per-epoch", "1", "--verbose", "0", "--class-weight", tc.value)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("--class-weight %s: exit %d, %q; want exit %d and %q", tc.value, code, errOut, tc.code, tc.want)
		}
	}
}
