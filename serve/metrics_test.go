package serve

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
)

// scrape GETs /metrics and parses it as Prometheus's text format.
func scrape(t *testing.T, h *Handler) map[string]*dto.MetricFamily {
	t.Helper()
	code, hdr, body := do(t, h, "GET", "/metrics", "")
	if code != 200 {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, body)
	}
	return fams
}

// series finds the metric of family name with exactly the given labels.
func series(fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		ok := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

// TestMetrics: after a known set of requests, /metrics counts each
// (model, endpoint, code) as many times as it was asked, the latency
// histograms hold one observation per request, and the batch-size and
// inference-time histograms one per batch run (counted through the test
// hook), the batch sizes summing to the rows sent.
func TestMetrics(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 4, MaxQueueDelay: 200 * time.Millisecond})
	var mu sync.Mutex
	batches, batchRows := 0, 0
	h.models["cnn"].b.onBatch = func(rows int) {
		mu.Lock()
		batches++
		batchRows += rows
		mu.Unlock()
	}
	// 6 concurrent one-row V2 requests (batched together: 2 batches of at
	// most 4), then 3 sequential TF Serving ones of 2 rows, 2 malformed
	// requests, 1 for an unknown model and 2 liveness probes.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			if code, _, body := do(t, h, "POST", "/v2/models/cnn/infer", v2Body("input_layer", randRows(1, []int{6, 6, 2}, uint64(i)))); code != 200 {
				t.Errorf("infer: %d %s", code, body)
			}
		})
	}
	wg.Wait()
	x := randRows(2, []int{6, 6, 2}, 9)
	pred := fmt.Sprintf(`{"inputs":%s}`, appendNested(nil, x.Data, x.Shape))
	for range 3 {
		if code, _, body := do(t, h, "POST", "/v1/models/cnn:predict", pred); code != 200 {
			t.Fatalf("predict: %d %s", code, body)
		}
	}
	for _, body := range []string{`{"inputs":[]}`, `not json`} {
		if code, _, _ := do(t, h, "POST", "/v2/models/cnn/infer", body); code != 400 {
			t.Fatalf("malformed infer: %d, want 400", code)
		}
	}
	if code, _, _ := do(t, h, "POST", "/v2/models/nope/infer", "{}"); code != 404 {
		t.Fatalf("unknown model: %d", code)
	}
	for range 2 {
		do(t, h, "GET", "/v2/health/live", "")
	}

	fams := scrape(t, h)
	for _, tc := range []struct {
		model, endpoint, code string
		n                     float64
	}{
		{"cnn", "infer", "200", 6},
		{"cnn", "predict", "200", 3},
		{"cnn", "infer", "400", 2},
		{"", "other", "404", 1}, // an unknown model's name is no label
		{"", "live", "200", 2},
	} {
		m := series(fams, "gokeras_serve_requests_total", map[string]string{"model": tc.model, "endpoint": tc.endpoint, "code": tc.code})
		if got := m.GetCounter().GetValue(); m == nil || got != tc.n {
			t.Errorf("requests_total{model=%q,endpoint=%q,code=%q} = %v, want %v", tc.model, tc.endpoint, tc.code, got, tc.n)
		}
	}
	if n := len(fams["gokeras_serve_requests_total"].GetMetric()); n != 5 {
		t.Errorf("requests_total has %d series, want the 5 above", n)
	}
	for _, tc := range []struct {
		endpoint string
		n        uint64
	}{{"infer", 8}, {"predict", 3}} {
		m := series(fams, "gokeras_serve_request_duration_seconds", map[string]string{"model": "cnn", "endpoint": tc.endpoint})
		if got := m.GetHistogram().GetSampleCount(); got != tc.n {
			t.Errorf("request_duration_seconds{cnn,%s} count %d, want %d", tc.endpoint, got, tc.n)
		}
	}
	mu.Lock()
	wantBatches, wantRows := batches, batchRows
	mu.Unlock()
	if wantRows != 6+3*2 || wantBatches < 2+3 || wantBatches > 6+3 {
		t.Fatalf("the hook saw %d batches of %d rows; want 6+6 rows in 5 to 9 batches", wantBatches, wantRows)
	}
	b := series(fams, "gokeras_serve_batch_size", map[string]string{"model": "cnn"}).GetHistogram()
	if b.GetSampleCount() != uint64(wantBatches) || b.GetSampleSum() != float64(wantRows) {
		t.Errorf("batch_size{cnn}: count %d sum %v, want %d batches of %d rows in all", b.GetSampleCount(), b.GetSampleSum(), wantBatches, wantRows)
	}
	// Buckets 1, 2, 4 (the max batch size) and +Inf: every batch is in
	// le=4, and the 3 TF Serving requests' batches of 2 are in le=2.
	if bk := b.GetBucket(); len(bk) != 4 || bk[2].GetUpperBound() != 4 || bk[2].GetCumulativeCount() != uint64(wantBatches) || bk[1].GetCumulativeCount() < 3 {
		t.Errorf("batch_size buckets %v", bk)
	}
	inf := series(fams, "gokeras_serve_inference_duration_seconds", map[string]string{"model": "cnn"}).GetHistogram()
	if inf.GetSampleCount() != uint64(wantBatches) || inf.GetSampleSum() <= 0 {
		t.Errorf("inference_duration_seconds{cnn}: count %d sum %v, want %d batches", inf.GetSampleCount(), inf.GetSampleSum(), wantBatches)
	}
	if m := series(fams, "gokeras_serve_batch_size", map[string]string{"model": "multi"}); m.GetHistogram().GetSampleCount() != 0 {
		t.Errorf("batch_size{multi} count %d, want 0", m.GetHistogram().GetSampleCount())
	}
	for _, name := range []string{"cnn", "multi"} {
		m := series(fams, "gokeras_serve_queue_depth", map[string]string{"model": name})
		if m == nil || m.GetGauge().GetValue() != 0 {
			t.Errorf("queue_depth{%s} = %v, want 0 with nothing queued", name, m)
		}
	}
	if fams["go_goroutines"] == nil {
		t.Error("no Go runtime metrics")
	}
	// The scrape itself is counted, by the next one.
	fams = scrape(t, h)
	if m := series(fams, "gokeras_serve_requests_total", map[string]string{"model": "", "endpoint": "metrics", "code": "200"}); m.GetCounter().GetValue() != 1 {
		t.Errorf("metrics scrapes counted %v, want 1", m.GetCounter().GetValue())
	}
}

