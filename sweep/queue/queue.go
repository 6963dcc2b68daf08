// Package queue runs a sweep's trials on any number of machines through
// a NATS JetStream work queue (issue 22): a coordinator (Coordinator)
// publishes each rung's trials, workers (Worker) take them one at a time,
// train them and store their results, and Status shows where the sweep
// stands from anywhere. It owns the queue's subjects, streams, buckets
// and message shapes; package sweep owns what a trial is and how it
// trains (Sweep.RungTrials, Sweep.RunTrial), so a trial gives the same
// result on any worker as in a single process.
//
// The shapes follow the JetStream documentation
// (https://docs.nats.io/nats-concepts/jetstream):
//
//   - Trials are messages on gokeras.sweep.trials.SWEEP in the stream
//     GOKERAS_SWEEP_TRIALS, with work-queue retention (a message is
//     removed once acknowledged) and the header Nats-Msg-Id set to
//     SWEEP.TRIAL, so that a restarted coordinator publishing them again
//     within the stream's duplicate window adds nothing ("Message
//     Deduplication" in the JetStream model deep dive).
//   - Workers pull them through the durable consumer "workers" with
//     explicit acks, an ack wait and a max-deliver count. A worker sends
//     +WPI (msg.InProgress) while it trains, so a slow trial is not
//     redelivered, and acks only after the result is stored; a worker
//     that dies stops sending +WPI and the trial is redelivered after the
//     ack wait ("Consumer Details": AckWait, MaxDeliver).
//   - Results, progress, the trial list and the sweep's spec are entries
//     of the key-value bucket gokeras_sweep under SWEEP.result.TRIAL,
//     SWEEP.progress.TRIAL, SWEEP.trial.TRIAL and SWEEP.spec. A result is
//     written with Create, which fails when the key exists: a trial run
//     twice counts once ("Key/Value Store", create).
//   - A trial that reached max-deliver without a result is reported by
//     the server on $JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.GOKERAS_SWEEP_TRIALS.workers
//     ("Monitoring JetStream", advisories), which the stream
//     GOKERAS_SWEEP_ADVISORIES keeps, so a coordinator that was down when
//     it happened still records the trial as failed.
//   - A model file given as --model is put in the object store
//     gokeras_sweep_files for the workers, and so are the checkpoints
//     when the workers share no folder (Spec.CheckpointsInStore,
//     store.go).
//
// TRIAL is sweep.TrialID(key, epochs); SWEEP is the sweep's ID (SweepID).
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gokeras/gokeras/sweep"
)

// Names of the queue's JetStream objects.
const (
	TrialStream    = "GOKERAS_SWEEP_TRIALS"
	TrialSubjects  = "gokeras.sweep.trials.*"
	Consumer       = "workers"
	AdvisoryStream = "GOKERAS_SWEEP_ADVISORIES"
	Bucket         = "gokeras_sweep"
	FileBucket     = "gokeras_sweep_files"
	// MaxDeliveriesSubject is where the server reports a trial that hit
	// the consumer's max-deliver count ($JS.EVENT.ADVISORY.CONSUMER.
	// MAX_DELIVERIES.<stream>.<consumer>).
	MaxDeliveriesSubject = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + TrialStream + "." + Consumer
)

// DuplicateWindow is how long the trial stream remembers a Nats-Msg-Id: a
// coordinator restarted within it publishes no trial twice (after it, a
// trial still queued may be queued again, trained twice and counted once).
const DuplicateWindow = 24 * time.Hour

// Options say how to reach the NATS server.
type Options struct {
	// URL is the server, nats://HOST:4222 (tls://HOST:4222 for TLS);
	// several may be given separated by commas (a cluster's servers).
	URL string
	// Creds is a credentials file (a user JWT and its NKey seed, as
	// 'nsc generate creds' writes it): nats.UserCredentials.
	Creds string
	// TLSCA is the certificate authority that signed the server's
	// certificate (nats.RootCAs); TLSCert and TLSKey are the client's
	// certificate and key, for servers that verify clients
	// (nats.ClientCert). Either turns TLS on.
	TLSCA, TLSCert, TLSKey string
	// Name names the connection in the server's monitoring.
	Name string
	// WaitForServer keeps trying the first connection, as it does every
	// later one, instead of failing when no server answers (a worker that
	// starts before its server, as pods of one deployment do); each
	// failed attempt is passed to OnConnectError, if set.
	WaitForServer  bool
	OnConnectError func(error)
}

