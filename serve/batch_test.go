package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeras/gokeras/tensor"
)

type v2Resp struct {
	Outputs []struct {
		Shape []int `json:"shape"`
		Data  any   `json:"data"`
	} `json:"outputs"`
}

// TestConcurrentBatching: concurrent requests with MaxBatchSize 4 and a
// queue delay long enough for every batch to fill run in as few batches as
// fit (counted through the test hook), and each request gets its own rows
// back, bit for bit as Model.Predict gives them. CI runs it with -race.
func TestConcurrentBatching(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		exact []int // the batches' row counts, when the order cannot change them
	}{
		{"10 single rows", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []int{4, 4, 2}}, // ceil(10/4) batches
		{"1 to 4 rows", []int{1, 1, 2, 2, 3, 1, 2, 1, 3, 2, 2, 4}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, cnn, _ := newTestHandler(t, Options{MaxBatchSize: 4, MaxQueueDelay: time.Second})
			var mu sync.Mutex
			var batches []int
			h.models["cnn"].b.onBatch = func(rows int) {
				mu.Lock()
				batches = append(batches, rows)
				mu.Unlock()
			}
			total := 0
			xs := make([]*tensor.Tensor, len(tc.sizes))
			wants := make([]*tensor.Tensor, len(tc.sizes))
			for i, n := range tc.sizes {
				total += n
				xs[i] = randRows(n, []int{6, 6, 2}, uint64(100+i))
				var err error
				if wants[i], err = cnn.Predict(xs[i], 0); err != nil {
					t.Fatal(err)
				}
			}
			type answer struct {
				code int
				body []byte
			}
			answers := make([]answer, len(tc.sizes))
			var wg sync.WaitGroup
			for i := range tc.sizes {
				wg.Go(func() {
					code, _, body := do(t, h, "POST", "/v2/models/cnn/infer", v2Body("input_layer", xs[i]))
					answers[i] = answer{code, body}
				})
			}
			wg.Wait()
			for i, a := range answers {
				if a.code != 200 {
					t.Fatalf("request %d: %d %s", i, a.code, a.body)
				}
				var r v2Resp
				if err := json.Unmarshal(a.body, &r); err != nil {
					t.Fatal(err)
				}
				if r.Outputs[0].Shape[0] != tc.sizes[i] {
					t.Fatalf("request %d of %d rows got %v", i, tc.sizes[i], r.Outputs[0].Shape)
				}
				sameBits(t, fmt.Sprintf("request %d", i), float32s(t, r.Outputs[0].Data), wants[i].Data)
			}
			mu.Lock()
			defer mu.Unlock()
			t.Logf("batches: %v", batches)
			if tc.exact != nil {
				if !slices.Equal(batches, tc.exact) {
					t.Errorf("batches %v, want %v", batches, tc.exact)
				}
				return
			}
			sum := 0
			for _, b := range batches {
				if b > 4 {
					t.Errorf("a batch of %d rows, over MaxBatchSize 4", b)
				}
				sum += b
			}
			// A batch closes before it is full only on a request that
			// does not fit (or the last, after the delay).
			if sum != total || len(batches) < (total+3)/4 || len(batches) > len(tc.sizes) {
				t.Errorf("batches %v: want %d rows in at least %d batches", batches, total, (total+3)/4)
			}
		})
	}
}

// blockBatcher makes model name's batcher stop at each batch until
// released; started receives each batch's row count.
func blockBatcher(h *Handler, name string) (started chan int, release chan struct{}) {
	started, release = make(chan int, 16), make(chan struct{})
	h.models[name].b.onBatch = func(rows int) {
		started <- rows
		<-release
	}
	return started, release
}

