package serve

// Protocol conformance: the requests here are the examples of the
// published specifications, adapted to models gokeras serves, and the
// answers are checked against the response shapes those documents define.
//
// The documents, and the short names the cases cite them by:
//
//   - "V2": the KServe V2 / Open Inference Protocol REST API,
//     kserve/kserve docs/predict-api/v2/required_api.md (the same text as
//     kserve/open-inference-protocol specification/protocol/inference_rest.md,
//     "OIP" below, which adds the JSON bodies of the health answers);
//   - "TFS": TF Serving's REST API, tensorflow/serving
//     tensorflow_serving/g3doc/api_rest.md, also published as
//     https://www.tensorflow.org/tfx/serving/api_rest (the published page
//     has the "Model Metadata API" section; an older copy of the file in
//     the repository does not).
//
// The V2 example sends UINT32 and BOOL tensors to a model whose batch
// dimensions differ; gokeras serves FP32 tensors with a shared batch
// dimension, so the adapted example keeps its id, names, layout and the
// response's [3, 2] output and sends FP32 rows instead (the example as
// written is one of the malformed cases). TF Serving's examples use
// scalar inputs, which the server does not serve (a served input has a
// dimension besides the batch); they are adapted to inputs of shape [1],
// and half_plus_three (y = 0.5x + 3) is built here so that the
// documented predictions come back exactly.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// confModels are the models the conformance cases are served.
type confModels struct {
	half    *gokeras.Model // "half_plus_three": x [1] -> y [1], y = 0.5x + 3 (TFS "Example")
	my      *gokeras.Model // "mymodel": input0 [2], input1 [3] -> output0 [2], output1 [4] (V2 "Inference Request Examples")
	sensors *gokeras.Model // "sensors": signal [5], sensor [2 2] -> scores [3], level [1] (TFS row and columnar examples)
	pairs   *gokeras.Model // "pairs": pair [1 2] -> out [2] (TFS "List of 2 tensors each of [1, 2] shape")
}

func confBuild(t testing.TB, seed uint64, ins []nn.Symbolic, outs []nn.Symbolic) *gokeras.Model {
	t.Helper()
	m, err := gokeras.NewModel(ins, outs)
	if err != nil {
		t.Fatal(err)
	}
	m.Seed = seed
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

func confInput(name string, shape ...int) *nn.InputLayer {
	in := gokeras.Input(shape...)
	in.Name = name
	return in
}

func newConfHandler(t testing.TB, o Options) (*Handler, confModels) {
	t.Helper()
	var ms confModels

	x := confInput("x", 1)
	d := &nn.Dense{Units: 1, Name: "y"}
	ms.half = confBuild(t, 1, []nn.Symbolic{x}, []nn.Symbolic{nn.Call(d, x)})
	p := d.Params()
	p[0].Value.Data[0], p[1].Value.Data[0] = 0.5, 3

	i0, i1 := confInput("input0", 2), confInput("input1", 3)
	h := nn.Call(&nn.Dense{Units: 4, Activation: activation.Tanh}, nn.Merge(&nn.Concatenate{}, i0, i1))
	ms.my = confBuild(t, 2, []nn.Symbolic{i0, i1}, []nn.Symbolic{
		nn.Call(&nn.Dense{Units: 2, Name: "output0"}, h),
		nn.Call(&nn.Dense{Units: 4, Activation: activation.Softmax, Name: "output1"}, h),
	})

	sig, sen := confInput("signal", 5), confInput("sensor", 2, 2)
	hs := nn.Call(&nn.Dense{Units: 4, Activation: activation.ReLU}, nn.Merge(&nn.Concatenate{}, sig, nn.Call(&nn.Flatten{}, sen)))
	ms.sensors = confBuild(t, 3, []nn.Symbolic{sig, sen}, []nn.Symbolic{
		nn.Call(&nn.Dense{Units: 3, Activation: activation.Softmax, Name: "scores"}, hs),
		nn.Call(&nn.Dense{Units: 1, Name: "level"}, hs),
	})

	pair := confInput("pair", 1, 2)
	ms.pairs = confBuild(t, 4, []nn.Symbolic{pair}, []nn.Symbolic{nn.Call(&nn.Dense{Units: 2, Name: "out"}, nn.Call(&nn.Flatten{}, pair))})

	hd, err := New(map[string]*gokeras.Model{"half_plus_three": ms.half, "mymodel": ms.my, "sensors": ms.sensors, "pairs": ms.pairs}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hd.Close() })
	return hd, ms
}

func tens(shape []int, data ...float32) *tensor.Tensor {
	t := tensor.New(shape...)
	copy(t.Data, data)
	return t
}

