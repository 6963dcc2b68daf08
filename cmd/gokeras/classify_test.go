package main

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	out, errOut, code := runCLI(t, "classify", "--data", "iris", "--target", "target")
	if code != 0 {
		t.Fatalf("exited %d: %s", code, errOut)
	}
	for _, w := range []string{"test accuracy: 0.9667", "              precision    recall  f1-score   support", "    accuracy                           0.97        30", "true \\ pred"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	out, errOut, code = runCLI(t, "classify", "--data", "breast_cancer", "--target", "target", "--model", "mlp", "--epochs", "5")
	if code != 0 {
		t.Fatalf("mlp exited %d: %s", code, errOut)
	}
	if !strings.Contains(out, `test ROC AUC (positive class "malignant"):`) {
		t.Errorf("binary problem without ROC AUC:\n%s", out)
	}
	// A CSV with a text feature and a missing value: skipped and dropped, with notes.
	p := writeFile(t, "pets.csv", "weight,colour,kind\n4,black,cat\n30,brown,dog\n5,,cat\n35,black,dog\n3,white,cat\nNA,white,dog\n28,brown,dog\n")
	out, errOut, code = runCLI(t, "classify", "--data", p, "--target", "kind", "--test-split", "0")
	if code != 0 {
		t.Fatalf("pets exited %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, `skipping text columns ["colour"]`) || !strings.Contains(errOut, "dropped 1 of 7 rows") {
		t.Errorf("notes = %q", errOut)
	}
	if !strings.Contains(out, "training accuracy: 1.0000") {
		t.Errorf("separable pets not separated:\n%s", out)
	}
}
