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
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(srv.Shutdown)
	return srv.ClientURL()
}
