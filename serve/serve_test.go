package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// cnnModel is a small CNN classifier on 6x6x2 inputs, with convolution,
// pooling and batch normalization (layers that keep per-call state).
func cnnModel(t testing.TB) *gokeras.Model {
	m := gokeras.NewSequential(
		&nn.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Padding: nn.Same, Activation: activation.ReLU, InputShape: tensor.Shape{6, 6, 2}},
		&nn.MaxPooling2D{},
		&nn.BatchNormalization{},
		&nn.Flatten{},
		&nn.Dense{Units: 5, Activation: activation.Softmax, Name: "probs"},
	)
	m.Seed = 7
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// multiModel has two named inputs and two outputs.
func multiModel(t testing.TB) *gokeras.Model {
	a := gokeras.Input(3)
	a.Name = "a"
	b := gokeras.Input(2, 2)
	b.Name = "b"
	fb := nn.Call(&nn.Flatten{}, b)
	cat := nn.Merge(&nn.Concatenate{}, a, fb)
	h := nn.Call(&nn.Dense{Units: 4, Activation: activation.Tanh}, cat)
	o1 := nn.Call(&nn.Dense{Units: 2, Name: "score"}, h)
	o2 := nn.Call(&nn.Dense{Units: 3, Activation: activation.Softmax, Name: "cls"}, h)
	m, err := gokeras.NewModel([]nn.Symbolic{a, b}, []nn.Symbolic{o1, o2})
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = 3
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

func randRows(n int, shape []int, seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 2))
	x := tensor.New(append([]int{n}, shape...)...)
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

func newTestHandler(t testing.TB, o Options) (*Handler, *gokeras.Model, *gokeras.Model) {
	cnn, multi := cnnModel(t), multiModel(t)
	h, err := New(map[string]*gokeras.Model{"cnn": cnn, "multi": multi}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, cnn, multi
}

// do sends a request to h and returns the status, headers and body.
func do(t testing.TB, h http.Handler, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Header(), w.Body.Bytes()
}

// flat formats data as a JSON array with every float32's shortest form.
func flat(data []float32) string { return string(appendFlat(nil, data)) }

func v2Body(name string, x *tensor.Tensor) string {
	return fmt.Sprintf(`{"inputs":[{"name":%q,"shape":%s,"datatype":"FP32","data":%s}]}`, name, jsonInts(x.Shape), flat(x.Data))
}

func jsonInts(s []int) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errorBody checks a body is exactly {"error": "<non-empty>"} and returns
// the message.
func errorBody(t testing.TB, body []byte) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s is not JSON: %v", body, err)
	}
	msg, ok := e["error"].(string)
	if len(e) != 1 || !ok || msg == "" {
		t.Fatalf("error body %s: want exactly {\"error\": \"...\"}", body)
	}
	return msg
}

func float32s(t testing.TB, v any) []float32 {
	t.Helper()
	var out []float32
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case float64:
			out = append(out, float32(v))
		default:
			t.Fatalf("unexpected %T in tensor data", v)
		}
	}
	walk(v)
	return out
}

func sameBits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (bit for bit)", what, i, got[i], want[i])
		}
	}
}

