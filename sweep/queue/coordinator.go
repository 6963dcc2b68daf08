package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gokeras/gokeras/sweep"
)

// Coordinator publishes a sweep's trials rung by rung and collects their
// results. Everything it knows is in JetStream: a coordinator stopped at
// any point and started again with the same sweep publishes nothing
// twice, reuses every stored result and ends with the same report.
type Coordinator struct {
	Queue *Queue
	// Sweep is the sweep to run; its Runner, Results and Budget are not
	// used (workers run the trials; the caller writes the results file).
	Sweep *sweep.Sweep
	// Spec is what the workers build the sweep from; ID and Args must be
	// set (SweepID gives the ID).
	Spec Spec
	// Files are put in the object store for the workers, by the flag
	// they replace in Spec.Args (a model file for --model).
	Files map[string]File
	Setup Setup
	// Log receives a line per finished trial and, every 10 seconds or
	// so, a trial's last epoch a worker reported; nil prints nothing. TableEvery, when positive, also
	// prints the status table (as Status) that often.
	Log        io.Writer
	TableEvery time.Duration

	mu      sync.Mutex
	results map[string]*resultRecord // by trial ID
	changed chan struct{}
	logMu   sync.Mutex
	closed  bool // Run has returned: the watchers left print nothing
}

func (c *Coordinator) logf(format string, a ...any) {
	if c.Log != nil {
		c.logMu.Lock()
		if !c.closed {
			fmt.Fprintf(c.Log, format, a...)
		}
		c.logMu.Unlock()
	}
}

// Run publishes the trials of each rung that have no result yet, waits
// for their results (a failed trial's too) and returns the sweep's
// report, its results in the order sweep.Run visits them: Ran counts the
// results that came in while it ran, Reused those stored before. When ctx
// ends it returns the report so far with ctx's error; the trials stay
// queued and running.
func (c *Coordinator) Run(ctx context.Context) (*sweep.Report, error) {
	s := c.Sweep
	if err := s.Prepare(); err != nil {
		return nil, err
	}
	if err := s.CheckPoints(); err != nil {
		return nil, err
	}
	if c.Spec.ID == "" || strings.ContainsAny(c.Spec.ID, ".*> ") {
		return nil, fmt.Errorf("queue: sweep ID %q: want letters, digits, - and _ only (SweepID makes one)", c.Spec.ID)
	}
	id := c.Spec.ID
	q := c.Queue
	c.Spec.Objective = s.Objective
	if err := c.storeSpec(ctx); err != nil {
		return nil, err
	}
	if _, err := q.consumer(ctx, c.Setup); err != nil {
		return nil, err
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	c.closed = false
	defer func() {
		// The watchers stop soon after; the caller may print at once.
		c.logMu.Lock()
		c.closed = true
		c.logMu.Unlock()
	}()
	c.results, c.changed = map[string]*resultRecord{}, make(chan struct{}, 1)
	if err := c.watchResults(wctx); err != nil {
		return nil, err
	}
	go c.watchProgress(wctx)
	if err := c.watchAdvisories(wctx); err != nil {
		return nil, err
	}
	if c.TableEvery > 0 {
		go func() {
			tick := time.NewTicker(c.TableEvery)
			defer tick.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case <-tick.C:
					var b strings.Builder
					if Status(wctx, q, id, &b) == nil {
						c.logf("%s", b.String())
					}
				}
			}
		}()
	}
	rep := s.NewReport()
	lookup := func(key string, epochs int) (sweep.Result, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		r, ok := c.results[sweep.TrialID(key, epochs)]
		if !ok {
			return sweep.Result{}, false
		}
		return r.result(), true
	}
	n := s.RungCount()
	for k := 0; k < n; k++ {
		trials, err := s.RungTrials(k, lookup)
		if err != nil {
			return rep, err
		}
		if s.Halving {
			c.logf("rung %d/%d: %d configurations, %d epochs each\n", k+1, n, len(trials), trials[0].Epochs)
		}
		ids := make([]string, len(trials))
		queued := 0
		for i, t := range trials {
			ids[i] = sweep.TrialID(t.Key, t.Epochs)
			if _, ok := lookup(t.Key, t.Epochs); ok {
				rep.Reused++
				continue
			}
			if err := c.publish(ctx, t, ids[i]); err != nil {
				return rep, err
			}
			queued++
		}
		if queued > 0 {
			c.logf("%d trials queued on %s (sweep %s), %d done before\n", queued, subject(id), id, len(trials)-queued)
		}
		seen := make([]bool, len(trials))
		for left := len(trials); left > 0; {
			c.mu.Lock()
			for i, tid := range ids {
				r, ok := c.results[tid]
				if !ok || seen[i] {
					continue
				}
				seen[i] = true
				left--
				c.logResult(trials[i], r)
			}
			c.mu.Unlock()
			if left == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return rep, fmt.Errorf("queue: the coordinator stopped; the trials stay queued and their results are kept in JetStream, so running it again continues the sweep: %w", context.Cause(ctx))
			case <-c.changed:
			}
		}
		for _, tid := range ids {
			c.mu.Lock()
			r := c.results[tid]
			c.mu.Unlock()
			res := r.result()
			// The worker's setup names its copy of a model file.
			res.Setup = s.ResultSetup()
			rep.Results = append(rep.Results, res)
		}
	}
	rep.Ran = len(rep.Results) - rep.Reused
	// Every trial has a result: drop the trial messages that are left
	// (those that hit max-deliver stay in a work-queue stream).
	if st, err := q.JS.Stream(ctx, TrialStream); err == nil {
		st.Purge(ctx, jetstream.WithPurgeSubject(subject(id)))
	}
	if c.Spec.CheckpointsInStore {
		removeCheckpoints(ctx, q.Files, id)
	}
	return rep, nil
}

