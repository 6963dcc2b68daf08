package train

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRemoteMonitor: each epoch's logs reach the server as Keras sends
// them, as a form field by default and as a JSON body with SendAsJSON,
// with the headers given.
func TestRemoteMonitor(t *testing.T) {
	type got struct {
		path, ctype, auth string
		obj               map[string]any
	}
	var mu sync.Mutex
	var posts []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		g := got{path: r.URL.Path, ctype: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization")}
		raw := b
		if strings.HasPrefix(g.ctype, "application/x-www-form-urlencoded") {
			v, err := url.ParseQuery(string(b))
			if err != nil {
				t.Error(err)
			}
			raw = []byte(v.Get("payload"))
		}
		if err := json.Unmarshal(raw, &g.obj); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		mu.Lock()
		posts = append(posts, g)
		mu.Unlock()
	}))
	defer srv.Close()
	for _, asJSON := range []bool{false, true} {
		posts = nil
		cb := &RemoteMonitor{Root: srv.URL, Path: "/logs", Field: "payload", SendAsJSON: asJSON, Headers: map[string]string{"Authorization": "Bearer x"}}
		_, h, err := tinyFit(t, Options{Epochs: 3, ValidationSplit: 0.25, Callbacks: []Callback{cb}})
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 3 {
			t.Fatalf("json %v: %d posts, want 3", asJSON, len(posts))
		}
		want := "application/x-www-form-urlencoded"
		if asJSON {
			want = "application/json"
		}
		for e, p := range posts {
			if p.path != "/logs" || p.ctype != want || p.auth != "Bearer x" {
				t.Errorf("json %v, epoch %d: path %q, type %q, auth %q", asJSON, e, p.path, p.ctype, p.auth)
			}
			if p.obj["epoch"] != float64(e) || p.obj["loss"] != h.History["loss"][e] || p.obj["val_loss"] != h.History["val_loss"][e] || len(p.obj) != 3 {
				t.Errorf("json %v, epoch %d: sent %v, want epoch %d, loss %v, val_loss %v", asJSON, e, p.obj, e, h.History["loss"][e], h.History["val_loss"][e])
			}
		}
	}
}

// TestRemoteMonitorFailures: a server that is gone, answers 500 or does
// not answer does not stop training; each failure is reported, a stuck
// server only for Timeout; an address that is not a URL fails at once.
func TestRemoteMonitorFailures(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 500) }))
	defer failing.Close()
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stuck.Close()
	defer close(release)
	for _, c := range []struct {
		root, want string
	}{
		{goneURL, "could not post epoch 1 to " + goneURL},
		{failing.URL, "it answered 500 Internal Server Error"},
		{stuck.URL, "context deadline exceeded"},
	} {
		var out bytes.Buffer
		start := time.Now()
		_, h, err := tinyFit(t, Options{Epochs: 2, Out: &out, Callbacks: []Callback{&RemoteMonitor{Root: c.root, Timeout: 200 * time.Millisecond}}})
		if err != nil || len(h.History["loss"]) != 2 {
			t.Errorf("%s: err %v, history %v: training must go on", c.root, err, h.History)
		}
		if n := strings.Count(out.String(), "RemoteMonitor: could not post"); n != 2 || !strings.Contains(out.String(), c.want) {
			t.Errorf("%s: output %q, want two failures and %q", c.root, out.String(), c.want)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: Fit took %v", c.root, d)
		}
	}
	_, _, err := tinyFit(t, Options{Epochs: 1, Callbacks: []Callback{&RemoteMonitor{Root: "localhost:9000"}}})
	if err == nil || !strings.Contains(err.Error(), "is not an http(s) URL with a host") {
		t.Errorf("bad root: err = %v", err)
	}
}
