package main

import (
	"strings"
	"testing"
)

func TestTrainStepsPerEpoch(t *testing.T) {
	out, errOut, code := runCLI(t, "train", "--epochs", "2", "--steps-per-epoch", "3", "--verbose", "2")
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	if n := strings.Count(out, "\n3/3 - "); n != 2 {
		t.Errorf("want two epochs of 3 steps, got %d:\n%s", n, out)
	}
	if _, errOut, code := runCLI(t, "train", "--steps-per-epoch", "-1"); code == 0 || !strings.Contains(errOut, "--steps-per-epoch") {
		t.Errorf("--steps-per-epoch -1: exit %d, %q; want an error naming the flag", code, errOut)
	}
}
