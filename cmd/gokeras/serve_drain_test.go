package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/tensor"
)

// saveDigits saves the digits-cnn preset (8x8x1 images, 10 classes) to
// path, as `gokeras train` would, and returns it.
func saveDigits(t *testing.T, path string) *gokeras.Model {
	t.Helper()
	p, err := gokeras.LookupPreset("digits-cnn")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Model()
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = 11
	if err := m.Build(8, 8, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	return m
}

// serveURL reads the base URL from `gokeras serve`'s first line.
func serveURL(t *testing.T, lines *bufio.Scanner, stderr *strings.Builder) string {
	t.Helper()
	if !lines.Scan() {
		t.Fatalf("no first line; stderr: %s", stderr)
	}
	line := lines.Text()
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("first line %q has no URL", line)
	}
	return strings.TrimSuffix(strings.Fields(line[i:])[0], ":")
}

// waitExit waits up to limit for cmd to end and returns its exit code and
// how long it took.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, time.Since(start)
		case errors.As(err, &ee):
			return ee.ExitCode(), time.Since(start)
		}
		t.Fatalf("wait: %v", err)
	case <-time.After(limit):
		t.Fatalf("still running %v after the signal", limit)
	}
	return 0, 0
}

// outcome is what one client request got.
type outcome struct {
	client         int
	sent, finished time.Time
	status         int
	preHeaders     error // no answer: refused, or closed before any byte of one
	body           error // the answer was cut: its body did not arrive whole
	wrong          string
}

