// Package pyref runs independent numeric references for tests: short
// Python programs using NumPy, PyTorch or scikit-learn from Debian's
// packages (python3-numpy, python3-torch, python3-sklearn), run by
// /usr/bin/python3. A test that uses one skips, saying what to install,
// when the interpreter or a module is missing, so the suite passes on a
// machine without them and checks more on one with them (CI installs them).
//
// Data goes in as JSON on the program's stdin and comes back as JSON on its
// stdout.
package pyref

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is the interpreter: Debian's, whose packages the references use.
const Python = "/usr/bin/python3"

// debianPackage names the package that provides a module.
var debianPackage = map[string]string{
	"numpy": "python3-numpy", "torch": "python3-torch", "sklearn": "python3-sklearn",
	"h5py": "python3-h5py", "rich": "python3-rich", "grpc": "python3-grpcio",
}

// Require skips t unless Python can import every module.
func Require(t testing.TB, modules ...string) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		t.Skipf("no %s", Python)
	}
	if len(modules) == 0 {
		return
	}
	imports := "import " + strings.Join(modules, ", ")
	if err := exec.Command(Python, "-c", imports).Run(); err != nil {
		var pkgs []string
		for _, m := range modules {
			if p, ok := debianPackage[m]; ok {
				pkgs = append(pkgs, p)
			}
		}
		t.Skipf("%s cannot %q (apt-get install %s)", Python, imports, strings.Join(pkgs, " "))
	}
}

// Run runs script (Python source, or the path of a .py file) after
// Require(t, modules...), with in marshalled as JSON on its stdin, and
// unmarshals its stdout into out. A failing script fails the test with its
// stderr.
func Run(t testing.TB, script string, in, out any, modules ...string) {
	t.Helper()
	Require(t, modules...)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-c", script}
	if strings.HasSuffix(script, ".py") && !strings.Contains(script, "\n") {
		args = []string{script}
	}
	cmd := exec.Command(Python, args...)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("Python reference (%s) failed: %v\n%s", strings.Join(modules, ", "), err, stderr.String())
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("Python reference printed what is not the expected JSON: %v\n%.500s", err, raw)
	}
}
