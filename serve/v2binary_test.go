package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
)

// binaryRequest is a V2 request in the binary tensor data extension's
// form: the JSON header, then the raw tensors, with the header's length.
func binaryRequest(t testing.TB, h *Handler, path, header string, tensors ...[]float32) *httptest.ResponseRecorder {
	t.Helper()
	body := []byte(header)
	for _, d := range tensors {
		body = appendFP32(body, d)
	}
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(headerLength, strconv.Itoa(len(header)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

type v2Out struct {
	Name       string         `json:"name"`
	Datatype   string         `json:"datatype"`
	Shape      []int          `json:"shape"`
	Parameters map[string]any `json:"parameters"`
	Data       any            `json:"data"`
}

// splitResponse reads a response that may carry binary outputs: the JSON
// part's outputs, and each output's values, whether sent as JSON or as
// bytes after the JSON part.
func splitResponse(t testing.TB, w *httptest.ResponseRecorder) (map[string][]float32, []v2Out) {
	t.Helper()
	body := w.Body.Bytes()
	js, bin := body, []byte(nil)
	if v := w.Header().Get(headerLength); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n > len(body) {
			t.Fatalf("%s: %q with a body of %d bytes", headerLength, v, len(body))
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("binary response's Content-Type is %q", ct)
		}
		js, bin = body[:n], body[n:]
	}
	var resp struct {
		Outputs []v2Out `json:"outputs"`
	}
	if err := json.Unmarshal(js, &resp); err != nil {
		t.Fatalf("JSON part %s: %v", js, err)
	}
	vals := map[string][]float32{}
	for _, o := range resp.Outputs {
		if size, ok := o.Parameters["binary_data_size"].(float64); ok {
			if o.Data != nil {
				t.Errorf("output %s has both data and binary_data_size", o.Name)
			}
			n := int(size)
			if n > len(bin) || n%4 != 0 {
				t.Fatalf("output %s: binary_data_size %d, %d bytes left", o.Name, n, len(bin))
			}
			v := make([]float32, n/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(bin[4*i:]))
			}
			vals[o.Name], bin = v, bin[n:]
			continue
		}
		vals[o.Name] = float32s(t, o.Data)
	}
	if len(bin) != 0 {
		t.Errorf("%d bytes after the last binary output", len(bin))
	}
	return vals, resp.Outputs
}

// TestV2BinaryBitForBit: the binary tensor data extension's requests, in
// every mix of binary and JSON inputs and outputs, answer Predict's
// values bit for bit, with the shapes and parameters the extension
// documents.
func TestV2BinaryBitForBit(t *testing.T) {
	h, cnn, multi := newTestHandler(t, Options{})
	for _, n := range []int{1, 3} {
		x := randRows(n, []int{6, 6, 2}, uint64(40+n))
		want, err := cnn.Predict(x, 0)
		if err != nil {
			t.Fatal(err)
		}
		in := fmt.Sprintf(`{"name":"input_layer","shape":%s,"datatype":"FP32","parameters":{"binary_data_size":%d}}`, jsonInts(x.Shape), 4*len(x.Data))
		jsonIn := fmt.Sprintf(`{"name":"input_layer","shape":%s,"datatype":"FP32","data":%s}`, jsonInts(x.Shape), flat(x.Data))
		for _, tc := range []struct {
			name, header string
			tensors      [][]float32
			binaryOut    bool
		}{
			{"binary in, JSON out", `{"inputs":[` + in + `]}`, [][]float32{x.Data}, false},
			{"binary in, binary_data_output", `{"inputs":[` + in + `],"parameters":{"binary_data_output":true}}`, [][]float32{x.Data}, true},
			{"binary in, output binary_data", `{"inputs":[` + in + `],"outputs":[{"name":"probs","parameters":{"binary_data":true}}]}`, [][]float32{x.Data}, true},
			{"output binary_data false wins", `{"inputs":[` + in + `],"parameters":{"binary_data_output":true},"outputs":[{"name":"probs","parameters":{"binary_data":false}}]}`, [][]float32{x.Data}, false},
			{"JSON in, binary out", `{"inputs":[` + jsonIn + `],"parameters":{"binary_data_output":true}}`, nil, true},
		} {
			var w *httptest.ResponseRecorder
			if tc.tensors == nil {
				// No binary input: a plain JSON request asking for binary outputs.
				w = httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("POST", "/v2/models/cnn/infer", strings.NewReader(tc.header)))
			} else {
				w = binaryRequest(t, h, "/v2/models/cnn/infer", tc.header, tc.tensors...)
			}
			if w.Code != 200 {
				t.Fatalf("n=%d %s: %d %s", n, tc.name, w.Code, w.Body.Bytes())
			}
			if got := w.Header().Get(headerLength) != ""; got != tc.binaryOut {
				t.Errorf("n=%d %s: binary response %v, want %v", n, tc.name, got, tc.binaryOut)
			}
			vals, outs := splitResponse(t, w)
			if len(outs) != 1 || outs[0].Name != "probs" || outs[0].Datatype != "FP32" || !slices.Equal(outs[0].Shape, []int{n, 5}) {
				t.Fatalf("n=%d %s: outputs %+v", n, tc.name, outs)
			}
			if tc.binaryOut && outs[0].Parameters["binary_data_size"] != float64(4*5*n) {
				t.Errorf("n=%d %s: binary_data_size %v, want %d", n, tc.name, outs[0].Parameters["binary_data_size"], 4*5*n)
			}
			sameBits(t, fmt.Sprintf("n=%d %s", n, tc.name), vals["probs"], want.Data)
		}
	}

	// Two inputs, one binary and one JSON; two outputs, one binary.
	a, b := randRows(2, []int{3}, 50), randRows(2, []int{2, 2}, 51)
	want, err := multi.PredictMulti(gokeras.Named{"a": a, "b": b}, 0)
	if err != nil {
		t.Fatal(err)
	}
	header := fmt.Sprintf(`{"inputs":[{"name":"b","shape":[2,2,2],"datatype":"FP32","data":%s},{"name":"a","shape":[2,3],"datatype":"FP32","parameters":{"binary_data_size":24}}],"outputs":[{"name":"cls","parameters":{"binary_data":true}},{"name":"score"}]}`, flat(b.Data))
	w := binaryRequest(t, h, "/v2/models/multi/infer", header, a.Data)
	if w.Code != 200 {
		t.Fatalf("multi: %d %s", w.Code, w.Body.Bytes())
	}
	vals, outs := splitResponse(t, w)
	if len(outs) != 2 || outs[0].Name != "cls" || outs[1].Name != "score" {
		t.Fatalf("multi outputs %+v", outs)
	}
	names := multi.OutputNames()
	for i, name := range names {
		sameBits(t, "multi "+name, vals[name], want[i].Data)
	}
}

