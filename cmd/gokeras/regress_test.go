package main

import (
	"strings"
	"testing"
)

func TestRegressOLSBoston(t *testing.T) {
	out, errOut, code := runCLI(t, "regress", "--data", "boston_housing", "--target", "MEDV", "--test-split", "0")
	if code != 0 {
		t.Fatalf("exited %d: %s", code, errOut)
	}
	for _, w := range []string{"train 506, test 0", "RM               3.8099      0.4179     9.116    0.000", "train     0.7406    4.6792    3.2709"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	out, _, code = runCLI(t, "regress", "--data", "diabetes", "--target", "target", "--model", "ridge", "--alpha", "0.5")
	if code != 0 || !strings.Contains(out, "test  ") || !strings.Contains(out, "bmi") {
		t.Errorf("ridge on diabetes: exit %d\n%s", code, out)
	}
}

func TestRegressMLPKFold(t *testing.T) {
	// A short run: two folds, a few epochs; the full K=4, 100-epoch run is
	// the README's command.
	out, errOut, code := runCLI(t, "regress", "--data", "boston_housing", "--target", "MEDV", "--model", "mlp",
		"--folds", "2", "--epochs", "5", "--seed", "3")
	if code != 0 {
		t.Fatalf("exited %d: %s", code, errOut)
	}
	for _, w := range []string{"fold 1/2: train 202, validate 202 rows, 5 epochs: val_mae", "mean validation MAE over 2 folds:", "test_mae"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