// TestMetricsQueueDepth: the queue depth gauge shows requests waiting
// behind a batch that is running.
func TestMetricsQueueDepth(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 1})
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	h.models["cnn"].b.onBatch = func(int) {
		select {
		case started <- struct{}{}:
			<-release
		default:
		}
	}
	var wg sync.WaitGroup
	body := v2Body("input_layer", randRows(1, []int{6, 6, 2}, 1))
	wg.Go(func() { do(t, h, "POST", "/v2/models/cnn/infer", body) })
	<-started // the first batch is held in the hook
	for range 3 {
		wg.Go(func() { do(t, h, "POST", "/v2/models/cnn/infer", body) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(h.models["cnn"].b.queue) < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	fams := scrape(t, h)
	close(release)
	wg.Wait()
	if m := series(fams, "gokeras_serve_queue_depth", map[string]string{"model": "cnn"}); m.GetGauge().GetValue() != 3 {
		t.Errorf("queue_depth{cnn} = %v with 3 requests waiting", m.GetGauge().GetValue())
	}
}

// TestMetricsPerHandler: two handlers in one process each count their own
// requests (each has its own registry; the global one is untouched).
func TestMetricsPerHandler(t *testing.T) {
	h1, _, _ := newTestHandler(t, Options{})
	h2, _, _ := newTestHandler(t, Options{})
	do(t, h1, "GET", "/v2/health/live", "")
	for range 3 {
		do(t, h2, "GET", "/v2/health/live", "")
	}
	for i, tc := range []struct {
		h *Handler
		n float64
	}{{h1, 1}, {h2, 3}} {
		m := series(scrape(t, tc.h), "gokeras_serve_requests_total", map[string]string{"model": "", "endpoint": "live", "code": "200"})
		if m.GetCounter().GetValue() != tc.n {
			t.Errorf("handler %d counted %v liveness probes, want %v", i+1, m.GetCounter().GetValue(), tc.n)
		}
	}
}
