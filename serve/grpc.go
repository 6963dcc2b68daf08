package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gokeras/gokeras/serve/inferencepb"
	"github.com/gokeras/gokeras/tensor"
)

// The V2 protocol's gRPC transport: inference.GRPCInferenceService
// (kserve/kserve docs/predict-api/v2/grpc_predict_v2.proto), the one
// Triton's and KServe's gRPC clients call. It serves the same models
// through the same batcher, limits, token and metrics as the REST
// endpoints, and answers with the same messages. What differs from REST,
// as Triton's gRPC front end does it:
//
//   - inputs come in raw_input_contents (little-endian FP32, one entry per
//     input) or in each input's contents.fp32_contents; outputs always go
//     in raw_output_contents, the fast form, which Triton's clients read;
//   - errors are gRPC status codes: InvalidArgument for a request the model
//     cannot take, NotFound for an unknown model or version, Unavailable
//     when the queue is full, the server is shutting down or a request's
//     deadline passed in the queue (Triton's codes for the three),
//     Unauthenticated without the token, ResourceExhausted for a message
//     over Options.MaxBodyBytes (gRPC's own check);
//   - the token goes in the "authorization" metadata as "Bearer <token>";
//     ServerLive and the standard health service need none;
//   - parameters (the request's, an input's or an output's) are ignored;
//     the binary data extension's parameters belong to REST.

// RegisterGRPC registers the V2 protocol's gRPC service on s, for a
// program that runs its own grpc.Server; NewGRPCServer makes one with the
// handler's limits and the health service. The models answer on s until
// Close; Drain turns ServerReady false, as it does REST readiness.
func (h *Handler) RegisterGRPC(s grpc.ServiceRegistrar) {
	inferencepb.RegisterGRPCInferenceServiceServer(s, &grpcService{h: h})
}

// NewGRPCServer returns a grpc.Server serving the V2 protocol's gRPC
// service (RegisterGRPC) and gRPC's standard health service
// (grpc.health.v1.Health, which Kubernetes' gRPC probes call: SERVING until
// Drain, NOT_SERVING after), taking messages up to Options.MaxBodyBytes.
// opts come after those settings, so they can change them (TLS:
// grpc.Creds). Serve it on a listener; on shutdown call Drain, then the
// server's GracefulStop, then Close.
func (h *Handler) NewGRPCServer(opts ...grpc.ServerOption) *grpc.Server {
	size := int(min(h.opts.MaxBodyBytes, math.MaxInt32))
	s := grpc.NewServer(append([]grpc.ServerOption{grpc.MaxRecvMsgSize(size)}, opts...)...)
	h.RegisterGRPC(s)
	hs := health.NewServer()
	h.healthMu.Lock()
	if h.draining.Load() {
		hs.Shutdown()
	}
	h.health = append(h.health, hs)
	h.healthMu.Unlock()
	healthpb.RegisterHealthServer(s, hs)
	return s
}

// grpcService implements inferencepb.GRPCInferenceServiceServer.
type grpcService struct {
	inferencepb.UnimplementedGRPCInferenceServiceServer
	h *Handler
}

const grpcServiceName = "/inference.GRPCInferenceService/"

// call runs one RPC: the token check (unless open), body, then the
// metrics and the request log, with a bug's panic answered Internal
// instead of taking the server down.
func (s *grpcService) call(ctx context.Context, method, endpoint string, open bool, body func(*reqInfo) error) (err error) {
	start := time.Now()
	info := &reqInfo{endpoint: endpoint}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
		err = grpcError(ctx, err)
		s.h.grpcDone(ctx, method, info, start, err)
	}()
	if !open {
		if err := s.h.grpcAuthorize(ctx); err != nil {
			return err
		}
	}
	return body(info)
}

func (s *grpcService) ServerLive(ctx context.Context, _ *inferencepb.ServerLiveRequest) (*inferencepb.ServerLiveResponse, error) {
	err := s.call(ctx, "ServerLive", epLive, true, func(*reqInfo) error { return nil })
	if err != nil {
		return nil, err
	}
	return &inferencepb.ServerLiveResponse{Live: true}, nil
}

