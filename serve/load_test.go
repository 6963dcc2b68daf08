//go:build unix

package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/tensor"
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
	// The floor: a handler that reads the body and answers 200 with a
	// small JSON body, no model, no batching. Its CPU per request is what
	// HTTP on loopback costs the driver and net/http together here; no
	// server answers cheaper than that.
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "2")
		w.Write([]byte("{}"))
	}))
	floorBody := []loadRequest{{body: appendFP32([]byte(`{}`), make([]float32, 28*28)), headerLen: 2}}
	for _, conc := range []int{1, 64} {
		cpu0 := cpuTime()
		r := load(t, floor.URL+"/", floorBody, conc, 20000, 20*time.Second)
		t.Logf("floor (no model, %d-byte requests): concurrency %d: %.0f req/s, p50 %.2f ms, %.0f µs of CPU a request, answers %v",
			len(floorBody[0].body), conc, r.rate(), r.p(0.5), cpuSince(cpu0)/float64(r.n), r.codes)
	}
	floor.Close()
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
		// Offline: Predict on 64 batches of 32, repeated for at least two
		// seconds, by one caller with every core (the bar's reference),
		// and for comparison by one caller per core with one thread each
		// (what --instances N --threads 1 does inside the server).
		x := randRows(64*batch, in, 3)
		m.Predict(x.Slice(0, batch), batch) // warm up
		offline, cpu := offlinePredict(t, m, x, batch, 1)
		t.Logf("%s: offline Predict at batch %d: %.0f samples/s, %.0f µs of CPU a sample", preset, batch, offline, cpu)
		callers := runtime.NumCPU()
		rate, cpu := offlinePredict(t, m, x, batch, callers)
		t.Logf("%s: offline Predict at batch %d by %d callers with one thread each: %.0f samples/s (%.1f%% of one caller's), %.0f µs of CPU a sample", preset, batch, callers, rate, 100*rate/offline, cpu)

		// The same 16 images as V2 JSON and in the binary tensor data
		// extension's form (binary input and output).
		jsonBodies, binBodies := make([]loadRequest, 16), make([]loadRequest, 16)
		name := m.InputNames()[0]
		for i := range jsonBodies {
			x := randRows(1, in, uint64(10+i))
			jsonBodies[i] = loadRequest{body: []byte(v2Body(name, x))}
			header := fmt.Sprintf(`{"inputs":[{"name":%q,"shape":%s,"datatype":"FP32","parameters":{"binary_data_size":%d}}],"parameters":{"binary_data_output":true}}`, name, jsonInts(x.Shape), 4*len(x.Data))
			binBodies[i] = loadRequest{body: appendFP32([]byte(header), x.Data), headerLen: len(header)}
		}
		for _, run := range []struct {
			name               string
			bodies             []loadRequest
			instances, threads int // threads 0: all cores
		}{{"JSON", jsonBodies, 1, 0}, {"binary", binBodies, 1, 0}, {"binary", binBodies, 2, 0}, {"binary", binBodies, 2, 1}} {
			prev := kernel.SetThreads(run.threads)
			h, err := New(map[string]*gokeras.Model{"m": m}, Options{MaxBatchSize: batch, MaxQueueDelay: 2 * time.Millisecond, MaxQueueSize: 256, Timeout: 10 * time.Second, Instances: run.instances})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			for _, conc := range []int{1, 8, 64, 256, 1024} {
				cpu0 := cpuTime()
				n := max(400, 40*conc)
				if conc >= 64 {
					n = max(n, 20000) // a second or more: batching's ramp-up is a small part
				}
				r := load(t, srv.URL+"/v2/models/m/infer", run.bodies, conc, n, 20*time.Second)
				t.Logf("%s %-6s instances %d threads %d: concurrency %4d: %6d requests in %5.1f s, %7.0f req/s (%5.1f%% of offline), p50 %7.1f ms, p99 %7.1f ms, accepted p99 %7.1f ms, %4.0f µs of CPU a request, answers %v",
					preset, run.name, run.instances, run.threads, conc, r.n, r.secs, r.rate(), 100*r.rate()/offline, r.p(0.5), r.p(0.99), r.okP(0.99), cpuSince(cpu0)/float64(r.n), r.codes)
			}
			if run.instances == 2 && run.threads == 1 {
				// The bar's figure, interleaved: the machine's speed
				// drifts by 20% within minutes, so each round measures
				// offline Predict and then the server.
				for round := range 3 {
					kernel.SetThreads(prev)
					off, _ := offlinePredict(t, m, x, batch, 1)
					kernel.SetThreads(run.threads)
					r := load(t, srv.URL+"/v2/models/m/infer", run.bodies, 64, 20000, 20*time.Second)
					t.Logf("%s %s instances %d threads %d, interleaved round %d: offline Predict %.0f samples/s, server at concurrency 64 %.0f req/s (%.1f%% of offline), p99 %.1f ms, answers %v",
						preset, run.name, run.instances, run.threads, round+1, off, r.rate(), 100*r.rate()/off, r.p(0.99), r.codes)
				}
			}
			srv.Close()
			h.Close()
			kernel.SetThreads(prev)
		}
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for l := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				t.Logf("peak RSS of the test process (server, clients and both models): %s", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
			}
		}
	}
}

