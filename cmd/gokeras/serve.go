package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/internal/kernel"
	"github.com/gokeras/gokeras/serve"
)

func init() {
	register(command{"serve", "serve a saved model over HTTP (KServe/Triton V2 and TF Serving REST) and gRPC (KServe V2), with dynamic batching", runServe})
}

// runServe is `gokeras serve`: the serve package's handler on an
// http.Server until SIGINT or SIGTERM, then a graceful stop: the server
// stops accepting and finishes the requests in flight (http.Server.Shutdown,
// within --drain-timeout), then the batcher finishes what is queued.
func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stdout)
	load := fs.String("load", "", "the saved model: gokeras's, or Keras's .keras or .h5 (or give --model-dir)")
	modelDir := fs.String("model-dir", "", "serve every model file in this folder, each under its file name without the extension (instead of --load)")
	modelFlag := fs.String("model", "", "the architecture (a preset or a model JSON) for a --load file of Keras weights only (.weights.h5)")
	name := fs.String("name", "", "the model's name in the URLs (default: the --load file's name without its extension)")
	labels := fs.String("labels", "", "class names for :classify and the page, one per line in output-unit order (a labels file as TF Lite and Triton use them), for a --load model (Keras files hold none); with --model-dir, NAME.labels.txt next to each model file is read")
	addr := fs.String("addr", ":8080", "the address to listen on")
	grpcAddr := fs.String("grpc-addr", "", "also serve the KServe V2 protocol over gRPC (inference.GRPCInferenceService, as Triton's and KServe's gRPC clients call it, with gRPC's health service) on this address, e.g. :8081; off when empty")
	maxBatch := countVar(fs, "max-batch-size", 32, "the most rows run in one batch (Triton's max_batch_size); larger requests are refused")
	instances := countVar(fs, "instances", 1, "batches of one model run at once (Triton's instance_group count); 2 keeps both cores busy while requests are read and answered")
	threads := fs.Int("threads", 0, "threads each batch's kernels use (default: all cores); --instances 2 --threads 1 gives each of two batches a core, the fastest setting on 2 cores (BENCHMARKS.md)")
	delay := fs.Duration("max-queue-delay", 0, "how long a batch waits for more requests after its first (Triton's max_queue_delay); 0 runs what is queued")
	queue := countVar(fs, "max-queue-size", 128, "requests that may wait per model; one more is answered 429")
	timeout := fs.Duration("timeout", 0, "each request's deadline; a request still queued then is answered 503 (0: none)")
	maxBody := fs.Int64("max-body-bytes", 64<<20, "the largest request body; a larger one is answered 413")
	maxPixels := countVar(fs, "max-image-pixels", 4096*4096, "the largest image (width×height) :classify decodes, checked on its header; a larger one is answered 413")
	drain := fs.Duration("drain-timeout", 30*time.Second, "on SIGINT or SIGTERM, how long to wait for requests in flight")
	logFormat := fs.String("log-format", "text", "request logs on stderr, one line per request: text (slog's key=value), json, or off")
	tokenFile := fs.String("token-file", "", "require \"Authorization: Bearer <token>\" on every endpoint but liveness, the token read from this file (one line)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the PEM private key of --tls-cert")
	corsOrigin := fs.String("cors-origin", "", "let pages from this origin (or * for any) call the server from a browser; CORS is off without it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together: give both for HTTPS, or neither")
	}
	token, err := readToken(*tokenFile)
	if err != nil {
		return err
	}
	switch {
	case *load == "" && *modelDir == "":
		return fmt.Errorf("--load is required: a model file (gokeras's, .keras or .h5); or --model-dir with a folder of them")
	case *load != "" && *modelDir != "":
		return fmt.Errorf("--load and --model-dir: give one")
	case *modelDir != "" && (flagSet(fs, "name") || flagSet(fs, "model") || flagSet(fs, "labels")):
		return fmt.Errorf("--model-dir serves each file under its own name and needs full saved models: --name, --model and --labels go with --load (with --model-dir, put NAME.labels.txt next to each model file)")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; serve takes flags only", fs.Arg(0))
	}
	switch {
	case *threads < 0:
		return fmt.Errorf("--threads %d: want 0 (all cores) or more", *threads)
	case *delay < 0:
		return fmt.Errorf("--max-queue-delay %v: want 0 or more", *delay)
	case *timeout < 0:
		return fmt.Errorf("--timeout %v: want 0 (none) or more", *timeout)
	case *maxBody < 1:
		return fmt.Errorf("--max-body-bytes %d: want at least 1", *maxBody)
	case *drain < 0:
		return fmt.Errorf("--drain-timeout %v: want 0 or more", *drain)
	}
	if *threads > 0 {
		// The kernels only: net/http keeps every core for the requests.
		defer kernel.SetThreads(kernel.SetThreads(*threads))
	}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	case "off":
	default:
		return fmt.Errorf("--log-format %q: want text, json or off", *logFormat)
	}
	var models map[string]*gokeras.Model
	if *modelDir != "" {
		var err error
		if models, err = loadModelDir(*modelDir, stderr); err != nil {
			return err
		}
	} else {
		if *name == "" {
			base := filepath.Base(*load)
			*name = strings.TrimSuffix(base, filepath.Ext(base))
			if strings.HasSuffix(*name, ".weights") {
				*name = strings.TrimSuffix(*name, ".weights")
			}
		}
		m, err := loadModel("serve", *load, *modelFlag, flagSet(fs, "model"), stderr)
		if err != nil {
			return err
		}
		if err := applyLabels(m, *labels); err != nil {
			return err
		}
		models = map[string]*gokeras.Model{*name: m}
	}
	h, err := serve.New(models, serve.Options{
		MaxBatchSize: *maxBatch, Instances: *instances, MaxQueueDelay: *delay, MaxQueueSize: *queue, Timeout: *timeout, MaxBodyBytes: *maxBody, MaxImagePixels: *maxPixels, Logger: logger,
		Token: token, CORSOrigin: *corsOrigin,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		h.Close()
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	var gsrv *grpc.Server
	var gln net.Listener
	if *grpcAddr != "" {
		if gln, err = net.Listen("tcp", *grpcAddr); err != nil {
			ln.Close()
			h.Close()
			return fmt.Errorf("--grpc-addr %s: %w", *grpcAddr, err)
		}
		var opts []grpc.ServerOption
		if *tlsCert != "" {
			creds, err := credentials.NewServerTLSFromFile(*tlsCert, *tlsKey)
			if err != nil {
				ln.Close()
				gln.Close()
				h.Close()
				return fmt.Errorf("--tls-cert and --tls-key for gRPC: %w", err)
			}
			opts = append(opts, grpc.Creds(creds))
		}
		gsrv = h.NewGRPCServer(opts...)
	}
	// HTTP/1.1 and HTTP/2 on one port: over TLS, HTTP/2 is negotiated
	// (ALPN); in the clear, a client that knows the server speaks it
	// (prior knowledge, RFC 9113 section 3.3) may start with HTTP/2, and
	// many requests share one connection. Either way the same handler,
	// limits and token apply.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	// An idle connection (HTTP/1.1 keep-alive, or HTTP/2 with no stream
	// open) is closed after two minutes, so that clients that connect and
	// go quiet cannot hold sockets for ever.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, Protocols: protocols}
	ctx, stop := signalContext(commandContext())
	defer stop()
	served := make(chan error, 2)
	url := "http://" + ln.Addr().String()
	if *tlsCert != "" {
		go func() { served <- srv.ServeTLS(ln, *tlsCert, *tlsKey) }()
		url = "https://" + ln.Addr().String()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	if gsrv != nil {
		go func() { served <- gsrv.Serve(gln) }()
	}
	names := slices.Sorted(maps.Keys(models))
	for _, name := range names {
		fmt.Fprintf(stdout, "gokeras serve: model %q on %s: POST %s/v2/models/%s/infer (KServe V2), %s/v1/models/%s:predict (TF Serving), %s/metrics (Prometheus)\n", name, url, url, name, url, name, url)
	}
	if gsrv != nil {
		fmt.Fprintf(stdout, "gokeras serve: gRPC on %s: inference.GRPCInferenceService (KServe V2) and grpc.health.v1.Health\n", gln.Addr())
	}
	fmt.Fprintf(stdout, "gokeras serve: open %s/ in a browser to try the image classifiers\n", url)
	select {
	case err := <-served:
		if gsrv != nil {
			gsrv.Stop()
		}
		srv.Close()
		h.Close()
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintf(stderr, "gokeras serve: %s: finishing the requests in flight (up to %v)\n", interruption(ctx), *drain)
	sctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	h.Drain() // queued requests run now: no more will join their batches
	grpcDone := make(chan struct{})
	go func() {
		// GracefulStop waits for every call in flight, with no deadline of
		// its own: it shares --drain-timeout with the HTTP server.
		if gsrv != nil {
			gsrv.GracefulStop()
		}
		close(grpcDone)
	}()
	err = srv.Shutdown(sctx)
	if err == nil {
		select {
		case <-grpcDone:
		case <-sctx.Done():
			err = sctx.Err()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		if gsrv != nil {
			gsrv.Stop()
		}
		h.Close()
		return fmt.Errorf("requests still running after --drain-timeout %v were cut off", *drain)
	}
	h.Close() // every request has been answered; nothing is queued
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "gokeras serve: stopped")
	return nil
}

// labelsSuffix names a --model-dir model's labels file: NAME.labels.txt.
const labelsSuffix = ".labels.txt"

// loadModelDir loads every model file in dir (not its subfolders), each
// named by its file name without the extension, with the class names of
// NAME.labels.txt when there is one. Whether a file is a model
// is decided by its content, with gokeras.Load: any other file is skipped
// with a note on notes saying why. Two models of the same name (a.keras
// and a.h5) are refused, as is a folder without any model.
func loadModelDir(dir string, notes io.Writer) (map[string]*gokeras.Model, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--model-dir: %w", err)
	}
	models := map[string]*gokeras.Model{}
	from := map[string]string{} // name -> file
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path) // follows symbolic links
		if err != nil {
			fmt.Fprintf(notes, "gokeras serve: skipping %s: %v\n", path, err)
			continue
		}
		if !fi.Mode().IsRegular() || strings.HasSuffix(e.Name(), labelsSuffix) {
			continue
		}
		name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		m, err := gokeras.Load(path)
		if err != nil {
			fmt.Fprintf(notes, "gokeras serve: skipping %s, not a model gokeras loads: %v\n", path, err)
			continue
		}
		if prev, ok := from[name]; ok {
			return nil, fmt.Errorf("--model-dir %s: %s and %s would both be served as %q; rename or move one", dir, filepath.Base(prev), e.Name(), name)
		}
		for _, n := range m.LoadNotes() {
			fmt.Fprintf(notes, "gokeras serve: %s: %s\n", path, n)
		}
		if lp := filepath.Join(dir, name+labelsSuffix); fileExists(lp) {
			if err := applyLabels(m, lp); err != nil {
				return nil, err
			}
		}
		models[name], from[name] = m, path
	}
	if len(models) == 0 {
		return nil, fmt.Errorf("--model-dir %s has no model file that gokeras loads (gokeras's own, Keras's .keras or .h5)", dir)
	}
	return models, nil
}

// readToken reads the bearer token from path ("" for none): the file's
// first line, which must not be empty.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	tok, _, _ := strings.Cut(string(b), "\n")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("--token-file %s is empty: write the token on its first line", path)
	}
	return tok, nil
}