func predictMulti(t testing.TB, m *gokeras.Model, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	list := make(gokeras.List, len(in))
	for i, x := range in {
		list[i] = x
	}
	out, err := m.PredictMulti(list, 0)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonKeys decodes body as a JSON object and checks its keys: every key in
// required, and none outside required and optional.
func jsonKeys(t testing.TB, what string, body []byte, required, optional []string) map[string]json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		t.Fatalf("%s: %s is not a JSON object: %v", what, body, err)
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s: no %q in %s", what, k, body)
		}
	}
	for k := range obj {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			t.Errorf("%s: key %q is not in the spec's object (%s)", what, k, body)
		}
	}
	return obj
}

// TestConformanceV2Infer: the V2 inference examples get
// $inference_response (V2, "Inference Response JSON Object"): model_name,
// the request's id echoed, and the outputs asked for (all, in the model's
// order, when none are), each with name, shape, datatype and data whose
// length is the shape's; the values are Model.PredictMulti's bit for bit.
func TestConformanceV2Infer(t *testing.T) {
	h, ms := newConfHandler(t, Options{})
	in0 := tens([]int{3, 2}, 1, 2, 3, 4, 5, 6)
	in1 := tens([]int{3, 3}, 1, 0, 0, 0, 1, 0, 0, 0, 1)
	want3 := predictMulti(t, ms.my, in0, in1)
	// V2, "Tensor Data": the matrix [1 2; 4 5] in natural and flattened form.
	td0 := tens([]int{2, 2}, 1, 2, 4, 5)
	td1 := tens([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	want2 := predictMulti(t, ms.my, td0, td1)
	for _, tc := range []struct {
		name, path, body string
		id               string // the id the response must echo; "" for none
		outputs          []int  // the model's outputs answered, in order
		want             []*tensor.Tensor
	}{
		{
			// V2, "Inference Request Examples", laid out as the document
			// writes it (" : ", one field a line), FP32 for UINT32/BOOL.
			name: "V2 example", path: "/v2/models/mymodel/infer", id: "42", outputs: []int{0}, want: want3,
			body: `{
  "id" : "42",
  "inputs" : [
    {
      "name" : "input0",
      "shape" : [ 3, 2 ],
      "datatype" : "FP32",
      "data" : [ 1, 2, 3, 4, 5, 6 ]
    },
    {
      "name" : "input1",
      "shape" : [ 3, 3 ],
      "datatype" : "FP32",
      "data" : [ 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0 ]
    }
  ],
  "outputs" : [
    {
      "name" : "output0"
    }
  ]
}`,
		},
		{
			// V2, "Inference Request JSON Object": "outputs" optional, "if
			// not specified all outputs produced by the model will be
			// returned"; "id" optional, then none is answered.
			name: "no outputs asked, no id", path: "/v2/models/mymodel/infer", outputs: []int{0, 1}, want: want3,
			body: `{"inputs":[{"name":"input1","shape":[3,3],"datatype":"FP32","data":[1,0,0,0,1,0,0,0,1]},{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]}]}`,
		},
		{
			name: "Tensor Data, natural form", path: "/v2/models/mymodel/infer", id: "natural", outputs: []int{0, 1}, want: want2,
			body: `{"id":"natural","inputs":[{"name":"input0","shape":[2,2],"datatype":"FP32","data":[ [ 1, 2 ], [ 4, 5 ] ]},{"name":"input1","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}]}`,
		},
		{
			name: "Tensor Data, flattened form", path: "/v2/models/mymodel/infer", id: "flat", outputs: []int{0, 1}, want: want2,
			body: `{"id":"flat","inputs":[{"name":"input0","shape":[2,2],"datatype":"FP32","data":[ 1, 2, 4, 5 ]},{"name":"input1","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5,6]}]}`,
		},
		{
			// V2, "Parameters": $string, $number or $boolean values at the
			// request, input and output levels; a server may ignore those
			// it does not define. The URL names the version (V2, "HTTP/REST").
			name: "parameters, versioned URL", path: "/v2/models/mymodel/versions/1/infer", id: "p-1", outputs: []int{1, 0}, want: want3,
			body: `{"id":"p-1","parameters":{"content_type":"np","priority":1,"binary_data_output":false},` +
				`"inputs":[{"name":"input0","shape":[3,2],"datatype":"FP32","parameters":{"note":"x"},"data":[[1,2],[3,4],[5,6]]},` +
				`{"name":"input1","shape":[3,3],"datatype":"FP32","data":[1,0,0,0,1,0,0,0,1]}],` +
				`"outputs":[{"name":"output1","parameters":{"binary_data":false}},{"name":"output0"}]}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := do(t, h, "POST", tc.path, tc.body)
			if code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", code, body)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			obj := jsonKeys(t, "$inference_response", body, []string{"model_name", "outputs"}, []string{"model_version", "id", "parameters"})
			var name, id string
			if err := json.Unmarshal(obj["model_name"], &name); err != nil || name != "mymodel" {
				t.Errorf("model_name %s, want \"mymodel\"", obj["model_name"])
			}
			if raw, ok := obj["id"]; ok || tc.id != "" {
				if err := json.Unmarshal(raw, &id); err != nil || id != tc.id {
					t.Errorf("id %s, want %q (the request's)", raw, tc.id)
				}
			}
			var outs []json.RawMessage
			if err := json.Unmarshal(obj["outputs"], &outs); err != nil || len(outs) != len(tc.outputs) {
				t.Fatalf("outputs %s: want %d", obj["outputs"], len(tc.outputs))
			}
			for i, k := range tc.outputs {
				o := jsonKeys(t, "$response_output", outs[i], []string{"name", "shape", "datatype", "data"}, []string{"parameters"})
				var got struct {
					Name     string
					Shape    []int
					Datatype string
					Data     any
				}
				if err := json.Unmarshal(outs[i], &got); err != nil {
					t.Fatal(err)
				}
				wantName := ms.my.OutputNames()[k]
				if got.Name != wantName || got.Datatype != "FP32" || !slices.Equal(got.Shape, tc.want[k].Shape) {
					t.Errorf("output %d: name %q, datatype %q, shape %v; want %q, FP32, %v", i, got.Name, got.Datatype, got.Shape, wantName, tc.want[k].Shape)
				}
				if _, isList := got.Data.([]any); !isList {
					t.Fatalf("output %q: data %s is not a JSON array", got.Name, o["data"])
				}
				sameBits(t, got.Name, float32s(t, got.Data), tc.want[k].Data)
			}
		})
	}
}

// TestConformanceV2Metadata: server metadata, model metadata and the
// health APIs answer their objects (V2, "Server Metadata", "Model
// Metadata", "Health"; OIP for the health bodies): for health, the status
// code is the answer, 200 for true and a 4xx for false.
func TestConformanceV2Metadata(t *testing.T) {
	h, _ := newConfHandler(t, Options{})
	wantModel := map[string]any{
		"name": "mymodel", "versions": []any{"1"}, "platform": "gokeras",
		"inputs": []any{
			map[string]any{"name": "input0", "datatype": "FP32", "shape": []any{-1.0, 2.0}},
			map[string]any{"name": "input1", "datatype": "FP32", "shape": []any{-1.0, 3.0}},
		},
		"outputs": []any{
			map[string]any{"name": "output0", "datatype": "FP32", "shape": []any{-1.0, 2.0}},
			map[string]any{"name": "output1", "datatype": "FP32", "shape": []any{-1.0, 4.0}},
		},
	}
	for _, tc := range []struct {
		path string
		code int
		// check inspects the decoded body.
		check func(t *testing.T, body []byte)
	}{
		{"/v2", 200, func(t *testing.T, body []byte) {
			// $metadata_server_response: name, version strings, extensions a list of strings.
			jsonKeys(t, "$metadata_server_response", body, []string{"name", "version", "extensions"}, nil)
			var m struct {
				Name, Version string
				Extensions    []string
			}
			if err := json.Unmarshal(body, &m); err != nil || m.Name == "" || m.Version == "" || m.Extensions == nil {
				t.Errorf("%s: %v", body, err)
			}
		}},
		{"/v2/models/mymodel", 200, func(t *testing.T, body []byte) {
			// $metadata_model_response with $metadata_tensor inputs and
			// outputs, -1 for the variable (batch) dimension.
			jsonKeys(t, "$metadata_model_response", body, []string{"name", "platform", "inputs", "outputs"}, []string{"versions"})
			var got map[string]any
			json.Unmarshal(body, &got)
			if !reflect.DeepEqual(got, wantModel) {
				t.Errorf("got %v\nwant %v", got, wantModel)
			}
		}},
		{"/v2/models/mymodel/versions/1", 200, func(t *testing.T, body []byte) {
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil || !reflect.DeepEqual(got, wantModel) {
				t.Errorf("got %s, want the unversioned URL's answer", body)
			}
		}},
		{"/v2/health/live", 200, func(t *testing.T, body []byte) {
			if jsonKeys(t, "$live_server_response", body, []string{"live"}, nil); string(body) != `{"live":true}` {
				t.Errorf("body %s", body)
			}
		}},
		// OIP's $ready_server_response has the key "live" (a slip of the
		// document); "ready" is what it means and what is answered.
		{"/v2/health/ready", 200, func(t *testing.T, body []byte) {
			if string(body) != `{"ready":true}` {
				t.Errorf("body %s", body)
			}
		}},
		{"/v2/models/mymodel/ready", 200, func(t *testing.T, body []byte) {
			jsonKeys(t, "$ready_model_response", body, []string{"name", "ready"}, nil)
			if string(body) != `{"name":"mymodel","ready":true}` {
				t.Errorf("body %s", body)
			}
		}},
		{"/v2/models/mymodel/versions/1/ready", 200, func(t *testing.T, body []byte) {
			if string(body) != `{"name":"mymodel","ready":true}` {
				t.Errorf("body %s", body)
			}
		}},
	} {
		code, hdr, body := do(t, h, "GET", tc.path, "")
		if code != tc.code || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %q %s; want %d, JSON", tc.path, code, hdr.Get("Content-Type"), body, tc.code)
			continue
		}
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) { tc.check(t, body) })
	}
	// A model that no longer takes requests is not ready: a 4xx.
	h.Close()
	if code, _, body := do(t, h, "GET", "/v2/models/mymodel/ready", ""); code < 400 || code > 499 || string(body) != `{"name":"mymodel","ready":false}` {
		t.Errorf("model ready after Close: %d %s; want a 4xx with ready false", code, body)
	}
}

// nestFloats is data of the given shape as nested JSON lists of float32,
// as a decoded answer is compared by normalize.
func nestFloats(data []float32, shape []int) any {
	if len(shape) == 0 {
		return data[0]
	}
	inner := len(data) / shape[0]
	out := make([]any, shape[0])
	for i := range out {
		out[i] = nestFloats(data[i*inner:(i+1)*inner], shape[1:])
	}
	return out
}

// normalize turns the float64s of a decoded JSON value into float32s:
// every number the server writes is a float32's shortest form.
func normalize(v any) any {
	switch v := v.(type) {
	case float64:
		return float32(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}

// rowObjects is the row-form answer of a model of several outputs: one
// object per row, each output's row by name (TFS, "Response format").
func rowObjects(names []string, outs []*tensor.Tensor) any {
	rows := outs[0].Shape[0]
	list := make([]any, rows)
	for i := range list {
		obj := map[string]any{}
		for k, o := range outs {
			size := len(o.Data) / rows
			obj[names[k]] = nestFloats(o.Data[i*size:(i+1)*size], o.Shape[1:])
		}
		list[i] = obj
	}
	return list
}

// TestConformanceTFServingPredict: TF Serving's predict examples answer
// {"predictions": ...} for the row form and {"outputs": ...} for the
// columnar form, the one output unnamed, several named: per row in the
// row form, per output in the columnar form (TFS, "Predict API",
// "Response format").
func TestConformanceTFServingPredict(t *testing.T) {
	h, ms := newConfHandler(t, Options{})
	// TFS "Example": half_plus_three on 1.0, 2.0, 5.0 predicts 3.5, 4.0, 5.5.
	documented := nestFloats([]float32{3.5, 4.0, 5.5}, []int{3, 1})
	pairs := predictMulti(t, ms.pairs, tens([]int{2, 1, 2}, 1, 2, 3, 4))
	// TFS "Specifying input tensors in row format", its two instances of
	// "signal" and "sensor" (the example's "tag" strings left out).
	sensors := predictMulti(t, ms.sensors, tens([]int{2, 5}, 1, 2, 3, 4, 5, 3, 4, 1, 2, 5), tens([]int{2, 2, 2}, 1, 2, 3, 4, 4, 5, 6, 8))
	sensorNames := ms.sensors.OutputNames()
	for _, tc := range []struct {
		name, path, body string
		key              string // "predictions" or "outputs"
		want             any
	}{
		{"TFS Example, row form", "/v1/models/half_plus_three:predict", `{"instances": [[1.0],[2.0],[5.0]]}`, "predictions", documented},
		{"TFS Example, columnar form", "/v1/models/half_plus_three:predict", `{"inputs": [[1.0],[2.0],[5.0]]}`, "outputs", documented},
		{"columnar form, named input", "/v1/models/half_plus_three:predict", `{"inputs": {"x": [[1.0],[2.0],[5.0]]}}`, "outputs", documented},
		{"row form, named input", "/v1/models/half_plus_three:predict", `{"instances": [{"x": [1.0]}, {"x": [2.0]}, {"x": [5.0]}]}`, "predictions", documented},
		{"signature_name, versioned URL", "/v1/models/half_plus_three/versions/1:predict", `{"signature_name": "serving_default", "instances": [[1.0],[2.0],[5.0]]}`, "predictions", documented},
		{"List of 2 tensors each of [1, 2] shape", "/v1/models/pairs:predict", `{"instances": [ [[1, 2]], [[3, 4]] ]}`, "predictions", nestFloats(pairs[0].Data, pairs[0].Shape)},
		{"row format, named inputs", "/v1/models/sensors:predict", `{
 "instances": [
   {
     "signal": [1, 2, 3, 4, 5],
     "sensor": [[1, 2], [3, 4]]
   },
   {
     "signal": [3, 4, 1, 2, 5],
     "sensor": [[4, 5], [6, 8]]
   }
 ]
}`, "predictions", rowObjects(sensorNames, sensors)},
		{"column format, named inputs", "/v1/models/sensors:predict", `{
 "inputs": {
   "signal": [[1, 2, 3, 4, 5], [3, 4, 1, 2, 5]],
   "sensor": [[[1, 2], [3, 4]], [[4, 5], [6, 8]]]
 }
}`, "outputs", map[string]any{sensorNames[0]: nestFloats(sensors[0].Data, sensors[0].Shape), sensorNames[1]: nestFloats(sensors[1].Data, sensors[1].Shape)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := do(t, h, "POST", tc.path, tc.body)
			if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, Content-Type %q: %s", code, hdr.Get("Content-Type"), body)
			}
			obj := jsonKeys(t, "predict response", body, []string{tc.key}, nil)
			var got any
			if err := json.Unmarshal(obj[tc.key], &got); err != nil {
				t.Fatal(err)
			}
			if got = normalize(got); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s:\n got %v\nwant %v", tc.key, got, tc.want)
			}
		})
	}
}

// TestConformanceTFServingGets: the model status API answers a
// GetModelStatusResponse and the model metadata API a
// GetModelMetadataResponse in JSON (TFS, "Model status API", "Model
// Metadata API", and the "Example" section's status answer), int64 fields
// as strings as proto3's JSON mapping writes them.
func TestConformanceTFServingGets(t *testing.T) {
	h, _ := newConfHandler(t, Options{})
	for _, path := range []string{"/v1/models/half_plus_three", "/v1/models/half_plus_three/versions/1"} {
		code, _, body := do(t, h, "GET", path, "")
		jsonKeys(t, "GetModelStatusResponse", body, []string{"model_version_status"}, nil)
		var st struct {
			ModelVersionStatus []struct {
				Version any    `json:"version"`
				State   string `json:"state"`
				Status  struct {
					ErrorCode    any    `json:"error_code"`
					ErrorMessage string `json:"error_message"`
				} `json:"status"`
			} `json:"model_version_status"`
		}
		if err := json.Unmarshal(body, &st); code != 200 || err != nil || len(st.ModelVersionStatus) != 1 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		s := st.ModelVersionStatus[0]
		if s.Version != "1" || s.State != "AVAILABLE" || s.Status.ErrorCode != "OK" || s.Status.ErrorMessage != "" {
			t.Errorf("GET %s: %s; want version \"1\" (a string), AVAILABLE, error_code \"OK\"", path, body)
		}
	}
	dims := func(sizes ...string) map[string]any {
		d := make([]any, len(sizes))
		for i, s := range sizes {
			d[i] = map[string]any{"size": s, "name": ""}
		}
		return map[string]any{"dim": d, "unknown_rank": false}
	}
	want := map[string]any{
		"model_spec": map[string]any{"name": "sensors", "signature_name": "", "version": "1"},
		"metadata": map[string]any{"signature_def": map[string]any{"signature_def": map[string]any{
			"serving_default": map[string]any{
				"inputs": map[string]any{
					"signal": map[string]any{"dtype": "DT_FLOAT", "tensor_shape": dims("-1", "5"), "name": "signal"},
					"sensor": map[string]any{"dtype": "DT_FLOAT", "tensor_shape": dims("-1", "2", "2"), "name": "sensor"},
				},
				"outputs": map[string]any{
					"scores": map[string]any{"dtype": "DT_FLOAT", "tensor_shape": dims("-1", "3"), "name": "scores"},
					"level":  map[string]any{"dtype": "DT_FLOAT", "tensor_shape": dims("-1", "1"), "name": "level"},
				},
				"method_name": "tensorflow/serving/predict",
			},
		}}},
	}
	for _, path := range []string{"/v1/models/sensors/metadata", "/v1/models/sensors/versions/1/metadata"} {
		code, hdr, body := do(t, h, "GET", path, "")
		var got map[string]any
		if err := json.Unmarshal(body, &got); code != 200 || err != nil || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s:\n got %v\nwant %v", path, got, want)
		}
	}
}

// TestConformanceErrors: malformed requests get the status the specs give
// (400 for a request the server cannot run, 404 for an unknown model, 405
// for a method the endpoint does not take) and the error object both
// define, {"error": "<message>"} (V2, "Inference Response JSON Error
// Object"; TFS's introduction), whose message says what is wrong.
func TestConformanceErrors(t *testing.T) {
	h, _ := newConfHandler(t, Options{})
	const in1 = `{"name":"input1","shape":[3,3],"datatype":"FP32","data":[1,0,0,0,1,0,0,0,1]}`
	v2 := func(input0 string) string { return `{"inputs":[` + input0 + `,` + in1 + `]}` }
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		says                     []string // the message contains each
	}{
		// V2 inference.
		{"V2 example as written (UINT32, BOOL)", "POST", "/v2/models/mymodel/infer",
			`{"id":"42","inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}],"outputs":[{"name":"output0"}]}`,
			400, []string{`input "input0"`, `datatype "UINT32" is not supported`, "FP32"}},
		{"V2 NaN", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,NaN,3,4,5,6]}`),
			400, []string{`input "input0"`, "element 1 is NaN", "finite"}},
		{"V2 Infinity", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,Infinity]}`),
			400, []string{"element 5 is Infinity", "finite"}},
		{"V2 -Infinity", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[[-Infinity,2],[3,4],[5,6]]}`),
			400, []string{"element 0 is -Infinity", "finite"}},
		{"V2 data length", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5]}`),
			400, []string{`input "input0"`, "data has 5 elements, shape [3 2] needs 6"}},
		{"V2 natural form of another shape", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}`),
			400, []string{"nested as [2 3] but the shape is [3 2]"}},
		{"V2 wrong sample shape", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,3],"datatype":"FP32","data":[1,2,3,4,5,6,7,8,9]}`),
			400, []string{`input "input0"`, "shape [3 3] does not match the model's input shape [-1 2]"}},
		{"V2 no inputs", "POST", "/v2/models/mymodel/infer", `{"id":"1"}`,
			400, []string{"0 inputs", `model "mymodel" takes 2`, "input0 [-1 2]", "input1 [-1 3]"}},
		{"V2 input without name", "POST", "/v2/models/mymodel/infer", v2(`{"shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]}`),
			400, []string{`unknown input ""`, "input0 [-1 2]"}},
		{"V2 input without shape", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","datatype":"FP32","data":[1,2,3,4,5,6]}`),
			400, []string{"shape [] does not match the model's input shape [-1 2]"}},
		{"V2 input without datatype", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"data":[1,2,3,4,5,6]}`),
			400, []string{`datatype "" is not supported`, "FP32"}},
		{"V2 id not a string", "POST", "/v2/models/mymodel/infer", `{"id":42,"inputs":[]}`,
			400, []string{"not an inference request", "id", "string"}},
		{"V2 shape not numbers", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":["3","2"],"datatype":"FP32","data":[1,2,3,4,5,6]}`),
			400, []string{"not an inference request", "shape"}},
		{"V2 inputs not a list", "POST", "/v2/models/mymodel/infer", `{"inputs":{"input0":[1,2]}}`,
			400, []string{"not an inference request", "inputs"}},
		{"V2 bad JSON", "POST", "/v2/models/mymodel/infer", `{"inputs":[` + in1 + `]`,
			400, []string{"not an inference request", "unexpected EOF"}},
		{"V2 empty body", "POST", "/v2/models/mymodel/infer", ``,
			400, []string{"not an inference request", "EOF"}},
		{"V2 two objects", "POST", "/v2/models/mymodel/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]}`) + `{}`,
			400, []string{"more than one JSON value"}},
		{"V2 unknown model", "POST", "/v2/models/nope/infer", v2(`{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]}`),
			404, []string{`unknown model "nope"`, "half_plus_three, mymodel, pairs, sensors"}},
		{"V2 unknown model ready", "GET", "/v2/models/nope/ready", "", 404, []string{`unknown model "nope"`}},
		{"V2 infer with PUT", "PUT", "/v2/models/mymodel/infer", "", 405, []string{"PUT", "use POST"}},
		{"V2 server metadata with POST", "POST", "/v2", "{}", 405, []string{"use GET"}},
		{"V2 ready with POST", "POST", "/v2/health/ready", "", 405, []string{"use GET"}},
		{"V2 model ready with POST", "POST", "/v2/models/mymodel/ready", "", 405, []string{"use GET"}},
		{"V2 model metadata with POST", "POST", "/v2/models/mymodel", "{}", 405, []string{"use GET"}},

		// TF Serving predict.
		{"TFS Example as written (scalar instances)", "POST", "/v1/models/half_plus_three:predict", `{"instances": [1.0,2.0,5.0]}`,
			400, []string{`"instances"`, "shape [3], want [rows 1]"}},
		{"TFS row example with its string input", "POST", "/v1/models/sensors:predict",
			`{"instances":[{"tag":"foo","signal":[1,2,3,4,5],"sensor":[[1,2],[3,4]]},{"tag":"bar","signal":[3,4,1,2,5],"sensor":[[4,5],[6,8]]}]}`,
			400, []string{`instance 0: unknown input "tag"`, "signal [-1 5]", "sensor [-1 2 2]"}},
		{"TFS NaN (JSON conformance)", "POST", "/v1/models/half_plus_three:predict", `{"instances": [[1.0], [NaN]]}`,
			400, []string{"NaN is not accepted", "finite"}},
		{"TFS Infinity", "POST", "/v1/models/half_plus_three:predict", `{"inputs": {"x": [[Infinity]]}}`,
			400, []string{"Infinity is not accepted", "finite"}},
		{"TFS -Infinity", "POST", "/v1/models/half_plus_three:predict", `{"inputs": [[1.0], [-Infinity]]}`,
			400, []string{"-Infinity is not accepted", "finite"}},
		{"TFS bad JSON", "POST", "/v1/models/half_plus_three:predict", `{"instances": [[1.0],[2.0]]]}`,
			400, []string{"not a JSON object", "invalid character ']'"}},
		{"TFS empty body", "POST", "/v1/models/half_plus_three:predict", ``,
			400, []string{"not a JSON object", "EOF"}},
		{"TFS ragged instances", "POST", "/v1/models/half_plus_three:predict", `{"instances": [[1.0],[2.0, 3.0]]}`,
			400, []string{"ragged"}},
		{"TFS string value", "POST", "/v1/models/half_plus_three:predict", `{"instances": [["1.0"]]}`,
			400, []string{"found a string"}},
		{"TFS columnar batch sizes differ", "POST", "/v1/models/sensors:predict", `{"inputs":{"signal":[[1,2,3,4,5],[3,4,1,2,5]],"sensor":[[[1,2],[3,4]]]}}`,
			400, []string{"same batch size"}},
		{"TFS signature_name not a string", "POST", "/v1/models/half_plus_three:predict", `{"signature_name": 1, "instances": [[1.0]]}`,
			400, []string{"signature_name 1", `"serving_default"`}},
		{"TFS regress signature on predict", "POST", "/v1/models/half_plus_three:predict", `{"signature_name": "tensorflow/serving/regress", "instances": [[1.0]]}`,
			400, []string{"tensorflow/serving/regress", `"serving_default"`}},
		// TFS "Example": a wrong model name is a 404 with an error object.
		{"TFS unknown model", "POST", "/v1/models/half:predict", `{"instances": [1.0,5.0]}`,
			404, []string{`unknown model "half"`, "half_plus_three"}},
		{"TFS unknown model metadata", "GET", "/v1/models/half/metadata", "", 404, []string{`unknown model "half"`}},
		{"TFS status with PUT", "PUT", "/v1/models/half_plus_three", "{}", 405, []string{"use GET"}},
		{"TFS metadata with POST", "POST", "/v1/models/half_plus_three/metadata", "{}", 405, []string{"use GET"}},
		{"TFS predict with DELETE", "DELETE", "/v1/models/half_plus_three:predict", "", 405, []string{"use POST"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, body := do(t, h, tc.method, tc.path, tc.body)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, body)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if code == http.StatusMethodNotAllowed && !strings.Contains(errorBody(t, body), hdr.Get("Allow")) {
				t.Errorf("405: Allow %q is not the method the message names", hdr.Get("Allow"))
			}
			msg := errorBody(t, body)
			for _, s := range tc.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
		})
	}
}

