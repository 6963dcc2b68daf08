package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/internal/natstest"
)

// worker starts "gokeras sweep worker args..." as a process (the test
// binary, see TestMain), killed when the test ends; its output is
// logged if the test failed. Workers run as processes, as they would on
// other machines; in this process the commands' flag sets would race.
func worker(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"sweep", "worker"}, args...)...)
	cmd.Env = append(os.Environ(), "GOKERAS_TEST_CLI=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("worker %v:\n%s", args, out.String())
		}
	})
}

// bounded gives each command the test runs in this process a deadline d
// from its start: a coordinator whose trials never come back then fails
// the test, with its workers' output, instead of hanging the package
// until go test's 10 minutes. d is for a hang, not a speed: a loaded
// machine trains the trials slowly.
func bounded(t *testing.T, d time.Duration) {
	old := commandContext
	var cancels []context.CancelFunc
	commandContext = func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		cancels = append(cancels, cancel)
		return ctx
	}
	t.Cleanup(func() {
		for _, cancel := range cancels {
			cancel()
		}
		commandContext = old
	})
}

// csvRows reads a results file without its timing columns.
func csvRows(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	drop := []int{slices.Index(recs[0], "seconds"), slices.Index(recs[0], "finished")}
	for i, r := range recs {
		var keep []string
		for j, f := range r {
			if !slices.Contains(drop, j) {
				keep = append(keep, f)
			}
		}
		recs[i] = keep
	}
	return recs
}

// TestSweepQueue runs a 3-trial grid of a model file on the embedded
// digits, and a successive halving of it with the models passed between
// rungs through the object store, once in one process and once as a
// coordinator with two workers (the model file reaching them through the
// object store): the same ranking and results file; status shows every
// trial done; a second coordinator finds every result in the queue and
// trains nothing.
func TestSweepQueue(t *testing.T) {
	tests := []struct {
		name   string
		extra  []string
		trials int
	}{
		{"grid", nil, 3},
		{"halving, checkpoints in the queue", []string{"--halving", "--epochs", "3", "--checkpoints-in-queue"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testSweepQueue(t, tt.extra, tt.trials) })
	}
}

