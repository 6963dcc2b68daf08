package serve

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// reqInfo is what a request's handling learns about it, for the metrics
// and the request log: which model and endpoint it was for, how many rows
// it sent, and the size of the batch it ran in.
type reqInfo struct {
	model, endpoint string
	rows, batch     int
	in              *countingReader // the body, when logging
}

type infoKey struct{}

// requestInfo is r's reqInfo, nil for a request that did not come through
// ServeHTTP.
func requestInfo(r *http.Request) *reqInfo {
	i, _ := r.Context().Value(infoKey{}).(*reqInfo)
	return i
}

// setRoute records the served model (a name from the handler's own map,
// never one from the URL, so that labels stay few) and the endpoint.
func setRoute(r *http.Request, model, endpoint string) {
	if i := requestInfo(r); i != nil {
		i.model, i.endpoint = model, endpoint
	}
}

// recorder is a ResponseWriter that keeps the status code and counts the
// bytes written.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
	err   string // the error answered, set by writeError
}

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingReader counts the bytes read from a request's body.
type countingReader struct {
	io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// done records an answered request in the metrics and the log.
func (h *Handler) done(w *recorder, r *http.Request, info *reqInfo, start time.Time) {
	d := time.Since(start)
	code := w.code
	if code == 0 {
		code = http.StatusOK // net/http's answer to a handler that wrote nothing
	}
	h.metrics.observeRequest(info.model, info.endpoint, strconv.Itoa(code), d)
	log := h.opts.Logger
	if log == nil {
		return
	}
	level := slog.LevelInfo
	switch {
	case code >= 500:
		level = slog.LevelError
	case code >= 400:
		level = slog.LevelWarn
	case info.endpoint == epLive || info.endpoint == epReady || info.endpoint == epMetrics:
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !log.Enabled(ctx, level) {
		return
	}
	var in int64
	if info.in != nil {
		in = info.in.n
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("model", info.model),
		slog.String("endpoint", info.endpoint),
		slog.Int("status", code),
		slog.Duration("duration", d),
		slog.Int("rows", info.rows),
		slog.Int("batch", info.batch),
		slog.Int64("bytes_in", in),
		slog.Int64("bytes", w.bytes),
	}
	if w.err != "" {
		attrs = append(attrs, slog.String("error", w.err))
	}
	log.LogAttrs(ctx, level, "request", attrs...)
}