// TestServeDrainsUnderLoad: SIGTERM while 32 clients keep `gokeras serve`
// busy. Every request either gets a whole answer (200 with Predict's
// values, or a 503 error object) or no answer at all (connection refused,
// or a kept-alive connection closed before the request was read); none
// is cut after its headers, none hangs, every request the server took is
// answered (its request log against what the clients received), requests
// in flight at the signal among them, and the process exits 0 well within
// --drain-timeout.
func TestServeDrainsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "digits.safetensors")
	m := saveDigits(t, path)
	const (
		clients = 32
		rows    = 2
		drain   = 5 * time.Second
	)
	// A queue delay keeps requests in flight: each waits up to 20 ms for
	// its batch, so at any moment most clients have one being served.
	cmd, lines, stderr := gokerasProcess(t, dir, "serve", "--load", path, "--addr", "127.0.0.1:0",
		"--max-queue-delay", "20ms", "--drain-timeout", drain.String(), "--log-format", "json")
	base := serveURL(t, lines, stderr)

	// Each client sends its own rows, alternately as a V2 infer and a TF
	// Serving predict request, and checks the answer against Predict.
	bodies := make([][2]string, clients)
	wants := make([]*tensor.Tensor, clients)
	for c := range clients {
		r := rand.New(rand.NewPCG(uint64(c), 9))
		x := tensor.New(rows, 8, 8, 1)
		for i := range x.Data {
			x.Data[i] = float32(r.Float64())
		}
		y, err := m.Predict(x, 0)
		if err != nil {
			t.Fatal(err)
		}
		wants[c] = y
		nums := make([]string, len(x.Data))
		for i, v := range x.Data {
			nums[i] = strconv.FormatFloat(float64(v), 'g', -1, 32)
		}
		flat := "[" + strings.Join(nums, ",") + "]"
		bodies[c][0] = fmt.Sprintf(`{"id":"c%d","inputs":[{"name":"input_layer","shape":[%d,8,8,1],"datatype":"FP32","data":%s}]}`, c, rows, flat)
		bodies[c][1] = `{"inputs":` + nested(x) + `}`
	}

	var (
		mu       sync.Mutex
		outcomes []outcome
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		inFlight atomic.Int32 // requests sent and not yet answered
	)
	check := func(c, kind int, status int, body []byte) string {
		if status == http.StatusServiceUnavailable {
			var e map[string]string
			if json.Unmarshal(body, &e) != nil || len(e) != 1 || e["error"] == "" {
				return fmt.Sprintf("503 without an error object: %q", body)
			}
			return ""
		}
		if status != http.StatusOK {
			return fmt.Sprintf("status %d: %q", status, body)
		}
		var got []float32
		if kind == 0 {
			var r struct {
				ID      string
				Outputs []struct{ Data []float64 }
			}
			if err := json.Unmarshal(body, &r); err != nil || r.ID != fmt.Sprintf("c%d", c) || len(r.Outputs) != 1 {
				return fmt.Sprintf("V2 answer %q: %v", body, err)
			}
			for _, v := range r.Outputs[0].Data {
				got = append(got, float32(v))
			}
		} else {
			var r struct{ Outputs [][]float64 }
			if err := json.Unmarshal(body, &r); err != nil {
				return fmt.Sprintf("TF Serving answer %q: %v", body, err)
			}
			for _, row := range r.Outputs {
				for _, v := range row {
					got = append(got, float32(v))
				}
			}
		}
		if len(got) != len(wants[c].Data) {
			return fmt.Sprintf("%d values, want %d: %q", len(got), len(wants[c].Data), body)
		}
		for i, v := range got {
			if math.Float32bits(v) != math.Float32bits(wants[c].Data[i]) {
				return fmt.Sprintf("value %d is %v, Predict gives %v", i, v, wants[c].Data[i])
			}
		}
		return ""
	}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One client per goroutine, keeping its connection alive
			// between requests as load generators do; a request that takes
			// this long has hung.
			client := &http.Client{Timeout: drain + 5*time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				kind := n % 2
				url := base + "/v2/models/digits/infer"
				if kind == 1 {
					url = base + "/v1/models/digits:predict"
				}
				o := outcome{client: c, sent: time.Now()}
				inFlight.Add(1)
				res, err := client.Post(url, "application/json", strings.NewReader(bodies[c][kind]))
				if err != nil {
					o.preHeaders = err
				} else {
					o.status = res.StatusCode
					body, err := io.ReadAll(res.Body)
					res.Body.Close()
					if err != nil {
						o.body = err
					} else if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
						o.body = fmt.Errorf("Content-Length %s, %d bytes read", cl, len(body))
					} else {
						o.wrong = check(c, kind, res.StatusCode, body)
					}
				}
				o.finished = time.Now()
				inFlight.Add(-1)
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				if o.preHeaders != nil {
					// Refused: the server is going away; pace the retries.
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	// Let the load build up: wait for some answers, then signal while
	// requests are in flight (on a starved machine the clients can all be
	// between requests for a moment, and a signal then drains nothing).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(outcomes)
		mu.Unlock()
		if n >= 200 && inFlight.Load() >= clients/2 {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d answers in 10 s before the signal; stderr: %s", n, stderr)
		}
	}
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, took := waitExit(t, cmd, drain+5*time.Second)
	// A request after the exit is refused at once.
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after the process exited", base)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dialling after exit: %v, want connection refused", err)
	}
	time.Sleep(100 * time.Millisecond) // the clients meet the refusals too
	close(stop)
	wg.Wait()

	// stderr holds the request log (JSON lines) and the command's own
	// lines ("gokeras serve: ...").
	var said []string
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		if strings.HasPrefix(line, "gokeras serve:") {
			said = append(said, line)
		}
	}
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0; it said %q", code, said)
	}
	if took > drain {
		t.Errorf("took %v to exit after SIGTERM, over --drain-timeout %v", took, drain)
	}
	if s := strings.Join(said, "\n"); !strings.Contains(s, "interrupted (SIGTERM)") || !strings.HasSuffix(s, "gokeras serve: stopped") {
		t.Errorf("it said %q; want the SIGTERM noted and \"stopped\" last", said)
	}
	var ok, unavailable, refused, connRefused, drained int
	for _, o := range outcomes {
		switch {
		case o.body != nil:
			t.Errorf("client %d: the answer (status %d) was cut: %v (sent %v after the signal)", o.client, o.status, o.body, o.sent.Sub(signalled))
		case o.wrong != "":
			t.Errorf("client %d: %s", o.client, o.wrong)
		case o.preHeaders != nil:
			refused++
			var ne net.Error
			if errors.As(o.preHeaders, &ne) && ne.Timeout() {
				t.Errorf("client %d: the request hung: %v", o.client, o.preHeaders)
			}
			if o.finished.Before(signalled) {
				t.Errorf("client %d: refused before the signal: %v", o.client, o.preHeaders)
			}
			if errors.Is(o.preHeaders, syscall.ECONNREFUSED) {
				connRefused++
			}
		case o.status == http.StatusServiceUnavailable:
			unavailable++
		default:
			ok++
			if o.sent.Before(signalled) && o.finished.After(signalled) {
				drained++
			}
		}
	}
	// The server logs each request its handler answered, after the
	// answer is written. As many answers must have reached the clients:
	// a request the server took and answered into a closed connection
	// (cut by srv.Close after the drain timeout, say) is logged but never
	// arrives, while one refused before it was read is neither.
	handled := 0
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		var rec struct{ Msg, Endpoint string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && (rec.Endpoint == "infer" || rec.Endpoint == "predict") {
			handled++
		}
	}
	if handled != ok+unavailable {
		t.Errorf("the server answered %d inference requests, the clients received %d answers", handled, ok+unavailable)
	}
	t.Logf("%d requests: %d answered 200 (%d of them in flight at the signal), %d 503, %d without an answer (%d connection refused); exit %d after %v",
		len(outcomes), ok, drained, unavailable, refused, connRefused, code, took.Round(time.Millisecond))
	if drained == 0 {
		t.Errorf("no request in flight at the signal was answered: the test did not drain anything")
	}
	if refused == 0 {
		t.Errorf("no request was refused: the clients did not outlive the server")
	}
}