// TestConformanceToken: with a token set, every endpoint but liveness
// answers 401 without "Authorization: Bearer <token>", whatever the
// method, path or body (an unknown model or path too, so that a caller
// without the token learns nothing of what is served); with it, each
// answers as it would without a token set.
func TestConformanceToken(t *testing.T) {
	const tok = "conf-token"
	h, _ := newConfHandler(t, Options{Token: tok})
	infer := `{"inputs":[{"name":"input0","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"input1","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`
	for _, tc := range []struct {
		method, path, body string
		code               int // with the token
	}{
		{"GET", "/v2", "", 200},
		{"GET", "/v2/", "", 200},
		{"GET", "/v2/health/ready", "", 200},
		{"HEAD", "/v2/health/ready", "", 200},
		{"GET", "/v2/models/mymodel", "", 200},
		{"GET", "/v2/models/mymodel/versions/1", "", 200},
		{"GET", "/v2/models/mymodel/ready", "", 200},
		{"POST", "/v2/models/mymodel/infer", infer, 200},
		{"POST", "/v2/models/mymodel/versions/1/infer", infer, 200},
		{"POST", "/v2/models/mymodel/infer", "not JSON", 400},
		{"GET", "/v2/models/nope", "", 404},
		{"OPTIONS", "/v2/models/mymodel/infer", "", 405},
		{"GET", "/v1/models/half_plus_three", "", 200},
		{"GET", "/v1/models/half_plus_three/metadata", "", 200},
		{"POST", "/v1/models/half_plus_three:predict", `{"instances":[[1.0]]}`, 200},
		{"POST", "/v1/models/half_plus_three:classify", "", 400},
		{"POST", "/v1/models/half_plus_three:regress", "", 501},
		{"GET", "/v1/models/nope", "", 404},
		{"GET", "/metrics", "", 200},
		{"GET", "/nothing/here", "", 404},
	} {
		name := tc.method + " " + tc.path
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + tok + " ", "Basic " + tok, tok} {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s, Authorization %q: %d, WWW-Authenticate %q; want 401 with a Bearer challenge", name, auth, w.Code, w.Header().Get("WWW-Authenticate"))
				continue
			}
			if tc.method == "HEAD" {
				continue // no body
			}
			if msg := errorBody(t, w.Body.Bytes()); !strings.Contains(msg, "Authorization: Bearer <token>") {
				t.Errorf("%s: message %q does not say which header to send", name, msg)
			}
			if strings.Contains(w.Body.String(), "mymodel") || strings.Contains(w.Body.String(), "half_plus_three") {
				t.Errorf("%s: the 401 names a served model: %s", name, w.Body)
			}
		}
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.code {
			t.Errorf("%s with the token: %d, want %d: %s", name, w.Code, tc.code, w.Body)
		}
	}
	// Liveness needs no token (orchestrators probe it without one), and a
	// wrong one does not make it fail.
	for _, auth := range []string{"", "Bearer wrong"} {
		req := httptest.NewRequest("GET", "/v2/health/live", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 || w.Body.String() != `{"live":true}` {
			t.Errorf("liveness, Authorization %q: %d %s", auth, w.Code, w.Body)
		}
	}
	// RFC 7235 section 2.1: the authentication scheme is case-insensitive,
	// so "bearer <token>" is the same credential as "Bearer <token>".
	t.Run("scheme case", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/v2/models/mymodel", nil)
		req.Header.Set("Authorization", "bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Errorf("Authorization \"bearer <token>\": %d %s", w.Code, w.Body)
		}
	})
}

