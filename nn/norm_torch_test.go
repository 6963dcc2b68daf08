package nn_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
)

// torchReference runs script under /usr/bin/python3 with PyTorch, feeding
// in as JSON on stdin and decoding its JSON stdout into out. It skips the
// test when python3 or torch is missing.
func torchReference(t *testing.T, script string, in, out any) {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("PyTorch is not installed for /usr/bin/python3")
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyTorch reference failed: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
}
