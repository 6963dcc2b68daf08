package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// TF Serving's REST API (tensorflow/serving
// tensorflow_serving/g3doc/api_rest.md): the predict API in row
// ("instances") and columnar ("inputs") form, and the model status and
// model metadata APIs.

// v1Model serves /v1/models/NAME[/versions/1][/metadata|:predict|:classify].
func (h *Handler) v1Model(w http.ResponseWriter, r *http.Request, rest string) {
	m, tail, err := h.lookup(rest)
	if err != nil {
		writeError(w, err)
		return
	}
	switch tail {
	case "":
		setRoute(r, m.name, epStatus)
		if method(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, h.v1Status())
		}
	case "/metadata":
		setRoute(r, m.name, epMetadata)
		if method(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, m.v1Metadata())
		}
	case ":predict":
		setRoute(r, m.name, epPredict)
		if !method(w, r, http.MethodPost) {
			return
		}
		b, err := h.v1Predict(w, r, m)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	case ":classify":
		setRoute(r, m.name, epClassify)
		if !method(w, r, http.MethodPost) {
			return
		}
		b, err := h.v1Classify(w, r, m)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	case ":regress":
		writeError(w, &httpError{http.StatusNotImplemented, fmt.Sprintf("%s: TF Serving's regress API (tf.Example inputs) is not implemented; use :predict", r.URL.Path)})
	default:
		writeError(w, &httpError{http.StatusNotFound, fmt.Sprintf("no endpoint %s; a model answers /v1/models/%s, /v1/models/%s/metadata, /v1/models/%s:predict and /v1/models/%s:classify", r.URL.Path, m.name, m.name, m.name, m.name)})
	}
}

// v1Status is a GetModelStatusResponse in JSON, as TF Serving answers
// GET /v1/models/NAME (api_rest.md's example): one version, AVAILABLE, or
// UNLOADING once Close has begun.
func (h *Handler) v1Status() []byte {
	state := "AVAILABLE"
	if h.draining.Load() {
		state = "UNLOADING"
	}
	return []byte(`{"model_version_status":[{"version":"` + version + `","state":"` + state + `","status":{"error_code":"OK","error_message":""}}]}`)
}

// v1Metadata is a GetModelMetadataResponse in JSON, as TF Serving answers
// GET /v1/models/NAME/metadata (api_rest.md, "Model Metadata API"): the
// model's one signature, "serving_default", with its tensors' dtypes and
// shapes, -1 for the batch dimension. TF Serving writes the proto's int64
// sizes as strings (proto3's JSON mapping), and so does this.
func (m *model) v1Metadata() []byte {
	type dim struct {
		Size string `json:"size"`
		Name string `json:"name"`
	}
	type shape struct {
		Dim         []dim `json:"dim"`
		UnknownRank bool  `json:"unknown_rank"`
	}
	type tensorInfo struct {
		Dtype       string `json:"dtype"`
		TensorShape shape  `json:"tensor_shape"`
		Name        string `json:"name"`
	}
	infos := func(names []string, shapes [][]int, types []string) map[string]tensorInfo {
		out := make(map[string]tensorInfo, len(names))
		for i, n := range names {
			dims := []dim{{Size: "-1"}}
			for _, d := range shapes[i] {
				dims = append(dims, dim{Size: strconv.Itoa(d)})
			}
			dt := "DT_FLOAT"
			if types != nil && types[i] != "FP32" {
				dt = "DT_" + types[i] // DT_INT64, DT_UINT8, ... (tensorflow/core/framework/types.proto)
			}
			out[n] = tensorInfo{Dtype: dt, TensorShape: shape{Dim: dims}, Name: n}
		}
		return out
	}
	sig := map[string]any{
		"inputs":      infos(m.inNames, m.inShapes, m.inTypes),
		"outputs":     infos(m.outNames, m.outShapes, nil),
		"method_name": "tensorflow/serving/predict",
	}
	b, _ := json.Marshal(map[string]any{
		"model_spec": map[string]string{"name": m.name, "signature_name": "", "version": version},
		"metadata": map[string]any{"signature_def": map[string]any{
			"signature_def": map[string]any{"serving_default": sig},
		}},
	})
	return b
}

