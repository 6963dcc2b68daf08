package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is n in-process NATS servers with JetStream, routed to each
// other as one JetStream cluster (the three-node set-up of
// docs/distributed.md), each with its store in its own temporary folder.
type Cluster struct {
	t       testing.TB
	opts    []*server.Options
	Servers []*server.Server
}

// NewCluster starts an n-node cluster on loopback and waits until
// JetStream has a meta leader; every server is shut down when the test
// ends.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort(t)
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &Cluster{t: t, Servers: make([]*server.Server, n)}
	for i := range n {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: freePort(t), StoreDir: t.TempDir(),
			Cluster: server.ClusterOpts{Name: "gokeras-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
	}
	for i := range n {
		c.start(i)
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	// Ready when a meta leader counts every node as a peer it can place
	// streams on (online, with JetStream, its stats received): before
	// that, a stream of n replicas is refused ("no suitable peers for
	// placement"), as a loaded CI machine showed.
	deadline := time.Now().Add(60 * time.Second)
	for !c.ready(n) {
		if time.Now().After(deadline) {
			t.Fatalf("natstest: the JetStream cluster has no meta leader with all %d nodes as peers after 60 s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// ready reports whether a meta leader sees n peers it can place on.
func (c *Cluster) ready(n int) bool {
	for _, s := range c.Servers {
		if s != nil && s.JetStreamIsLeader() {
			return len(s.JetStreamClusterPeers()) == n
		}
	}
	return false
}

// start starts server i with its options (again, after Stop: same ports,
// same store).
func (c *Cluster) start(i int) {
	c.t.Helper()
	c.Servers[i] = start(c.t, c.opts[i])
}

// URLs is the client URLs of every server, comma-separated, as nats.Connect
// and --queue take them.
func (c *Cluster) URLs() string {
	var u []string
	for _, o := range c.opts {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(u, ",")
}

// Index is the index of the server named name, or -1.
func (c *Cluster) Index(name string) int {
	for i, o := range c.opts {
		if o.ServerName == name {
			return i
		}
	}
	return -1
}

// Stop shuts server i down, as a crash of its node would (its store stays).
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
	c.Servers[i] = nil
}

// Restart starts server i again after Stop.
func (c *Cluster) Restart(i int) { c.start(i) }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
