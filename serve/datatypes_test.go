package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
	pb "github.com/gokeras/gokeras/serve/inferencepb"
	"github.com/gokeras/gokeras/tensor"
	"google.golang.org/grpc/codes"
)

// tabularModel has an int64 input of zip-code-like ids through an
// IntegerLookup and an FP32 input.
func tabularModel(t testing.TB) *gokeras.Model {
	ids, num := gokeras.Input(2), gokeras.Input(1)
	ids.Name, ids.DType, num.Name = "ids", "int64", "num"
	feat := nn.Merge(&nn.Concatenate{}, nn.Call(&nn.IntegerLookup{Vocabulary: []int64{101, 202, 303}, OutputMode: "multi_hot"}, ids), num)
	out := nn.Call(&nn.Dense{Units: 1, Name: "score"}, feat)
	m, err := gokeras.NewModel([]nn.Symbolic{ids, num}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = 5
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestIntegerInputs: an input declared int64 is INT64 in the metadata and
// takes INT64 (JSON, binary, gRPC contents and raw) or FP32; its outputs
// equal Predict's; fractions, values beyond 2^24 and other datatypes are
// refused.
func TestIntegerInputs(t *testing.T) {
	m := tabularModel(t)
	h, err := New(map[string]*gokeras.Model{"tab": m}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ids := tensor.New(2, 2)
	copy(ids.Data, []float32{101, 303, 7, 202})
	num := tensor.New(2, 1)
	copy(num.Data, []float32{0.5, -1})
	want := predictMulti(t, m, ids, num)[0]

	if code, _, body := do(t, h, "GET", "/v2/models/tab", ""); code != 200 || !strings.Contains(string(body), `{"name":"ids","datatype":"INT64","shape":[-1,2]}`) {
		t.Errorf("metadata: %d %s", code, body)
	}
	numJSON := `{"name":"num","shape":[2,1],"datatype":"FP32","data":[0.5,-1]}`
	for _, dt := range []string{"INT64", "FP32"} {
		code, _, body := do(t, h, "POST", "/v2/models/tab/infer", `{"inputs":[{"name":"ids","shape":[2,2],"datatype":"`+dt+`","data":[101,303,7,202]},`+numJSON+`]}`)
		if code != 200 {
			t.Fatalf("%s JSON: %d %s", dt, code, body)
		}
		w := httptest.NewRecorder()
		w.Body.Write(body)
		got, _ := splitResponse(t, w)
		sameBits(t, dt+" JSON", got["score"], want.Data)
	}

	// Binary: INT64 ids, FP32 num.
	header := `{"inputs":[{"name":"ids","shape":[2,2],"datatype":"INT64","parameters":{"binary_data_size":32}},{"name":"num","shape":[2,1],"datatype":"FP32","parameters":{"binary_data_size":8}}]}`
	body := []byte(header)
	for _, v := range []int64{101, 303, 7, 202} {
		body = binary.LittleEndian.AppendUint64(body, uint64(v))
	}
	body = appendFP32(body, num.Data)
	req := httptest.NewRequest("POST", "/v2/models/tab/infer", bytes.NewReader(body))
	req.Header.Set(headerLength, strconv.Itoa(len(header)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("binary INT64: %d %s", w.Code, w.Body.Bytes())
	}
	got, _ := splitResponse(t, w)
	sameBits(t, "binary INT64", got["score"], want.Data)

	for _, tc := range []struct{ ids, says string }{
		{`"datatype":"INT64","data":[101,303.5,7,202]`, "element 1 is 303.5; an integer input takes whole numbers"},
		{`"datatype":"INT64","data":[101,303,7,20000000]`, "element 3 is 2e+07"},
		{`"datatype":"INT32","data":[101,303,7,202]`, `datatype "INT32" is not supported; the input takes INT64 (or FP32)`},
	} {
		code, _, body := do(t, h, "POST", "/v2/models/tab/infer", `{"inputs":[{"name":"ids","shape":[2,2],`+tc.ids+`},`+numJSON+`]}`)
		if msg := errorBody(t, body); code != 400 || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: %d %s", tc.ids, code, msg)
		}
	}
	if code, _, body := do(t, h, "POST", "/v2/models/tab/infer", `{"inputs":[{"name":"ids","shape":[2,2],"datatype":"INT64","data":[101,303,7,202]},{"name":"num","shape":[2,1],"datatype":"INT64","data":[1,2]}]}`); code != 400 || !strings.Contains(errorBody(t, body), "the model takes FP32") {
		t.Errorf("INT64 for a float input: %d %s", code, body)
	}

	// gRPC: int64_contents, and raw INT64 bytes.
	cc, _ := grpcServe(t, h)
	c := pb.NewGRPCInferenceServiceClient(cc)
	ctx := context.Background()
	meta, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "tab"})
	if err != nil || meta.Inputs[0].Datatype != "INT64" || meta.Inputs[1].Datatype != "FP32" {
		t.Fatalf("gRPC metadata %v, %v", meta, err)
	}
	numIn := &pb.ModelInferRequest_InferInputTensor{Name: "num", Datatype: "FP32", Shape: []int64{2, 1}, Contents: &pb.InferTensorContents{Fp32Contents: num.Data}}
	idsIn := &pb.ModelInferRequest_InferInputTensor{Name: "ids", Datatype: "INT64", Shape: []int64{2, 2}, Contents: &pb.InferTensorContents{Int64Contents: []int64{101, 303, 7, 202}}}
	resp, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "tab", Inputs: []*pb.ModelInferRequest_InferInputTensor{idsIn, numIn}})
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "gRPC int64_contents", fromRaw(t, resp.RawOutputContents[0]), want.Data)
	var raw []byte
	for _, v := range []int64{101, 303, 7, 202} {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	idsRaw := &pb.ModelInferRequest_InferInputTensor{Name: "ids", Datatype: "INT64", Shape: []int64{2, 2}}
	numRaw := &pb.ModelInferRequest_InferInputTensor{Name: "num", Datatype: "FP32", Shape: []int64{2, 1}}
	resp, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "tab", Inputs: []*pb.ModelInferRequest_InferInputTensor{idsRaw, numRaw}, RawInputContents: [][]byte{raw, rawFP32(num.Data)}})
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "gRPC raw INT64", fromRaw(t, resp.RawOutputContents[0]), want.Data)
	idsIn.Contents = &pb.InferTensorContents{IntContents: []int32{101, 303, 7, 202}}
	_, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "tab", Inputs: []*pb.ModelInferRequest_InferInputTensor{idsIn, numIn}})
	wantCode(t, "INT64 values in int_contents", err, codes.InvalidArgument, "contents.int_contents", "int64_contents")
}

// TestIntegerInputTFServing: TF Serving's metadata gives an int64 input
// DT_INT64, and :predict takes its values as JSON numbers.
func TestIntegerInputTFServing(t *testing.T) {
	m := tabularModel(t)
	h, err := New(map[string]*gokeras.Model{"tab": m}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	code, _, body := do(t, h, "GET", "/v1/models/tab/metadata", "")
	if code != 200 || !strings.Contains(string(body), `"ids":{"dtype":"DT_INT64"`) || !strings.Contains(string(body), `"num":{"dtype":"DT_FLOAT"`) {
		t.Errorf("metadata: %d %s", code, body)
	}
	code, _, body = do(t, h, "POST", "/v1/models/tab:predict", `{"instances":[{"ids":[101,7],"num":[0.5]}]}`)
	if code != 200 {
		t.Errorf("predict: %d %s", code, body)
	}
}