// Connect opens a connection that reconnects for as long as it is not
// closed: a worker outlives a server restart.
func Connect(o Options) (*nats.Conn, error) {
	if o.URL == "" {
		return nil, errors.New("queue: no server URL; give --queue nats://HOST:4222")
	}
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if o.Creds != "" {
		if _, err := os.Stat(o.Creds); err != nil {
			return nil, fmt.Errorf("queue: credentials file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("queue: a client certificate needs its key: give both --nats-tls-cert and --nats-tls-key")
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if o.WaitForServer {
		opts = append(opts, nats.RetryOnFailedConnect(true))
		if o.OnConnectError != nil {
			opts = append(opts, nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { o.OnConnectError(err) }))
		}
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("queue: connecting to %s: %w (is the server up, with JetStream on? see docs/distributed.md)", o.URL, err)
	}
	return nc, nil
}

// Queue is the JetStream side of the sweeps on one server.
type Queue struct {
	JS    jetstream.JetStream
	KV    jetstream.KeyValue
	Files jetstream.ObjectStore
}

// Setup settles how the trials are delivered: the coordinator's choice,
// applied to the shared consumer.
type Setup struct {
	// AckWait is how long a trial may go without a sign of life from its
	// worker (which sends one every AckWait/3) before another worker gets
	// it. Default 1 minute.
	AckWait time.Duration
	// MaxDeliver is how many times a trial is handed out before it is
	// reported failed. Default 3.
	MaxDeliver int
}

func (s *Setup) defaults() {
	if s.AckWait <= 0 {
		s.AckWait = time.Minute
	}
	if s.MaxDeliver <= 0 {
		s.MaxDeliver = 3
	}
}

// Create returns the queue on the server of nc, creating its streams and
// buckets, or updating them to replicas copies (1 on a single server, 3
// on a 3-node JetStream cluster, so the queue survives losing a node).
// The coordinator creates; workers and Status open (Open).
func Create(ctx context.Context, nc *nats.Conn, replicas int) (*Queue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	replicas = max(replicas, 1)
	q := &Queue{JS: js}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: TrialStream, Subjects: []string{TrialSubjects}, Retention: jetstream.WorkQueuePolicy,
		Storage: jetstream.FileStorage, Duplicates: DuplicateWindow, Replicas: replicas,
		Description: "gokeras sweep trials, one message per trial (sweep/queue)",
	}); err != nil {
		return nil, fmt.Errorf("queue: the trial stream: %w (does the server run JetStream? nats-server -js; a cluster of fewer nodes than --nats-replicas cannot hold it)", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: AdvisoryStream, Subjects: []string{MaxDeliveriesSubject}, Storage: jetstream.FileStorage,
		MaxAge: 30 * 24 * time.Hour, Replicas: replicas, Description: "max-deliveries advisories of gokeras sweep trials",
	}); err != nil {
		return nil, fmt.Errorf("queue: the advisory stream: %w", err)
	}
	if q.KV, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Replicas: replicas,
		Description: "gokeras sweeps: specs, trials, results, progress"}); err != nil {
		return nil, fmt.Errorf("queue: the key-value bucket: %w", err)
	}
	if q.Files, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: FileBucket, Replicas: replicas,
		Description: "gokeras sweeps: model files"}); err != nil {
		return nil, fmt.Errorf("queue: the object store: %w", err)
	}
	return q, nil
}

// Open returns the queue on the server of nc, waiting until a
// coordinator has created it or ctx ends (a worker may start first).
func Open(ctx context.Context, nc *nats.Conn) (*Queue, error) {
	return OpenWait(ctx, nc, nil)
}

// OpenWait is Open that also waits out a server that is not reached yet
// or whose JetStream is still starting (see transient), calling onRetry,
// if set, with the reason each time it tries again, and once when it
// finds no queue yet (ErrNoQueueYet).
func OpenWait(ctx context.Context, nc *nats.Conn, onRetry func(error)) (*Queue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	q := &Queue{JS: js}
	told := false
	for {
		// Each lookup afresh: the coordinator makes the key-value bucket
		// before the object store, and a worker may come in between.
		err = nil
		if q.KV == nil {
			q.KV, err = js.KeyValue(ctx, Bucket)
		}
		if err == nil && q.Files == nil {
			q.Files, err = js.ObjectStore(ctx, FileBucket)
		}
		if err == nil {
			return q, nil
		}
		notCreated := errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound)
		if !notCreated && !transient(ctx, err) && ctx.Err() == nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		switch {
		case onRetry == nil:
		case !notCreated:
			onRetry(err)
		case !told:
			told = true
			onRetry(ErrNoQueueYet)
		}
		select {
		case <-ctx.Done():
			if notCreated {
				return nil, fmt.Errorf("queue: no sweep has been started on this server (no bucket %s): %w", Bucket, ctx.Err())
			}
			return nil, fmt.Errorf("queue: %w (is the server up, with JetStream on? see docs/distributed.md)", err)
		case <-time.After(time.Second):
		}
	}
}

