package main

import (
	"os"
	"strings"
	"testing"
)

// TestCountFlagsRejectNonPositive: a count given as 0 or below is a flag
// error naming the flag and the valid range, in every command that takes
// it, before anything is loaded or trained (S2, P2, P5). Only a flag left
// out means "the preset's" or "the default".
func TestCountFlagsRejectNonPositive(t *testing.T) {
	tests := [][]string{
		{"train", "--epochs", "0"},
		{"train", "--epochs", "-5"},
		{"train", "--batch-size", "0"},
		{"train", "--batch-size", "-5"},
		{"evaluate", "--load", "m.safetensors", "--batch-size", "-1"},
		{"evaluate", "--load", "m.safetensors", "--batch-size", "0"},
		{"predict", "--load", "m.safetensors", "--top", "-3", "x.png"},
		{"predict", "--load", "m.safetensors", "--top", "0", "x.png"},
		{"sweep", "--grid", "dense=8", "--epochs", "0"},
		{"sweep", "--grid", "dense=8", "--batch-size", "-2"},
		{"bench", "--batch-size", "0"},
		{"bench", "--steps", "0"},
		{"imshow", "--scale", "-3"},
		{"imshow", "--scale", "0"},
		{"imshow", "--cols", "-2"},
		{"imshow", "--cols", "0"},
		{"imshow", "--n", "0"},
		{"classify", "--data", "x.csv", "--target", "y", "--epochs", "0"},
		{"classify", "--data", "x.csv", "--target", "y", "--batch-size", "-1"},
		{"regress", "--data", "x.csv", "--target", "y", "--epochs", "-2"},
		{"regress", "--data", "x.csv", "--target", "y", "--batch-size", "0"},
	}
	t.Chdir(t.TempDir()) // nothing a failing case writes lands in the source tree
	for _, args := range tests {
		out, errOut, code := runCLI(t, args...)
		if code == 0 {
			t.Errorf("%v: exit 0, want a flag error", args)
			continue
		}
		name, val := args[len(args)-2], args[len(args)-1]
		if args[0] == "predict" {
			name, val = args[len(args)-3], args[len(args)-2]
		}
		want := name + " " + val + ": must be at least 1"
		if !strings.Contains(errOut, want) {
			t.Errorf("%v: stderr %q lacks %q", args, errOut, want)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: error is not one line:\n%s", args, errOut)
		}
		if strings.Contains(out, "Epoch") || strings.Contains(errOut, "valid flags") {
			t.Errorf("%v: trained or listed every flag for a bad value:\n%s%s", args, out, errOut)
		}
	}
	// Not a number at all.
	_, errOut, _ := runCLI(t, "train", "--epochs", "three")
	if !strings.Contains(errOut, `--epochs three: not an integer`) {
		t.Errorf("--epochs three: %q", errOut)
	}
}

// TestCountFlagsKeepDefaults: a left-out --epochs is the preset's and a
// given one is used as is.
func TestCountFlagsKeepDefaults(t *testing.T) {
	out, errOut, code := runCLI(t, "train", "--epochs", "2", "--batch-size", "500", "--verbose", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// 1437 training digits in batches of 500: 3 steps an epoch.
	if n := strings.Count(out, "\n3/3 - "); n != 2 {
		t.Errorf("want 2 epochs of 3 steps:\n%s", out)
	}
}

// TestImshowCanvasLimit: a --scale or --cols that would make a huge image
// is an error before the canvas is allocated (P5).
func TestImshowCanvasLimit(t *testing.T) {
	for _, args := range [][]string{
		{"--scale", "100000"},
		{"--scale", "9223372036854775807"},
		{"--scale", "2000", "--n", "100", "--cols", "100"},
	} {
		args = append([]string{"imshow", "--preview", "never", "--out", t.TempDir() + "/x.png"}, args...)
		_, errOut, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(errOut, "pixels") || !strings.Contains(errOut, "limit") {
			t.Errorf("%v: exit %d, %q; want an error about the image size limit", args, code, errOut)
		}
	}
}

// TestErrorContextOnce: the command's prefix appears once, and the CLI
// adds no second "gokeras:" in front of a library error.
func TestErrorContextOnce(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.safetensors"
	os.WriteFile(bad, []byte("junk"), 0o644)
	badJSON := dir + "/bad.json"
	os.WriteFile(badJSON, []byte("{"), 0o644)
	for _, args := range [][]string{
		{"evaluate", "--load", bad},
		{"predict", "--load", bad, "x.png"},
		{"train", "--model", badJSON},
		{"train", "--load", bad},
		{"summary", "--load", bad},
	} {
		_, errOut, code := runCLI(t, args...)
		prefix := "gokeras " + args[0] + ": "
		if code == 0 || !strings.HasPrefix(errOut, prefix) {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
			continue
		}
		if rest := errOut[len(prefix):]; strings.HasPrefix(rest, "gokeras") || strings.Contains(rest, prefix) {
			t.Errorf("%v: context repeated: %q", args, errOut)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: not one line: %q", args, errOut)
		}
	}
}