// TestV2BinaryRefused: malformed binary requests get 400 with a message
// that says what is wrong, and the server keeps serving.
func TestV2BinaryRefused(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{})
	good := make([]float32, 72)
	in := func(params string) string {
		return `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","parameters":` + params + `}]}`
	}
	nan := slices.Clone(good)
	nan[7] = float32(math.NaN())
	inf := slices.Clone(good)
	inf[0] = float32(math.Inf(-1))
	for _, tc := range []struct {
		name, header string
		length       string // the header's value; "" for the JSON part's length
		tensors      [][]float32
		says         string
	}{
		{"length not a number", in(`{"binary_data_size":288}`), "abc", [][]float32{good}, "not a length"},
		{"length negative", in(`{"binary_data_size":288}`), "-1", [][]float32{good}, "not a length"},
		{"length past the body", in(`{"binary_data_size":288}`), "100000", [][]float32{good}, "not a length within the body"},
		{"size short of the shape", in(`{"binary_data_size":284}`), "", [][]float32{good[:71]}, "needs 72 FP32 values, 288 bytes"},
		{"size past the body", in(`{"binary_data_size":400}`), "", [][]float32{good}, "only 288 remain"},
		{"bytes left over", in(`{"binary_data_size":288}`), "", [][]float32{good, {1}}, "4 bytes follow the last binary input"},
		{"size not whole", in(`{"binary_data_size":2.5}`), "", [][]float32{good}, "whole number"},
		{"size a string", in(`{"binary_data_size":"288"}`), "", [][]float32{good}, "whole number"},
		{"NaN", in(`{"binary_data_size":288}`), "", [][]float32{nan}, "element 7 is NaN"},
		{"infinity", in(`{"binary_data_size":288}`), "", [][]float32{inf}, "element 0 is -Inf"},
		{"data and size", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":` + flat(good) + `,"parameters":{"binary_data_size":288}}]}`, "", [][]float32{good}, "both"},
		{"binary_data on an input", in(`{"binary_data":true}`), "", [][]float32{good}, "does not belong here"},
		{"binary_data_output on an output", in(`{"binary_data_size":288}`)[:len(in(`{"binary_data_size":288}`))-1] + `,"outputs":[{"name":"probs","parameters":{"binary_data_output":true}}]}`, "", [][]float32{good}, "does not belong here"},
		{"binary_data not a bool", in(`{"binary_data_size":288}`)[:len(in(`{"binary_data_size":288}`))-1] + `,"outputs":[{"name":"probs","parameters":{"binary_data":1}}]}`, "", [][]float32{good}, "true or false"},
	} {
		body := []byte(tc.header)
		for _, d := range tc.tensors {
			body = appendFP32(body, d)
		}
		req := httptest.NewRequest("POST", "/v2/models/cnn/infer", bytes.NewReader(body))
		length := tc.length
		if length == "" {
			length = strconv.Itoa(len(tc.header))
		}
		req.Header.Set(headerLength, length)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 400 {
			t.Errorf("%s: %d %s, want 400", tc.name, w.Code, w.Body.Bytes())
			continue
		}
		if msg := errorBody(t, w.Body.Bytes()); !strings.Contains(msg, tc.says) {
			t.Errorf("%s: %q does not say %q", tc.name, msg, tc.says)
		}
	}
	// binary_data_size without the header.
	code, _, body := do(t, h, "POST", "/v2/models/cnn/infer", in(`{"binary_data_size":288}`))
	if msg := errorBody(t, body); code != 400 || !strings.Contains(msg, headerLength) {
		t.Errorf("binary_data_size without %s: %d %s", headerLength, code, body)
	}
	// Still serving.
	w := binaryRequest(t, h, "/v2/models/cnn/infer", in(`{"binary_data_size":288}`), good)
	if w.Code != 200 {
		t.Errorf("after the refusals: %d %s", w.Code, w.Body.Bytes())
	}
}
