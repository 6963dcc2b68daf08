package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gokeras/gokeras/internal/pyref"
	pb "github.com/gokeras/gokeras/serve/inferencepb"
)

// grpcServe serves h's gRPC server (NewGRPCServer) on a loopback port and
// returns a client connection to it.
func grpcServe(t testing.TB, h *Handler, opts ...grpc.ServerOption) (*grpc.ClientConn, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := h.NewGRPCServer(opts...)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc, ln.Addr().String()
}

// rawFP32 is x's values as raw contents: little-endian float32s.
func rawFP32(x []float32) []byte { return appendFP32(nil, x) }

// fromRaw reads raw contents back.
func fromRaw(t testing.TB, b []byte) []float32 {
	t.Helper()
	if len(b)%4 != 0 {
		t.Fatalf("raw contents of %d bytes, not a multiple of 4", len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func int64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// wantCode checks err is a gRPC status with code and a message holding
// every one of parts.
func wantCode(t testing.TB, what string, err error, code codes.Code, parts ...string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code {
		t.Fatalf("%s: error %v, want code %v", what, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(st.Message(), p) {
			t.Fatalf("%s: message %q does not say %q", what, st.Message(), p)
		}
	}
}

// TestGRPCHealthAndMetadata: the protocol's health and metadata calls,
// gRPC's health service, and how Drain turns them.
func TestGRPCHealthAndMetadata(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{})
	cc, _ := grpcServe(t, h)
	c := pb.NewGRPCInferenceServiceClient(cc)
	ctx := context.Background()

	live, err := c.ServerLive(ctx, &pb.ServerLiveRequest{})
	if err != nil || !live.Live {
		t.Fatalf("ServerLive: %v %v", live, err)
	}
	ready, err := c.ServerReady(ctx, &pb.ServerReadyRequest{})
	if err != nil || !ready.Ready {
		t.Fatalf("ServerReady: %v %v", ready, err)
	}
	sm, err := c.ServerMetadata(ctx, &pb.ServerMetadataRequest{})
	if err != nil || sm.Name != "gokeras" || sm.Version == "" || len(sm.Extensions) != 0 {
		t.Fatalf("ServerMetadata: %v %v", sm, err)
	}
	mm, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	tm := func(name string, shape ...int64) *pb.ModelMetadataResponse_TensorMetadata {
		return &pb.ModelMetadataResponse_TensorMetadata{Name: name, Datatype: "FP32", Shape: shape}
	}
	want := &pb.ModelMetadataResponse{Name: "multi", Versions: []string{"1"}, Platform: "gokeras",
		Inputs:  []*pb.ModelMetadataResponse_TensorMetadata{tm("a", -1, 3), tm("b", -1, 2, 2)},
		Outputs: []*pb.ModelMetadataResponse_TensorMetadata{tm("score", -1, 2), tm("cls", -1, 3)}}
	if !proto.Equal(mm, want) {
		t.Fatalf("ModelMetadata:\n%v\nwant\n%v", mm, want)
	}
	for _, ver := range []string{"", "1"} {
		mr, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "cnn", Version: ver})
		if err != nil || !mr.Ready {
			t.Fatalf("ModelReady version %q: %v %v", ver, mr, err)
		}
	}
	_, err = c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "nope"})
	wantCode(t, "ModelReady of an unknown model", err, codes.NotFound, `unknown model "nope"`, "served: cnn, multi")
	_, err = c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "cnn", Version: "2"})
	wantCode(t, "ModelMetadata of version 2", err, codes.NotFound, `no version "2"`, "served as version 1")

	hc := healthpb.NewHealthClient(cc)
	hr, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health Check: %v %v", hr, err)
	}

	h.Drain()
	ready, err = c.ServerReady(ctx, &pb.ServerReadyRequest{})
	if err != nil || ready.Ready {
		t.Fatalf("ServerReady after Drain: %v %v", ready, err)
	}
	mr, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "cnn"})
	if err != nil || mr.Ready {
		t.Fatalf("ModelReady after Drain: %v %v", mr, err)
	}
	hr, err = hc.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health Check after Drain: %v %v", hr, err)
	}
	if live, err := c.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil || !live.Live {
		t.Fatalf("ServerLive after Drain: %v %v", live, err)
	}
}

