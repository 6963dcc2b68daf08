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

func TestRegressNonFinite(t *testing.T) {
	const rows = "1,2,3\n2,1,4\n3,5,8\n4,3,7\n5,1,6\n6,4,10\n7,2,9\n8,6,14\n"
	for _, tc := range []struct {
		name, body, model string
		want              string
	}{
		{"feature_inf.csv", "a,b,y\n" + rows + "9,inf,12\n", "ols", `column "b" is +Inf on line 10`},
		{"target_neginf.csv", "a,b,y\n" + strings.Replace(rows, "3,5,8", "3,5,-Inf", 1), "ridge", `column "y" is -Inf on line 4`},
		{"feature_1e400.csv", "a,b,y\n" + strings.Replace(rows, "5,1,6", "1e400,1,6", 1), "mlp", `column "a" is +Inf on line 6`},
	} {
		p := writeFile(t, tc.name, tc.body)
		_, errOut, code := runBounded(t, "regress", "--data", p, "--target", "y", "--model", tc.model, "--folds", "0", "--epochs", "1")
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error with %q", tc.name, code, errOut, tc.want)
		}
	}
	// One huge but finite value is fitted, not reported as "features are
	// linearly dependent: "intercept" adds nothing".
	p := writeFile(t, "huge.csv", "a,b,y\n"+strings.Replace(rows, "5,1,6", "5,3e39,6", 1))
	out, errOut, code := runBounded(t, "regress", "--data", p, "--target", "y", "--test-split", "0")
	if code != 0 || !strings.Contains(out, "intercept") {
		t.Errorf("a 3e39 feature value: exit %d, stderr %q\n%s", code, errOut, out)
	}
}
