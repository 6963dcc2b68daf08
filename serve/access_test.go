package serve

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// request sends method path to h with the given headers.
func request(h http.Handler, method, path string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// With a token, every endpoint but liveness needs "Authorization: Bearer
// <token>": none or a wrong one is a 401 with WWW-Authenticate and a V2
// error body; liveness answers without it.
func TestBearerToken(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{Token: "s3cret-token"})
	good := map[string]string{"Authorization": "Bearer s3cret-token"}
	for _, path := range []string{"/v2/health/ready", "/v2/models/cnn", "/v1/models/cnn", "/metrics", "/v2"} {
		for _, hd := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}, {"Authorization": "Bearer s3cret-token2"}} {
			w := request(h, http.MethodGet, path, hd)
			if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") || !strings.Contains(w.Body.String(), `"error":"missing or wrong bearer token`) {
				t.Errorf("GET %s with %v: %d %v %s; want 401 with WWW-Authenticate", path, hd, w.Code, w.Header(), w.Body)
			}
		}
		if w := request(h, http.MethodGet, path, good); w.Code != http.StatusOK {
			t.Errorf("GET %s with the token: %d %s", path, w.Code, w.Body)
		}
	}
	if w := request(h, http.MethodGet, "/v2/health/live", nil); w.Code != http.StatusOK {
		t.Errorf("liveness without a token: %d %s", w.Code, w.Body)
	}
	// Without a token configured, nothing asks for one.
	open, _, _ := newTestHandler(t, Options{})
	if w := request(open, http.MethodGet, "/v2/models/cnn", nil); w.Code != http.StatusOK {
		t.Errorf("no token configured: %d %s", w.Code, w.Body)
	}
}

// CORS headers appear only when an origin is configured, for that origin
// (or any with "*"); a preflight is answered 204 before authentication,
// as browsers send it without credentials.
func TestCORS(t *testing.T) {
	origin := map[string]string{"Origin": "https://app.example"}
	off, _, _ := newTestHandler(t, Options{})
	if w := request(off, http.MethodGet, "/v2/models/cnn", origin); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off: Access-Control-Allow-Origin %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
	h, _, _ := newTestHandler(t, Options{CORSOrigin: "https://app.example", Token: "tok"})
	w := request(h, http.MethodGet, "/v2/models/cnn", map[string]string{"Origin": "https://app.example", "Authorization": "Bearer tok"})
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("GET from the origin: %d, Access-Control-Allow-Origin %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	}
	if w := request(h, http.MethodGet, "/v2/models/cnn", map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer tok"}); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin got Access-Control-Allow-Origin %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
	pre := request(h, http.MethodOptions, "/v2/models/cnn/infer", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
	if pre.Code != http.StatusNoContent || !strings.Contains(pre.Header().Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(pre.Header().Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v", pre.Code, pre.Header())
	}
	any, _, _ := newTestHandler(t, Options{CORSOrigin: "*"})
	if w := request(any, http.MethodGet, "/v2/health/ready", origin); w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS *: Access-Control-Allow-Origin %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
}
