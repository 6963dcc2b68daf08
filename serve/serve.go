// Package serve puts gokeras models behind HTTP: an http.Handler that Go
// programs mount in their own servers, and that `gokeras serve` runs.
//
// It speaks two published protocols, with their request, response and
// error shapes:
//
//   - the KServe / Triton "V2" (Open Inference Protocol) REST API
//     (kserve/kserve docs/predict-api/v2/required_api.md): GET /v2,
//     /v2/health/live, /v2/health/ready, /v2/models/NAME (metadata),
//     /v2/models/NAME/ready, and POST /v2/models/NAME/infer with FP32
//     tensors (an integer input's datatype too, datatypes.go; "shape",
//     row-major "data", natural or flattened), or raw
//     little-endian bytes after the JSON with the binary tensor data
//     extension (Triton's docs/protocol/extension_binary_data.md), the
//     fast form: no number is parsed or printed;
//   - TF Serving's REST API (tensorflow/serving
//     tensorflow_serving/g3doc/api_rest.md): POST /v1/models/NAME:predict
//     with "instances" (row form) or "inputs" (columnar form), GET
//     /v1/models/NAME (model status) and /v1/models/NAME/metadata (its
//     signature); and, gokeras's own, POST
//     /v1/models/NAME:classify with a PNG or JPEG image (the body, or a
//     multipart form's "image" field), answering the model's top k
//     classes (?k=, default 5) with their names and probabilities, the
//     image read and resized as the dataset package reads training images.
//
// The V2 protocol's gRPC service (inference.GRPCInferenceService, the
// one Triton's and KServe's gRPC clients call) serves the same models:
// Handler.RegisterGRPC puts it on a program's grpc.Server, and
// Handler.NewGRPCServer makes a server with it and gRPC's health service;
// see grpc.go for how it differs from REST.
//
// Either path may name the version, /versions/1: each model is served as
// version 1. Errors are {"error": "..."} in both protocols, with 400 for a
// request the model cannot take (the message says what is wrong), 404 for
// an unknown model, 413 for a body over Options.MaxBodyBytes, 429 with
// Retry-After when the model's queue is full, and 503 when a request's
// deadline passes before it runs or the handler is shutting down.
//
// Requests to one model are batched dynamically, as Triton's dynamic
// batcher does (Options.MaxBatchSize, Options.MaxQueueDelay), and each
// batch runs through Model.Predict, which is safe for concurrent use; each
// request gets the same bits as Model.Predict on its own rows.
//
// GET /metrics answers the handler's Prometheus metrics (see
// Handler.Registry): requests by model, endpoint and status code, request
// latency, batch sizes, queue depths and inference time.
//
// GET / is a page, embedded in the binary, for trying image classifiers
// by hand: draw or drop an image and see the top classes as bars, with
// the model's summary; GET /ui/models gives it the served models. See
// docs/serve-page.md.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/health"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// Options configure a Handler. The zero value is usable.
type Options struct {
	// MaxBatchSize is the most rows run in one batch, Triton's
	// max_batch_size; a request of more rows is refused. 0 means 32.
	MaxBatchSize int
	// MaxQueueDelay is how long a batch may wait for more requests after
	// its first was queued, Triton's max_queue_delay_microseconds. 0 runs
	// whatever is queued at once (Triton's default).
	MaxQueueDelay time.Duration
	// Instances is how many batches of one model may run at once,
	// Triton's instance_group count. Each batch's kernels share the
	// cores with the others (and with the request handling), so more
	// than one keeps the cores busy while a batch's requests are read
	// and answered. 0 means 1.
	Instances int
	// MaxQueueSize is how many requests may wait per model; one more is
	// answered 429 at once. 0 means 128.
	MaxQueueSize int
	// Timeout is each request's deadline, counted from when its body has
	// been read: a request still queued then is answered 503 and never
	// runs. 0 means none.
	Timeout time.Duration
	// MaxBodyBytes limits a request's body; a larger one is answered 413.
	// 0 means 64 MiB.
	MaxBodyBytes int64
	// MaxImagePixels limits the width × height of an image sent to
	// :classify, checked on its header before it is decoded; a larger one
	// is answered 413. 0 means 4096 × 4096.
	MaxImagePixels int
	// Logger, when set, gets one record per request (see Handler's
	// ServeHTTP): level Info, Warn for 4xx answers, Error for 5xx, and Debug
	// for the health probes and /metrics. Nil logs nothing.
	Logger *slog.Logger
	// Token, when set, is required as "Authorization: Bearer <Token>" on
	// every endpoint but liveness (/v2/health/live, which orchestrators
	// probe without credentials); other requests are answered 401. The
	// comparison takes constant time.
	Token string
	// CORSOrigin, when set, lets pages from that origin ("*" for any)
	// call the server from a browser: the answers carry
	// Access-Control-Allow-Origin and preflight OPTIONS requests are
	// answered. Empty sends no CORS headers, so browsers keep other
	// origins out.
	CORSOrigin string
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxBatchSize == 0 {
		o.MaxBatchSize = 32
	}
	if o.MaxQueueSize == 0 {
		o.MaxQueueSize = 128
	}
	if o.Instances == 0 {
		o.Instances = 1
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 64 << 20
	}
	if o.MaxImagePixels == 0 {
		o.MaxImagePixels = 4096 * 4096
	}
	switch {
	case o.MaxBatchSize < 1:
		return o, fmt.Errorf("serve: MaxBatchSize %d: want at least 1", o.MaxBatchSize)
	case o.Instances < 1:
		return o, fmt.Errorf("serve: Instances %d: want at least 1", o.Instances)
	case o.MaxQueueSize < 1:
		return o, fmt.Errorf("serve: MaxQueueSize %d: want at least 1", o.MaxQueueSize)
	case o.MaxQueueDelay < 0:
		return o, fmt.Errorf("serve: MaxQueueDelay %v: want 0 or more", o.MaxQueueDelay)
	case o.Timeout < 0:
		return o, fmt.Errorf("serve: Timeout %v: want 0 (none) or more", o.Timeout)
	case o.MaxBodyBytes < 1:
		return o, fmt.Errorf("serve: MaxBodyBytes %d: want at least 1", o.MaxBodyBytes)
	case o.MaxImagePixels < 1:
		return o, fmt.Errorf("serve: MaxImagePixels %d: want at least 1", o.MaxImagePixels)
	}
	return o, nil
}

