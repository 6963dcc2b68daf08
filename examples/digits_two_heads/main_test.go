package main

import (
	"io"
	"testing"
)

func TestShort(t *testing.T) {
	logs, err := run(true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Three epochs already beat chance (0.1 and 0.5) by far.
	if logs["digit_accuracy"] < 0.8 || logs["parity_accuracy"] < 0.8 {
		t.Errorf("after a short run: digit accuracy %v, parity accuracy %v", logs["digit_accuracy"], logs["parity_accuracy"])
	}
	for _, k := range []string{"loss", "digit_loss", "parity_loss"} {
		if _, ok := logs[k]; !ok {
			t.Errorf("no %q in the logs %v", k, logs)
		}
	}
}