// ErrNoQueueYet is what OpenWait tells onRetry, once, while no
// coordinator has created the queue on the server.
var ErrNoQueueYet = errors.New("queue: no sweep has been started on this server yet; waiting for a coordinator")

// transient reports whether err, from a request on the JetStream API
// made while ctx is live, may pass on its own: the request timed out
// (the connection is still being made: nats.go buffers requests while
// it reconnects, but gives up on them after the JetStream API's 5 s
// default), no server answered, or JetStream answered 503 (it is not on
// yet, or a cluster has no meta leader yet). A worker started with its
// server, as in a Kubernetes rollout, meets all three.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var apiErr *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		(errors.As(err, &apiErr) && apiErr.Code == 503)
}

// consumer creates or updates the workers' consumer with setup.
func (q *Queue) consumer(ctx context.Context, setup Setup) (jetstream.Consumer, error) {
	setup.defaults()
	c, err := q.JS.CreateOrUpdateConsumer(ctx, TrialStream, jetstream.ConsumerConfig{
		Durable: Consumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: setup.AckWait, MaxDeliver: setup.MaxDeliver,
		Description: "gokeras sweep workers",
	})
	if err != nil {
		return nil, fmt.Errorf("queue: the workers' consumer: %w", err)
	}
	return c, nil
}

// Spec is what a worker needs to build a sweep: stored once per sweep.
type Spec struct {
	ID string `json:"id"`
	// Args are the sweep command's flags, which the worker's Build reads
	// as the coordinator's command did; opaque to this package.
	Args []string `json:"args"`
	// Files names files the workers fetch from the object store: the
	// flag they replace in Args, and the object's name.
	Files map[string]string `json:"files,omitempty"`
	// CheckpointDir is the folder every worker reaches for the models
	// passed between rungs and each trial's backup, unless a worker
	// mounts it elsewhere (Worker.CheckpointDir).
	CheckpointDir string `json:"checkpoint_dir"`
	// CheckpointsInStore keeps the checkpoints in the object store
	// instead: each worker has a folder of its own (store.go).
	CheckpointsInStore bool `json:"checkpoints_in_store,omitempty"`
	// Objective names the score of the results, for Status.
	Objective string    `json:"objective"`
	Created   time.Time `json:"created"`
}

// File is a file the workers need, by its base name and contents.
type File struct {
	Name string
	Data []byte
}

