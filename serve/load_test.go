package serve

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
)

// TestLoad is issue 21's load test on loopback: the fashion-cnn and
// cifar10-cnn presets (weights as built; speed does not depend on them)
// served with dynamic batching, one image per request, at concurrency 1,
// 8, 64 and 256, then at 4x overload (1,024 clients against a queue of 256);
// it prints throughput, p50/p99 latency and errors per level, offline
// Predict's throughput at the same batch size, and the peak RSS. It is a
// measurement, not a check (the figures go to BENCHMARKS.md), so it runs
// only when asked:
//
//	GOKERAS_LOAD_TEST=1 go test -run TestLoad -v -count=1 ./serve
func TestLoad(t *testing.T) {
	if os.Getenv("GOKERAS_LOAD_TEST") == "" {
		t.Skip("a measurement; run with GOKERAS_LOAD_TEST=1")
	}
	const batch = 32
	for _, preset := range []string{"fashion-cnn", "cifar10-cnn"} {
		p, err := gokeras.LookupPreset(preset)
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.Model()
		if err != nil {
			t.Fatal(err)
		}
		m.Seed = 1
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		in := m.Net().InputShape()
		// Offline: Predict on 64 batches of 32.
		x := randRows(64*batch, in, 3)
		m.Predict(x.Slice(0, batch), batch) // warm up
		start := time.Now()
		if _, err := m.Predict(x, batch); err != nil {
			t.Fatal(err)
		}
		offline := float64(x.Len()) / time.Since(start).Seconds()
		t.Logf("%s: offline Predict at batch %d: %.0f samples/s", preset, batch, offline)

		h, err := New(map[string]*gokeras.Model{"m": m}, Options{MaxBatchSize: batch, MaxQueueDelay: 2 * time.Millisecond, MaxQueueSize: 256, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		bodies := make([][]byte, 16)
		for i := range bodies {
			bodies[i] = []byte(v2Body(m.InputNames()[0], randRows(1, in, uint64(10+i))))
		}
		for _, conc := range []int{1, 8, 64, 256, 1024} {
			r := load(t, srv.URL+"/v2/models/m/infer", bodies, conc, max(400, 20*conc), 20*time.Second)
			t.Logf("%s: concurrency %4d: %6d requests in %5.1f s, %7.0f req/s (%5.1f%% of offline), p50 %7.1f ms, p99 %7.1f ms, accepted p99 %7.1f ms, answers %v",
				preset, conc, r.n, r.secs, r.rate(), 100*r.rate()/offline, r.p(0.5), r.p(0.99), r.okP(0.99), r.codes)
		}
		srv.Close()
		h.Close()
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for l := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				t.Logf("peak RSS of the test process (server, clients and both models): %s", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
			}
		}
	}
}

type loadResult struct {
	n         int
	secs      float64
	lat, okLt []time.Duration
	codes     map[int]int
}

func (r loadResult) rate() float64 { return float64(r.codes[200]) / r.secs }

func pct(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(q*float64(len(s))))]) / float64(time.Millisecond)
}

func (r loadResult) p(q float64) float64   { return pct(r.lat, q) }
func (r loadResult) okP(q float64) float64 { return pct(r.okLt, q) }

// load sends n requests from conc clients (or stops at limit) and
// collects their latencies and status codes.
func load(t *testing.T, url string, bodies [][]byte, conc, n int, limit time.Duration) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	res := loadResult{codes: map[int]int{}}
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	deadline := time.Now().Add(limit)
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range next {
				if time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[i%len(bodies)]))
				code := -1
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				d := time.Since(t0)
				mu.Lock()
				res.n++
				res.lat = append(res.lat, d)
				if code == 200 {
					res.okLt = append(res.okLt, d)
				}
				res.codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.secs = time.Since(start).Seconds()
	client.CloseIdleConnections()
	return res
}