func testSweepQueue(t *testing.T, extra []string, trials int) {
	bounded(t, 3*time.Minute)
	dir := t.TempDir()
	p, err := gokeras.LookupPreset("digits-cnn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	js, err := m.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "digits.json")
	if err := os.WriteFile(model, js, 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"sweep", "--model", model, "--dataset", "digits", "--grid", "dense=4,8,16", "--epochs", "2", "--batch-size", "128", "--plot-dir", ""}
	whole := filepath.Join(dir, "whole.csv")
	single := append(slices.Clone(common), "--results", whole)
	for _, e := range extra {
		if e != "--checkpoints-in-queue" {
			single = append(single, e)
		}
	}
	out, errOut, code := runCLI(t, single...)
	if code != 0 {
		t.Fatalf("single-process sweep exited %d: %s", code, errOut)
	}
	want := rankingRows(t, out)

	url := natstest.Server(t)
	worker(t, "--queue", url, "--name", "w1")
	worker(t, "--queue", url, "--name", "w2")
	queued := filepath.Join(dir, "queued.csv")
	qargs := append(append(slices.Clone(common), "--results", queued, "--queue", url, "--table-every", "0"), extra...)
	out, errOut, code = runCLI(t, qargs...)
	if code != 0 {
		t.Fatalf("coordinator exited %d: %s\n%s", code, errOut, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d trials trained by the workers", trials)) || !strings.Contains(out, "0 found in the queue, 0 failed") {
		t.Errorf("coordinator output:\n%s", out)
	}
	if got := rankingRows(t, out); !slices.Equal(got, want) {
		t.Errorf("queued ranking\n  %s\nwant (the single run's)\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if got, want := csvRows(t, queued), csvRows(t, whole); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("results file\n%v\nwant (the single run's)\n%v", got, want)
	}

	out, errOut, code = runCLI(t, "sweep", "status", "--queue", url)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d trials queued so far: %d done, 0 failed", trials, trials)) || strings.Count(out, "done: val_accuracy") != trials {
		t.Errorf("status (exit %d, %s):\n%s", code, errOut, out)
	}
	out, errOut, code = runCLI(t, qargs...)
	if code != 0 || !strings.Contains(out, "0 trials trained by the workers") || !strings.Contains(out, fmt.Sprintf("%d found in the queue", trials)) {
		t.Errorf("second coordinator (exit %d, %s):\n%s", code, errOut, out)
	}
}

func TestSweepQueueErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1", "--shard", "0/2"}, "--shard is not for --queue"},
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1", "--budget", "1h"}, "--budget is not for --queue"},
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1", "--max-deliver", "0"}, "--max-deliver 0 must be at least 1"},
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1", "--nats-creds", filepath.Join(dir, "none.creds")}, "credentials file"},
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1", "--nats-tls-cert", "c.pem"}, "give both --nats-tls-cert and --nats-tls-key"},
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1"}, "is the server up, with JetStream on?"},
		{[]string{"sweep", "--grid", "dense.activation=relu,nosuch", "--queue", "nats://127.0.0.1:1"}, "nosuch"},
		{[]string{"sweep", "--grid", "dense=8,16", "--queue", "nats://127.0.0.1:1", "--checkpoint-dir", dir, "--checkpoints-in-queue"}, "not both"},
		{[]string{"sweep", "--grid", "dense=8,16", "--ack-wait", "5m"}, "--ack-wait is for a sweep on a work queue: add --queue"},
		{[]string{"sweep", "worker"}, "gokeras sweep worker --queue nats://HOST:4222"},
		{[]string{"sweep", "status"}, "gokeras sweep status --queue nats://HOST:4222"},
		{[]string{"sweep", "worker", "--queue", "nats://127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		_, errOut, code := runCLI(t, append(tt.args, "--results", filepath.Join(dir, "r.csv"))...)
		if tt.args[1] == "worker" || tt.args[1] == "status" {
			_, errOut, code = runCLI(t, tt.args...)
		}
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error containing %q", tt.args, code, errOut, tt.want)
		}
	}
	out, _, _ := runCLI(t, "sweep", "worker", "-h")
	if !strings.Contains(out, "Takes trials of the sweeps on the queue") || !strings.Contains(out, "-nats-creds") {
		t.Errorf("worker help:\n%s", out)
	}
}

// TestSweepQueueTLS runs a one-trial sweep through a server that speaks
// only TLS, its certificate trusted with --nats-tls-ca; without it the
// connection is refused.
func TestSweepQueueTLS(t *testing.T) {
	bounded(t, 3*time.Minute)
	dir := t.TempDir()
	cert, key, _ := selfSigned(t, dir)
	tlsConfig, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t, &server.Options{Host: "127.0.0.1", Port: -1, TLS: true, TLSConfig: tlsConfig})
	url := strings.Replace(srv.ClientURL(), "nats://", "tls://", 1)
	args := []string{"sweep", "--grid", "dense=4", "--epochs", "1", "--plot-dir", "", "--results", filepath.Join(dir, "r.csv"), "--queue", url, "--table-every", "0"}

	_, errOut, code := runCLI(t, args...)
	if code == 0 || !strings.Contains(errOut, "certificate") {
		t.Errorf("without --nats-tls-ca: exit %d, %s; want a certificate error", code, errOut)
	}
	worker(t, "--queue", url, "--nats-tls-ca", cert)
	out, errOut, code := runCLI(t, append(args, "--nats-tls-ca", cert)...)
	if code != 0 || !strings.Contains(out, "1 trials trained by the workers") {
		t.Errorf("over TLS: exit %d, %s\n%s", code, errOut, out)
	}
}

// credsServer starts a server in operator mode (decentralized JWT
// authentication, as nsc sets up) with one account that may use
// JetStream, and returns its URL and a credentials file of a user of
// that account.
func credsServer(t *testing.T, dir string) (url, creds string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, err := nkeys.CreateOperator()
	must(err)
	opub, err := okp.PublicKey()
	must(err)
	oc := jwt.NewOperatorClaims(opub)
	oc.Name = "gokeras-test"
	account := func(name string, js bool) (nkeys.KeyPair, string, string) {
		kp, err := nkeys.CreateAccount()
		must(err)
		pub, err := kp.PublicKey()
		must(err)
		ac := jwt.NewAccountClaims(pub)
		ac.Name = name
		if js {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		token, err := ac.Encode(okp)
		must(err)
		return kp, pub, token
	}
	_, sysPub, sysJWT := account("SYS", false)
	akp, apub, ajwt := account("SWEEPS", true)
	resolver := &server.MemAccResolver{}
	must(resolver.Store(sysPub, sysJWT))
	must(resolver.Store(apub, ajwt))
	ukp, err := nkeys.CreateUser()
	must(err)
	upub, err := ukp.PublicKey()
	must(err)
	seed, err := ukp.Seed()
	must(err)
	uc := jwt.NewUserClaims(upub)
	uc.Name = "sweeper"
	ujwt, err := uc.Encode(akp)
	must(err)
	data, err := jwt.FormatUserConfig(ujwt, seed)
	must(err)
	creds = filepath.Join(dir, "sweeper.creds")
	must(os.WriteFile(creds, data, 0o600))
	srv := natstest.Start(t, &server.Options{Host: "127.0.0.1", Port: -1,
		TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver, SystemAccount: sysPub})
	return srv.ClientURL(), creds
}

// TestSweepQueueCreds runs a one-trial sweep through a server that
// admits only users with credentials, given with --nats-creds; without
// them the connection is refused.
func TestSweepQueueCreds(t *testing.T) {
	bounded(t, 3*time.Minute)
	dir := t.TempDir()
	url, creds := credsServer(t, dir)
	args := []string{"sweep", "--grid", "dense=4", "--epochs", "1", "--plot-dir", "", "--results", filepath.Join(dir, "r.csv"), "--queue", url, "--table-every", "0"}
	_, errOut, code := runCLI(t, args...)
	if code == 0 || !strings.Contains(strings.ToLower(errOut), "authorization") {
		t.Errorf("without --nats-creds: exit %d, %s; want an authorization error", code, errOut)
	}
	worker(t, "--queue", url, "--nats-creds", creds)
	out, errOut, code := runCLI(t, append(args, "--nats-creds", creds)...)
	if code != 0 || !strings.Contains(out, "1 trials trained by the workers") {
		t.Errorf("with credentials: exit %d, %s\n%s", code, errOut, out)
	}
}

// TestSweepWorkerWaitsForServer: a worker started before its server keeps
// trying (saying so) and takes the sweep's trial once the server is up,
// as a worker pod started before the NATS pod would.
func TestSweepWorkerWaitsForServer(t *testing.T) {
	bounded(t, 3*time.Minute)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	worker(t, "--queue", url)
	// Longer than the JetStream API's 5 s timeout: the worker's first
	// request, buffered while it connects, times out before the server is
	// up, and the worker asks again.
	time.Sleep(6 * time.Second)
	natstest.Start(t, &server.Options{Host: "127.0.0.1", Port: port})
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "sweep", "--grid", "dense=4", "--epochs", "1", "--plot-dir", "", "--results", filepath.Join(dir, "r.csv"), "--queue", url, "--table-every", "0")
	if code != 0 || !strings.Contains(out, "1 trials trained by the workers") {
		t.Errorf("exit %d, %s\n%s", code, errOut, out)
	}
}