// TestGRPCInferBitForBit: ModelInfer answers what Model.Predict gives on
// the same rows, bit for bit, with the inputs in raw_input_contents or in
// contents.fp32_contents, in any order, and only the outputs asked for.
func TestGRPCInferBitForBit(t *testing.T) {
	h, cnn, multi := newTestHandler(t, Options{})
	cc, _ := grpcServe(t, h)
	c := pb.NewGRPCInferenceServiceClient(cc)
	ctx := context.Background()

	x := randRows(3, []int{6, 6, 2}, 1)
	want, err := cnn.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := &pb.ModelInferRequest_InferInputTensor{Name: cnn.InputNames()[0], Datatype: "FP32", Shape: int64s(x.Shape)}
	resp, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "cnn", Id: "req-7", Inputs: []*pb.ModelInferRequest_InferInputTensor{in}, RawInputContents: [][]byte{rawFP32(x.Data)}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ModelName != "cnn" || resp.ModelVersion != "1" || resp.Id != "req-7" || len(resp.Outputs) != 1 || len(resp.RawOutputContents) != 1 {
		t.Fatalf("response %v", resp)
	}
	o := resp.Outputs[0]
	if o.Name != "probs" || o.Datatype != "FP32" || !slices.Equal(o.Shape, []int64{3, 5}) || o.Contents != nil {
		t.Fatalf("output %v", o)
	}
	sameBits(t, "raw input", fromRaw(t, resp.RawOutputContents[0]), want.Data)

	in.Contents = &pb.InferTensorContents{Fp32Contents: x.Data}
	resp, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "cnn", ModelVersion: "1", Inputs: []*pb.ModelInferRequest_InferInputTensor{in}})
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "fp32_contents input", fromRaw(t, resp.RawOutputContents[0]), want.Data)

	// Two inputs given b first, the second output only.
	a, b := randRows(2, []int{3}, 2), randRows(2, []int{2, 2}, 3)
	wants := predictMulti(t, multi, a, b)
	resp, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "multi",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{
			{Name: "b", Datatype: "FP32", Shape: []int64{2, 2, 2}},
			{Name: "a", Datatype: "FP32", Shape: []int64{2, 3}},
		},
		Outputs:          []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "cls"}},
		RawInputContents: [][]byte{rawFP32(b.Data), rawFP32(a.Data)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Outputs) != 1 || resp.Outputs[0].Name != "cls" || !slices.Equal(resp.Outputs[0].Shape, []int64{2, 3}) {
		t.Fatalf("outputs %v", resp.Outputs)
	}
	sameBits(t, "multi cls", fromRaw(t, resp.RawOutputContents[0]), wants[1].Data)
}