// offlinePredict runs Predict on x in batches of batch for two seconds
// from callers goroutines (one kernel thread each when there are several,
// all cores for one) and returns samples per second and CPU µs per sample.
func offlinePredict(t *testing.T, m *gokeras.Model, x *tensor.Tensor, batch, callers int) (rate, cpuPerSample float64) {
	prev := kernel.SetThreads(0)
	if callers > 1 {
		kernel.SetThreads(1)
	}
	defer kernel.SetThreads(prev)
	start, cpu0 := time.Now(), cpuTime()
	var samples atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for time.Since(start) < 2*time.Second {
				if _, err := m.Predict(x, batch); err != nil {
					t.Error(err)
					return
				}
				samples.Add(int64(x.Len()))
			}
		})
	}
	wg.Wait()
	n := float64(samples.Load())
	return n / time.Since(start).Seconds(), cpuSince(cpu0) / n
}

// loadRequest is one prepared request body; headerLen is the JSON part's
// length of a binary-extension body (0: a JSON body).
type loadRequest struct {
	body      []byte
	headerLen int
}

// cpuTime is the process's user and system CPU time so far: unlike
// throughput, CPU time per request barely changes when other programs
// share the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuSince is the CPU time since t0, in microseconds.
func cpuSince(t0 time.Duration) float64 { return float64(cpuTime()-t0) / 1e3 }

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
// collects their latencies and status codes. Each client keeps one
// connection and writes prepared HTTP/1.1 requests on it, as load
// generators such as wrk do: net/http's client costs about as much CPU
// per request as the server, and here it shares the server's cores.
func load(t *testing.T, srvURL string, bodies []loadRequest, conc, n int, limit time.Duration) loadResult {
	u, err := url.Parse(srvURL)
	if err != nil {
		t.Fatal(err)
	}
	wire := make([][]byte, len(bodies))
	for i, b := range bodies {
		h := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.Path, u.Host, len(b.body))
		if b.headerLen > 0 {
			h += fmt.Sprintf("Content-Type: application/octet-stream\r\n%s: %d\r\n", headerLength, b.headerLen)
		} else {
			h += "Content-Type: application/json\r\n"
		}
		wire[i] = append([]byte(h+"\r\n"), b.body...)
	}
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
			var c *rawConn
			defer func() {
				if c != nil {
					c.conn.Close()
				}
			}()
			for i := range next {
				if time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				code := -1
				if c == nil {
					if conn, err := net.Dial("tcp", u.Host); err == nil {
						c = &rawConn{conn: conn, br: bufio.NewReaderSize(conn, 16<<10)}
					}
				}
				if c != nil {
					var keep bool
					code, keep = c.do(wire[i%len(wire)])
					if !keep {
						c.conn.Close()
						c = nil
					}
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
	return res
}

// rawConn is one client connection of the load driver.
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
}

// do writes one prepared request and reads the answer's status line,
// headers and Content-Length body: the status code (-1 when the exchange
// failed) and whether the connection can carry the next request.
func (c *rawConn) do(req []byte) (code int, keep bool) {
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.conn.Write(req); err != nil {
		return -1, false
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil || len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return -1, false
	}
	code, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return -1, false
	}
	length, keep := -1, true
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return -1, false
		}
		if len(line) <= 2 {
			break // the blank line after the headers
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(v))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	if length < 0 {
		return -1, false // every answer of the handler has a Content-Length
	}
	if _, err := c.br.Discard(length); err != nil {
		return -1, false
	}
	return code, keep
}