func waitQueued(t *testing.T, h *Handler, name string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(h.models[name].b.queue) != n; {
		if time.Now().After(deadline) {
			t.Fatalf("queue holds %d requests, want %d", len(h.models[name].b.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQueueFull: with the batcher busy and the queue full, a request is
// answered 429 with Retry-After at once; the queued ones still run.
func TestQueueFull(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 1, MaxQueueSize: 2})
	started, release := blockBatcher(h, "cnn")
	body := v2Body("input_layer", randRows(1, []int{6, 6, 2}, 1))
	codes := make(chan int, 3)
	send := func() {
		code, _, _ := do(t, h, "POST", "/v2/models/cnn/infer", body)
		codes <- code
	}
	go send()
	<-started // the first request runs (held)
	go send()
	go send()
	waitQueued(t, h, "cnn", 2)
	start := time.Now()
	code, hdr, out := do(t, h, "POST", "/v2/models/cnn/infer", body)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Fatalf("full queue: %d, Retry-After %q: %s", code, hdr.Get("Retry-After"), out)
	}
	if msg := errorBody(t, out); !strings.Contains(msg, "queue is full") {
		t.Errorf("message %q", msg)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the 429 took %v; it should be at once", d)
	}
	// TF Serving's endpoint answers the same way.
	if code, _, _ := do(t, h, "POST", "/v1/models/cnn:predict", `{"instances":`+string(appendNested(nil, make([]float32, 72), []int{1, 6, 6, 2}))+`}`); code != http.StatusTooManyRequests {
		t.Errorf("TF Serving predict on a full queue: %d", code)
	}
	// The refusal comes before the body is read: a body that is not even
	// JSON gets the 429, not a 400, on every inference endpoint.
	for _, path := range []string{"/v2/models/cnn/infer", "/v1/models/cnn:predict"} {
		if code, _, out := do(t, h, "POST", path, "not json at all"); code != http.StatusTooManyRequests {
			t.Errorf("%s on a full queue with a bad body: %d %s; want 429 before parsing", path, code, out)
		}
	}
	close(release)
	for range 3 {
		if c := <-codes; c != 200 {
			t.Errorf("a queued request got %d", c)
		}
	}
}

// TestTimeout: a request still queued at its deadline is answered 503
// (Triton's answer, UNAVAILABLE "Request timeout expired") and never
// runs; nothing is left waiting.
func TestTimeout(t *testing.T) {
	before := runtime.NumGoroutine()
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 1, Timeout: 100 * time.Millisecond})
	started, release := blockBatcher(h, "cnn")
	body := v2Body("input_layer", randRows(1, []int{6, 6, 2}, 1))
	first := make(chan int, 1)
	go func() {
		code, _, _ := do(t, h, "POST", "/v2/models/cnn/infer", body)
		first <- code
	}()
	<-started
	code, _, out := do(t, h, "POST", "/v2/models/cnn/infer", body)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("timed out request: %d %s", code, out)
	}
	if msg := errorBody(t, out); !strings.Contains(msg, "Request timeout expired") {
		t.Errorf("message %q", msg)
	}
	close(release)
	<-first // the held request's own deadline has passed too: 503 or 200
	h.Close()
	select {
	case rows := <-started:
		t.Errorf("the timed-out request ran (a batch of %d rows)", rows)
	default:
	}
	if len(h.models["cnn"].b.queue) != 0 {
		t.Error("the queue is not empty")
	}
	// Every goroutine the handler started has ended.
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClose: Close finishes the queued requests, then the handler is not
// ready and refuses new inference with 503.
func TestClose(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 1})
	started, release := blockBatcher(h, "cnn")
	body := v2Body("input_layer", randRows(1, []int{6, 6, 2}, 1))
	codes := make(chan int, 3)
	for range 3 {
		go func() {
			code, _, _ := do(t, h, "POST", "/v2/models/cnn/infer", body)
			codes <- code
		}()
	}
	<-started
	waitQueued(t, h, "cnn", 2)
	closed := make(chan struct{})
	go func() {
		h.Close()
		close(closed)
	}()
	for !h.closing.Load() {
		time.Sleep(time.Millisecond)
	}
	if code, _, _ := do(t, h, "GET", "/v2/health/ready", ""); code != http.StatusBadRequest {
		t.Errorf("ready while closing: %d", code)
	}
	if code, _, body := do(t, h, "GET", "/v1/models/cnn", ""); code != 200 || !strings.Contains(string(body), "UNLOADING") {
		t.Errorf("TF Serving status while closing: %d %s", code, body)
	}
	if code, _, _ := do(t, h, "GET", "/v2/health/live", ""); code != 200 {
		t.Errorf("live while closing: %d", code)
	}
	if code, _, out := do(t, h, "POST", "/v2/models/cnn/infer", body); code != http.StatusServiceUnavailable {
		t.Errorf("infer while closing: %d %s", code, out)
	}
	close(release)
	<-closed
	for range 3 {
		if c := <-codes; c != 200 {
			t.Errorf("a request queued before Close got %d", c)
		}
	}
}

// TestDrain: after Drain a request waiting for its batch runs at once
// instead of waiting out MaxQueueDelay, readiness is false, and requests
// that arrive while the server drains are still taken and answered.
func TestDrain(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 4, MaxQueueDelay: time.Minute})
	body := v2Body("input_layer", randRows(1, []int{6, 6, 2}, 1))
	codes := make(chan int, 1)
	go func() {
		code, _, _ := do(t, h, "POST", "/v2/models/cnn/infer", body)
		codes <- code
	}()
	// The request is taken from the queue and waits a minute for three
	// more rows: after 300 ms it has not been answered.
	select {
	case c := <-codes:
		t.Fatalf("answered %d before Drain", c)
	case <-time.After(300 * time.Millisecond):
	}
	if n := len(h.models["cnn"].b.queue); n != 0 {
		t.Fatalf("%d requests still queued; the batcher should hold the request in its batch", n)
	}
	start := time.Now()
	h.Drain()
	select {
	case c := <-codes:
		if c != 200 {
			t.Errorf("the waiting request got %d", c)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("answered %v after Drain", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting request was not answered after Drain")
	}
	if code, _, _ := do(t, h, "GET", "/v2/health/ready", ""); code != http.StatusBadRequest {
		t.Errorf("ready while draining: %d", code)
	}
	// A request still coming in runs at once, without the delay.
	start = time.Now()
	if code, _, out := do(t, h, "POST", "/v2/models/cnn/infer", body); code != 200 || time.Since(start) > 5*time.Second {
		t.Errorf("a request during the drain: %d %s after %v", code, out, time.Since(start))
	}
}