// v1Predict answers POST /v1/models/NAME:predict.
func (h *Handler) v1Predict(w http.ResponseWriter, r *http.Request, m *model) ([]byte, error) {
	if m.b.full() {
		return nil, errQueueFull
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return nil, err
	}
	var req map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		if tok := nonFinite(body, err); tok != "" {
			// TF Serving's JSON takes these tokens (api_rest.md, "JSON
			// conformance"); say why the request is refused, not only
			// where encoding/json stopped.
			return nil, badRequest("the request is not a JSON object: %v: %s is not accepted here, inputs must be finite", err, tok)
		}
		return nil, badRequest("the request is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, badRequest("the request has more than one JSON value")
	}
	for k := range req {
		if k != "signature_name" && k != "instances" && k != "inputs" {
			return nil, badRequest("unknown key %q; a predict request has \"instances\" (row form) or \"inputs\" (columnar form), and optionally \"signature_name\"", k)
		}
	}
	if s, ok := req["signature_name"]; ok {
		var name string
		if err := json.Unmarshal(s, &name); err != nil || (name != "" && name != "serving_default") {
			return nil, badRequest("signature_name %s: the model has one signature, \"serving_default\"", s)
		}
	}
	instances, rowForm := req["instances"]
	inputs, colForm := req["inputs"]
	switch {
	case rowForm && colForm:
		return nil, badRequest("the request has both \"instances\" and \"inputs\"; give one")
	case !rowForm && !colForm:
		return nil, badRequest("the request has neither \"instances\" (row form) nor \"inputs\" (columnar form)")
	}
	var ins []*tensor.Tensor
	var rows int
	if rowForm {
		ins, rows, err = h.v1Rows(m, instances)
	} else {
		ins, rows, err = h.v1Columns(m, inputs)
	}
	if err != nil {
		return nil, err
	}
	outs, err := h.infer(r.Context(), requestInfo(r), m, rows, ins)
	if err != nil {
		return nil, err
	}
	// One output: its tensor, unnamed. Several: named, per row in the row
	// form and per output in the columnar form (api_rest.md, "Response
	// format").
	var b []byte
	switch {
	case rowForm && len(outs) == 1:
		b = append([]byte(`{"predictions":`), appendNested(nil, outs[0].Data, outs[0].Shape)...)
	case rowForm:
		b = []byte(`{"predictions":[`)
		for i := 0; i < rows; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			for k, o := range outs {
				if k > 0 {
					b = append(b, ',')
				}
				name, _ := json.Marshal(m.outNames[k])
				b = append(append(b, name...), ':')
				size := len(o.Data) / rows
				b = appendNested(b, o.Data[i*size:(i+1)*size], m.outShapes[k])
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	case len(outs) == 1:
		b = append([]byte(`{"outputs":`), appendNested(nil, outs[0].Data, outs[0].Shape)...)
	default:
		b = []byte(`{"outputs":{`)
		for k, o := range outs {
			if k > 0 {
				b = append(b, ',')
			}
			name, _ := json.Marshal(m.outNames[k])
			b = append(append(b, name...), ':')
			b = appendNested(b, o.Data, o.Shape)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// nonFinite returns the NaN, Infinity or -Infinity token where err, an
// encoding/json syntax error in body, stopped ("" for none).
func nonFinite(body []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) || se.Offset < 1 || se.Offset > int64(len(body)) {
		return ""
	}
	at := body[se.Offset-1:]
	for _, tok := range []string{"NaN", "Infinity", "+Infinity"} {
		if bytes.HasPrefix(at, []byte(tok)) {
			if tok == "Infinity" && se.Offset >= 2 && body[se.Offset-2] == '-' {
				return "-Infinity"
			}
			return tok
		}
	}
	return ""
}

// firstByte is the first byte of raw after white space.
func firstByte(raw []byte) byte {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

// v1Rows reads "instances": a list of rows, each the model's input (one
// input) or an object of the inputs by name.
func (h *Handler) v1Rows(m *model, raw json.RawMessage) ([]*tensor.Tensor, int, error) {
	if firstByte(raw) != '[' {
		return nil, 0, badRequest("\"instances\" must be a list with one element per row")
	}
	if firstByte(bytes.TrimLeft(raw, " \t\r\n")[1:]) == '{' {
		var objs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &objs); err != nil {
			return nil, 0, badRequest("\"instances\": a list of objects, one per row, each with the inputs by name: %v", err)
		}
		if err := h.checkRows(len(objs)); err != nil {
			return nil, 0, err
		}
		ins := make([]*tensor.Tensor, len(m.inNames))
		for k, sh := range m.inShapes {
			ins[k] = tensor.New(append([]int{len(objs)}, sh...)...)
		}
		for i, o := range objs {
			for name := range o {
				if !slices.Contains(m.inNames, name) {
					return nil, 0, badRequest("instance %d: unknown input %q; model %q takes %s", i, name, m.name, describe(m.inNames, m.inShapes))
				}
			}
			for k, name := range m.inNames {
				v, ok := o[name]
				if !ok {
					return nil, 0, badRequest("instance %d lacks input %q; model %q takes %s", i, name, m.name, describe(m.inNames, m.inShapes))
				}
				size := tensor.Shape(m.inShapes[k]).Size()
				data, shape, err := parseTensor(v, size)
				if err != nil {
					return nil, 0, badRequest("instance %d, input %q: %v", i, name, err)
				}
				if !slices.Equal(shape, m.inShapes[k]) {
					return nil, 0, badRequest("instance %d, input %q: shape %v, the model's input shape is %v", i, name, shape, m.inShapes[k])
				}
				copy(ins[k].Data[i*size:], data)
			}
		}
		return ins, len(objs), nil
	}
	if len(m.inNames) != 1 {
		return nil, 0, badRequest("model %q takes %d inputs (%s): give each instance as an object of the inputs by name", m.name, len(m.inNames), describe(m.inNames, m.inShapes))
	}
	t, err := h.v1Tensor(m, 0, "\"instances\"", raw)
	if err != nil {
		return nil, 0, err
	}
	return []*tensor.Tensor{t}, t.Shape[0], nil
}

// v1Columns reads "inputs": the model's input as one tensor, or an object
// of the inputs by name.
func (h *Handler) v1Columns(m *model, raw json.RawMessage) ([]*tensor.Tensor, int, error) {
	if firstByte(raw) != '{' {
		if len(m.inNames) != 1 {
			return nil, 0, badRequest("model %q takes %d inputs (%s): give \"inputs\" as an object of the inputs by name", m.name, len(m.inNames), describe(m.inNames, m.inShapes))
		}
		t, err := h.v1Tensor(m, 0, "\"inputs\"", raw)
		if err != nil {
			return nil, 0, err
		}
		return []*tensor.Tensor{t}, t.Shape[0], nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, 0, badRequest("\"inputs\": %v", err)
	}
	for name := range named {
		if !slices.Contains(m.inNames, name) {
			return nil, 0, badRequest("\"inputs\": unknown input %q; model %q takes %s", name, m.name, describe(m.inNames, m.inShapes))
		}
	}
	ins := make([]*tensor.Tensor, len(m.inNames))
	rows := -1
	for k, name := range m.inNames {
		v, ok := named[name]
		if !ok {
			return nil, 0, badRequest("\"inputs\" lacks input %q; model %q takes %s", name, m.name, describe(m.inNames, m.inShapes))
		}
		t, err := h.v1Tensor(m, k, fmt.Sprintf("\"inputs\" %q", name), v)
		if err != nil {
			return nil, 0, err
		}
		if rows >= 0 && t.Shape[0] != rows {
			return nil, 0, badRequest("\"inputs\" %q has %d rows and another input %d; every input needs the same batch size", name, t.Shape[0], rows)
		}
		rows = t.Shape[0]
		ins[k] = t
	}
	return ins, rows, nil
}

// v1Tensor reads input k as a batch: nested lists of shape [rows, the
// model's input shape...].
func (h *Handler) v1Tensor(m *model, k int, what string, raw json.RawMessage) (*tensor.Tensor, error) {
	want := m.inShapes[k]
	limit := h.opts.MaxBatchSize * tensor.Shape(want).Size()
	data, shape, err := parseTensor(raw, limit)
	if err != nil {
		if strings.HasPrefix(err.Error(), "more than ") {
			return nil, badRequest("%s: more rows than the server's max batch size of %d; split the request", what, h.opts.MaxBatchSize)
		}
		return nil, badRequest("%s: %v", what, err)
	}
	if len(shape) != len(want)+1 || !slices.Equal(shape[1:], want) {
		return nil, badRequest("%s: shape %v, want [rows %s] (the model's input shape is %v)", what, shape, strings.Trim(fmt.Sprint(want), "[]"), want)
	}
	if err := h.checkRows(shape[0]); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	t := tensor.New(shape...)
	copy(t.Data, data)
	return t, nil
}
