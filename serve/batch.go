package serve

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/tensor"
	"github.com/prometheus/client_golang/prometheus"
)

// Dynamic batching, as Triton's dynamic batcher does it
// (triton-inference-server/server docs/user_guide/batcher.md, "Dynamic
// Batcher", "Delayed Batching", "Queue Policy"): requests wait in one queue
// and join batches in the order they came; a batch is sent as soon as it
// holds max_batch_size rows, or when waiting longer would delay its oldest
// request past max_queue_delay (0: send what is there). A request of more
// rows than max_batch_size is refused. The queue is bounded (Triton's
// max_queue_size): a request that finds it full is refused at once (429
// with Retry-After here; Triton answers UNAVAILABLE) instead of growing
// memory, and one whose deadline passes while it waits is dropped without
// running (Triton's timeout_action REJECT).

// errQueueFull, errClosed and errTimeout are the batcher's refusals.
var (
	errQueueFull = errors.New("the model's request queue is full; retry later")
	errClosed    = errors.New("the server is shutting down")
	errTimeout   = errors.New("Request timeout expired") // Triton's words
)

// job is one request's rows on their way through the batcher.
type job struct {
	ctx    context.Context
	rows   int
	queued time.Time
	in     []*tensor.Tensor // one per model input, rows first
	done   chan result      // buffered: the batcher never waits for the handler
}

type result struct {
	out   []*tensor.Tensor // one per model output, the job's rows only
	err   error
	batch int // rows in the batch the job ran in (0: it did not run)
}

// batcher runs one model's queued jobs in batches.
type batcher struct {
	m        *model
	maxBatch int
	delay    time.Duration

	mu     sync.RWMutex // closed and sends on queue
	closed bool
	queue  chan *job
	wg     sync.WaitGroup // the loop and the batches running

	// slots holds a token per batch running: at most Options.Instances
	// at once. The loop takes a token before it starts a batch, so that
	// while every instance is busy the queue grows into the next batch.
	slots chan struct{}

	// hurried is closed by hurry: batches stop waiting for more requests.
	hurried   chan struct{}
	hurryOnce sync.Once

	// onBatch, when set (by tests), is called with each batch's row count
	// before it runs.
	onBatch func(rows int)

	// batchSize and inference observe each batch's rows and run time.
	batchSize, inference prometheus.Observer
}

func newBatcher(m *model, o Options, ms *metrics) *batcher {
	b := &batcher{m: m, maxBatch: o.MaxBatchSize, delay: o.MaxQueueDelay, queue: make(chan *job, o.MaxQueueSize), slots: make(chan struct{}, o.Instances), hurried: make(chan struct{}),
		batchSize: ms.batch.WithLabelValues(m.name), inference: ms.inference.WithLabelValues(m.name)}
	b.wg.Add(1)
	go b.loop()
	return b
}

// submit queues j, or refuses it at once when the queue is full or the
// batcher is closed.
func (b *batcher) submit(j *job) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	j.queued = time.Now()
	select {
	case b.queue <- j:
		return nil
	default:
		return errQueueFull
	}
}

// full reports whether the queue has no room: the handlers check it before
// they read and parse a request's body, so that a server at overload
// refuses at the cost of a header, not of parsing what it will refuse
// (submit still decides; the queue may fill in between).
func (b *batcher) full() bool { return len(b.queue) == cap(b.queue) }

// hurry makes batches run what is queued without waiting for more, for
// good: the server is shutting down and no new request will come.
func (b *batcher) hurry() { b.hurryOnce.Do(func() { close(b.hurried) }) }

// close stops taking jobs and returns when every queued one has run.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *batcher) loop() {
	defer b.wg.Done()
	var next *job // a job taken that did not fit the last batch
	for {
		b.slots <- struct{}{} // wait for a free instance
		first := next
		next = nil
		if first == nil {
			j, ok := <-b.queue
			if !ok {
				return
			}
			first = j
		}
		batch := []*job{first}
		rows := first.rows
		var timer <-chan time.Time
		var t *time.Timer
		// The delay counts from when the oldest request was queued; one
		// that waited through the previous batch runs with what is there.
		if wait := b.delay - time.Since(first.queued); b.delay > 0 && wait > 0 && !b.isHurried() {
			t = time.NewTimer(wait)
			timer = t.C
		}
	fill:
		for rows < b.maxBatch {
			var j *job
			var ok bool
			if timer == nil {
				// No delay: take what is queued already.
				select {
				case j, ok = <-b.queue:
				default:
					break fill
				}
			} else {
				select {
				case j, ok = <-b.queue:
				case <-timer:
					break fill
				case <-b.hurried:
					timer = nil // take what is queued, then run
					continue
				}
			}
			if !ok {
				break
			}
			if rows+j.rows > b.maxBatch {
				next = j
				break
			}
			batch = append(batch, j)
			rows += j.rows
		}
		if t != nil {
			t.Stop()
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.run(batch)
			<-b.slots
		}()
		if next == nil && b.isClosedAndEmpty() {
			return
		}
	}
}

func (b *batcher) isHurried() bool {
	select {
	case <-b.hurried:
		return true
	default:
		return false
	}
}

func (b *batcher) isClosedAndEmpty() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.closed && len(b.queue) == 0
}

// run predicts a batch and hands each job its rows. Jobs whose requests
// have gone (deadline passed, client disconnected) are left out.
func (b *batcher) run(batch []*job) {
	live := batch[:0]
	rows := 0
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.done <- result{err: errTimeout}
			continue
		}
		live = append(live, j)
		rows += j.rows
	}
	if len(live) == 0 {
		return
	}
	if b.onBatch != nil {
		b.onBatch(rows)
	}
	b.batchSize.Observe(float64(rows))
	start := time.Now()
	outs, err := b.predict(live, rows)
	b.inference.Observe(time.Since(start).Seconds())
	if err != nil {
		for _, j := range live {
			j.done <- result{err: err, batch: rows}
		}
		return
	}
	lo := 0
	for _, j := range live {
		r := result{out: make([]*tensor.Tensor, len(outs)), batch: rows}
		for k, o := range outs {
			row := len(o.Data) / rows
			t := tensor.New(append([]int{j.rows}, o.Shape[1:]...)...)
			copy(t.Data, o.Data[lo*row:(lo+j.rows)*row])
			r.out[k] = t
		}
		lo += j.rows
		j.done <- r
	}
}

// predict runs the model once on the jobs' rows, stacked in order. A panic
// in the model is an error for the batch's requests, not a crash.
func (b *batcher) predict(jobs []*job, rows int) (outs []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			outs, err = nil, fmt.Errorf("the model failed on this batch: %v", r)
		}
	}()
	ins := make([]*tensor.Tensor, len(b.m.inShapes))
	for k, sh := range b.m.inShapes {
		if len(jobs) == 1 {
			ins[k] = jobs[0].in[k]
			continue
		}
		t := tensor.New(append([]int{rows}, sh...)...)
		off := 0
		for _, j := range jobs {
			off += copy(t.Data[off:], j.in[k].Data)
		}
		ins[k] = t
	}
	if len(ins) == 1 && len(b.m.outShapes) == 1 {
		y, err := b.m.m.Predict(ins[0], rows)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}
	return b.m.m.PredictMulti(gokeras.List(toInputs(ins)), rows)
}

func toInputs(ts []*tensor.Tensor) []gokeras.Inputs {
	out := make([]gokeras.Inputs, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}
