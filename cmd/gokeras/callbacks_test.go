package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gokeras/gokeras/train"
)

func TestParseReduceLR(t *testing.T) {
	for _, c := range []struct {
		in   string
		want train.ReduceLROnPlateau
		err  string
	}{
		{in: "on"},
		{in: "monitor=loss,factor=0.5,patience=3", want: train.ReduceLROnPlateau{Monitor: "loss", Factor: 0.5, Patience: 3}},
		{in: "min_lr=1e-5, cooldown=2,min_delta=0.01,mode=max,verbose=1", want: train.ReduceLROnPlateau{MinLR: 1e-5, Cooldown: 2, MinDelta: 0.01, Mode: train.ModeMax, Verbose: 1}},
		{in: "patience", err: `"patience" is not key=value`},
		{in: "patience=x", err: `patience="x" is not a number`},
		{in: "lr=1", err: `unknown key "lr"`},
		{in: "mode=down", err: `mode "down" is not auto, min or max`},
	} {
		got, err := parseReduceLR(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if *got != c.want {
			t.Errorf("%q: %+v, want %+v", c.in, *got, c.want)
		}
	}
}

// TestRemoteMonitorFlag: --remote-monitor posts each epoch of a real
// train run to the URL given, query and all; a bad URL fails before
// training.
func TestRemoteMonitorFlag(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.RequestURI()+" "+r.Header.Get("Content-Type")+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	_, errOut, code := runCLI(t, "train", "--epochs", "2", "--verbose", "0", "--remote-monitor", srv.URL+"/epoch?run=7", "--remote-monitor-json")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || !strings.HasPrefix(got[0], `/epoch?run=7 application/json {"accuracy":`) || !strings.Contains(got[1], `"epoch":1`) {
		t.Errorf("posts %q", got)
	}
	_, errOut, code = runCLI(t, "train", "--epochs", "1", "--verbose", "0", "--remote-monitor", "localhost:9000")
	if code == 0 || !strings.Contains(errOut, "is not an http(s) URL with a host") {
		t.Errorf("bad --remote-monitor: exit %d, %q", code, errOut)
	}
}

// TestTrainCallbackFlags: --tensorboard writes a train run's event file,
// --backup-dir is deleted when training finishes, --reduce-lr-on-plateau
// takes Keras's keys.
func TestTrainCallbackFlags(t *testing.T) {
	dir := t.TempDir()
	tb, backup := filepath.Join(dir, "logs"), filepath.Join(dir, "backup")
	_, errOut, code := runCLI(t, "train", "--epochs", "2", "--verbose", "0", "--tensorboard", tb, "--backup-dir", backup,
		"--reduce-lr-on-plateau", "monitor=loss,patience=1,factor=0.5")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	if files, _ := filepath.Glob(filepath.Join(tb, "train", "events.out.tfevents.*.v2")); len(files) != 1 {
		t.Errorf("event files in %s/train: %v, want one", tb, files)
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Errorf("--backup-dir %s still there after training finished (%v)", backup, err)
	}
	_, errOut, code = runCLI(t, "train", "--epochs", "1", "--verbose", "0", "--reduce-lr-on-plateau", "lr=1")
	if code == 0 || !strings.Contains(errOut, `unknown key "lr"`) {
		t.Errorf("bad --reduce-lr-on-plateau: exit %d, %q", code, errOut)
	}
}

// TestMixFlags: --mixup and --cutmix train the default preset (and change
// what it learns: the saved weights differ from a plain run's); bad values
// and both together are refused before training.
func TestMixFlags(t *testing.T) {
	dir := t.TempDir()
	saved := map[string][]byte{}
	for name, flags := range map[string][]string{"plain": nil, "mixup": {"--mixup", "0.2"}, "cutmix": {"--cutmix", "0.5,1"}} {
		path := filepath.Join(dir, name+".gkm")
		args := append([]string{"train", "--epochs", "1", "--verbose", "0", "--save", path}, flags...)
		out, errOut, code := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		if !strings.Contains(out, "test_accuracy") {
			t.Errorf("%s: no test accuracy in %q", name, out)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		saved[name] = b
	}
	if bytes.Equal(saved["plain"], saved["mixup"]) || bytes.Equal(saved["plain"], saved["cutmix"]) || bytes.Equal(saved["mixup"], saved["cutmix"]) {
		t.Error("mixing left the trained model unchanged")
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--mixup", "0"}, "--mixup 0: give a positive alpha"},
		{[]string{"--cutmix", "2"}, `--cutmix "2": CutMix factor [2] must be`},
		{[]string{"--cutmix", "a"}, `--cutmix "a": give a factor in [0, 1]`},
		{[]string{"--mixup", "0.2", "--cutmix", "1"}, "cannot both be given"},
	} {
		_, errOut, code := runCLI(t, append([]string{"train", "--epochs", "1", "--verbose", "0"}, tt.args...)...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error with %q", tt.args, code, errOut, tt.want)
		}
	}
}

// TestFitConfigMixFlag: a model file's fit_config "mix" trains with its
// mixer; --mixup replaces it.
func TestFitConfigMixFlag(t *testing.T) {
	dir := t.TempDir()
	model := func(mix string) string {
		path := filepath.Join(dir, fmt.Sprintf("m%d.json", len(mix)))
		js := `{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
			{"class_name": "Flatten", "config": {}}, {"class_name": "Dense", "config": {"units": 10, "activation": "softmax"}}]},
			"compile_config": {"loss": "sparse_categorical_crossentropy", "optimizer": "adam", "metrics": ["accuracy"]},
			"fit_config": {"epochs": 1, "batch_size": 64` + mix + `}}`
		if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	train := func(path string, flags ...string) []byte {
		out := filepath.Join(dir, "out.gkm")
		args := append([]string{"train", "--model", path, "--dataset", "digits", "--verbose", "0", "--save", out}, flags...)
		if _, errOut, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain := train(model(""))
	cut := train(model(`, "mix": {"class_name": "CutMix", "config": {"factor": 1.0}}`))
	cutFlag := train(model(""), "--cutmix", "1")
	mixOver := train(model(`, "mix": {"class_name": "CutMix", "config": {"factor": 1.0}}`), "--mixup", "0.2")
	mixFlag := train(model(""), "--mixup", "0.2")
	if bytes.Equal(plain, cut) {
		t.Error("fit_config mix changed nothing")
	}
	if !bytes.Equal(cut, cutFlag) {
		t.Error("fit_config CutMix and --cutmix 1 trained differently")
	}
	if !bytes.Equal(mixOver, mixFlag) {
		t.Error("--mixup did not replace the file's CutMix")
	}
}
