package main

// gokeras sweep --queue, sweep worker and sweep status: a sweep on a NATS
// JetStream work queue (issue 22). The queue itself is package
// sweep/queue; this file turns flags into its Coordinator, Worker and
// Status, and rebuilds on a worker the sweep the coordinator's flags
// describe, through the same sweepCommand.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gokeras/gokeras/sweep"
	"github.com/gokeras/gokeras/sweep/queue"
)

// connFlags are the flags that reach the NATS server.
type connFlags struct {
	url, creds, tlsCA, tlsCert, tlsKey *string
}

func addConnFlags(fs *flag.FlagSet) connFlags {
	return connFlags{
		url:     fs.String("queue", "", "the NATS server with JetStream holding the work queue: nats://HOST:4222, tls://HOST:4222 for TLS, several separated by commas (see docs/distributed.md)"),
		creds:   fs.String("nats-creds", "", "NATS credentials file (user JWT and NKey seed, as 'nsc generate creds' writes it)"),
		tlsCA:   fs.String("nats-tls-ca", "", "certificate authority of the NATS server's TLS certificate (turns TLS on)"),
		tlsCert: fs.String("nats-tls-cert", "", "client certificate for a NATS server that verifies clients (with --nats-tls-key)"),
		tlsKey:  fs.String("nats-tls-key", "", "the client certificate's key"),
	}
}

func (c connFlags) options(name string) queue.Options {
	return queue.Options{URL: *c.url, Creds: *c.creds, TLSCA: *c.tlsCA, TLSCert: *c.tlsCert, TLSKey: *c.tlsKey, Name: name}
}

// queueFlags are the coordinator's flags, registered on the sweep command.
type queueFlags struct {
	fs            *flag.FlagSet
	conn          connFlags
	ackWait       *time.Duration
	maxDeliver    *int
	checkpointDir *string
	sweepID       *string
	tableEvery    *time.Duration
	replicas      *int
	inQueue       *bool
}

// queueOnly are the flags of the coordinator that do not define the
// sweep: they are not passed to the workers nor part of the sweep's ID.
var queueOnly = []string{"queue", "nats-creds", "nats-tls-ca", "nats-tls-cert", "nats-tls-key", "ack-wait", "max-deliver",
	"checkpoint-dir", "sweep-id", "table-every", "nats-replicas", "checkpoints-in-queue", "results", "plot-dir", "verbose", "model"}

func addQueueFlags(fs *flag.FlagSet) *queueFlags {
	q := &queueFlags{
		fs:            fs,
		conn:          addConnFlags(fs),
		ackWait:       fs.Duration("ack-wait", time.Minute, "with --queue: how long a trial's worker may go silent before the trial goes to another worker (a live worker signals every third of it)"),
		maxDeliver:    fs.Int("max-deliver", 3, "with --queue: how many times a trial is handed out before it is reported failed"),
		checkpointDir: fs.String("checkpoint-dir", "", "with --queue: the folder every worker reaches (a shared mount) for the models passed between rungs and each trial's per-epoch backup (default: RESULTS-checkpoints, which only workers on this machine reach)"),
		sweepID:       fs.String("sweep-id", "", "with --queue: the sweep's name on the queue, letters, digits, - and _ (default: derived from the flags, so the same command continues its sweep)"),
		inQueue:       fs.Bool("checkpoints-in-queue", false, "with --queue: keep the checkpoints (each trial's backup, the models passed between rungs) in the JetStream object store instead of a shared folder, for workers that share none"),
		replicas:      fs.Int("nats-replicas", 1, "with --queue: copies JetStream keeps of the queue's streams and buckets: 1 on a single server, 3 on a 3-node cluster"),
		tableEvery:    fs.Duration("table-every", 30*time.Second, "with --queue: print the status table this often (0: never)"),
	}
	return q
}

// active reports whether the sweep runs on a queue: --queue is given,
// or another queue flag, which queueSweep then refuses without it.
func (q *queueFlags) active() bool {
	return *q.conn.url != "" || q.set() != ""
}

// set returns a queue flag given, "" if none.
func (q *queueFlags) set() string {
	for _, f := range queueOnly {
		if f != "queue" && f != "results" && f != "plot-dir" && f != "verbose" && f != "model" && flagSet(q.fs, f) {
			return f
		}
	}
	return ""
}

// sweepBuilt is what sweepCommand built from its flags.
type sweepBuilt struct {
	fs                                 *flag.FlagSet
	s                                  *sweep.Sweep
	model, results, plots, checkpoints string
}