func TestHealthAndMetadata(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{})
	for _, tc := range []struct {
		method, path string
		code         int
		body         string // exact, or "" to skip
	}{
		{"GET", "/v2/health/live", 200, `{"live":true}`},
		{"GET", "/v2/health/ready", 200, `{"ready":true}`},
		{"GET", "/v2/models/cnn/ready", 200, `{"name":"cnn","ready":true}`},
		{"GET", "/v2/models/cnn", 200, `{"name":"cnn","versions":["1"],"platform":"gokeras","inputs":[{"name":"input_layer","datatype":"FP32","shape":[-1,6,6,2]}],"outputs":[{"name":"probs","datatype":"FP32","shape":[-1,5]}]}`},
		{"GET", "/v2/models/cnn/versions/1", 200, `{"name":"cnn","versions":["1"],"platform":"gokeras","inputs":[{"name":"input_layer","datatype":"FP32","shape":[-1,6,6,2]}],"outputs":[{"name":"probs","datatype":"FP32","shape":[-1,5]}]}`},
		{"GET", "/v2/models/multi", 200, `{"name":"multi","versions":["1"],"platform":"gokeras","inputs":[{"name":"a","datatype":"FP32","shape":[-1,3]},{"name":"b","datatype":"FP32","shape":[-1,2,2]}],"outputs":[{"name":"score","datatype":"FP32","shape":[-1,2]},{"name":"cls","datatype":"FP32","shape":[-1,3]}]}`},
		{"GET", "/v1/models/cnn", 200, `{"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`},
		{"GET", "/v1/models/cnn/versions/1", 200, `{"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`},
		{"GET", "/v2/models/nope", 404, ""},
		{"GET", "/v1/models/nope", 404, ""},
		{"POST", "/v1/models/nope:predict", 404, ""},
		{"GET", "/v2/models/cnn/versions/2", 404, ""},
		{"GET", "/v1/models/cnn/versions/7:predict", 404, ""},
		{"GET", "/v2/models/cnn/explain", 404, ""},
		{"GET", "/nothing", 404, ""},
		{"POST", "/v2/health/live", 405, ""},
		{"GET", "/v2/models/cnn/infer", 405, ""},
		{"GET", "/v1/models/cnn:predict", 405, ""},
		{"DELETE", "/v2/models/cnn", 405, ""},
		{"POST", "/v1/models/cnn:regress", 501, ""},
		{"POST", "/v1/models/cnn:classify", 400, ""}, // 6x6x2 inputs are no image
	} {
		code, hdr, body := do(t, h, tc.method, tc.path, "")
		if code != tc.code {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, code, tc.code, body)
			continue
		}
		if ct := hdr.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, ct)
		}
		if code >= 400 {
			errorBody(t, body)
			if code == 405 && hdr.Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
			}
			continue
		}
		if tc.body != "" && string(body) != tc.body {
			t.Errorf("%s %s:\n got %s\nwant %s", tc.method, tc.path, body, tc.body)
		}
	}
	// GET /v2: $metadata_server_response.
	code, _, body := do(t, h, "GET", "/v2", "")
	var meta struct {
		Name       string   `json:"name"`
		Version    string   `json:"version"`
		Extensions []string `json:"extensions"`
	}
	if err := json.Unmarshal(body, &meta); code != 200 || err != nil || meta.Name != "gokeras" || meta.Version == "" || meta.Extensions == nil {
		t.Errorf("GET /v2: %d %s", code, body)
	}
}

