package queue

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gokeras/gokeras/internal/natstest"
)

// TestCluster runs a sweep on a three-node JetStream cluster with every
// stream and bucket kept on all three (--nats-replicas 3), stops the
// node that leads the trial stream after the first result, and gets the
// single-process results; the stopped node is started again and catches
// up.
func TestCluster(t *testing.T) {
	c := natstest.NewCluster(t, 3)
	url := c.URLs()
	nc, err := Connect(Options{URL: url, Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q, err := Create(ctx, nc, 3)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"dense=4,8,16", "halving"}
	startWorkers(t, url, 2, nil)
	w, err := q.KV.Watch(ctx, SweepID(args, nil)+".result.*", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	done := coordinateAsync(ctx, t, q, args, Setup{AckWait: 5 * time.Second})
	for e := range w.Updates() {
		if e != nil {
			break
		}
	}
	w.Stop()
	st, err := q.JS.Stream(ctx, TrialStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("the trial stream has %d replicas, cluster %+v; want 3", info.Config.Replicas, info.Cluster)
	}
	leader := c.Index(info.Cluster.Leader)
	if leader < 0 {
		t.Fatalf("the trial stream's leader %q is not a node of the cluster", info.Cluster.Leader)
	}
	c.Stop(leader)
	stopped := time.Now()
	o := <-done
	t.Logf("stopped %s, the trial stream's leader; the sweep ended %v later", info.Cluster.Leader, time.Since(stopped).Round(time.Millisecond))
	if o.err != nil {
		t.Fatalf("with node %s stopped: %v", info.Cluster.Leader, o.err)
	}
	sameResults(t, o.rep, single(t, args))

	// The stopped node comes back and holds the same messages.
	c.Restart(leader)
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := st.Info(ctx)
		if err == nil && info.Cluster != nil && len(info.Cluster.Replicas) == 2 {
			current := 0
			for _, p := range info.Cluster.Replicas {
				if p.Current && !p.Offline {
					current++
				}
			}
			if current == 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted node did not catch up: %+v (%v)", info, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	again, err := coordinate(ctx, t, q, args, Setup{})
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, again, o.rep)
	if again.Ran != 0 {
		t.Errorf("after the restart the coordinator trained %d trials again", again.Ran)
	}
}