// Handler serves models over HTTP (see the package comment). Close it to
// finish the queued work.
type Handler struct {
	opts    Options
	models  map[string]*model
	closing atomic.Bool
	// draining is set by Drain: readiness is false, requests still run.
	draining atomic.Bool
	metrics  *metrics
	// health holds NewGRPCServer's health services, for Drain.
	healthMu sync.Mutex
	health   []*health.Server
}

// checkValues lets the layers that read an input directly check its values
// (nn.ValueChecker: a category out of range, a value outside a lookup's
// vocabulary), so that a bad request is answered 400 on its own instead
// of failing the batch it would join.
func (m *model) checkValues(in []*tensor.Tensor) error {
	for k, x := range in {
		if row, l, err := nn.CheckValues(m.checkers[k], x); err != nil {
			return badRequest("input %q, instance %d: layer %q: %v", m.inNames[k], row, l.LayerName(), err)
		}
	}
	return nil
}

// model is one served model and what the protocols say about it.
type model struct {
	name                string
	m                   *gokeras.Model
	inNames, outNames   []string
	inShapes, outShapes [][]int      // per sample
	inTypes             []string     // V2 datatype per input: FP32, or an integer input's (datatypes.go)
	checkers            [][]nn.Layer // per input, the layers that check its values
	b                   *batcher
}

// version is the one version each model is served as.
const version = "1"