func (c *Coordinator) logResult(t sweep.Trial, r *resultRecord) {
	switch r.Status {
	case sweep.StatusFailed:
		c.logf("  %s (%d epochs): failed: %s\n", t.Point, t.Epochs, r.Error)
	case sweep.StatusOK:
		c.logf("  %s (%d epochs): %s %.4f (epoch %d), %.1fs on %s\n", t.Point, t.Epochs, c.Sweep.Objective, float64(r.Score), r.BestEpoch, float64(r.Seconds), r.Worker)
	default:
		c.logf("  %s (%d epochs): %s on %s\n", t.Point, t.Epochs, r.Status, r.Worker)
	}
}

// storeSpec puts the spec and its files where the workers read them.
func (c *Coordinator) storeSpec(ctx context.Context) error {
	q, id := c.Queue, c.Spec.ID
	if len(c.Files) > 0 {
		c.Spec.Files = map[string]string{}
	}
	for _, flag := range sortedKeys(c.Files) {
		name := id + "/" + flag + "/" + baseName(c.Files[flag].Name)
		if _, err := q.Files.PutBytes(ctx, name, c.Files[flag].Data); err != nil {
			return fmt.Errorf("queue: storing the file of --%s: %w", flag, err)
		}
		c.Spec.Files[flag] = name
	}
	var old Spec
	if ok, err := getJSON(ctx, q.KV, specKey(id), &old); err != nil {
		return err
	} else if ok {
		c.Spec.Created = old.Created
	} else {
		c.Spec.Created = time.Now().UTC().Truncate(time.Second)
	}
	data, err := json.Marshal(c.Spec)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if _, err := q.KV.Put(ctx, specKey(id), data); err != nil {
		return fmt.Errorf("queue: storing the sweep's spec: %w", err)
	}
	return nil
}