// TestGRPCBadRequests: what the model cannot take is InvalidArgument with
// a message saying what is wrong; a message over MaxBodyBytes is gRPC's
// ResourceExhausted.
func TestGRPCBadRequests(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 4, MaxBodyBytes: 4096})
	cc, _ := grpcServe(t, h)
	c := pb.NewGRPCInferenceServiceClient(cc)
	x := randRows(2, []int{6, 6, 2}, 1)
	cnnIn := func() *pb.ModelInferRequest_InferInputTensor {
		return &pb.ModelInferRequest_InferInputTensor{Name: "input_layer", Datatype: "FP32", Shape: []int64{2, 6, 6, 2}}
	}
	raw := func(ins ...*pb.ModelInferRequest_InferInputTensor) *pb.ModelInferRequest {
		return &pb.ModelInferRequest{ModelName: "cnn", Inputs: ins, RawInputContents: [][]byte{rawFP32(x.Data)}}
	}
	nan := slices.Clone(x.Data)
	nan[5] = float32(math.NaN())
	inf := slices.Clone(x.Data)
	inf[9] = float32(math.Inf(-1))
	a, b := randRows(2, []int{3}, 2), randRows(3, []int{2, 2}, 3)
	for _, tc := range []struct {
		name  string
		req   func() *pb.ModelInferRequest
		code  codes.Code
		parts []string
	}{
		{"unknown model", func() *pb.ModelInferRequest { r := raw(cnnIn()); r.ModelName = "cnnx"; return r }, codes.NotFound, []string{`unknown model "cnnx"`}},
		{"datatype", func() *pb.ModelInferRequest { in := cnnIn(); in.Datatype = "INT32"; return raw(in) }, codes.InvalidArgument, []string{`datatype "INT32" is not supported`}},
		{"shape", func() *pb.ModelInferRequest { in := cnnIn(); in.Shape = []int64{2, 6, 6, 3}; return raw(in) }, codes.InvalidArgument, []string{"shape [2 6 6 3] does not match", "[-1 6 6 2]"}},
		{"rows over the batch", func() *pb.ModelInferRequest { in := cnnIn(); in.Shape[0] = 5; return raw(in) }, codes.InvalidArgument, []string{"5 rows, over the server's max batch size of 4"}},
		{"no rows", func() *pb.ModelInferRequest {
			in := cnnIn()
			in.Shape[0] = 0
			return &pb.ModelInferRequest{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{in}, RawInputContents: [][]byte{{}}}
		}, codes.InvalidArgument, []string{"no rows"}},
		{"raw count", func() *pb.ModelInferRequest {
			r := raw(cnnIn())
			r.RawInputContents = append(r.RawInputContents, nil)
			return r
		}, codes.InvalidArgument, []string{"2 raw_input_contents for 1 inputs"}},
		{"raw length", func() *pb.ModelInferRequest {
			r := raw(cnnIn())
			r.RawInputContents[0] = r.RawInputContents[0][4:]
			return r
		}, codes.InvalidArgument, []string{"raw_input_contents[0] has 572 bytes", "needs 144 FP32 values, 576 bytes"}},
		{"raw NaN", func() *pb.ModelInferRequest { r := raw(cnnIn()); r.RawInputContents[0] = rawFP32(nan); return r }, codes.InvalidArgument, []string{"element 5 is NaN; inputs must be finite"}},
		{"raw and contents", func() *pb.ModelInferRequest {
			in := cnnIn()
			in.Contents = &pb.InferTensorContents{Fp32Contents: x.Data}
			return raw(in)
		}, codes.InvalidArgument, []string{"has contents and the request has raw_input_contents"}},
		{"no values", func() *pb.ModelInferRequest {
			return &pb.ModelInferRequest{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{cnnIn()}}
		}, codes.InvalidArgument, []string{"has no values"}},
		{"int contents", func() *pb.ModelInferRequest {
			in := cnnIn()
			in.Contents = &pb.InferTensorContents{IntContents: []int32{1}}
			return &pb.ModelInferRequest{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{in}}
		}, codes.InvalidArgument, []string{"contents.int_contents", "go in fp32_contents"}},
		{"fp32 count", func() *pb.ModelInferRequest {
			in := cnnIn()
			in.Contents = &pb.InferTensorContents{Fp32Contents: x.Data[1:]}
			return &pb.ModelInferRequest{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{in}}
		}, codes.InvalidArgument, []string{"fp32_contents has 143 values", "needs 144"}},
		{"fp32 infinite", func() *pb.ModelInferRequest {
			in := cnnIn()
			in.Contents = &pb.InferTensorContents{Fp32Contents: inf}
			return &pb.ModelInferRequest{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{in}}
		}, codes.InvalidArgument, []string{"element 9 is -Inf"}},
		{"unknown input", func() *pb.ModelInferRequest { in := cnnIn(); in.Name = "image"; return raw(in) }, codes.InvalidArgument, []string{`unknown input "image"`, "input_layer [-1 6 6 2]"}},
		{"input count", func() *pb.ModelInferRequest { return raw() }, codes.InvalidArgument, []string{"the request has 0 inputs", "takes 1"}},
		{"input twice", func() *pb.ModelInferRequest {
			return &pb.ModelInferRequest{ModelName: "multi",
				Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "a", Datatype: "FP32", Shape: []int64{2, 3}}, {Name: "a", Datatype: "FP32", Shape: []int64{2, 3}}},
				RawInputContents: [][]byte{rawFP32(a.Data), rawFP32(a.Data)}}
		}, codes.InvalidArgument, []string{`input "a" is given twice`}},
		{"rows differ", func() *pb.ModelInferRequest {
			return &pb.ModelInferRequest{ModelName: "multi",
				Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "a", Datatype: "FP32", Shape: []int64{2, 3}}, {Name: "b", Datatype: "FP32", Shape: []int64{3, 2, 2}}},
				RawInputContents: [][]byte{rawFP32(a.Data), rawFP32(b.Data)}}
		}, codes.InvalidArgument, []string{`input "b" has 3 rows and another input 2`}},
		{"unknown output", func() *pb.ModelInferRequest {
			r := raw(cnnIn())
			r.Outputs = []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits"}}
			return r
		}, codes.InvalidArgument, []string{`unknown output "logits"`, "probs [-1 5]"}},
		{"output twice", func() *pb.ModelInferRequest {
			r := raw(cnnIn())
			r.Outputs = []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "probs"}, {Name: "probs"}}
			return r
		}, codes.InvalidArgument, []string{`output "probs" is asked for twice`}},
		{"over MaxBodyBytes", func() *pb.ModelInferRequest {
			r := raw(cnnIn())
			r.Id = strings.Repeat("x", 5000)
			return r
		}, codes.ResourceExhausted, nil},
	} {
		_, err := c.ModelInfer(context.Background(), tc.req())
		wantCode(t, tc.name, err, tc.code, tc.parts...)
	}
}