// queueSweep hands the sweep to a worker's built, or coordinates it on the
// queue.
func queueSweep(built func(*sweepBuilt) error, qf *queueFlags, b *sweepBuilt, stdout io.Writer) error {
	if built != nil {
		return built(b)
	}
	if *qf.conn.url == "" {
		return fmt.Errorf("--%s is for a sweep on a work queue: add --queue nats://HOST:4222 (see -h)", qf.set())
	}
	for _, f := range []string{"shard", "rung", "from", "budget"} {
		if flagSet(b.fs, f) {
			return fmt.Errorf("--%s is not for --queue: the queue hands every trial to whichever worker is free, and runs the halving rungs itself", f)
		}
	}
	if *qf.maxDeliver < 1 || *qf.ackWait < time.Second {
		return fmt.Errorf("--max-deliver %d must be at least 1 and --ack-wait %v at least 1s", *qf.maxDeliver, *qf.ackWait)
	}
	s := b.s
	// A bad value fails here, before anything is queued.
	if err := s.Prepare(); err != nil {
		return err
	}
	if err := s.CheckPoints(); err != nil {
		return err
	}
	args, files, err := sweepSpec(b)
	if err != nil {
		return err
	}
	id := *qf.sweepID
	if id == "" {
		id = queue.SweepID(args, files)
	}
	if *qf.inQueue && *qf.checkpointDir != "" {
		return fmt.Errorf("give --checkpoint-dir (a folder every worker reaches) or --checkpoints-in-queue (the object store), not both")
	}
	dir := *qf.checkpointDir
	if dir == "" {
		dir = b.checkpoints
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	s.CheckpointDir = dir
	nc, err := queue.Connect(qf.conn.options("gokeras sweep coordinator " + id))
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, stop := signalContext(commandContext())
	defer stop()
	q, err := queue.Create(ctx, nc, *qf.replicas)
	if err != nil {
		return err
	}
	c := &queue.Coordinator{
		Queue: q, Sweep: s, Files: files, Log: stdout, TableEvery: *qf.tableEvery,
		Spec:  queue.Spec{ID: id, Args: args, CheckpointDir: dir, CheckpointsInStore: *qf.inQueue},
		Setup: queue.Setup{AckWait: *qf.ackWait, MaxDeliver: *qf.maxDeliver},
	}
	fmt.Fprintf(stdout, "sweep %s on %s: start workers with\n  gokeras sweep worker --queue %s\n", id, *qf.conn.url, *qf.conn.url)
	start := time.Now()
	rep, runErr := c.Run(ctx)
	if runErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w; the sweep goes on in the queue: run the same command again to collect it (or 'gokeras sweep status --queue %s')", interruption(ctx), *qf.conn.url)
		}
		return runErr
	}
	if err := s.WriteResults(b.results, rep.Results); err != nil {
		return err
	}
	failed := 0
	for _, r := range rep.Results {
		if r.Status == sweep.StatusFailed {
			failed++
		}
	}
	fmt.Fprintf(stdout, "\nsweep %s: %d trials trained by the workers in %v, %d found in the queue, %d failed; results in %s",
		id, rep.Ran, time.Since(start).Round(time.Second), rep.Reused, failed, b.results)
	if err := printRanking(stdout, rep, b.plots); err != nil {
		return err
	}
	printBest(stdout, rep)
	if failed == 0 {
		if *qf.checkpointDir == "" {
			os.RemoveAll(dir) // complete: the models passed between rungs are not needed
		} else if os.Remove(dir) != nil && s.Halving {
			// A folder of the user's may hold other things: it is left.
			fmt.Fprintf(stdout, "\nthe sweep is complete: the models of its rungs in %s are no longer needed\n", dir)
		}
	}
	return nil
}

// sweepSpec returns the flags a worker rebuilds the sweep from: those
// given, each as --name=value in name order, without the coordinator's
// own, with folders made absolute; and a model file, which the workers
// fetch from the object store.
func sweepSpec(b *sweepBuilt) ([]string, map[string]queue.File, error) {
	var args []string
	var err error
	b.fs.Visit(func(f *flag.Flag) {
		if slices.Contains(queueOnly, f.Name) {
			return
		}
		v := f.Value.String()
		if (f.Name == "image-dir" || f.Name == "data-dir") && err == nil {
			v, err = filepath.Abs(v)
		}
		args = append(args, "--"+f.Name+"="+v)
	})
	if err != nil {
		return nil, nil, err
	}
	var files map[string]queue.File
	if isModelPath(b.model) {
		data, err := os.ReadFile(b.model)
		if err != nil {
			return nil, nil, fmt.Errorf("reading model file: %w", err)
		}
		files = map[string]queue.File{"model": {Name: filepath.Base(b.model), Data: data}}
	} else if flagSet(b.fs, "model") {
		args = append(args, "--model="+b.model)
		slices.Sort(args)
	}
	return args, files, nil
}

