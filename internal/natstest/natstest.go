// Package natstest starts in-process NATS servers with JetStream for
// tests (the sweep queue's and the command's), so that they need no
// nats-server binary and run in CI.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server starts a NATS server with JetStream on a free loopback port,
// its store in a temporary folder, shut down when the test ends, and
// returns its client URL.
func Server(t testing.TB) string {
	t.Helper()
	return Start(t, &server.Options{Host: "127.0.0.1", Port: -1}).ClientURL()
}

// Start starts a server with o (TLS, operator mode, a fixed port: the
// tests' own settings) plus what every test server has: JetStream, a
// store in a temporary folder unless o names one, no logs and no signal
// handlers. It waits until the server takes connections and shuts it
// down when the test ends.
func Start(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	srv := start(t, o)
	t.Cleanup(srv.Shutdown)
	return srv
}

// start is Start without the clean-up (Cluster stops and restarts its
// servers itself).
func start(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	o.JetStream, o.NoLog, o.NoSigs = true, true, true
	if o.StoreDir == "" {
		o.StoreDir = t.TempDir()
	}
	srv, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatalf("natstest: the NATS server %s did not start", o.ServerName)
	}
	return srv
}