// TestConformanceV2KeysCaseSensitive: "All strings in all contexts are
// case-sensitive" (V2, "HTTP/REST"), so "Inputs" or "DATA" is not a key of
// $inference_request or $request_input, and the server, which refuses
// unknown keys, must refuse them too.
func TestConformanceV2KeysCaseSensitive(t *testing.T) {
	h, _ := newConfHandler(t, Options{})
	const in1 = `{"name":"input1","shape":[3,3],"datatype":"FP32","data":[1,0,0,0,1,0,0,0,1]}`
	for _, tc := range []struct{ name, body, says string }{
		{"top-level key", `{"Inputs":[{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]},` + in1 + `]}`, "Inputs"},
		{"input keys", `{"inputs":[{"NAME":"input0","Shape":[3,2],"DataType":"FP32","DATA":[1,2,3,4,5,6]},` + in1 + `]}`, "NAME"},
		{"both spellings", `{"inputs":[{"name":"input0","shape":[3,2],"datatype":"FP32","data":[9,9,9,9,9,9]},` + in1 + `],` +
			`"INPUTS":[{"name":"input0","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]},` + in1 + `]}`, "INPUTS"},
	} {
		code, _, body := do(t, h, "POST", "/v2/models/mymodel/infer", tc.body)
		if code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", tc.name, code, body)
			continue
		}
		if msg := errorBody(t, body); !strings.Contains(msg, tc.says) {
			t.Errorf("%s: message %q does not name %q", tc.name, msg, tc.says)
		}
	}
}
