package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// RemoteMonitor is Keras's callback of that name
// (keras/src/callbacks/remote_monitor.py): at the end of every epoch it
// POSTs the epoch (from 0) and its logs to Root+Path. By default the body
// is a form with one field, Field, holding the JSON object
// (application/x-www-form-urlencoded, as Python's requests sends a dict);
// with SendAsJSON the object is the body (application/json). Headers are
// added to the request. Keras's defaults: root "http://localhost:9000",
// path "/publish/epoch/end/", field "data".
//
// As in Keras, a server that cannot be reached or answers with an error
// does not stop training: the callback says so on Run.Out once per
// failure and goes on. Unlike Keras, which waits as long as the server
// takes, a request is given up after Timeout (10 s when 0), so a stuck
// monitor cannot hold training up for longer than that per epoch.
//
// JSON has no NaN or infinity; a log holding one is sent as null.
type RemoteMonitor struct {
	NopCallback
	Root       string // "" means "http://localhost:9000"
	Path       string // "" means "/publish/epoch/end/"
	Field      string // "" means "data"
	Headers    map[string]string
	SendAsJSON bool
	Timeout    time.Duration
	// Client sends the requests; nil means a client of its own.
	Client *http.Client
}

func (m *RemoteMonitor) target() string {
	root, path := m.Root, m.Path
	if root == "" {
		root = "http://localhost:9000"
	}
	if path == "" {
		path = "/publish/epoch/end/"
	}
	return root + path // joined as Keras joins them
}

// OnTrainBegin checks the address, so a typo fails before training.
func (m *RemoteMonitor) OnTrainBegin(*Run) error {
	u, err := url.Parse(m.target())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("train: RemoteMonitor address %q is not an http(s) URL with a host; set Root like \"http://localhost:9000\" and Path like \"/publish/epoch/end/\"", m.target())
	}
	return nil
}

func (m *RemoteMonitor) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	send := map[string]any{"epoch": epoch}
	for k, v := range logs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			send[k] = nil
		} else {
			send[k] = v
		}
	}
	obj, err := json.Marshal(send)
	if err != nil {
		return fmt.Errorf("train: RemoteMonitor: %w", err)
	}
	body, ctype := obj, "application/json"
	if !m.SendAsJSON {
		field := m.Field
		if field == "" {
			field = "data"
		}
		body, ctype = []byte(url.Values{field: {string(obj)}}.Encode()), "application/x-www-form-urlencoded"
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.target(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("train: RemoteMonitor: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range m.Headers {
		req.Header.Set(k, v)
	}
	client := m.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // lets the connection be reused
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = fmt.Errorf("it answered %s", resp.Status)
		}
	}
	if err != nil && r.Out != nil {
		fmt.Fprintf(r.Out, "RemoteMonitor: could not post epoch %d to %s: %v\n", epoch+1, m.target(), strings.TrimSpace(err.Error()))
	}
	return nil
}