// publish queues a trial: its entry for Status, then its message, with
// a Nats-Msg-Id the stream drops a second copy of.
func (c *Coordinator) publish(ctx context.Context, t sweep.Trial, tid string) error {
	id := c.Spec.ID
	m := trialMsg{Sweep: id, ID: tid, Key: t.Key, Point: t.Point, Rung: t.Rung, Epochs: t.Epochs, Index: t.Index,
		ResumeFrom: baseName(t.ResumeFrom), SaveTo: baseName(t.SaveTo)}
	if t.Prev != nil {
		m.Prev = recordOf(*t.Prev)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if _, err := c.Queue.KV.Put(ctx, trialKey(id, tid), data); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if _, err := c.Queue.JS.Publish(ctx, subject(id), data, jetstream.WithMsgID(id+"."+tid)); err != nil {
		return fmt.Errorf("queue: publishing trial %s: %w", t.Point, err)
	}
	return nil
}

func baseName(path string) string {
	if path == "" {
		return ""
	}
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// watchResults keeps c.results up to date with the bucket, the stored
// results first: it returns once those are read.
func (c *Coordinator) watchResults(ctx context.Context) error {
	w, err := c.Queue.KV.Watch(ctx, c.Spec.ID+".result.*")
	if err != nil {
		return fmt.Errorf("queue: watching results: %w", err)
	}
	initial := make(chan struct{})
	go func() {
		defer w.Stop()
		once := sync.OnceFunc(func() { close(initial) })
		defer once()
		for e := range w.Updates() {
			if e == nil {
				once() // the stored values are all read
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var r resultRecord
			if json.Unmarshal(e.Value(), &r) != nil {
				continue
			}
			tid := e.Key()[strings.LastIndexByte(e.Key(), '.')+1:]
			c.mu.Lock()
			if _, dup := c.results[tid]; !dup {
				c.results[tid] = &r
			}
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		}
	}()
	select {
	case <-initial:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// progressEvery spaces the coordinator's lines about one trial's epochs.
const progressEvery = 10 * time.Second

// watchProgress prints the epochs the workers report.
func (c *Coordinator) watchProgress(ctx context.Context) {
	w, err := c.Queue.KV.Watch(ctx, c.Spec.ID+".progress.*", jetstream.UpdatesOnly())
	if err != nil {
		c.logf("queue: watching progress: %v\n", err)
		return
	}
	defer w.Stop()
	// A line per trial and worker when it starts reporting (where a
	// resumed trial picks up), then at most one per progressEvery.
	last := map[string]time.Time{}
	for e := range w.Updates() {
		if e == nil {
			continue
		}
		var p progress
		if json.Unmarshal(e.Value(), &p) != nil || p.State != stateTraining || p.Epoch == 0 {
			continue
		}
		tid := e.Key()[strings.LastIndexByte(e.Key(), '.')+1:]
		if when, ok := last[tid+" "+p.Worker]; ok && time.Since(when) < progressEvery && p.Epoch < p.Epochs {
			continue
		}
		last[tid+" "+p.Worker] = time.Now()
		var t trialMsg
		if ok, _ := getJSON(ctx, c.Queue.KV, trialKey(c.Spec.ID, tid), &t); !ok {
			continue
		}
		c.logf("    %s: %s (%d epochs): epoch %d/%d %s\n", p.Worker, t.Point, t.Epochs, p.Epoch, p.Epochs, logsText(p.Logs))
	}
}

// watchAdvisories records as failed the trials of this sweep that the
// server gave up on (max-deliver reached without an ack): their workers
// died or stalled every time, so none could say so itself.
func (c *Coordinator) watchAdvisories(ctx context.Context) error {
	cons, err := c.Queue.JS.OrderedConsumer(ctx, AdvisoryStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("queue: reading the advisories: %w", err)
	}
	trials, err := c.Queue.JS.Stream(ctx, TrialStream)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var adv struct {
			StreamSeq  uint64 `json:"stream_seq"`
			Deliveries int    `json:"deliveries"`
		}
		if json.Unmarshal(m.Data(), &adv) != nil {
			return
		}
		raw, err := trials.GetMsg(ctx, adv.StreamSeq)
		if err != nil {
			return // acked after all, or purged
		}
		var t trialMsg
		if json.Unmarshal(raw.Data, &t) != nil || t.Sweep != c.Spec.ID {
			return
		}
		rec := failedRecord(c.Sweep, sweep.Trial{Point: t.Point, Key: t.Key, Rung: t.Rung, Epochs: t.Epochs, Index: t.Index})
		rec.Error = fmt.Sprintf("handed out %d times without a result (the workers died or stopped sending progress within the ack wait)", adv.Deliveries)
		storeResult(ctx, c.Queue.KV, c.Spec.ID, t.ID, rec)
	})
	if err != nil {
		return fmt.Errorf("queue: reading the advisories: %w", err)
	}
	go func() {
		<-ctx.Done()
		cc.Stop()
	}()
	return nil
}

func logsText(logs map[string]num) string {
	var b strings.Builder
	for _, k := range sortedKeys(logs) {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s %.4f", k, float64(logs[k]))
	}
	return b.String()
}
