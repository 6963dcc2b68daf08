package main

import (
	"io"
	"testing"

	"github.com/gokeras/gokeras/examples/internal/extest"
)

func TestShort(t *testing.T) {
	extest.RequireData(t, "cifar10")
	logs, err := run(true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if logs["accuracy"] < 0.12 {
		t.Errorf("accuracy after one short epoch = %v, want above chance", logs["accuracy"])
	}
}