// TestGRPCToken: with Options.Token every call but ServerLive (and the
// health service) needs "authorization: Bearer <token>" in its metadata.
func TestGRPCToken(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{Token: "s3cret"})
	cc, _ := grpcServe(t, h)
	c := pb.NewGRPCInferenceServiceClient(cc)
	ctx := context.Background()
	if _, err := c.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil {
		t.Fatalf("ServerLive without a token: %v", err)
	}
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health Check without a token: %v", err)
	}
	for _, md := range [][]string{nil, {"authorization", "Bearer wrong"}, {"authorization", "s3cret"}} {
		cctx := ctx
		if md != nil {
			cctx = metadata.AppendToOutgoingContext(ctx, md...)
		}
		_, err := c.ServerReady(cctx, &pb.ServerReadyRequest{})
		wantCode(t, "ServerReady with "+strings.Join(md, ": "), err, codes.Unauthenticated, "Bearer <token>")
	}
	for _, v := range []string{"Bearer s3cret", "bearer s3cret"} {
		cctx := metadata.AppendToOutgoingContext(ctx, "authorization", v)
		if _, err := c.ModelMetadata(cctx, &pb.ModelMetadataRequest{Name: "cnn"}); err != nil {
			t.Fatalf("ModelMetadata with %q: %v", v, err)
		}
	}
}