const sweepWorkerHelp = `gokeras sweep worker --queue nats://HOST:4222 [flags]

Takes trials of the sweeps on the queue one at a time, trains each as the
coordinator's command describes it (the same model, data and seeds, so
the results equal a single run's), stores its result and takes the next.
Start as many as you like, on any machine that reaches the server and the
sweep's data; stop them any time (Ctrl-C hands the running trial back).
A worker that dies has its trial redelivered after the sweep's --ack-wait;
trials resume from their last finished epoch when the checkpoint folder
is shared (or the coordinator keeps the checkpoints in the queue,
--checkpoints-in-queue).

`

const sweepStatusHelp = `gokeras sweep status --queue nats://HOST:4222 [--sweep ID]

Prints the trials of a sweep on the queue (the last one started, or
--sweep ID) with their state: waiting, training (the epoch a worker last
reported), done (score) or failed (why).

`

// runSweepQueueCommand runs 'sweep worker' and 'sweep status'.
func runSweepQueueCommand(name string, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signalContext(commandContext())
	defer stop()
	if name == "worker" {
		err := sweepWorker(ctx, args, stdout, stderr)
		if ctx.Err() != nil && err == nil {
			fmt.Fprintf(stdout, "worker stopped: %v\n", interruption(ctx))
		}
		return err
	}
	return sweepStatus(ctx, args, stdout)
}

func sweepWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep worker", stdout)
	conn := addConnFlags(fs)
	dir := fs.String("checkpoint-dir", "", "the sweep's checkpoint folder as mounted on this machine (default: the coordinator's path)")
	threads := fs.Int("threads", 0, "threads for training (default: all cores); one worker per core with --threads 1 runs several trials at once")
	name := fs.String("name", "", "the worker's name in progress reports (default: HOST-PID)")
	maxTrials := fs.Int("max-trials", 0, "stop after taking this many trials (0: no limit)")
	idle := fs.Duration("idle", 0, "stop after this long without a trial (0: wait for ever)")
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		fmt.Fprint(stdout, sweepWorkerHelp)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; sweep worker takes only flags", fs.Arg(0))
	}
	if *conn.url == "" {
		return fmt.Errorf("give the queue's server: gokeras sweep worker --queue nats://HOST:4222")
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads) // the kernels follow it
	}
	// A worker waits for its server (started first, or restarting),
	// saying why each attempt failed: a wrong URL or certificate shows.
	opts := conn.options("gokeras sweep worker " + *name)
	opts.WaitForServer = true
	opts.OnConnectError = func(err error) {
		fmt.Fprintf(stderr, "gokeras sweep worker: %s: %v; trying again\n", *conn.url, err)
	}
	nc, err := queue.Connect(opts)
	if err != nil {
		return err
	}
	defer nc.Close()
	q, err := queue.OpenWait(ctx, nc, func(err error) {
		if errors.Is(err, queue.ErrNoQueueYet) {
			fmt.Fprintf(stderr, "gokeras sweep worker: %s: %v\n", *conn.url, err)
			return
		}
		fmt.Fprintf(stderr, "gokeras sweep worker: %s: %v; trying again\n", *conn.url, err)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	w := &queue.Worker{
		Queue: q, Name: *name, CheckpointDir: *dir, Log: stdout, MaxTrials: *maxTrials, Idle: *idle,
		Build: func(ctx context.Context, spec queue.Spec, files map[string]string) (*sweep.Sweep, error) {
			return buildQueuedSweep(spec, files, stderr)
		},
	}
	return w.Run(ctx)
}

// buildQueuedSweep reads a queued sweep's flags as the coordinator's
// sweep command read them.
func buildQueuedSweep(spec queue.Spec, files map[string]string, stderr io.Writer) (*sweep.Sweep, error) {
	args := slices.Clone(spec.Args)
	for _, flag := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		args = append(args, "--"+flag+"="+files[flag])
	}
	var s *sweep.Sweep
	err := sweepCommand(args, io.Discard, stderr, func(b *sweepBuilt) error { s = b.s; return nil })
	if err != nil {
		return nil, fmt.Errorf("the sweep's flags %s: %w", strings.Join(args, " "), err)
	}
	return s, nil
}

func sweepStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("sweep status", stdout)
	conn := addConnFlags(fs)
	id := fs.String("sweep", "", "the sweep's ID (default: the last one started)")
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		fmt.Fprint(stdout, sweepStatusHelp)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *conn.url == "" {
		return fmt.Errorf("give the queue's server: gokeras sweep status --queue nats://HOST:4222")
	}
	nc, err := queue.Connect(conn.options("gokeras sweep status"))
	if err != nil {
		return err
	}
	defer nc.Close()
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	q, err := queue.Open(octx, nc)
	if err != nil {
		return err
	}
	if *id == "" {
		if *id, err = queue.LatestSweep(ctx, q); err != nil {
			return err
		}
	}
	return queue.Status(ctx, q, *id, stdout)
}
