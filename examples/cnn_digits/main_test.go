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
	// One epoch on 256 images already beats chance (0.1) by far.
	if logs["accuracy"] < 0.3 {
		t.Errorf("accuracy after a short run = %v", logs["accuracy"])
	}
}
