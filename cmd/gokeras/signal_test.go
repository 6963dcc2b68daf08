package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the gokeras command: with GOKERAS_TEST_CLI=1
// it runs os.Args[1:] as gokeras would, so that a test can send it signals.
func TestMain(m *testing.M) {
	switch os.Getenv("GOKERAS_TEST_CLI") {
	case "1":
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	case "second-signal":
		secondSignalHelper()
	}
	os.Exit(m.Run())
}

// gokerasProcess starts the test binary as "gokeras args..." in dir.
func gokerasProcess(t *testing.T, dir string, args ...string) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOKERAS_TEST_CLI=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, bufio.NewScanner(stdout), &stderr
}

// TestTrainStopsOnSignal: SIGTERM (and Ctrl-C) during training saves the
// model and the history, then exits 143 (130), as the shell reports a
// process the signal killed (D7).
func TestTrainStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGTERM, 143, "SIGTERM"}, {syscall.SIGINT, 130, "SIGINT"}} {
		dir := t.TempDir()
		cmd, lines, stderr := gokerasProcess(t, dir, "train", "--epochs", "100000", "--verbose", "2",
			"--save", "m.safetensors", "--history", "h.json", "--plot", "p.png")
		var out strings.Builder
		for lines.Scan() {
			out.WriteString(lines.Text() + "\n")
			if strings.HasPrefix(lines.Text(), "Epoch 3/") {
				cmd.Process.Signal(tc.sig)
				break
			}
		}
		for lines.Scan() {
			out.WriteString(lines.Text() + "\n")
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
			t.Fatalf("%s: exit %v, want status %d; stderr %q\n%s", tc.name, err, tc.code, stderr, out.String())
		}
		if !strings.Contains(stderr.String(), "gokeras train: interrupted ("+tc.name+") after ") {
			t.Errorf("%s: stderr %q", tc.name, stderr)
		}
		for _, f := range []string{"m.safetensors", "h.json", "p.png"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: %s not written: %v", tc.name, f, err)
			}
		}
		if !strings.Contains(out.String(), "saved m.safetensors (epoch ") {
			t.Errorf("%s: output lacks the save line:\n%s", tc.name, out.String())
		}
	}
}

// TestTrainSignalBeforeFirstEpoch: a signal before any epoch finished
// writes nothing, so a model file from an earlier run is kept.
func TestTrainSignalBeforeFirstEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	earlier := []byte("an earlier run's model")
	os.WriteFile(filepath.Join(dir, "m.safetensors"), earlier, 0o644)
	// Batches of one: the first epoch takes long enough to interrupt.
	cmd, lines, stderr := gokerasProcess(t, dir, "train", "--epochs", "5", "--batch-size", "1", "--verbose", "2",
		"--save", "m.safetensors", "--history", "h.json")
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "Epoch 1/") {
			cmd.Process.Signal(syscall.SIGTERM)
			break
		}
	}
	for lines.Scan() {
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("exit %v, want status 143; stderr %q", err, stderr)
	}
	if !strings.Contains(stderr.String(), "interrupted (SIGTERM) before the first epoch finished; nothing was written") {
		t.Errorf("stderr %q", stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "m.safetensors")); string(b) != string(earlier) {
		t.Errorf("the earlier model file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "h.json")); err == nil {
		t.Errorf("history written with no finished epoch")
	}
}

// secondSignalHelper sends itself SIGTERM twice through signalContext:
// the first cancels the context, the second must end the process at once.
func secondSignalHelper() {
	ctx, stop := signalContext(context.Background())
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	<-ctx.Done()
	os.Stdout.WriteString(interruption(ctx).Error() + "\n")
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(10 * time.Second)
	os.Exit(0) // the second signal was ignored
}

// TestSecondSignalExits: after the first signal, a second one kills the
// process with the signal's default action instead of waiting for the
// save (D7).
func TestSecondSignalExits(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GOKERAS_TEST_CLI=second-signal")
	start := time.Now()
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper: %v, output %q; want it killed by the second SIGTERM", err, out)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("helper ended with %v, want killed by SIGTERM", ee)
	}
	if string(out) != "interrupted (SIGTERM)\n" {
		t.Errorf("first signal: context cause %q, want interrupted (SIGTERM)", out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the second signal took %v to end the process", d)
	}
}