// New returns a Handler serving each model under its map key, the name in
// the URLs. It runs each model once on a row of zeros first (a warm-up,
// and a check that it runs), so the handler is ready when New returns.
// The models must not be trained or changed while served.
func New(models map[string]*gokeras.Model, o Options) (*Handler, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(models) == 0 {
		return nil, fmt.Errorf("serve: no models to serve")
	}
	h := &Handler{opts: o, models: map[string]*model{}, metrics: newMetrics(o.MaxBatchSize)}
	names := make([]string, 0, len(models))
	for name := range models {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sm, err := newModel(name, models[name])
		if err != nil {
			h.Close()
			return nil, err
		}
		sm.b = newBatcher(sm, o, h.metrics)
		h.models[name] = sm
		h.metrics.addModel(sm)
	}
	return h, nil
}

func newModel(name string, m *gokeras.Model) (*model, error) {
	if name == "" || strings.ContainsAny(name, "/:?#") {
		return nil, fmt.Errorf("serve: model name %q: want a non-empty name without '/', ':', '?' or '#'", name)
	}
	if m == nil {
		return nil, fmt.Errorf("serve: model %q is nil", name)
	}
	if !m.Net().Built() {
		if err := m.Build(); err != nil {
			return nil, fmt.Errorf("serve: model %q: %w", name, err)
		}
	}
	sm := &model{name: name, m: m, inNames: m.InputNames(), outNames: m.OutputNames()}
	for _, s := range m.Net().InputShapes() {
		sm.inShapes = append(sm.inShapes, slices.Clone([]int(s)))
		sm.inTypes = append(sm.inTypes, "FP32")
	}
	for i, n := range m.Net().GraphInputs() {
		if i < len(sm.inTypes) {
			sm.inTypes[i] = v2Type(n.Input().DType)
		}
	}
	for _, s := range m.Net().OutputShapes() {
		sm.outShapes = append(sm.outShapes, slices.Clone([]int(s)))
	}
	for _, sh := range append(slices.Clone(sm.inShapes), sm.outShapes...) {
		if sh == nil || slices.ContainsFunc(sh, func(d int) bool { return d < 1 }) {
			return nil, fmt.Errorf("serve: model %q has a tensor of shape %v; serving needs every dimension but the batch known", name, sh)
		}
	}
	if len(sm.inNames) != len(sm.inShapes) || len(sm.outNames) != len(sm.outShapes) {
		return nil, fmt.Errorf("serve: model %q: %d input names for %d inputs, %d output names for %d outputs", name, len(sm.inNames), len(sm.inShapes), len(sm.outNames), len(sm.outShapes))
	}
	// Warm up: one row of zeros, so that the first request does not pay
	// for the buffers and a model that cannot run fails here, not later.
	zeros := make([]*tensor.Tensor, len(sm.inShapes))
	for k, sh := range sm.inShapes {
		zeros[k] = tensor.New(append([]int{1}, sh...)...)
		sm.checkers = append(sm.checkers, m.Net().ValueCheckers(k))
		if cs := sm.checkers[k]; len(cs) > 0 { // e.g. a lookup without 0 in its vocabulary
			zeros[k].Fill(cs[0].(nn.ValueChecker).ValidValue())
		}
	}
	if _, err := (&batcher{m: sm}).predict([]*job{{rows: 1, in: zeros}}, 1); err != nil {
		return nil, fmt.Errorf("serve: model %q fails on a row of zeros: %w", name, err)
	}
	return sm, nil
}

// Drain readies the handler for shutdown: readiness turns false (REST's,
// gRPC's ServerReady and ModelReady, and NewGRPCServer's health services) and
// batches stop waiting for more requests (each model runs what is queued
// at once, as with MaxQueueDelay 0), while the requests still being read
// are taken and answered as usual. Call it when shutdown begins, before
// http.Server.Shutdown, so that a request waiting for its batch is not
// held for MaxQueueDelay by requests that can no longer come.
func (h *Handler) Drain() {
	h.draining.Store(true)
	h.grpcDrain()
	for _, m := range h.models {
		if m.b != nil {
			m.b.hurry()
		}
	}
}

