package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// TestServeStopsOnSignal: `gokeras serve` answers V2 and TF Serving
// requests with Predict's values, and on SIGTERM (or Ctrl-C) stops
// accepting, finishes, says so and exits 0.
func TestServeStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.safetensors")
	m := gokeras.NewSequential(&nn.Dense{Units: 3, Activation: activation.Softmax, InputShape: tensor.Shape{4}})
	m.Seed = 5
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam"); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)/7 - 0.5
	}
	want, err := m.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig     syscall.Signal
		format  string
		logLine string // in stderr after the predict request
	}{
		{syscall.SIGTERM, "json", `{"time":`},
		{syscall.SIGINT, "text", `level=INFO msg=request method=POST path=/v1/models/tiny:predict model=tiny endpoint=predict status=200 `},
	} {
		sig := tc.sig
		cmd, lines, stderr := gokerasProcess(t, dir, "serve", "--load", path, "--addr", "127.0.0.1:0", "--max-queue-delay", "1ms", "--instances", "2", "--threads", "1", "--log-format", tc.format)
		if !lines.Scan() {
			t.Fatalf("no first line; stderr: %s", stderr)
		}
		line := lines.Text()
		i := strings.Index(line, "http://")
		if !strings.Contains(line, `model "tiny"`) || i < 0 {
			t.Fatalf("first line %q", line)
		}
		base := strings.Fields(line[i:])[0]
		base = strings.TrimSuffix(base, ":")
		// The metadata over HTTP/2 in the clear (prior knowledge), the
		// rest over HTTP/1.1: one port speaks both.
		h2c := new(http.Protocols)
		h2c.SetUnencryptedHTTP2(true)
		res, err := (&http.Client{Transport: &http.Transport{Protocols: h2c}, Timeout: 10 * time.Second}).Get(base + "/v2/models/tiny")
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(meta), `"shape":[-1,4]`) {
			t.Fatalf("metadata: %d %s", res.StatusCode, meta)
		}
		if res.ProtoMajor != 2 {
			t.Errorf("metadata over h2c answered in %s", res.Proto)
		}
		body := fmt.Sprintf(`{"instances":[[%s],[%s]]}`, floats(x.Data[:4]), floats(x.Data[4:]))
		res, err = http.Post(base+"/v1/models/tiny:predict", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var pred struct{ Predictions [][]float64 }
		err = json.NewDecoder(res.Body).Decode(&pred)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || len(pred.Predictions) != 2 {
			t.Fatalf("predict: %d %v %+v", res.StatusCode, err, pred)
		}
		for r, row := range pred.Predictions {
			for c, v := range row {
				if math.Float32bits(float32(v)) != math.Float32bits(want.Data[r*3+c]) {
					t.Fatalf("prediction [%d][%d] = %v, Predict gives %v", r, c, v, want.Data[r*3+c])
				}
			}
		}
		// /metrics counts the one predict request.
		res, err = http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if line := `gokeras_serve_requests_total{code="200",endpoint="predict",model="tiny"} 1`; res.StatusCode != 200 || !strings.Contains(string(metrics), line+"\n") {
			t.Errorf("/metrics: %d, no line %s:\n%s", res.StatusCode, line, metrics)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: exit %v; stderr: %s", sig, err, stderr)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%v: still running after 30 s", sig)
		}
		if !strings.Contains(stderr.String(), "stopped") {
			t.Errorf("%v: stderr %q does not say it stopped", sig, stderr)
		}
		// One request log line per request: the metadata, predict and
		// metrics requests (the last at Debug, not shown).
		var logged []string
		for l := range strings.SplitSeq(stderr.String(), "\n") {
			if strings.Contains(l, "request") && strings.Contains(l, "tiny") {
				logged = append(logged, l)
			}
		}
		if len(logged) != 2 || !strings.Contains(logged[1], tc.logLine) {
			t.Errorf("%s logs: %q; want 2 lines, the second with %q", tc.format, logged, tc.logLine)
		}
		if tc.format == "json" {
			var rec map[string]any
			if len(logged) == 2 && (json.Unmarshal([]byte(logged[1]), &rec) != nil || rec["status"] != 200.0 || rec["endpoint"] != "predict" || rec["rows"] != 2.0) {
				t.Errorf("json log line %s", logged[1])
			}
		}
		if _, err := http.Get(base + "/v2/health/live"); err == nil {
			t.Errorf("%v: still answering after exit", sig)
		}
	}
}

func floats(v []float32) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = fmt.Sprint(f)
	}
	return strings.Join(s, ",")
}

