package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gokeras/gokeras/sweep"
	"github.com/gokeras/gokeras/train"
)

// Progress states.
const (
	stateTraining = "training"
	stateDone     = "done"
	stateError    = "error"
)

// Worker takes trials from the queue one at a time, trains them and
// stores their results. Any number of workers may serve a queue, started
// and stopped at any time.
type Worker struct {
	Queue *Queue
	// Name names the worker in progress reports and results (default:
	// the host name and process ID).
	Name string
	// Build makes the sweep a spec describes (Spec.Args read as the
	// coordinator's command read them), with files giving, for each flag
	// of Spec.Files, the path of its file fetched from the object store.
	Build func(ctx context.Context, spec Spec, files map[string]string) (*sweep.Sweep, error)
	// CheckpointDir, when set, replaces the spec's: the same shared
	// folder mounted at another path on this machine.
	CheckpointDir string
	// Log receives a line per trial taken and finished; nil prints
	// nothing.
	Log io.Writer
	// Runner, when set, replaces the Runner of every sweep built: tests
	// use it to fake trials, or trials that fail.
	Runner func(ctx context.Context, s *sweep.Sweep, t sweep.Trial) (sweep.Result, error)
	// MaxTrials, when positive, ends Run after that many trials taken;
	// Idle, when positive, ends it after that long without a trial.
	MaxTrials int
	Idle      time.Duration

	sweeps map[string]*builtSweep
	tmp    string
}

// builtSweep is a sweep a worker has built, with its checkpoint folder
// on this machine and whether the folder is a copy of the object store.
type builtSweep struct {
	s     *sweep.Sweep
	dir   string
	store bool
}

func (w *Worker) logf(format string, a ...any) {
	if w.Log != nil {
		fmt.Fprintf(w.Log, format, a...)
	}
}

// Run serves the queue until ctx ends (then the trial in training is
// handed back at once, its backup kept for whoever takes it next), or
// MaxTrials or Idle end it. Only a failure to reach the queue is an
// error: a trial that fails is handed back, or reported failed on its
// last delivery.
func (w *Worker) Run(ctx context.Context) error {
	if w.Name == "" {
		host, _ := os.Hostname()
		w.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	w.sweeps = map[string]*builtSweep{}
	defer func() {
		if w.tmp != "" {
			os.RemoveAll(w.tmp)
		}
	}()
	var cons jetstream.Consumer
	for {
		var err error
		cons, err = w.Queue.JS.Consumer(ctx, TrialStream, Consumer)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			// Stopped before the consumer was found: a clean stop,
			// as everywhere else in the loop below.
			return nil
		}
		notCreated := errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound)
		if !notCreated && !transient(ctx, err) {
			return fmt.Errorf("queue: %w", err)
		}
		if !notCreated {
			w.logf("worker %s: %v; trying again\n", w.Name, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	w.logf("worker %s: waiting for trials on %s\n", w.Name, TrialStream)
	taken := 0
	idleSince := time.Now()
	for ctx.Err() == nil {
		if w.MaxTrials > 0 && taken >= w.MaxTrials {
			return nil
		}
		if w.Idle > 0 && time.Since(idleSince) > w.Idle {
			w.logf("worker %s: no trial for %v; stopping\n", w.Name, w.Idle)
			return nil
		}
		msg, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			w.logf("worker %s: %v; trying again\n", w.Name, err)
			time.Sleep(time.Second)
			continue
		}
		taken++
		w.handle(ctx, cons, msg)
		idleSince = time.Now()
	}
	return nil
}

// handle runs one trial message.
func (w *Worker) handle(ctx context.Context, cons jetstream.Consumer, msg jetstream.Msg) {
	kv := w.Queue.KV
	var tm trialMsg
	if err := json.Unmarshal(msg.Data(), &tm); err != nil || tm.Sweep == "" || tm.ID == "" {
		w.logf("worker %s: a message that is not a trial (%v); dropped\n", w.Name, err)
		msg.TermWithReason("not a gokeras trial")
		return
	}
	delivery, maxDeliver := 1, 0
	if md, err := msg.Metadata(); err == nil {
		delivery = int(md.NumDelivered)
	}
	// Read now, not when the worker started: the last coordinator to
	// start sets them.
	ackWait := time.Minute
	info, err := cons.Info(ctx)
	if err != nil {
		info = cons.CachedInfo()
	}
	if info != nil {
		ackWait, maxDeliver = info.Config.AckWait, info.Config.MaxDeliver
	}
	var done resultRecord
	if ok, _ := getJSON(ctx, kv, resultKey(tm.Sweep, tm.ID), &done); ok {
		// Another worker stored it (its ack was lost, or it ran late).
		w.logf("worker %s: %s (%d epochs) is done already; acked\n", w.Name, tm.Point, tm.Epochs)
		msg.Ack()
		return
	}
	// The sign of life: +WPI resets the ack wait, three times within it.
	beat, stopBeat := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(max(ackWait/3, 100*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-beat.Done():
				return
			case <-tick.C:
				msg.InProgress()
			}
		}
	}()
	defer stopBeat()
	report := func(p progress) {
		p.Worker, p.Delivery, p.Epochs, p.Updated = w.Name, delivery, tm.Epochs, time.Now().UTC()
		if data, err := json.Marshal(p); err == nil {
			kv.Put(ctx, progressKey(tm.Sweep, tm.ID), data)
		}
	}
	w.logf("worker %s: %s (%d epochs, delivery %d): training\n", w.Name, tm.Point, tm.Epochs, delivery)
	report(progress{State: stateTraining})
	b, err := w.sweep(ctx, tm.Sweep)
	var s *sweep.Sweep
	var st *trialStore
	var res sweep.Result
	t := sweep.Trial{Point: tm.Point, Key: tm.Key, Rung: tm.Rung, Epochs: tm.Epochs, Index: tm.Index}
	if err == nil {
		s = b.s
		dir := b.dir
		if tm.Prev != nil {
			prev := tm.Prev.result()
			t.Prev = &prev
		}
		if tm.ResumeFrom != "" {
			t.ResumeFrom = filepath.Join(dir, tm.ResumeFrom)
		}
		if tm.SaveTo != "" {
			t.SaveTo = filepath.Join(dir, tm.SaveTo)
		}
		opts := sweep.TrialOptions{
			BackupDir: filepath.Join(dir, "backup-"+tm.Sweep+"-"+tm.ID),
			Callbacks: []train.Callback{&progressCallback{report: report}},
		}
		if b.store {
			// Copies finish when the worker is stopped (it hands the
			// trial back), and come before the progress report, so an
			// epoch reported is an epoch another worker resumes after.
			st = &trialStore{obj: w.Queue.Files, ctx: context.WithoutCancel(ctx), sweep: tm.Sweep, id: tm.ID, backup: opts.BackupDir, logf: w.logf}
			opts.Callbacks = append([]train.Callback{st}, opts.Callbacks...)
			err = st.fetch(t.ResumeFrom)
		}
		if err == nil {
			res, err = s.RunTrial(ctx, t, opts)
		}
		if err == nil && st != nil {
			// Before the result: the coordinator queues the next rung
			// as soon as it sees it.
			err = st.saveModel(t.SaveTo)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			w.logf("worker %s: stopped during %s; handed back\n", w.Name, tm.Point)
			msg.Nak()
			return
		}
		report(progress{State: stateError, Error: err.Error()})
		if maxDeliver > 0 && delivery >= maxDeliver {
			w.logf("worker %s: %s failed on its last delivery (%d of %d): %v\n", w.Name, tm.Point, delivery, maxDeliver, err)
			rec := failedRecord(s, t)
			rec.Worker, rec.Error = w.Name, fmt.Sprintf("failed %d times, last: %v", delivery, err)
			storeResult(ctx, kv, tm.Sweep, tm.ID, rec)
			msg.TermWithReason("failed on every delivery")
			return
		}
		w.logf("worker %s: %s failed (delivery %d of %d), handed back: %v\n", w.Name, tm.Point, delivery, maxDeliver, err)
		msg.NakWithDelay(time.Second)
		return
	}
	rec := recordOf(res)
	rec.Worker = w.Name
	counted, err := storeResult(ctx, kv, tm.Sweep, tm.ID, rec)
	if err != nil {
		w.logf("worker %s: %v; handed back\n", w.Name, err)
		msg.Nak()
		return
	}
	if !counted {
		w.logf("worker %s: %s (%d epochs) was stored by another worker first; this copy is dropped\n", w.Name, tm.Point, tm.Epochs)
	}
	if t.ResumeFrom != "" {
		os.Remove(t.ResumeFrom) // continued, and the result that needed it is stored
	}
	if st != nil {
		st.done(t.ResumeFrom)
	}
	report(progress{State: stateDone, Epoch: tm.Epochs})
	if err := msg.DoubleAck(ctx); err != nil {
		w.logf("worker %s: ack of %s: %v (the result is stored; a redelivery finds it)\n", w.Name, tm.Point, err)
	}
	w.logf("worker %s: %s (%d epochs): %s %.4f\n", w.Name, tm.Point, tm.Epochs, res.Status, res.Score)
}