// Close stops taking requests (readiness turns false; new inference
// requests are answered 503) and returns when every queued request has
// run and been answered. Call it after http.Server.Shutdown.
func (h *Handler) Close() error {
	h.Drain()
	h.closing.Store(true)
	for _, m := range h.models {
		if m.b != nil {
			m.b.close()
		}
	}
	return nil
}

// httpError is an error with its status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// ServeHTTP routes a request to its protocol's handler. With
// Options.Logger set it then logs the request: "method", "path", "model"
// (empty for none served), "endpoint", "status", "duration", "rows" and
// "batch" (the request's rows and those of the batch it ran in, for
// inference), "bytes_in" (body bytes read) and "bytes" (body bytes
// answered), and "error" for a 4xx or 5xx answer's message.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &reqInfo{endpoint: epOther}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	if h.opts.Logger != nil && r.Body != nil && r.Body != http.NoBody {
		info.in = &countingReader{ReadCloser: r.Body}
		r.Body = info.in
	}
	rec := &recorder{ResponseWriter: w}
	w = rec
	defer h.done(rec, r, info, start)
	defer func() {
		// A bug must not take the server down with it; net/http would
		// drop the connection without an answer.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			writeError(w, &httpError{http.StatusInternalServerError, fmt.Sprintf("internal error: %v", p)})
		}
	}()
	path := r.URL.Path
	if h.cors(w, r) {
		return // a preflight request, answered
	}
	if err := h.authorize(r); err != nil {
		challenge(w.Header(), path, err)
		writeError(w, err)
		return
	}
	switch {
	case path == "/v2" || path == "/v2/":
		h.serverMetadata(w, r)
	case path == "/metrics":
		info.endpoint = epMetrics
		if method(w, r, http.MethodGet) {
			h.metrics.http.ServeHTTP(w, r)
		}
	case path == "/v2/health/live":
		h.live(w, r)
	case path == "/v2/health/ready":
		h.ready(w, r)
	case strings.HasPrefix(path, "/v2/models/"):
		h.v2Model(w, r, strings.TrimPrefix(path, "/v2/models/"))
	case strings.HasPrefix(path, "/v1/models/"):
		h.v1Model(w, r, strings.TrimPrefix(path, "/v1/models/"))
	case isPagePath(path):
		h.page(w, r, path) // page.go
	default:
		writeError(w, &httpError{http.StatusNotFound, fmt.Sprintf("no endpoint %s; this server answers /v2/... (KServe V2), /v1/models/... (TF Serving), /metrics and its page at /", path)})
	}
}

// lookup finds the model of a URL's "NAME[/versions/V]" and returns the
// rest of the path.
func (h *Handler) lookup(rest string) (*model, string, error) {
	name, tail, _ := strings.Cut(rest, "/")
	if tail != "" {
		tail = "/" + tail
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name, tail = name[:i], name[i:]+tail
	}
	m, ok := h.models[name]
	if !ok {
		return nil, "", &httpError{http.StatusNotFound, fmt.Sprintf("unknown model %q; served: %s", name, strings.Join(h.names(), ", "))}
	}
	if v, ok := strings.CutPrefix(tail, "/versions/"); ok {
		ver, after := v, ""
		if i := strings.IndexAny(v, "/:"); i >= 0 {
			ver, after = v[:i], v[i:]
		}
		if ver != version {
			return nil, "", &httpError{http.StatusNotFound, fmt.Sprintf("model %q has no version %q; it is served as version %s", name, ver, version)}
		}
		tail = after
	}
	return m, tail, nil
}

