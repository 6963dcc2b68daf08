package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
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

// runBounded runs the CLI and fails the test if it has not returned within
// 20 s or panicked: classify used to spin forever in ROCAUC on a NaN score
// and to panic on a nil matrix after an Inf feature.
func runBounded(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	type result struct {
		out, errOut string
		code        int
		panicked    any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			r.panicked = recover()
			done <- r
		}()
		r.out, r.errOut, r.code = runCLI(t, args...)
	}()
	select {
	case r := <-done:
		if r.panicked != nil {
			t.Fatalf("%v panicked: %v", args, r.panicked)
		}
		return r.out, r.errOut, r.code
	case <-time.After(20 * time.Second):
		t.Fatalf("%v did not return within 20 s", args)
	}
	return "", "", 0
}

// bigClassTable is the audit's bigcls_inf.csv in spirit: 80 rows, two
// features, two classes, and +Inf in feature a of data row 3 (line 5).
func bigClassTable() string {
	var b strings.Builder
	b.WriteString("a,b,cls\n")
	for i := range 80 {
		a, c := float64(i%10)+0.5*float64(i%3), float64((i*7)%10)
		cls := "neg"
		if 2*a-c > 5 {
			cls = "pos"
		}
		as := strconv.FormatFloat(a, 'g', -1, 64)
		if i == 3 {
			as = "Inf"
		}
		fmt.Fprintf(&b, "%s,%g,%s\n", as, c, cls)
	}
	return b.String()
}

func TestClassifyNonFinite(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		args       []string
		want       []string // in the error
	}{
		{"bigcls_inf.csv", bigClassTable(), nil, []string{`column "a" is +Inf on line 5`}},
		{"cls_inf.csv", "a,b,cls\n1,2,x\n4,5,y\n7,Inf,x\n1,1,y\n2,3,x\n3,3,y\n5,5,x\n6,1,y\n", []string{"--test-split", "0"}, []string{`column "b" is +Inf on line 4`}},
		{"cls_nan.csv", "a,b,cls\nNaN,2,x\n4,5,y\n7,Inf,x\n1,1,y\n2,3,x\n3,3,y\n5,5,x\n6,1,y\n", nil, []string{`column "b" is +Inf on line 4`}},
		{"cls_neginf.csv", "a,b,cls\n1,2,x\n4,5,y\n7,1,x\n1,-1e400,y\n2,3,x\n3,3,y\n5,5,x\n6,1,y\n", []string{"--model", "mlp", "--epochs", "1"}, []string{`column "b" is -Inf on line 5`}},
		{"cls_target_inf.csv", "a,b,cls\n1,2,0\n4,5,1\n7,1,0\n1,1,inf\n2,3,1\n3,3,0\n5,5,1\n6,1,0\n", nil, []string{`column "cls" is +Inf on line 5`}},
	} {
		p := writeFile(t, tc.name, tc.body)
		_, errOut, code := runBounded(t, append([]string{"classify", "--data", p, "--target", "cls"}, tc.args...)...)
		if code == 0 {
			t.Errorf("%s: exit 0, want an error", tc.name)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.name, errOut, w)
			}
		}
	}
}
