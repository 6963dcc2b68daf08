package serve

import (
	"net/http"
	"time"
)

// reqInfo is what a request's handling learns about it, for the metrics
// and the request log: which model and endpoint it was for, how many rows
// it sent, and the size of the batch it ran in.
type reqInfo struct {
	model, endpoint string
	rows, batch     int
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

// done records an answered request in the metrics.
func (h *Handler) done(w *recorder, r *http.Request, info *reqInfo, start time.Time) {
	code := w.code
	if code == 0 {
		code = http.StatusOK // net/http's answer to a handler that wrote nothing
	}
	h.metrics.observeRequest(info.model, info.endpoint, code, time.Since(start))
}