// nested writes x as nested JSON lists of its shape.
func nested(x *tensor.Tensor) string {
	var b bytes.Buffer
	var walk func(data []float32, shape []int)
	walk = func(data []float32, shape []int) {
		if len(shape) == 0 {
			b.WriteString(strconv.FormatFloat(float64(data[0]), 'g', -1, 32))
			return
		}
		inner := len(data) / shape[0]
		b.WriteByte('[')
		for i := range shape[0] {
			if i > 0 {
				b.WriteByte(',')
			}
			walk(data[i*inner:(i+1)*inner], shape[1:])
		}
		b.WriteByte(']')
	}
	walk(x.Data, x.Shape)
	return b.String()
}

// TestServeDrainTimeout: work still in flight when --drain-timeout ends
// (a request waiting in its batch, or a client still sending its body)
// does not keep the process alive: it cuts those connections, says so,
// and exits with status 1 soon after the timeout.
func TestServeDrainTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "digits.safetensors")
	saveDigits(t, path)
	const drain = time.Second
	row := "[" + strings.TrimSuffix(strings.Repeat("[[0.5],[0.5],[0.5],[0.5],[0.5],[0.5],[0.5],[0.5]],", 8), ",") + "]"
	body := `{"instances":[` + row + `]}`
	for _, tc := range []struct {
		name string
		args []string
		// start begins the in-flight work and returns a channel that
		// gets what its client saw.
		start func(t *testing.T, base string) <-chan error
		// mayFinish: the work need not outlive the drain; if the command
		// exits 0, the client must have been answered.
		mayFinish bool
	}{
		{
			// One request that waits up to 30 s for more rows to batch
			// with. The server's drain runs what is queued at once, so it
			// is answered and the command exits 0
			// (TestServeDrainRunsQueuedBatch checks that strictly).
			name: "a request waiting for its batch", mayFinish: true,
			args: []string{"--max-queue-delay", "30s"},
			start: func(t *testing.T, base string) <-chan error {
				wrote := make(chan struct{})
				trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
				req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", base+"/v1/models/digits:predict", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				got := make(chan error, 1)
				go func() {
					res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
					if err == nil {
						b, _ := io.ReadAll(res.Body)
						res.Body.Close()
						err = fmt.Errorf("answered %d %s", res.StatusCode, b)
					}
					got <- err
				}()
				<-wrote
				return got
			},
		},
		{
			// A client that sends half its body and then nothing.
			name: "a client sending its body too slowly",
			start: func(t *testing.T, base string) <-chan error {
				conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
				fmt.Fprintf(conn, "POST /v1/models/digits:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
				got := make(chan error, 1)
				go func() {
					conn.SetReadDeadline(time.Now().Add(20 * time.Second))
					b, err := io.ReadAll(conn)
					if err == nil && len(b) > 0 {
						err = fmt.Errorf("answered %q", b)
					}
					if err == nil {
						err = io.EOF // closed without an answer
					}
					got <- err
				}()
				return got
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--load", path, "--addr", "127.0.0.1:0", "--drain-timeout", drain.String(), "--log-format", "off"}, tc.args...)
			cmd, lines, stderr := gokerasProcess(t, dir, args...)
			base := serveURL(t, lines, stderr)
			got := tc.start(t, base)
			time.Sleep(200 * time.Millisecond) // the server has read what was sent
			signalled := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			code, took := waitExit(t, cmd, drain+5*time.Second)
			var client error
			select {
			case client = <-got:
				t.Logf("exit %d after %v; the in-flight client, %v after the signal: %v", code, took.Round(time.Millisecond), time.Since(signalled).Round(time.Millisecond), client)
			case <-time.After(5 * time.Second):
				t.Fatalf("the in-flight client still waits 5 s after the process exited")
			}
			var ne net.Error
			if errors.As(client, &ne) && ne.Timeout() {
				t.Errorf("the in-flight client hung: %v", client)
			}
			answered := client != nil && strings.HasPrefix(client.Error(), "answered")
			if code == 0 && tc.mayFinish {
				if !answered || !strings.HasPrefix(client.Error(), "answered 200") || took > drain {
					t.Errorf("exit 0 after %v, the client %v; want it answered 200 within --drain-timeout %v", took, client, drain)
				}
				return
			}
			if code != 1 {
				t.Errorf("exit status %d, want 1 (in-flight work cut off); stderr: %s", code, stderr)
			}
			if took < drain || took > drain+3*time.Second {
				t.Errorf("exited %v after SIGTERM; want just after --drain-timeout %v", took, drain)
			}
			if s := stderr.String(); !strings.Contains(s, "still running after --drain-timeout 1s were cut off") {
				t.Errorf("stderr %q does not say requests were cut off", s)
			}
			if answered {
				t.Errorf("the in-flight client was %v, want its connection closed", client)
			}
		})
	}
}

