package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/internal/natstest"
	"github.com/gokeras/gokeras/sweep"
)

func open(t *testing.T, url string, create bool) (*nats.Conn, *Queue) {
	t.Helper()
	nc, err := Connect(Options{URL: url, Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var q *Queue
	if create {
		q, err = Create(ctx, nc, 1)
	} else {
		q, err = Open(ctx, nc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return nc, q
}

var (
	digitsOnce sync.Once
	digits     *dataset.Set
	digitsErr  error
)

// newSweep builds the test sweeps from their "flags": the grid, and
// "halving" for successive halving. Every trial trains the digits-cnn
// preset on the embedded digits, a few epochs.
func newSweep(args []string) (*sweep.Sweep, error) {
	digitsOnce.Do(func() { digits, _, digitsErr = dataset.Load("digits", dataset.Options{}) })
	if digitsErr != nil {
		return nil, digitsErr
	}
	s := &sweep.Sweep{
		Model: func() (*gokeras.Sequential, error) {
			p, err := gokeras.LookupPreset("digits-cnn")
			if err != nil {
				return nil, err
			}
			return p.Model()
		},
		X: digits.X, Y: digits.Y, Epochs: 2, BatchSize: 128, Setup: "test",
	}
	g, err := sweep.ParseGrid(args[0])
	if err != nil {
		return nil, err
	}
	s.Grid = g
	for _, a := range args[1:] {
		switch a {
		case "halving":
			s.Halving, s.Epochs = true, 3
		case "epochs=4":
			s.Epochs = 4
		case "store":
			// checkpoints in the object store (coordinate)
		default:
			return nil, fmt.Errorf("unknown test flag %q", a)
		}
	}
	return s, nil
}

func build(_ context.Context, spec Spec, _ map[string]string) (*sweep.Sweep, error) {
	return newSweep(spec.Args)
}

// coordinate runs a coordinator of args to the end.
func coordinate(ctx context.Context, t *testing.T, q *Queue, args []string, setup Setup) (*sweep.Report, error) {
	s, err := newSweep(args)
	if err != nil {
		t.Fatal(err)
	}
	s.CheckpointDir = t.TempDir()
	c := &Coordinator{Queue: q, Sweep: s, Spec: Spec{ID: SweepID(args, nil), Args: args, CheckpointDir: s.CheckpointDir}, Setup: setup}
	if slices.Contains(args, "store") {
		// No folder shared: each worker gets one of its own.
		c.Spec.CheckpointDir, c.Spec.CheckpointsInStore = "/nonexistent", true
	}
	return c.Run(ctx)
}

// coordinated is what a coordinator run in the background returned.
type coordinated struct {
	rep *sweep.Report
	err error
}

// coordinateAsync runs coordinate in a goroutine; its result arrives on
// the channel.
func coordinateAsync(ctx context.Context, t *testing.T, q *Queue, args []string, setup Setup) <-chan coordinated {
	done := make(chan coordinated, 1)
	go func() {
		rep, err := coordinate(ctx, t, q, args, setup)
		done <- coordinated{rep, err}
	}()
	return done
}

// startWorkers runs n workers until the test ends.
func startWorkers(t *testing.T, url string, n int, runner func(ctx context.Context, s *sweep.Sweep, tr sweep.Trial) (sweep.Result, error)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		_, q := open(t, url, false)
		w := &Worker{Queue: q, Name: fmt.Sprintf("w%d", i+1), Build: build, Runner: runner}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(ctx); err != nil {
				t.Errorf("worker %s: %v", w.Name, err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// single runs the sweep of args in one process, as gokeras sweep does.
func single(t *testing.T, args []string) *sweep.Report {
	t.Helper()
	s, err := newSweep(args)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// sameResults compares what a trial's training decides, bit for bit: the
// order, keys, epochs, scores and status (not times or workers).
func sameResults(t *testing.T, got, want *sweep.Report) {
	t.Helper()
	if len(got.Results) != len(want.Results) {
		t.Fatalf("%d results, want %d", len(got.Results), len(want.Results))
	}
	for i, g := range got.Results {
		w := want.Results[i]
		eq := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
		if g.Key != w.Key || g.Epochs != w.Epochs || g.Rung != w.Rung || g.Setup != w.Setup || g.Status != w.Status ||
			!eq(g.Score, w.Score) || !eq(g.LastScore, w.LastScore) || g.BestEpoch != w.BestEpoch || !eq(g.ValLoss, w.ValLoss) || g.Params != w.Params {
			t.Errorf("result %d:\n got %s e%d rung %d %s score %v last %v best %d val_loss %v params %d (%s)\nwant %s e%d rung %d %s score %v last %v best %d val_loss %v params %d (%s)",
				i, g.Key, g.Epochs, g.Rung, g.Status, g.Score, g.LastScore, g.BestEpoch, g.ValLoss, g.Params, g.Setup,
				w.Key, w.Epochs, w.Rung, w.Status, w.Score, w.LastScore, w.BestEpoch, w.ValLoss, w.Params, w.Setup)
		}
	}
}

// TestCoordinatorMatchesRun runs a grid and a successive halving with a
// coordinator and two workers and gets the single-process results; the
// last case passes the models between rungs through the object store,
// the workers sharing no folder.
func TestCoordinatorMatchesRun(t *testing.T) {
	for _, args := range [][]string{{"dense=4,8,16"}, {"dense=4,8,16", "halving"}, {"dense=4,8,16", "halving", "store"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			url := natstest.Server(t)
			_, q := open(t, url, true)
			startWorkers(t, url, 2, nil)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rep, err := coordinate(ctx, t, q, args, Setup{})
			if err != nil {
				t.Fatal(err)
			}
			sameResults(t, rep, single(t, args))
			if rep.Reused != 0 || rep.Ran != len(rep.Results) {
				t.Errorf("ran %d, reused %d of %d", rep.Ran, rep.Reused, len(rep.Results))
			}
			// Run again, the results are all in the bucket: nothing is queued.
			again, err := coordinate(ctx, t, q, args, Setup{})
			if err != nil {
				t.Fatal(err)
			}
			sameResults(t, again, rep)
			if again.Reused != len(rep.Results) || again.Ran != 0 {
				t.Errorf("second run ran %d, reused %d of %d", again.Ran, again.Reused, len(rep.Results))
			}
		})
	}
}

// TestRedelivery: a worker takes a trial and dies (its connection closes
// without an ack); after the ack wait the trial goes to a live worker and
// the sweep ends with the single-process results.
func TestRedelivery(t *testing.T) {
	url := natstest.Server(t)
	_, q := open(t, url, true)
	args := []string{"dense=4,8"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := coordinateAsync(ctx, t, q, args, Setup{AckWait: 2 * time.Second, MaxDeliver: 3})
	// The dead worker: it takes the first trial and never answers.
	deadNC, deadQ := open(t, url, false)
	var cons jetstream.Consumer
	var err error
	for cons == nil {
		if cons, err = deadQ.JS.Consumer(ctx, TrialStream, Consumer); err != nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var taken trialMsg
	json.Unmarshal(msg.Data(), &taken)
	deadNC.Close()
	startWorkers(t, url, 1, nil)
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	sameResults(t, o.rep, single(t, args))
	var p progress
	if ok, _ := getJSON(ctx, q.KV, progressKey(SweepID(args, nil), taken.ID), &p); !ok || p.Delivery != 2 || p.State != stateDone {
		t.Errorf("the dead worker's trial %s: progress %+v, want done on delivery 2", taken.Point, p)
	}
}

// fakeRun is a quick stand-in for training: the score is the units.
func fakeRun(fail string, calls *sync.Map) func(ctx context.Context, s *sweep.Sweep, tr sweep.Trial) (sweep.Result, error) {
	return func(ctx context.Context, s *sweep.Sweep, tr sweep.Trial) (sweep.Result, error) {
		n, _ := calls.LoadOrStore(tr.Key, new(int))
		*n.(*int)++
		if tr.Key == fail {
			return sweep.Result{}, errors.New("out of memory (a test failure)")
		}
		v, _ := tr.Point.Get("dense.units")
		var u float64
		fmt.Sscan(v, &u)
		return sweep.Result{Score: u / 100, LastScore: u / 100, BestEpoch: 1, ValLoss: 1, TestScore: math.NaN(), TestLoss: math.NaN()}, nil
	}
}

// TestMaxDeliver: a trial whose training always fails is tried
// max-deliver times and reported failed; a trial whose worker dies on its
// last delivery is reported failed from the server's advisory; the sweep
// ends with the others done.
func TestMaxDeliver(t *testing.T) {
	tests := []struct {
		name       string
		maxDeliver int
		fail       string // the key whose training fails
		dies       bool   // a worker takes the first trial and dies
		wantCalls  int    // runs of the failing trial
	}{
		{name: "training fails", maxDeliver: 2, fail: "dense.units=8", wantCalls: 2},
		{name: "worker dies", maxDeliver: 1, dies: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := natstest.Server(t)
			_, q := open(t, url, true)
			args := []string{"dense=4,8,16"}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			done := coordinateAsync(ctx, t, q, args, Setup{AckWait: time.Second, MaxDeliver: tt.maxDeliver})
			failing := tt.fail
			if tt.dies {
				nc, dq := open(t, url, false)
				var cons jetstream.Consumer
				for cons == nil {
					cons, _ = dq.JS.Consumer(ctx, TrialStream, Consumer)
					time.Sleep(50 * time.Millisecond)
				}
				msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
				if err != nil {
					t.Fatal(err)
				}
				var tm trialMsg
				json.Unmarshal(msg.Data(), &tm)
				failing = tm.Key
				nc.Close()
			}
			var calls sync.Map
			startWorkers(t, url, 2, fakeRun(tt.fail, &calls))
			o := <-done
			if o.err != nil {
				t.Fatal(o.err)
			}
			if len(o.rep.Results) != 3 {
				t.Fatalf("%d results, want 3", len(o.rep.Results))
			}
			for _, r := range o.rep.Results {
				want := sweep.StatusOK
				if r.Key == failing {
					want = sweep.StatusFailed
				}
				if r.Status != want || (want == sweep.StatusFailed) != math.IsNaN(r.Score) {
					t.Errorf("%s: status %s score %v, want %s", r.Key, r.Status, r.Score, want)
				}
			}
			n := 0
			if c, ok := calls.Load(failing); ok {
				n = *c.(*int)
			}
			if n != tt.wantCalls {
				t.Errorf("the failing trial ran %d times, want %d", n, tt.wantCalls)
			}
		})
	}
}

// TestDuplicateResult: a second result of a trial does not count, and a
// second message of a trial whose result is stored is acked untrained.
func TestDuplicateResult(t *testing.T) {
	url := natstest.Server(t)
	_, q := open(t, url, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"dense=4,8"}
	id := SweepID(args, nil)
	s, _ := newSweep(args)
	if err := s.Prepare(); err != nil {
		t.Fatal(err)
	}
	trials, _ := s.RungTrials(0, nil)
	first := trials[0]
	tid := sweep.TrialID(first.Key, first.Epochs)
	for i, score := range []float64{0.25, 0.75} {
		r := recordOf(sweep.Result{Key: first.Key, Point: first.Point, Epochs: first.Epochs, Score: score, LastScore: score, BestEpoch: 1,
			ValLoss: 1, TestScore: math.NaN(), TestLoss: math.NaN(), Status: sweep.StatusOK})
		counted, err := storeResult(ctx, q.KV, id, tid, r)
		if err != nil || counted != (i == 0) {
			t.Fatalf("storing result %d: counted %v, %v", i+1, counted, err)
		}
	}
	// A stray copy of the trial's message, as a coordinator restarted
	// after the duplicate window would publish.
	if _, err := q.consumer(ctx, Setup{}); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(trialMsg{Sweep: id, ID: tid, Key: first.Key, Point: first.Point, Epochs: first.Epochs})
	if _, err := q.JS.Publish(ctx, subject(id), data, jetstream.WithMsgID("stray")); err != nil {
		t.Fatal(err)
	}
	var calls sync.Map
	startWorkers(t, url, 2, fakeRun("", &calls))
	rep, err := coordinate(ctx, t, q, args, Setup{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Score != 0.25 || rep.Reused != 1 || rep.Ran != 1 {
		t.Errorf("results %+v (ran %d, reused %d); want the first stored result of %s and one trained", rep.Results, rep.Ran, rep.Reused, first.Key)
	}
	if _, ok := calls.Load(first.Key); ok {
		t.Errorf("%s was trained again though its result was stored", first.Key)
	}
	// The stray copy is gone: acked by the worker that found the result.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := q.JS.Stream(ctx, TrialStream)
		info, err := st.Info(ctx)
		if err == nil && info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trial stream still holds messages: %+v, %v", info.State, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCoordinatorRestart stops the coordinator of a successive halving
// once the first result is in and starts another: it publishes no trial
// twice, no trial trains twice, and the results are the single run's.
func TestCoordinatorRestart(t *testing.T) {
	url := natstest.Server(t)
	_, q := open(t, url, true)
	args := []string{"dense=4,8,16", "halving"}
	var mu sync.Mutex
	trained := map[string]int{}
	runner := func(ctx context.Context, s *sweep.Sweep, tr sweep.Trial) (sweep.Result, error) {
		mu.Lock()
		trained[sweep.TrialID(tr.Key, tr.Epochs)]++
		mu.Unlock()
		return s.TrainTrial(ctx, tr)
	}
	startWorkers(t, url, 1, runner)
	ctx1, stop1 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := coordinate(ctx1, t, q, args, Setup{})
		errc <- err
	}()
	w, err := q.KV.Watch(context.Background(), SweepID(args, nil)+".result.*", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	for e := range w.Updates() {
		if e != nil {
			break
		}
	}
	w.Stop()
	stop1()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped coordinator returned %v, want context.Canceled", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := coordinate(ctx, t, q, args, Setup{})
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, rep, single(t, args))
	if rep.Reused == 0 {
		t.Errorf("the restarted coordinator reused no result")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(trained) != len(rep.Results) {
		t.Errorf("%d trials trained, want %d", len(trained), len(rep.Results))
	}
	for id, n := range trained {
		if n != 1 {
			t.Errorf("trial %s trained %d times", id, n)
		}
	}
}

// TestRedeliveredTrialResumes: a worker stopped in the middle of a trial
// hands it back; the next worker resumes it from the backup, in the
// shared checkpoint folder or copied through the object store to a
// folder of its own, at the epoch after the last one saved, and the
// result is the single run's.
func TestRedeliveredTrialResumes(t *testing.T) {
	for _, where := range []string{"folder", "store"} {
		t.Run(where, func(t *testing.T) { testRedeliveredTrialResumes(t, where) })
	}
}

func testRedeliveredTrialResumes(t *testing.T, where string) {
	url := natstest.Server(t)
	_, q := open(t, url, true)
	args := []string{"dense=8", "epochs=4"}
	if where == "store" {
		args = append(args, "store")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := coordinateAsync(ctx, t, q, args, Setup{})
	updates, err := q.KV.Watch(ctx, SweepID(args, nil)+".progress.*")
	if err != nil {
		t.Fatal(err)
	}
	defer updates.Stop()
	_, qa := open(t, url, false)
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	first := &Worker{Queue: qa, Name: "first", Build: build}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Run(actx) }()
	lastFirst, resumedAt := 0, 0
	for e := range updates.Updates() {
		if e == nil {
			continue
		}
		var p progress
		json.Unmarshal(e.Value(), &p)
		if p.Worker == "first" && p.State == stateTraining && p.Epoch > 0 {
			lastFirst = p.Epoch
			if p.Epoch == 2 {
				stopA()
				if err := <-firstDone; err != nil {
					t.Fatal(err)
				}
				startWorkers(t, url, 1, nil)
			}
		}
		if p.Worker == "w1" && p.State == stateTraining && p.Epoch > 0 && resumedAt == 0 {
			resumedAt = p.Epoch
		}
		if p.State == stateDone {
			break
		}
	}
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	if lastFirst < 2 || resumedAt != lastFirst+1 {
		t.Errorf("the first worker reported epoch %d last, the second first reported epoch %d; want the next one", lastFirst, resumedAt)
	}
	sameResults(t, o.rep, single(t, args))
}

// TestTransient: what a worker waits out (a server not reached yet,
// JetStream starting) and what it reports at once.
func TestTransient(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	tests := []struct {
		ctx  context.Context
		err  error
		want bool
	}{
		{live, fmt.Errorf("stream info: %w", context.DeadlineExceeded), true},
		{live, nats.ErrTimeout, true},
		{live, nats.ErrNoResponders, true},
		{live, jetstream.ErrJetStreamNotEnabled, true},
		{live, &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{live, jetstream.ErrBucketNotFound, false},
		{live, &jetstream.APIError{Code: 403, Description: "permissions violation"}, false},
		{live, nats.ErrAuthorization, false},
		{done, context.DeadlineExceeded, false}, // the caller's own deadline
	}
	for _, tt := range tests {
		if got := transient(tt.ctx, tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestWorkerStoppedEarly: a worker stopped before it found the workers'
// consumer (no coordinator has created it yet) stops cleanly, as it does
// once it is running; CI once caught one returning "context canceled".
func TestWorkerStoppedEarly(t *testing.T) {
	url := natstest.Server(t)
	_, q := open(t, url, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := &Worker{Queue: q, Name: "early", Build: build}
	if err := w.Run(ctx); err != nil {
		t.Errorf("a worker stopped before it started: %v, want nil", err)
	}
}

// TestOpenWaitNoJetStream: on a server without JetStream (or one whose
// JetStream is still starting), OpenWait keeps trying, saying why, until
// its context ends, then says what to check.
func TestOpenWaitNoJetStream(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	nc, err := Connect(Options{URL: srv.ClientURL(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var retries []error
	_, err = OpenWait(ctx, nc, func(err error) { retries = append(retries, err) })
	// Nothing answers the JetStream API there.
	if !errors.Is(err, nats.ErrNoResponders) || !strings.Contains(err.Error(), "with JetStream on?") {
		t.Errorf("OpenWait: %v; want no responders, and what to check", err)
	}
	if len(retries) < 2 || !errors.Is(retries[0], nats.ErrNoResponders) {
		t.Errorf("retries reported: %v; want no responders, every second", retries)
	}
}

// TestOpenWaitBetweenBuckets: a worker that looks while the coordinator
// has made the key-value bucket but not yet the object store (Create
// makes them in that order) finds the queue once both are there, and says
// once that it waits.
func TestOpenWaitBetweenBuckets(t *testing.T) {
	url := natstest.Server(t)
	nc, err := Connect(Options{URL: url, Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var told []error
	type opened struct {
		q   *Queue
		err error
	}
	done := make(chan opened, 1)
	go func() {
		q, err := OpenWait(ctx, nc, func(err error) { mu.Lock(); told = append(told, err); mu.Unlock() })
		done <- opened{q, err}
	}()
	time.Sleep(2500 * time.Millisecond) // two looks find the bucket and no object store
	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: FileBucket}); err != nil {
		t.Fatal(err)
	}
	select {
	case o := <-done:
		if o.err != nil || o.q.KV == nil || o.q.Files == nil {
			t.Fatalf("OpenWait: %+v", o)
		}
	case <-ctx.Done():
		t.Fatal("OpenWait did not find the object store made after it looked")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || !errors.Is(told[0], ErrNoQueueYet) {
		t.Errorf("told %v; want ErrNoQueueYet once", told)
	}
}
