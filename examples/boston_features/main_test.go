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
	// Predicting the training mean gives an MAE of about 6.5; five epochs
	// on the preprocessed features already do better.
	if logs["mae"] > 6 {
		t.Errorf("test MAE after 5 epochs = %v", logs["mae"])
	}
}