func (s *grpcService) ServerReady(ctx context.Context, _ *inferencepb.ServerReadyRequest) (*inferencepb.ServerReadyResponse, error) {
	err := s.call(ctx, "ServerReady", epReady, false, func(*reqInfo) error { return nil })
	if err != nil {
		return nil, err
	}
	return &inferencepb.ServerReadyResponse{Ready: !s.h.draining.Load()}, nil
}

func (s *grpcService) ModelReady(ctx context.Context, req *inferencepb.ModelReadyRequest) (*inferencepb.ModelReadyResponse, error) {
	err := s.call(ctx, "ModelReady", epReady, false, func(info *reqInfo) error {
		_, err := s.h.grpcModel(req.GetName(), req.GetVersion(), info)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &inferencepb.ModelReadyResponse{Ready: !s.h.draining.Load()}, nil
}

func (s *grpcService) ServerMetadata(ctx context.Context, _ *inferencepb.ServerMetadataRequest) (*inferencepb.ServerMetadataResponse, error) {
	err := s.call(ctx, "ServerMetadata", epServerMetadata, false, func(*reqInfo) error { return nil })
	if err != nil {
		return nil, err
	}
	// No extensions: binary_tensor_data is REST's; gRPC has raw contents.
	return &inferencepb.ServerMetadataResponse{Name: "gokeras", Version: serverVersion(), Extensions: []string{}}, nil
}

func (s *grpcService) ModelMetadata(ctx context.Context, req *inferencepb.ModelMetadataRequest) (*inferencepb.ModelMetadataResponse, error) {
	var resp *inferencepb.ModelMetadataResponse
	err := s.call(ctx, "ModelMetadata", epMetadata, false, func(info *reqInfo) error {
		m, err := s.h.grpcModel(req.GetName(), req.GetVersion(), info)
		if err != nil {
			return err
		}
		resp = &inferencepb.ModelMetadataResponse{Name: m.name, Versions: []string{version}, Platform: "gokeras"}
		for i, n := range m.inNames {
			resp.Inputs = append(resp.Inputs, &inferencepb.ModelMetadataResponse_TensorMetadata{Name: n, Datatype: m.inTypes[i], Shape: batchShape(-1, m.inShapes[i])})
		}
		for i, n := range m.outNames {
			resp.Outputs = append(resp.Outputs, &inferencepb.ModelMetadataResponse_TensorMetadata{Name: n, Datatype: "FP32", Shape: batchShape(-1, m.outShapes[i])})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *grpcService) ModelInfer(ctx context.Context, req *inferencepb.ModelInferRequest) (*inferencepb.ModelInferResponse, error) {
	var resp *inferencepb.ModelInferResponse
	err := s.call(ctx, "ModelInfer", epInfer, false, func(info *reqInfo) error {
		var err error
		resp, err = s.h.grpcInfer(ctx, info, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// batchShape is [rows, sample...] as the protocol's int64s.
func batchShape(rows int, sample []int) []int64 {
	out := make([]int64, 1+len(sample))
	out[0] = int64(rows)
	for i, d := range sample {
		out[i+1] = int64(d)
	}
	return out
}

// grpcModel finds a served model by name and version ("" or "1").
func (h *Handler) grpcModel(name, ver string, info *reqInfo) (*model, error) {
	m, ok := h.models[name]
	if !ok {
		return nil, &httpError{http.StatusNotFound, fmt.Sprintf("unknown model %q; served: %s", name, strings.Join(h.names(), ", "))}
	}
	info.model = m.name
	if ver != "" && ver != version {
		return nil, &httpError{http.StatusNotFound, fmt.Sprintf("model %q has no version %q; it is served as version %s", name, ver, version)}
	}
	return m, nil
}

// grpcInfer runs a ModelInferRequest: the REST path's checks, with the
// inputs read from raw_input_contents or contents.fp32_contents.
func (h *Handler) grpcInfer(ctx context.Context, info *reqInfo, req *inferencepb.ModelInferRequest) (*inferencepb.ModelInferResponse, error) {
	m, err := h.grpcModel(req.GetModelName(), req.GetModelVersion(), info)
	if err != nil {
		return nil, err
	}
	if m.b.full() {
		return nil, errQueueFull
	}
	if len(req.Inputs) != len(m.inNames) {
		return nil, badRequest("the request has %d inputs; model %q takes %d: %s", len(req.Inputs), m.name, len(m.inNames), describe(m.inNames, m.inShapes))
	}
	raw := req.RawInputContents
	if len(raw) > 0 && len(raw) != len(req.Inputs) {
		return nil, badRequest("the request has %d raw_input_contents for %d inputs; send one per input, in the order of inputs (or none, and each input's contents)", len(raw), len(req.Inputs))
	}
	ins := make([]*tensor.Tensor, len(m.inNames))
	rows := -1
	for i, in := range req.Inputs {
		k, err := m.inputIndex(in.GetName(), ins)
		if err != nil {
			return nil, err
		}
		shape, err := h.checkV2Input(m, k, in.GetName(), in.GetDatatype(), in.GetShape())
		if err != nil {
			return nil, err
		}
		if rows >= 0 && shape[0] != rows {
			return nil, badRequest("input %q has %d rows and another input %d; every input needs the same batch size", in.GetName(), shape[0], rows)
		}
		rows = shape[0]
		t := tensor.New(shape...)
		where := fmt.Sprintf("input %q", in.GetName())
		switch c := in.GetContents(); {
		case len(raw) > 0:
			if c != nil {
				return nil, badRequest("%s has contents and the request has raw_input_contents; send the values one way", where)
			}
			dt, size := in.GetDatatype(), v2Size(in.GetDatatype())
			if len(raw[i]) != size*len(t.Data) {
				return nil, badRequest("%s: raw_input_contents[%d] has %d bytes; shape %v needs %d %s values, %d bytes", where, i, len(raw[i]), shape, len(t.Data), dt, size*len(t.Data))
			}
			if err := readTyped(t.Data, raw[i], dt, where); err != nil {
				return nil, err
			}
		case c != nil:
			if err := readContents(t.Data, c, where, shape, in.GetDatatype()); err != nil {
				return nil, err
			}
		default:
			return nil, badRequest("%s has no values: send them in its contents.fp32_contents, or all inputs' in raw_input_contents", where)
		}
		ins[k] = t
	}
	outIdx := make([]int, 0, len(m.outNames))
	for _, o := range req.Outputs {
		k, err := m.outputIndex(o.GetName(), outIdx)
		if err != nil {
			return nil, err
		}
		outIdx = append(outIdx, k)
	}
	if len(outIdx) == 0 {
		for k := range m.outNames {
			outIdx = append(outIdx, k)
		}
	}
	outs, err := h.infer(ctx, info, m, rows, ins)
	if err != nil {
		return nil, err
	}
	resp := &inferencepb.ModelInferResponse{ModelName: m.name, ModelVersion: version, Id: req.GetId()}
	for _, k := range outIdx {
		resp.Outputs = append(resp.Outputs, &inferencepb.ModelInferResponse_InferOutputTensor{Name: m.outNames[k], Datatype: "FP32", Shape: batchShape(rows, m.outShapes[k])})
		resp.RawOutputContents = append(resp.RawOutputContents, appendFP32(make([]byte, 0, 4*len(outs[k].Data)), outs[k].Data))
	}
	return resp, nil
}

// readContents copies an FP32 input's contents.fp32_contents (an integer
// input's: its datatype's field) into dst, refusing values in another
// datatype's field, a wrong count and non-finite values (as the REST path
// does).
func readContents(dst []float32, c *inferencepb.InferTensorContents, where string, shape []int, datatype string) error {
	if datatype != "FP32" {
		return readIntContents(dst, c, where, shape, datatype)
	}
	for _, f := range []struct {
		name string
		n    int
	}{
		{"bool_contents", len(c.BoolContents)}, {"int_contents", len(c.IntContents)}, {"int64_contents", len(c.Int64Contents)},
		{"uint_contents", len(c.UintContents)}, {"uint64_contents", len(c.Uint64Contents)}, {"fp64_contents", len(c.Fp64Contents)},
		{"bytes_contents", len(c.BytesContents)},
	} {
		if f.n > 0 {
			return badRequest("%s: its values are in contents.%s; an FP32 input's go in fp32_contents", where, f.name)
		}
	}
	if len(c.Fp32Contents) != len(dst) {
		return badRequest("%s: contents.fp32_contents has %d values; shape %v needs %d", where, len(c.Fp32Contents), shape, len(dst))
	}
	for i, v := range c.Fp32Contents {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return badRequest("%s: element %d is %v; inputs must be finite", where, i, v)
		}
	}
	copy(dst, c.Fp32Contents)
	return nil
}

// grpcAuthorize checks the bearer token in the call's "authorization"
// metadata when Options.Token is set.
func (h *Handler) grpcAuthorize(ctx context.Context) error {
	if h.opts.Token == "" {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		// The scheme's name is case-insensitive (RFC 7235 section 2.1).
		if scheme, got, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") && h.tokenIs(got) {
			return nil
		}
	}
	return status.Error(codes.Unauthenticated, `missing or wrong bearer token: send the metadata "authorization: Bearer <token>" with the server's token`)
}

// grpcError turns the handler's errors into gRPC status errors: the REST
// status codes' counterparts, and Triton's codes for the batcher's
// refusals. A call whose client went away or whose deadline passed gets
// the context's code.
func grpcError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	code := codes.Internal
	var he *httpError
	switch {
	case errors.As(err, &he):
		switch he.code {
		case http.StatusBadRequest:
			code = codes.InvalidArgument
		case http.StatusNotFound:
			code = codes.NotFound
		case http.StatusUnauthorized:
			code = codes.Unauthenticated
		}
	case errors.Is(err, errQueueFull), errors.Is(err, errClosed), errors.Is(err, errTimeout):
		code = codes.Unavailable
	}
	return status.Error(code, err.Error())
}

// grpcDone records an answered call in the metrics and the log: the
// records REST requests get (see ServeHTTP), with "method" gRPC, "path"
// the full method name, and "grpc_code" for "status".
func (h *Handler) grpcDone(ctx context.Context, method string, info *reqInfo, start time.Time, err error) {
	d := time.Since(start)
	code := status.Code(err)
	h.metrics.observeRequest(info.model, info.endpoint, code.String(), d)
	log := h.opts.Logger
	if log == nil {
		return
	}
	level := slog.LevelInfo
	switch code {
	case codes.OK:
		if info.endpoint == epLive || info.endpoint == epReady {
			level = slog.LevelDebug
		}
	case codes.Internal, codes.Unknown, codes.Unavailable, codes.DataLoss, codes.Unimplemented:
		level = slog.LevelError
	default:
		level = slog.LevelWarn
	}
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", "gRPC"),
		slog.String("path", grpcServiceName+method),
		slog.String("model", info.model),
		slog.String("endpoint", info.endpoint),
		slog.String("grpc_code", code.String()),
		slog.Duration("duration", d),
		slog.Int("rows", info.rows),
		slog.Int("batch", info.batch),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
	}
	log.LogAttrs(ctx, level, "request", attrs...)
}

// grpcDrain turns the health services NOT_SERVING for good (Drain).
func (h *Handler) grpcDrain() {
	h.healthMu.Lock()
	defer h.healthMu.Unlock()
	for _, hs := range h.health {
		hs.Shutdown()
	}
}

// readIntContents is readContents for an integer input (datatypes.go).
func readIntContents(dst []float32, c *inferencepb.InferTensorContents, where string, shape []int, datatype string) error {
	vals, field := intContents(c, datatype)
	for _, f := range []struct {
		name string
		n    int
	}{
		{"bool_contents", len(c.BoolContents)}, {"int_contents", len(c.IntContents)}, {"int64_contents", len(c.Int64Contents)},
		{"uint_contents", len(c.UintContents)}, {"uint64_contents", len(c.Uint64Contents)}, {"fp32_contents", len(c.Fp32Contents)},
		{"fp64_contents", len(c.Fp64Contents)}, {"bytes_contents", len(c.BytesContents)},
	} {
		if f.n > 0 && f.name != field {
			return badRequest("%s: its values are in contents.%s; a %s input's go in %s", where, f.name, datatype, field)
		}
	}
	if len(vals) != len(dst) {
		return badRequest("%s: contents.%s has %d values; shape %v needs %d", where, field, len(vals), shape, len(dst))
	}
	for i, v := range vals {
		if err := checkInt(where, i, v); err != nil {
			return err
		}
		dst[i] = float32(v)
	}
	return nil
}