// TestServeFlags: flag errors say what is wrong.
func TestServeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{}, "--load is required"},
		{[]string{"--load", "x.safetensors", "--max-batch-size", "0"}, "--max-batch-size"},
		{[]string{"--load", "x.safetensors", "--max-queue-delay", "-1s"}, "--max-queue-delay"},
		{[]string{"--load", "x.safetensors", "--threads", "-1"}, "--threads -1: want 0 (all cores) or more"},
		{[]string{"--load", "x.safetensors", "extra"}, "unexpected argument"},
		{[]string{"--load", "x.safetensors", "--log-format", "xml"}, "--log-format \"xml\": want text, json or off"},
		{[]string{"--load", "x.safetensors", "--max-image-pixels", "0"}, "--max-image-pixels"},
		{[]string{"--load", filepath.Join(t.TempDir(), "missing.safetensors")}, "missing.safetensors"},
	} {
		_, errOut, code := runCLI(t, append([]string{"serve"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.says) {
			t.Errorf("serve %v: exit %d, stderr %q; want it to say %q", tc.args, code, errOut, tc.says)
		}
	}
}

// saveTiny saves a small Dense classifier of n inputs to path.
func saveTiny(t *testing.T, path string, n int) *gokeras.Model {
	t.Helper()
	m := gokeras.NewSequential(&nn.Dense{Units: 3, Activation: activation.Softmax, InputShape: tensor.Shape{n}})
	m.Seed = uint64(n)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestServeModelDir: --model-dir serves each model file under its name
// without the extension, decided by content (a model under an odd
// extension is served, a text file named .safetensors is skipped and
// said so, subfolders are not entered); two models of one name, or none,
// are refused.
func TestServeModelDir(t *testing.T) {
	dir := t.TempDir()
	saveTiny(t, filepath.Join(dir, "four.safetensors"), 4)
	saveTiny(t, filepath.Join(dir, "seven.bin"), 7)
	if err := os.WriteFile(filepath.Join(dir, "notes.safetensors"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	saveTiny(t, filepath.Join(dir, "sub", "deep.safetensors"), 2)

	var notes strings.Builder
	models, err := loadModelDir(dir, &notes)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(models)); !slices.Equal(got, []string{"four", "seven"}) {
		t.Errorf("served %v, want [four seven]", got)
	}
	if s := notes.String(); strings.Count(s, "skipping") != 1 || !strings.Contains(s, "notes.safetensors, not a model gokeras loads") {
		t.Errorf("notes %q: want one saying notes.safetensors is skipped", s)
	}
	if models["seven"].Net().InputShapes()[0][0] != 7 {
		t.Errorf("seven has input shape %v", models["seven"].Net().InputShapes())
	}

	// The command serves both.
	if !testing.Short() {
		cmd, lines, stderr := gokerasProcess(t, dir, "serve", "--model-dir", dir, "--addr", "127.0.0.1:0", "--log-format", "off")
		var base string
		for _, name := range []string{"four", "seven"} {
			if !lines.Scan() {
				t.Fatalf("no line for %s; stderr: %s", name, stderr)
			}
			line := lines.Text()
			i := strings.Index(line, "http://")
			if !strings.Contains(line, fmt.Sprintf("model %q", name)) || i < 0 {
				t.Fatalf("line %q", line)
			}
			base = strings.TrimSuffix(strings.Fields(line[i:])[0], ":")
		}
		for name, shape := range map[string]string{"four": `"shape":[-1,4]`, "seven": `"shape":[-1,7]`} {
			res, err := http.Get(base + "/v2/models/" + name)
			if err != nil {
				t.Fatal(err)
			}
			meta, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(meta), shape) {
				t.Errorf("%s metadata: %d %s", name, res.StatusCode, meta)
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit %v; stderr %s", err, stderr)
		}
		if !strings.Contains(stderr.String(), "skipping "+filepath.Join(dir, "notes.safetensors")) {
			t.Errorf("stderr %q does not say notes.safetensors is skipped", stderr)
		}
	}

	// Refusals.
	saveTiny(t, filepath.Join(dir, "four.keras"), 5)
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--model-dir", dir}, `four.keras and four.safetensors would both be served as "four"`},
		{[]string{"--model-dir", empty}, "has no model file"},
		{[]string{"--model-dir", filepath.Join(empty, "missing")}, "missing"},
		{[]string{"--model-dir", dir, "--load", "x.keras"}, "give one"},
		{[]string{"--model-dir", dir, "--name", "x"}, "--name, --model and --labels go with --load"},
	} {
		_, errOut, code := runCLI(t, append([]string{"serve"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.says) {
			t.Errorf("serve %v: exit %d, stderr %q; want it to say %q", tc.args, code, errOut, tc.says)
		}
	}
}