// sweep returns the sweep of an ID, built on first use.
func (w *Worker) sweep(ctx context.Context, id string) (*builtSweep, error) {
	if b, ok := w.sweeps[id]; ok {
		return b, nil
	}
	var spec Spec
	ok, err := getJSON(ctx, w.Queue.KV, specKey(id), &spec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("queue: sweep %s has no spec in bucket %s", id, Bucket)
	}
	if w.tmp == "" {
		if w.tmp, err = os.MkdirTemp("", "gokeras-worker-"); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
	}
	dir := spec.CheckpointDir
	if spec.CheckpointsInStore {
		dir = filepath.Join(w.tmp, id, "checkpoints")
	}
	if w.CheckpointDir != "" {
		dir = w.CheckpointDir
	}
	files := map[string]string{}
	for flag, name := range spec.Files {
		data, err := w.Queue.Files.GetBytes(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("queue: fetching the file of --%s (%s): %w", flag, name, err)
		}
		sub := filepath.Join(w.tmp, id, flag)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		path := filepath.Join(sub, filepath.Base(name))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		files[flag] = path
	}
	if w.Build == nil {
		return nil, errors.New("queue: the worker has no Build function")
	}
	s, err := w.Build(ctx, spec, files)
	if err != nil {
		return nil, fmt.Errorf("queue: building sweep %s: %w", id, err)
	}
	s.CheckpointDir, s.Log = dir, nil
	if w.Runner != nil {
		s.Runner = w.Runner
	}
	if err := s.Prepare(); err != nil {
		return nil, err
	}
	b := &builtSweep{s: s, dir: dir, store: spec.CheckpointsInStore}
	w.sweeps[id] = b
	return b, nil
}

// progressCallback reports each finished epoch.
type progressCallback struct {
	train.NopCallback
	report func(progress)
}

func (p *progressCallback) OnEpochEnd(_ *train.Run, epoch int, logs train.Logs) error {
	l := make(map[string]num, len(logs))
	for k, v := range logs {
		l[k] = num(v)
	}
	p.report(progress{State: stateTraining, Epoch: epoch + 1, Logs: l})
	return nil
}