// TestPredictionsBitForBit: V2 infer and TF Serving predict (both forms)
// answer Model.Predict's values bit for bit, for 1 and several rows.
func TestPredictionsBitForBit(t *testing.T) {
	h, cnn, multi := newTestHandler(t, Options{})
	for _, n := range []int{1, 3, 8} {
		x := randRows(n, []int{6, 6, 2}, uint64(n))
		want, err := cnn.Predict(x, 0)
		if err != nil {
			t.Fatal(err)
		}
		// V2, flat data, with an id.
		body := fmt.Sprintf(`{"id":"r%d","inputs":[{"name":"input_layer","shape":%s,"datatype":"FP32","data":%s}],"outputs":[{"name":"probs"}]}`, n, jsonInts(x.Shape), flat(x.Data))
		code, _, out := do(t, h, "POST", "/v2/models/cnn/infer", body)
		if code != 200 {
			t.Fatalf("V2 infer: %d %s", code, out)
		}
		var resp struct {
			ModelName string `json:"model_name"`
			ID        string `json:"id"`
			Outputs   []struct {
				Name     string `json:"name"`
				Datatype string `json:"datatype"`
				Shape    []int  `json:"shape"`
				Data     any    `json:"data"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.ModelName != "cnn" || resp.ID != fmt.Sprintf("r%d", n) || len(resp.Outputs) != 1 ||
			resp.Outputs[0].Name != "probs" || resp.Outputs[0].Datatype != "FP32" || !slices.Equal(resp.Outputs[0].Shape, []int{n, 5}) {
			t.Fatalf("V2 response %s", out)
		}
		sameBits(t, "V2 infer", float32s(t, resp.Outputs[0].Data), want.Data)

		// V2 with the data nested as the shape.
		nested := fmt.Sprintf(`{"inputs":[{"name":"input_layer","shape":%s,"datatype":"FP32","data":%s}]}`, jsonInts(x.Shape), appendNested(nil, x.Data, x.Shape))
		code, _, out = do(t, h, "POST", "/v2/models/cnn/versions/1/infer", nested)
		if code != 200 {
			t.Fatalf("V2 nested: %d %s", code, out)
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		sameBits(t, "V2 infer (nested data)", float32s(t, resp.Outputs[0].Data), want.Data)

		// TF Serving, row and columnar forms.
		for _, form := range []struct{ key, answer string }{{"instances", "predictions"}, {"inputs", "outputs"}} {
			body := fmt.Sprintf(`{"signature_name":"serving_default",%q:%s}`, form.key, appendNested(nil, x.Data, x.Shape))
			code, _, out := do(t, h, "POST", "/v1/models/cnn:predict", body)
			if code != 200 {
				t.Fatalf("%s: %d %s", form.key, code, out)
			}
			var r map[string]any
			if err := json.Unmarshal(out, &r); err != nil || len(r) != 1 {
				t.Fatalf("%s: %s", form.key, out)
			}
			rows, ok := r[form.answer].([]any)
			if !ok || len(rows) != n || len(rows[0].([]any)) != 5 {
				t.Fatalf("%s: want %q of %d rows of 5: %s", form.key, form.answer, n, out)
			}
			sameBits(t, form.key, float32s(t, rows), want.Data)
		}
	}

	// Two inputs, two outputs.
	n := 3
	a, b := randRows(n, []int{3}, 1), randRows(n, []int{2, 2}, 2)
	want, err := multi.PredictMulti(gokeras.List{a, b}, 0)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"inputs":[{"name":"b","shape":[3,2,2],"datatype":"FP32","data":%s},{"name":"a","shape":[3,3],"datatype":"FP32","data":%s}],"outputs":[{"name":"cls"},{"name":"score"}]}`, flat(b.Data), flat(a.Data))
	code, _, out := do(t, h, "POST", "/v2/models/multi/infer", body)
	if code != 200 {
		t.Fatalf("multi V2: %d %s", code, out)
	}
	var resp struct {
		Outputs []struct {
			Name  string `json:"name"`
			Shape []int  `json:"shape"`
			Data  any    `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.Outputs) != 2 || resp.Outputs[0].Name != "cls" || resp.Outputs[1].Name != "score" ||
		!slices.Equal(resp.Outputs[0].Shape, []int{3, 3}) || !slices.Equal(resp.Outputs[1].Shape, []int{3, 2}) {
		t.Fatalf("multi V2 response (outputs in the order asked): %s", out)
	}
	sameBits(t, "multi cls", float32s(t, resp.Outputs[0].Data), want[1].Data)
	sameBits(t, "multi score", float32s(t, resp.Outputs[1].Data), want[0].Data)

	// TF Serving row form: one object per row, answers one object per row.
	var inst []string
	for i := 0; i < n; i++ {
		inst = append(inst, fmt.Sprintf(`{"a":%s,"b":%s}`, flat(a.Data[i*3:i*3+3]), appendNested(nil, b.Data[i*4:i*4+4], []int{2, 2})))
	}
	code, _, out = do(t, h, "POST", "/v1/models/multi:predict", `{"instances":[`+strings.Join(inst, ",")+`]}`)
	var rows struct {
		Predictions []map[string]any `json:"predictions"`
	}
	if err := json.Unmarshal(out, &rows); code != 200 || err != nil || len(rows.Predictions) != n {
		t.Fatalf("multi instances: %d %s", code, out)
	}
	var score, cls []float32
	for _, p := range rows.Predictions {
		score = append(score, float32s(t, p["score"])...)
		cls = append(cls, float32s(t, p["cls"])...)
	}
	sameBits(t, "multi instances score", score, want[0].Data)
	sameBits(t, "multi instances cls", cls, want[1].Data)

	// Columnar: an object of inputs, answers an object of outputs.
	code, _, out = do(t, h, "POST", "/v1/models/multi:predict", fmt.Sprintf(`{"inputs":{"a":%s,"b":%s}}`, appendNested(nil, a.Data, a.Shape), appendNested(nil, b.Data, b.Shape)))
	var cols struct {
		Outputs map[string]any `json:"outputs"`
	}
	if err := json.Unmarshal(out, &cols); code != 200 || err != nil || len(cols.Outputs) != 2 {
		t.Fatalf("multi inputs: %d %s", code, out)
	}
	sameBits(t, "multi inputs score", float32s(t, cols.Outputs["score"]), want[0].Data)
	sameBits(t, "multi inputs cls", float32s(t, cols.Outputs["cls"]), want[1].Data)
}

// TestBadRequests: every malformed request is a 400 (or 413) with
// {"error": ...} saying what is wrong.
func TestBadRequests(t *testing.T) {
	h, _, _ := newTestHandler(t, Options{MaxBatchSize: 4, MaxBodyBytes: 4096})
	one := flat(make([]float32, 72))
	for _, tc := range []struct {
		name, path, body string
		code             int
		says             string // the message contains this
	}{
		{"not JSON", "/v2/models/cnn/infer", `{"inputs":`, 400, "not an inference request"},
		{"unknown key", "/v2/models/cnn/infer", `{"inputs":[],"foo":1}`, 400, "foo"},
		{"no inputs", "/v2/models/cnn/infer", `{"inputs":[]}`, 400, "0 inputs"},
		{"unknown input", "/v2/models/cnn/infer", `{"inputs":[{"name":"x","shape":[1,6,6,2],"datatype":"FP32","data":` + one + `}]}`, 400, `unknown input "x"`},
		{"datatype", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"INT32","data":` + one + `}]}`, 400, `datatype "INT32"`},
		{"shape rank", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[72],"datatype":"FP32","data":` + one + `}]}`, 400, "[-1 6 6 2]"},
		{"shape dims", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,2,6],"datatype":"FP32","data":` + one + `}]}`, 400, "does not match"},
		{"negative dim", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[-1,6,6,2],"datatype":"FP32","data":` + one + `}]}`, 400, "does not match"},
		{"zero rows", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[0,6,6,2],"datatype":"FP32","data":[]}]}`, 400, "no rows"},
		{"over batch", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[5,6,6,2],"datatype":"FP32","data":[1]}]}`, 400, "max batch size of 4"},
		{"huge batch", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[9223372036854775807,6,6,2],"datatype":"FP32","data":[1]}]}`, 400, "max batch size"},
		{"count", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":[1,2,3]}]}`, 400, "3 elements, shape [1 6 6 2] needs 72"},
		{"too many", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":` + flat(make([]float32, 73)) + `}]}`, 400, "more than 72 elements"},
		{"string", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":["a"]}]}`, 400, "found a string"},
		{"bool", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":[true]}]}`, 400, "found a boolean"},
		{"overflow", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":[1e39]}]}`, 400, "out of float32's range"},
		{"ragged", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":[[1,2],[3]]}]}`, 400, "ragged"},
		{"no data", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32"}]}`, 400, `no "data"`},
		{"unknown output", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":` + one + `}],"outputs":[{"name":"z"}]}`, 400, `unknown output "z"`},
		{"rows differ", "/v2/models/multi/infer", `{"inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"b","shape":[2,2,2],"datatype":"FP32","data":[1,2,3,4,5,6,7,8]}]}`, 400, "same batch size"},
		{"input twice", "/v2/models/multi/infer", `{"inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"a","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`, 400, "twice"},
		{"too large", "/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":[` + strings.Repeat("1.0000000,", 600) + `1]}]}`, 413, "over the limit of 4096 bytes"},

		{"tf not JSON", "/v1/models/cnn:predict", `[1,2]`, 400, "not a JSON object"},
		{"tf both", "/v1/models/cnn:predict", `{"instances":[],"inputs":[]}`, 400, "both"},
		{"tf neither", "/v1/models/cnn:predict", `{}`, 400, "neither"},
		{"tf unknown key", "/v1/models/cnn:predict", `{"examples":[]}`, 400, `unknown key "examples"`},
		{"tf signature", "/v1/models/cnn:predict", `{"signature_name":"classify","instances":[]}`, 400, "serving_default"},
		{"tf shape", "/v1/models/cnn:predict", `{"instances":[[1,2,3]]}`, 400, "the model's input shape is [6 6 2]"},
		{"tf NaN", "/v1/models/multi:predict", `{"inputs":{"a":[[1,NaN,3]],"b":[[[1,2],[3,4]]]}}`, 400, "not a JSON object"},
		{"tf nan string", "/v1/models/multi:predict", `{"instances":[{"a":[1,"NaN",3],"b":[[1,2],[3,4]]}]}`, 400, "found a string"},
		{"tf missing input", "/v1/models/multi:predict", `{"instances":[{"a":[1,2,3]}]}`, 400, `lacks input "b"`},
		{"tf unknown input", "/v1/models/multi:predict", `{"inputs":{"a":[[1,2,3]],"b":[[[1,2],[3,4]]],"c":[1]}}`, 400, `unknown input "c"`},
		{"tf multi needs names", "/v1/models/multi:predict", `{"instances":[[1,2,3]]}`, 400, "object of the inputs by name"},
		{"tf over batch", "/v1/models/multi:predict", `{"inputs":{"a":[[1,2,3],[1,2,3],[1,2,3],[1,2,3],[1,2,3]],"b":[[[1,2],[3,4]]]}}`, 400, "max batch size of 4"},
		{"tf empty", "/v1/models/cnn:predict", `{"instances":[]}`, 400, "shape [0]"},
		{"tf instances not list", "/v1/models/cnn:predict", `{"instances":3}`, 400, "must be a list"},
	} {
		code, hdr, body := do(t, h, "POST", tc.path, tc.body)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.code, body)
			continue
		}
		if hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, hdr.Get("Content-Type"))
		}
		if msg := errorBody(t, body); !strings.Contains(msg, tc.says) {
			t.Errorf("%s: message %q does not say %q", tc.name, msg, tc.says)
		}
	}
}

// TestParseTensor checks the JSON tensor reader against hand-written
// shapes, including the forms the specs show.
func TestParseTensor(t *testing.T) {
	for _, tc := range []struct {
		in    string
		data  []float32
		shape []int
		err   string
	}{
		{`[ [ 1, 2 ], [ 4, 5 ] ]`, []float32{1, 2, 4, 5}, []int{2, 2}, ""}, // required_api.md, Tensor Data
		{`[1, 2, 4, 5]`, []float32{1, 2, 4, 5}, []int{4}, ""},
		{`3.5`, []float32{3.5}, []int{}, ""},
		{`[[[1, 2]], [[3, 4]]]`, []float32{1, 2, 3, 4}, []int{2, 1, 2}, ""}, // api_rest.md: 2 tensors of [1, 2]
		{`[-0, 1e-3, 2E+2, -1.5e0]`, []float32{float32(math.Copysign(0, -1)), 0.001, 200, -1.5}, []int{4}, ""},
		{`[]`, nil, []int{0}, ""},
		{`[[],[]]`, nil, []int{2, 0}, ""},
		{`[[1],2]`, nil, nil, "ragged"},
		{`[1,[2]]`, nil, nil, "ragged"},
		{`[[1,2],[3]]`, nil, nil, "ragged"},
		{`[1,]`, nil, nil, "want a number"},
		{`[1 2]`, nil, nil, "want ',' or ']'"},
		{`[1`, nil, nil, "end of input"},
		{`[0x10]`, nil, nil, "want a number"},
		{`[01]`, nil, nil, "want a number"},
		{`[Infinity]`, nil, nil, "finite"},
		{`[null]`, nil, nil, "null"},
		{`[{"b64":"AA=="}]`, nil, nil, "an object"},
		{`[1] x`, nil, nil, "after the tensor"},
		{strings.Repeat("[", 40) + "1" + strings.Repeat("]", 40), nil, nil, "nested more than"},
	} {
		data, shape, err := parseTensor([]byte(tc.in), 10)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !slices.Equal(shape, tc.shape) {
			t.Errorf("%s: shape %v, want %v", tc.in, shape, tc.shape)
		}
		sameBits(t, tc.in, data, tc.data)
	}
	// The writer's shortest form reads back as the same float32.
	vals := []float32{0.1, 1.0 / 3, math.MaxFloat32, math.SmallestNonzeroFloat32, -2.5e-20, 16777217}
	got, _, err := parseTensor(appendFlat(nil, vals), 10)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "round trip", got, vals)
	if s := string(appendNested(nil, []float32{1, 2, 3, 4, 5, 6}, []int{2, 3})); s != "[[1,2,3],[4,5,6]]" {
		t.Errorf("appendNested: %s", s)
	}
}

// FuzzRequests: no request body makes the handler panic or answer
// anything but JSON with a 200, 400 or 413.
func FuzzRequests(f *testing.F) {
	h, err := New(map[string]*gokeras.Model{"cnn": cnnModel(f), "multi": multiModel(f), "tab": tabularModel(f)}, Options{MaxBatchSize: 4, MaxBodyBytes: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.Close() })
	f.Add("/v2/models/tab/infer", `{"inputs":[{"name":"ids","shape":[1,2],"datatype":"INT64","data":[101,9]},{"name":"num","shape":[1,1],"datatype":"FP32","data":[0.5]}]}`)
	f.Add("/v2/models/tab/infer", `{"inputs":[{"name":"ids","shape":[1,2],"datatype":"UINT8","data":[1e30,-1]},{"name":"num","shape":[1,1],"datatype":"INT64","data":[1]}]}`)
	f.Add("/v2/models/cnn/infer", `{"inputs":[{"name":"input_layer","shape":[1,6,6,2],"datatype":"FP32","data":[1]}]}`)
	f.Add("/v2/models/multi/infer", `{"inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"b","shape":[1,2,2],"datatype":"FP32","data":[[[1,2],[3,4]]]}]}`)
	f.Add("/v1/models/multi:predict", `{"instances":[{"a":[1,2,3],"b":[[1,2],[3,4]]}]}`)
	f.Add("/v1/models/cnn:predict", `{"inputs":[[[[1,2]]]]}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest("POST", "http://x"+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q: body %q is not JSON", path, body, w.Body)
		}
	})
}

// TestServeLoadedKerasFile: a model written as a Keras 3 .keras file and
// read back with gokeras.Load serves the saved model's predictions bit for
// bit.
func TestServeLoadedKerasFile(t *testing.T) {
	orig := cnnModel(t)
	if err := orig.CompileNamed("sparse_categorical_crossentropy", "adam"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cnn.keras")
	if err := orig.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := gokeras.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(map[string]*gokeras.Model{"k": loaded}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	x := randRows(5, []int{6, 6, 2}, 42)
	want, err := orig.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	code, _, out := do(t, h, "POST", "/v1/models/k:predict", fmt.Sprintf(`{"inputs":%s}`, appendNested(nil, x.Data, x.Shape)))
	var r struct{ Outputs any }
	if err := json.Unmarshal(out, &r); code != 200 || err != nil {
		t.Fatalf("%d %s", code, out)
	}
	sameBits(t, "loaded .keras", float32s(t, r.Outputs), want.Data)
}

// TestDecodeV2Request: the JSON v2 fast path decodes well-formed requests
// exactly as encoding/json does, and what it refuses gets encoding/json's
// message, or its own where encoding/json would have taken the request.
func TestDecodeV2Request(t *testing.T) {
	for _, body := range []string{
		`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2.5e-3]}]}`,
		`{"id":"a\u00e9b","parameters":{"binary_data_output":true,"k":[1,{"a":null}]},"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","parameters":{"binary_data_size":24}}],"outputs":[{"name":"y","parameters":{"binary_data":false}}]}`,
		`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":null}],"outputs":[]}`,
		` null `,
	} {
		var fast, slow v2Request
		if err := decodeV2Request([]byte(body), &fast); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if err := json.Unmarshal([]byte(body), &slow); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(fast)
		b, _ := json.Marshal(slow)
		if !bytes.Equal(a, b) {
			t.Errorf("%s:\nv2 decoder   %s\nencoding/json %s", body, a, b)
		}
	}
	for _, tt := range []struct{ body, want string }{
		{`{"inputs":[],"Inputs":[]}`, `unknown key "Inputs"`},
		{`{"inputs":[{"name":"x","DATA":[1]}]}`, `unknown key "DATA"`},
		{`{"inputs":[],"inputs":[]}`, `duplicate`},
		{`{"inputs":[{"name":"x","name":"y"}]}`, `duplicate`},
		{`{"id":"` + "\xff" + `","inputs":[]}`, `UTF-8`},
		{`{"inputs":[]} {}`, `more than one JSON value`},
		{`{"inputs":[{"shape":[1.5]}]}`, `not an inference request`},
	} {
		var req v2Request
		err := decodeV2Request([]byte(tt.body), &req)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error with %q", tt.body, err, tt.want)
		}
	}
}