// TestGRPCMetricsAndLog: gRPC calls are counted in the same metrics as
// REST requests, the code label holding gRPC's code name, and logged.
func TestGRPCMetricsAndLog(t *testing.T) {
	var logs bytes.Buffer
	h, _, _ := newTestHandler(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cc, _ := grpcServe(t, h)
	c := pb.NewGRPCInferenceServiceClient(cc)
	x := randRows(1, []int{6, 6, 2}, 4)
	req := &pb.ModelInferRequest{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input_layer", Datatype: "FP32", Shape: []int64{1, 6, 6, 2}}}, RawInputContents: [][]byte{rawFP32(x.Data)}}
	for range 3 {
		if _, err := c.ModelInfer(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	req.Inputs[0].Datatype = "FP64"
	_, err := c.ModelInfer(context.Background(), req)
	wantCode(t, "FP64", err, codes.InvalidArgument)

	fams := scrape(t, h)
	for code, n := range map[string]float64{"OK": 3, "InvalidArgument": 1} {
		m := series(fams, "gokeras_serve_requests_total", map[string]string{"model": "cnn", "endpoint": "infer", "code": code})
		if m == nil || m.GetCounter().GetValue() != n {
			t.Errorf("requests_total{cnn, infer, %s}: %v, want %v", code, m, n)
		}
	}
	out := logs.String()
	for _, want := range []string{
		`level=INFO msg=request method=gRPC path=/inference.GRPCInferenceService/ModelInfer model=cnn endpoint=infer grpc_code=OK duration=`,
		`level=WARN msg=request method=gRPC path=/inference.GRPCInferenceService/ModelInfer model=cnn endpoint=infer grpc_code=InvalidArgument duration=`,
		` rows=1 batch=1`,
		`error="input \"input_layer\": datatype \"FP64\" is not supported; the model takes FP32"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log has no %q:\n%s", want, out)
		}
	}
}

// TestGRPCWireNumbers checks the generated types against the protocol's
// field numbers (kserve/kserve docs/predict-api/v2/grpc_predict_v2.proto),
// encoding a request and decoding a response by hand with protowire, so
// that a wrong number in inference.proto cannot hide behind a Go client
// and server that share it.
func TestGRPCWireNumbers(t *testing.T) {
	// ModelInferRequest: model_name 1, model_version 2, id 3, inputs 5,
	// outputs 6, raw_input_contents 7; InferInputTensor: name 1,
	// datatype 2, shape 3 (packed int64), contents 5;
	// InferTensorContents: fp32_contents 6 (packed float);
	// InferRequestedOutputTensor: name 1.
	var shape []byte
	for _, d := range []uint64{1, 2} {
		shape = protowire.AppendVarint(shape, d)
	}
	var fp32 []byte
	for _, v := range []float32{0.5, -2} {
		fp32 = protowire.AppendFixed32(fp32, math.Float32bits(v))
	}
	var contents []byte
	contents = protowire.AppendTag(contents, 6, protowire.BytesType)
	contents = protowire.AppendBytes(contents, fp32)
	var input []byte
	input = protowire.AppendTag(input, 1, protowire.BytesType)
	input = protowire.AppendString(input, "x")
	input = protowire.AppendTag(input, 2, protowire.BytesType)
	input = protowire.AppendString(input, "FP32")
	input = protowire.AppendTag(input, 3, protowire.BytesType)
	input = protowire.AppendBytes(input, shape)
	input = protowire.AppendTag(input, 5, protowire.BytesType)
	input = protowire.AppendBytes(input, contents)
	var output []byte
	output = protowire.AppendTag(output, 1, protowire.BytesType)
	output = protowire.AppendString(output, "y")
	var msg []byte
	for _, f := range []struct {
		num protowire.Number
		b   []byte
	}{{1, []byte("m")}, {2, []byte("1")}, {3, []byte("id9")}, {5, input}, {6, output}, {7, []byte{1, 2, 3, 4}}} {
		msg = protowire.AppendTag(msg, f.num, protowire.BytesType)
		msg = protowire.AppendBytes(msg, f.b)
	}
	var req pb.ModelInferRequest
	if err := proto.Unmarshal(msg, &req); err != nil {
		t.Fatal(err)
	}
	want := &pb.ModelInferRequest{ModelName: "m", ModelVersion: "1", Id: "id9",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "x", Datatype: "FP32", Shape: []int64{1, 2}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{0.5, -2}}}},
		Outputs:          []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "y"}},
		RawInputContents: [][]byte{{1, 2, 3, 4}}}
	if !proto.Equal(&req, want) || len(req.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("hand-encoded request decodes as\n%v\nwant\n%v", &req, want)
	}

	// ModelInferResponse: model_name 1, model_version 2, id 3, outputs 5,
	// raw_output_contents 6; InferOutputTensor: name 1, datatype 2,
	// shape 3.
	resp := &pb.ModelInferResponse{ModelName: "m", ModelVersion: "1", Id: "id9",
		Outputs:           []*pb.ModelInferResponse_InferOutputTensor{{Name: "y", Datatype: "FP32", Shape: []int64{1, 3}}},
		RawOutputContents: [][]byte{{9, 8}}}
	b, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	got := map[protowire.Number][]byte{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			t.Fatalf("response field %d of type %v", num, typ)
		}
		v, m := protowire.ConsumeBytes(b[n:])
		got[num] = v
		b = b[n+m:]
	}
	if string(got[1]) != "m" || string(got[2]) != "1" || string(got[3]) != "id9" || !bytes.Equal(got[6], []byte{9, 8}) {
		t.Fatalf("response fields %v", got)
	}
	out := got[5]
	fields := map[protowire.Number][]byte{}
	for len(out) > 0 {
		num, _, n := protowire.ConsumeTag(out)
		v, m := protowire.ConsumeBytes(out[n:])
		fields[num] = v
		out = out[n+m:]
	}
	if string(fields[1]) != "y" || string(fields[2]) != "FP32" || !bytes.Equal(fields[3], []byte{1, 3}) {
		t.Fatalf("output tensor fields %v", fields)
	}
}

// grpcPythonClient is an independent client: Python's grpcio (Debian's
// python3-grpcio, gRPC's C core) calling ModelInfer with a request it
// encodes by hand from the protocol's field numbers, and decoding the
// answer the same way, with no generated code. It prints the output's
// name, shape and values.
const grpcPythonClient = `
import json, struct, sys
import grpc

def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def field(num, payload):  # a length-delimited field
    return varint(num << 3 | 2) + varint(len(payload)) + payload

def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]; i += 1
        n |= (c & 0x7f) << shift; shift += 7
        if c < 0x80:
            return n, i

def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = read_varint(b, i)
        assert key & 7 == 2, key
        n, i = read_varint(b, i)
        out.append((key >> 3, b[i:i + n])); i += n
    return out

req = json.load(sys.stdin)
shape = b"".join(varint(d) for d in req["shape"])
tensor = field(1, req["input"].encode()) + field(2, b"FP32") + field(3, shape)
raw = struct.pack("<%df" % len(req["data"]), *req["data"])
msg = field(1, req["model"].encode()) + field(3, b"py-1") + field(5, tensor) + field(7, raw)
with grpc.insecure_channel(req["addr"]) as ch:
    call = ch.unary_unary("/inference.GRPCInferenceService/ModelInfer")
    answer = call(msg, timeout=30)
top = fields(answer)
out = {"id": "", "outputs": [], "raw": []}
for num, v in top:
    if num == 3:
        out["id"] = v.decode()
    elif num == 5:
        t = {"shape": []}
        for n, w in fields(v):
            if n == 1:
                t["name"] = w.decode()
            elif n == 2:
                t["datatype"] = w.decode()
            elif n == 3:
                i = 0
                while i < len(w):
                    d, i = read_varint(w, i)
                    t["shape"].append(d)
        out["outputs"].append(t)
    elif num == 6:
        out["raw"].append(list(struct.unpack("<%df" % (len(v) // 4), v)))
print(json.dumps(out))
`

// TestGRPCPythonClient: a client built on another gRPC stack (Python's
// grpcio) gets Predict's values; skipped without python3-grpcio.
func TestGRPCPythonClient(t *testing.T) {
	pyref.Require(t, "grpc")
	h, cnn, _ := newTestHandler(t, Options{})
	_, addr := grpcServe(t, h)
	x := randRows(2, []int{6, 6, 2}, 5)
	want, err := cnn.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID      string
		Outputs []struct {
			Name, Datatype string
			Shape          []int
		}
		Raw [][]float32
	}
	pyref.Run(t, grpcPythonClient, map[string]any{"addr": addr, "model": "cnn", "input": "input_layer", "shape": x.Shape, "data": x.Data}, &got, "grpc")
	if got.ID != "py-1" || len(got.Outputs) != 1 || got.Outputs[0].Name != "probs" || got.Outputs[0].Datatype != "FP32" || !slices.Equal(got.Outputs[0].Shape, []int{2, 5}) || len(got.Raw) != 1 {
		t.Fatalf("Python client got %+v", got)
	}
	sameBits(t, "Python client's output", got.Raw[0], want.Data)
}

// FuzzGRPCInfer: whatever bytes arrive as a ModelInferRequest, the
// service answers OK or a client error, never a panic (which call turns
// into Internal) or a hang.
func FuzzGRPCInfer(f *testing.F) {
	x := randRows(1, []int{6, 6, 2}, 6)
	for _, r := range []*pb.ModelInferRequest{
		{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input_layer", Datatype: "FP32", Shape: []int64{1, 6, 6, 2}}}, RawInputContents: [][]byte{rawFP32(x.Data)}},
		{ModelName: "cnn", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input_layer", Datatype: "FP32", Shape: []int64{1, 6, 6, 2}, Contents: &pb.InferTensorContents{Fp32Contents: x.Data}}}},
		{ModelName: "multi", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "a", Datatype: "FP32", Shape: []int64{1, 3}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{1, 2, 3}}}, {Name: "b", Datatype: "FP32", Shape: []int64{1, 2, 2}, Contents: &pb.InferTensorContents{Fp32Contents: []float32{1, 2, 3, 4}}}}, Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "cls"}}},
	} {
		b, err := proto.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h, _, _ := newTestHandler(f, Options{MaxBatchSize: 8})
	s := &grpcService{h: h}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req pb.ModelInferRequest
		if proto.Unmarshal(b, &req) != nil {
			return
		}
		resp, err := s.ModelInfer(context.Background(), &req)
		switch status.Code(err) {
		case codes.OK:
			if len(resp.Outputs) == 0 || len(resp.Outputs) != len(resp.RawOutputContents) {
				t.Fatalf("OK with %d outputs and %d raw contents", len(resp.Outputs), len(resp.RawOutputContents))
			}
		case codes.InvalidArgument, codes.NotFound:
		default:
			t.Fatalf("ModelInfer: %v", err)
		}
	})
}

// TestGRPCDrain: calls waiting for their batch when shutdown begins are
// answered: Drain runs the queue at once, GracefulStop waits for the calls,
// then Close.
func TestGRPCDrain(t *testing.T) {
	h, cnn, _ := newTestHandler(t, Options{MaxQueueDelay: time.Minute, MaxBatchSize: 32})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var entered atomic.Int32
	s := h.NewGRPCServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		entered.Add(1)
		return handler(ctx, req)
	}))
	go s.Serve(ln)
	defer s.Stop()
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := pb.NewGRPCInferenceServiceClient(cc)
	x := randRows(1, []int{6, 6, 2}, 8)
	want, err := cnn.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	const calls = 4
	errs := make(chan error, calls)
	for range calls {
		go func() {
			resp, err := c.ModelInfer(context.Background(), &pb.ModelInferRequest{ModelName: "cnn",
				Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "input_layer", Datatype: "FP32", Shape: []int64{1, 6, 6, 2}}},
				RawInputContents: [][]byte{rawFP32(x.Data)}})
			if err == nil && !slices.Equal(fromRaw(t, resp.RawOutputContents[0]), want.Data) {
				err = fmt.Errorf("outputs %v, want %v", fromRaw(t, resp.RawOutputContents[0]), want.Data)
			}
			errs <- err
		}()
	}
	// Once the server has every call, shutdown begins; the batch would wait
	// a minute for more rows unless Drain hurried it.
	deadline := time.Now().Add(30 * time.Second)
	for entered.Load() < calls {
		if time.Now().After(deadline) {
			t.Fatalf("the server has %d calls after 30 s, want %d", entered.Load(), calls)
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-errs:
		t.Fatalf("a call answered before Drain: %v", err)
	default:
	}
	h.Drain()
	s.GracefulStop()
	h.Close()
	for range calls {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