// SweepID derives a sweep's ID from what defines it (its flags and the
// contents of its files): the same command gets the same ID, so a
// restarted coordinator continues its sweep.
func SweepID(args []string, files map[string]File) string {
	h := sha256.New()
	for _, a := range args {
		fmt.Fprintf(h, "%d:%s\n", len(a), a)
	}
	for _, name := range sortedKeys(files) {
		sum := sha256.Sum256(files[name].Data)
		fmt.Fprintf(h, "file %s %s %x\n", name, files[name].Name, sum)
	}
	return "s" + hex.EncodeToString(h.Sum(nil)[:6])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func specKey(sweepID string) string            { return sweepID + ".spec" }
func trialKey(sweepID, trial string) string    { return sweepID + ".trial." + trial }
func resultKey(sweepID, trial string) string   { return sweepID + ".result." + trial }
func progressKey(sweepID, trial string) string { return sweepID + ".progress." + trial }
func subject(sweepID string) string            { return "gokeras.sweep.trials." + sweepID }

// trialMsg is a trial message's body, JSON.
type trialMsg struct {
	Sweep  string        `json:"sweep"`
	ID     string        `json:"id"` // sweep.TrialID(Key, Epochs)
	Key    string        `json:"key"`
	Point  sweep.Point   `json:"point"`
	Rung   int           `json:"rung"`
	Epochs int           `json:"epochs"`
	Index  int           `json:"index"`
	Prev   *resultRecord `json:"prev,omitempty"`
	// ResumeFrom and SaveTo are file names in the checkpoint folder.
	ResumeFrom string `json:"resume_from,omitempty"`
	SaveTo     string `json:"save_to,omitempty"`
}

// resultRecord is a sweep.Result as stored, with the worker that made it
// and, for a failed trial, why.
type resultRecord struct {
	Key       string      `json:"key"`
	Setup     string      `json:"setup"`
	Point     sweep.Point `json:"point"`
	Rung      int         `json:"rung"`
	Epochs    int         `json:"epochs"`
	Trial     int         `json:"trial"`
	Score     num         `json:"score"`
	LastScore num         `json:"last_score"`
	BestEpoch int         `json:"best_epoch"`
	ValLoss   num         `json:"val_loss"`
	TestScore num         `json:"test_score"`
	TestLoss  num         `json:"test_loss"`
	Params    int         `json:"params"`
	Seconds   num         `json:"seconds"`
	Status    string      `json:"status"`
	Finished  time.Time   `json:"finished"`
	Worker    string      `json:"worker,omitempty"`
	Error     string      `json:"error,omitempty"`
}

func recordOf(r sweep.Result) *resultRecord {
	return &resultRecord{Key: r.Key, Setup: r.Setup, Point: r.Point, Rung: r.Rung, Epochs: r.Epochs, Trial: r.Trial,
		Score: num(r.Score), LastScore: num(r.LastScore), BestEpoch: r.BestEpoch, ValLoss: num(r.ValLoss),
		TestScore: num(r.TestScore), TestLoss: num(r.TestLoss), Params: r.Params, Seconds: num(r.Seconds),
		Status: r.Status, Finished: r.Finished}
}

func (r *resultRecord) result() sweep.Result {
	return sweep.Result{Key: r.Key, Setup: r.Setup, Point: r.Point, Rung: r.Rung, Epochs: r.Epochs, Trial: r.Trial,
		Score: float64(r.Score), LastScore: float64(r.LastScore), BestEpoch: r.BestEpoch, ValLoss: float64(r.ValLoss),
		TestScore: float64(r.TestScore), TestLoss: float64(r.TestLoss), Params: r.Params, Seconds: float64(r.Seconds),
		Status: r.Status, Finished: r.Finished}
}

// num is a float64 that JSON carries exactly: a number in the shortest
// form that reads back to the same value, or a string for NaN and the
// infinities, which JSON numbers cannot hold.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(strconv.Quote(strconv.FormatFloat(f, 'g', -1, 64))), nil
	}
	return []byte(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

func (n *num) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("queue: %s is not a number", b)
	}
	*n = num(f)
	return nil
}

// progress is a worker's report on its trial, the value of
// SWEEP.progress.TRIAL.
type progress struct {
	Worker   string         `json:"worker"`
	State    string         `json:"state"` // training, done, error
	Epoch    int            `json:"epoch"` // epochs finished
	Epochs   int            `json:"epochs"`
	Logs     map[string]num `json:"logs,omitempty"`
	Delivery int            `json:"delivery"`
	Error    string         `json:"error,omitempty"`
	Updated  time.Time      `json:"updated"`
}

// getJSON reads a bucket entry into v; ok is false when it is not there.
func getJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (ok bool, err error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue: reading %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return false, fmt.Errorf("queue: %s holds %q: %w", key, e.Value(), err)
	}
	return true, nil
}

// storeResult writes a trial's result unless one is there: it reports
// whether this one counted.
func storeResult(ctx context.Context, kv jetstream.KeyValue, sweepID, trial string, r *resultRecord) (bool, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("queue: %w", err)
	}
	_, err = kv.Create(ctx, resultKey(sweepID, trial), data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue: storing the result of %s: %w", r.Key, err)
	}
	return true, nil
}

// failedRecord is the result of a trial that could not be run; s may be
// nil (the sweep could not be built).
func failedRecord(s *sweep.Sweep, t sweep.Trial) *resultRecord {
	if s != nil {
		return recordOf(s.FailedResult(t))
	}
	nan := math.NaN()
	return recordOf(sweep.Result{Key: t.Key, Point: t.Point, Rung: t.Rung, Epochs: t.Epochs, Trial: t.Index,
		Score: nan, LastScore: nan, ValLoss: nan, TestScore: nan, TestLoss: nan,
		Status: sweep.StatusFailed, Finished: time.Now().UTC().Truncate(time.Second)})
}
