package serve

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogRequests: with a Logger, each request is one record with its
// method, path, model, endpoint, status, duration, rows, batch and byte
// counts; errors carry the message; levels follow the status, and health
// probes log at Debug.
func TestLogRequests(t *testing.T) {
	for _, minLevel := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		t.Run(minLevel.String(), func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: minLevel}))
			h, _, _ := newTestHandler(t, Options{Logger: log})
			x := randRows(3, []int{6, 6, 2}, 4)
			infer := v2Body("input_layer", x)
			_, _, inferAnswer := do(t, h, "POST", "/v2/models/cnn/infer", infer)
			_, _, badAnswer := do(t, h, "POST", "/v1/models/cnn:predict", `{"instances":[[1]]}`)
			_, _, nopeAnswer := do(t, h, "GET", "/v2/models/nope", "")
			_, _, liveAnswer := do(t, h, "GET", "/v2/health/live", "")

			type record struct {
				Level, Msg, Method, Path, Model, Endpoint, Error string
				Status, Rows, Batch                              int
				Duration                                         time.Duration
				BytesIn                                          int64 `json:"bytes_in"`
				Bytes                                            int64
			}
			var got []record
			for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
				var r record
				dec := json.NewDecoder(strings.NewReader(line))
				if err := dec.Decode(&r); err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				got = append(got, r)
			}
			want := []record{
				{Level: "INFO", Msg: "request", Method: "POST", Path: "/v2/models/cnn/infer", Model: "cnn", Endpoint: "infer",
					Status: 200, Rows: 3, Batch: 3, BytesIn: int64(len(infer)), Bytes: int64(len(inferAnswer))},
				{Level: "WARN", Msg: "request", Method: "POST", Path: "/v1/models/cnn:predict", Model: "cnn", Endpoint: "predict",
					Status: 400, BytesIn: int64(len(`{"instances":[[1]]}`)), Bytes: int64(len(badAnswer)), Error: errorBody(t, badAnswer)},
				{Level: "WARN", Msg: "request", Method: "GET", Path: "/v2/models/nope", Endpoint: "other",
					Status: 404, Bytes: int64(len(nopeAnswer)), Error: `unknown model "nope"; served: cnn, multi`},
			}
			if minLevel == slog.LevelDebug {
				want = append(want, record{Level: "DEBUG", Msg: "request", Method: "GET", Path: "/v2/health/live", Endpoint: "live",
					Status: 200, Bytes: int64(len(liveAnswer))})
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d:\n%s", len(got), len(want), buf.String())
			}
			for i := range want {
				if got[i].Duration <= 0 {
					t.Errorf("record %d: duration %v", i, got[i].Duration)
				}
				got[i].Duration = 0
				if got[i] != want[i] {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestLogBatch: requests batched together log the batch they ran in.
func TestLogBatch(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	h, _, _ := newTestHandler(t, Options{Logger: log, MaxBatchSize: 4, MaxQueueDelay: 5 * time.Second})
	done := make(chan struct{})
	for i := range 2 {
		go func() {
			do(t, h, "POST", "/v2/models/cnn/infer", v2Body("input_layer", randRows(2, []int{6, 6, 2}, uint64(i))))
			done <- struct{}{}
		}()
	}
	<-done
	<-done
	// The batch of 4 rows is sent when full, long before the delay.
	out := buf.String()
	if n := strings.Count(out, "rows=2 batch=4 "); n != 2 {
		t.Errorf("want 2 records with rows=2 batch=4:\n%s", out)
	}
	if !strings.Contains(out, "level=INFO msg=request method=POST path=/v2/models/cnn/infer model=cnn endpoint=infer status=200 ") {
		t.Errorf("text records:\n%s", out)
	}
}