// TestServeChecksCategoryValues: a model whose input feeds a lookup
// without OOV indices warms up on a value its vocabulary has, and a
// request with a value outside the vocabulary is answered 400 on its own.
func TestServeChecksCategoryValues(t *testing.T) {
	ids := gokeras.Input(2)
	ids.Name = "ids"
	out := nn.Call(&nn.Dense{Units: 1, Name: "score"}, nn.Call(&nn.IntegerLookup{Name: "lookup", Vocabulary: []int64{10, 20}, NumOOVIndices: new(0), OutputMode: "multi_hot"}, ids))
	m, err := gokeras.NewModel([]nn.Symbolic{ids}, []nn.Symbolic{out})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(map[string]*gokeras.Model{"tab": m}, Options{})
	if err != nil {
		t.Fatalf("New (the warm-up must use a value in the vocabulary): %v", err)
	}
	t.Cleanup(func() { h.Close() })
	good := tensor.New(1, 2)
	copy(good.Data, []float32{10, 20})
	if code, _, body := do(t, h, "POST", "/v2/models/tab/infer", v2Body("ids", good)); code != 200 {
		t.Fatalf("valid ids: %d %s", code, body)
	}
	bad := tensor.New(2, 2)
	copy(bad.Data, []float32{10, 20, 20, 30})
	code, _, body := do(t, h, "POST", "/v2/models/tab/infer", v2Body("ids", bad))
	if msg := errorBody(t, body); code != 400 || !strings.Contains(msg, `input "ids", instance 1: layer "lookup": value 30 is not in the vocabulary`) {
		t.Errorf("an id outside the vocabulary: %d %s", code, msg)
	}
}
