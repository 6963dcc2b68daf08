package nn_test

import (
	"testing"

	"github.com/gokeras/gokeras/internal/pyref"
)

// torchReference runs script under /usr/bin/python3 with PyTorch, feeding
// in as JSON on stdin and decoding its JSON stdout into out. It skips the
// test when python3 or torch is missing.
func torchReference(t *testing.T, script string, in, out any) {
	t.Helper()
	pyref.Run(t, script, in, out, "torch")
}