func (h *Handler) names() []string {
	out := make([]string, 0, len(h.models))
	for n := range h.models {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// method answers 405 unless r uses want.
func method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want || (want == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", want)
	writeError(w, &httpError{http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, want)})
	return false
}

// writeError writes the error body both protocols define, {"error": "..."},
// with err's status (500 for an error without one).
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.As(err, &mbe):
		code = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("the request body is over the limit of %d bytes", mbe.Limit)
	case errors.Is(err, errQueueFull):
		code = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, errClosed), errors.Is(err, errTimeout):
		// Triton answers a request whose queue timeout expired with
		// UNAVAILABLE, which its HTTP front end sends as 503
		// (src/http_server.cc, HttpCodeFromError).
		code = http.StatusServiceUnavailable
	}
	if rec, ok := w.(*recorder); ok {
		rec.err = err.Error()
	}
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	writeJSON(w, code, b)
}

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

// readBody reads a request's body under the size limit.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if rec, ok := w.(*recorder); ok {
		// net/http's own writer, so that the server closes the
		// connection after a body over the limit.
		w = rec.ResponseWriter
	}
	body := http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	if n := r.ContentLength; n > 0 && n <= h.opts.MaxBodyBytes {
		// One allocation of the announced size instead of ReadAll's
		// doublings (net/http ends the body after Content-Length bytes).
		b := make([]byte, n)
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, badRequest("the body ended before its Content-Length of %d bytes: %v", n, err)
		}
		return b, nil
	}
	return io.ReadAll(body)
}

// infer queues rows for m and waits for their outputs. ctx is the
// request's (done when the client goes away); info, when not nil, gets the
// request's rows and its batch's.
func (h *Handler) infer(ctx context.Context, info *reqInfo, m *model, rows int, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if h.closing.Load() {
		return nil, errClosed
	}
	client := ctx
	if h.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
	}
	if err := m.checkValues(in); err != nil {
		return nil, err
	}
	j := &job{ctx: ctx, rows: rows, in: in, done: make(chan result, 1)}
	if err := m.b.submit(j); err != nil {
		return nil, err
	}
	if info != nil {
		info.rows = rows
	}
	select {
	case res := <-j.done:
		if info != nil {
			info.batch = res.batch
		}
		return res.out, res.err
	case <-ctx.Done():
		// The batcher skips the job if it has not run yet; its answer
		// channel is buffered, so nothing waits for this goroutine.
		if client.Err() != nil {
			return nil, fmt.Errorf("%w: the client went away", errTimeout)
		}
		return nil, fmt.Errorf("%w: the request did not run within %v", errTimeout, h.opts.Timeout)
	}
}

// checkRows refuses a batch of no rows or more than a batch's.
func (h *Handler) checkRows(n int) error {
	if n < 1 {
		return badRequest("the request has no rows (the batch dimension is 0)")
	}
	if n > h.opts.MaxBatchSize {
		return badRequest("the request has %d rows, over the server's max batch size of %d; split it", n, h.opts.MaxBatchSize)
	}
	return nil
}

// serverVersion is the gokeras module's version, as built.
func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/gokeras/gokeras" {
				return d.Version
			}
		}
		if bi.Main.Path == "github.com/gokeras/gokeras" && bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "(devel)"
}

// cors adds the CORS headers when CORSOrigin is set and answers a
// preflight OPTIONS request (true when it did).
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) bool {
	allow := h.opts.CORSOrigin
	if allow == "" {
		return false
	}
	origin := r.Header.Get("Origin")
	if allow != "*" && origin != allow {
		return false
	}
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", allow)
	if allow != "*" {
		hd.Add("Vary", "Origin")
	}
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	hd.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// authorize checks the bearer token when Token is set; liveness needs
// none. The page's browsers send the token as a Basic password instead
// (page.go).
func (h *Handler) authorize(r *http.Request) error {
	if h.opts.Token == "" || r.URL.Path == "/v2/health/live" {
		return nil
	}
	// The scheme's name is case-insensitive (RFC 7235 section 2.1).
	if scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") && h.tokenIs(got) {
		return nil
	}
	if ok, err := h.basicAuthorize(r); ok {
		return err
	}
	return &httpError{http.StatusUnauthorized, "missing or wrong bearer token: send the header \"Authorization: Bearer <token>\" with the server's token (in a browser, give the token as the password when it asks)"}
}