// TestServeDrainRunsQueuedBatch: a request waiting in its batch when
// SIGTERM comes is answered at once, not after --max-queue-delay: no
// request can join its batch once the server has stopped accepting.
func TestServeDrainRunsQueuedBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "digits.safetensors")
	saveDigits(t, path)
	cmd, lines, stderr := gokerasProcess(t, dir, "serve", "--load", path, "--addr", "127.0.0.1:0", "--max-queue-delay", "30s", "--drain-timeout", "2s", "--log-format", "off")
	base := serveURL(t, lines, stderr)
	body := `{"inputs":` + nested(tensor.New(1, 8, 8, 1)) + `}`
	got := make(chan string, 1)
	go func() {
		res, err := (&http.Client{Timeout: 20 * time.Second}).Post(base+"/v1/models/digits:predict", "application/json", strings.NewReader(body))
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- fmt.Sprintf("%d %s", res.StatusCode, b)
	}()
	// Long enough for the request to be in its batch on a loaded machine
	// (sent after the signal it would be refused); the batch would wait
	// 30 s for company.
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, took := waitExit(t, cmd, 20*time.Second)
	if answer := <-got; code != 0 || took > 10*time.Second || !strings.HasPrefix(answer, "200 {\"outputs\":") {
		t.Errorf("exit %d after %v, the client got %q; want it answered 200 and exit 0 well before --max-queue-delay 30s", code, took, answer)
	}
}
