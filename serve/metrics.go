package serve

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Prometheus metrics, served on /metrics in the text exposition format.
// Each Handler has its own registry (Handler.Registry), so that several
// handlers in one process do not collide; a program that wants them in its
// own registry can gather from it.
//
// The metrics (model is "" for a request that names no served model):
//
//	gokeras_serve_requests_total{model,endpoint,code}        counter; code: the HTTP status, or for gRPC the status code's name (OK, InvalidArgument, ...)
//	gokeras_serve_request_duration_seconds{model,endpoint}   histogram
//	gokeras_serve_batch_size{model}                          histogram, rows per batch run
//	gokeras_serve_queue_depth{model}                         gauge, requests waiting
//	gokeras_serve_inference_duration_seconds{model}          histogram, Predict time per batch
//
// and the Go runtime's and the process's (go_*, process_*).
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	batch     *prometheus.HistogramVec
	inference *prometheus.HistogramVec
	http      http.Handler
}

// The endpoint label's values.
const (
	epServerMetadata = "server_metadata" // GET /v2
	epLive           = "live"
	epReady          = "ready"    // server and model readiness
	epMetadata       = "metadata" // GET /v2/models/NAME
	epInfer          = "infer"    // POST /v2/models/NAME/infer
	epStatus         = "status"   // GET /v1/models/NAME
	epPredict        = "predict"  // POST /v1/models/NAME:predict
	epClassify       = "classify" // POST /v1/models/NAME:classify
	epMetrics        = "metrics"
	epOther          = "other" // unknown paths
	// epPage ("page": GET /, /ui/...) is in page.go.
)

func newMetrics(maxBatch int) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gokeras_serve_requests_total",
			Help: "Requests answered, by model, endpoint and status code (HTTP's, or gRPC's code name).",
		}, []string{"model", "endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gokeras_serve_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by model and endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5ms .. 16s
		}, []string{"model", "endpoint"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gokeras_serve_batch_size",
			Help:    "Rows in each batch run through the model.",
			Buckets: batchBuckets(maxBatch),
		}, []string{"model"}),
		inference: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gokeras_serve_inference_duration_seconds",
			Help:    "Time the model takes to run one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18), // 0.1ms .. 13s
		}, []string{"model"}),
	}
	reg.MustRegister(m.requests, m.latency, m.batch, m.inference,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.http = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// batchBuckets are 1, 2, 4, ... up to and including max.
func batchBuckets(max int) []float64 {
	var b []float64
	for n := 1; n < max; n *= 2 {
		b = append(b, float64(n))
	}
	return append(b, float64(max))
}

// addModel registers m's queue depth gauge.
func (ms *metrics) addModel(m *model) {
	ms.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "gokeras_serve_queue_depth",
		Help:        "Requests waiting in the model's queue.",
		ConstLabels: prometheus.Labels{"model": m.name},
	}, func() float64 { return float64(len(m.b.queue)) }))
}

// observeRequest counts one answered request; code is the HTTP status
// code, or the gRPC status code's name (OK, InvalidArgument, ...).
func (ms *metrics) observeRequest(model, endpoint, code string, d time.Duration) {
	ms.requests.WithLabelValues(model, endpoint, code).Inc()
	ms.latency.WithLabelValues(model, endpoint).Observe(d.Seconds())
}

// Registry is the registry of the handler's metrics, those served on
// /metrics.
func (h *Handler) Registry() *prometheus.Registry { return h.metrics.reg }
