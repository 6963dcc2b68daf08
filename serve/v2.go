package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/gokeras/gokeras/tensor"
)

// The KServe / Triton V2 inference protocol, REST
// (kserve/kserve docs/predict-api/v2/required_api.md; the same text is
// kserve/open-inference-protocol specification/protocol/inference_rest.md).

// serverMetadata answers GET /v2: $metadata_server_response.
func (h *Handler) serverMetadata(w http.ResponseWriter, r *http.Request) {
	setRoute(r, "", epServerMetadata)
	if !method(w, r, http.MethodGet) {
		return
	}
	b, _ := json.Marshal(map[string]any{"name": "gokeras", "version": serverVersion(), "extensions": []string{"binary_tensor_data"}})
	writeJSON(w, http.StatusOK, b)
}

// live answers GET /v2/health/live. The spec's status code is the answer
// (200 true, 4xx false); the body is open-inference-protocol's
// $live_server_response.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	setRoute(r, "", epLive)
	if !method(w, r, http.MethodGet) {
		return
	}
	writeJSON(w, http.StatusOK, []byte(`{"live":true}`))
}

// ready answers GET /v2/health/ready: 200 while every model takes
// requests, 400 (a 4xx is "false" in the spec) once Close has begun.
func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	setRoute(r, "", epReady)
	if !method(w, r, http.MethodGet) {
		return
	}
	if h.draining.Load() {
		writeJSON(w, http.StatusBadRequest, []byte(`{"ready":false}`))
		return
	}
	writeJSON(w, http.StatusOK, []byte(`{"ready":true}`))
}

// v2Model serves /v2/models/NAME[/versions/1][/ready|/infer].
func (h *Handler) v2Model(w http.ResponseWriter, r *http.Request, rest string) {
	m, tail, err := h.lookup(rest)
	if err != nil {
		writeError(w, err)
		return
	}
	switch tail {
	case "":
		setRoute(r, m.name, epMetadata)
		if method(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, m.v2Metadata())
		}
	case "/ready":
		setRoute(r, m.name, epReady)
		if !method(w, r, http.MethodGet) {
			return
		}
		ready := !h.draining.Load()
		b, _ := json.Marshal(map[string]any{"name": m.name, "ready": ready})
		code := http.StatusOK
		if !ready {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, b)
	case "/infer":
		setRoute(r, m.name, epInfer)
		if !method(w, r, http.MethodPost) {
			return
		}
		b, err := h.v2Infer(w, r, m)
		if err != nil {
			writeError(w, err)
			return
		}
		if w.Header().Get(headerLength) != "" {
			// JSON then raw tensors: Triton's HTTP front end calls
			// such a body application/octet-stream.
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.WriteHeader(http.StatusOK)
			w.Write(b)
			return
		}
		writeJSON(w, http.StatusOK, b)
	default:
		writeError(w, &httpError{http.StatusNotFound, fmt.Sprintf("no endpoint %s; a model answers /v2/models/%s, .../ready and .../infer", r.URL.Path, m.name)})
	}
}

type v2Tensor struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// v2Metadata is $metadata_model_response: per-sample shapes with -1 for
// the batch dimension (a variable-size dimension in the spec).
func (m *model) v2Metadata() []byte {
	meta := struct {
		Name     string     `json:"name"`
		Versions []string   `json:"versions"`
		Platform string     `json:"platform"`
		Inputs   []v2Tensor `json:"inputs"`
		Outputs  []v2Tensor `json:"outputs"`
	}{Name: m.name, Versions: []string{version}, Platform: "gokeras"}
	for i, n := range m.inNames {
		meta.Inputs = append(meta.Inputs, v2Tensor{n, m.inTypes[i], append([]int{-1}, m.inShapes[i]...)})
	}
	for i, n := range m.outNames {
		meta.Outputs = append(meta.Outputs, v2Tensor{n, "FP32", append([]int{-1}, m.outShapes[i]...)})
	}
	b, _ := json.Marshal(meta)
	return b
}

// v2Request is $inference_request.
type v2Request struct {
	ID         string         `json:"id"`
	Parameters map[string]any `json:"parameters"`
	Inputs     []struct {
		Name       string         `json:"name"`
		Shape      []int64        `json:"shape"`
		Datatype   string         `json:"datatype"`
		Parameters map[string]any `json:"parameters"`
		Data       jsontext.Value `json:"data"`
	} `json:"inputs"`
	Outputs []struct {
		Name       string         `json:"name"`
		Parameters map[string]any `json:"parameters"`
	} `json:"outputs"`
}

// v2Infer answers POST /v2/models/NAME/infer with $inference_response.
func (h *Handler) v2Infer(w http.ResponseWriter, r *http.Request, m *model) ([]byte, error) {
	if m.b.full() {
		return nil, errQueueFull
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return nil, err
	}
	body, bin, err := splitBinary(r, body)
	if err != nil {
		return nil, err
	}
	var req v2Request
	envelope, spans, cut := cutV2Data(body)
	if !cut {
		envelope = body
	}
	if err := decodeV2Request(envelope, &req); err != nil {
		return nil, err
	}
	if err := checkBinaryParams("the request", req.Parameters, "binary_data_output"); err != nil {
		return nil, err
	}
	allBinary, err := paramBool("the request", "binary_data_output", req.Parameters)
	if err != nil {
		return nil, err
	}
	if len(req.Inputs) != len(m.inNames) {
		return nil, badRequest("the request has %d inputs; model %q takes %d: %s", len(req.Inputs), m.name, len(m.inNames), describe(m.inNames, m.inShapes))
	}
	ins := make([]*tensor.Tensor, len(m.inNames))
	rows := -1
	for idx, in := range req.Inputs {
		if idx < len(spans) && spans[idx][1] > 0 {
			in.Data = body[spans[idx][0]:spans[idx][1]] // cut out by cutV2Data
		}
		k, err := m.inputIndex(in.Name, ins)
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("input %q", in.Name)
		if err := checkBinaryParams(where, in.Parameters, "binary_data_size"); err != nil {
			return nil, err
		}
		size, isBinary, err := paramInt(where, "binary_data_size", in.Parameters)
		if err != nil {
			return nil, err
		}
		shape, err := h.checkV2Input(m, k, in.Name, in.Datatype, in.Shape)
		if err != nil {
			return nil, err
		}
		n := shape[0]
		if rows >= 0 && n != rows {
			return nil, badRequest("input %q has %d rows and another input %d; every input needs the same batch size", in.Name, n, rows)
		}
		rows = n
		count := tensor.Shape(shape).Size()
		if isBinary {
			if len(in.Data) > 0 && string(in.Data) != "null" {
				return nil, badRequest("input %q has both \"data\" and binary_data_size; send one", in.Name)
			}
			if bin == nil {
				return nil, badRequest("input %q: binary_data_size needs the %s header (the length of the JSON part)", in.Name, headerLength)
			}
			if size > int64(len(bin)) {
				return nil, badRequest("input %q: binary_data_size is %d bytes but only %d remain after the JSON part", in.Name, size, len(bin))
			}
			t := tensor.New(shape...)
			if err := readTyped(t.Data, bin[:size], in.Datatype, where); err != nil {
				return nil, err
			}
			bin = bin[size:]
			ins[k] = t
			continue
		}
		if len(in.Data) == 0 {
			return nil, badRequest("input %q has no \"data\"", in.Name)
		}
		data, dshape, err := parseTensor(in.Data, count)
		if err != nil {
			return nil, badRequest("input %q data: %v", in.Name, err)
		}
		if len(data) != count {
			return nil, badRequest("input %q: data has %d elements, shape %v needs %d", in.Name, len(data), shape, count)
		}
		if len(dshape) > 1 && !slices.Equal(dshape, shape) {
			return nil, badRequest("input %q: data is nested as %v but the shape is %v; nest it as the shape or send it flat", in.Name, dshape, shape)
		}
		if in.Datatype != "FP32" {
			for i, v := range data {
				if err := checkInt(where, i, float64(v)); err != nil {
					return nil, err
				}
			}
		}
		t := tensor.New(shape...)
		copy(t.Data, data)
		ins[k] = t
	}
	if len(bin) > 0 {
		return nil, errBinaryLeft(len(bin))
	}
	// The outputs to answer, in the order asked, and which go as binary.
	outIdx := make([]int, 0, len(m.outNames))
	outBin := make([]bool, 0, len(m.outNames))
	if len(req.Outputs) == 0 {
		for k := range m.outNames {
			outIdx = append(outIdx, k)
			outBin = append(outBin, allBinary)
		}
	}
	for _, o := range req.Outputs {
		k, err := m.outputIndex(o.Name, outIdx)
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("output %q", o.Name)
		if err := checkBinaryParams(where, o.Parameters, "binary_data"); err != nil {
			return nil, err
		}
		asBinary := allBinary
		if _, set := o.Parameters["binary_data"]; set {
			if asBinary, err = paramBool(where, "binary_data", o.Parameters); err != nil {
				return nil, err
			}
		}
		outIdx = append(outIdx, k)
		outBin = append(outBin, asBinary)
	}
	outs, err := h.infer(r.Context(), requestInfo(r), m, rows, ins)
	if err != nil {
		return nil, err
	}
	b := []byte(`{"model_name":`)
	mn, _ := json.Marshal(m.name)
	b = append(b, mn...)
	if req.ID != "" {
		b = append(b, `,"id":`...)
		id, _ := json.Marshal(req.ID)
		b = append(b, id...)
	}
	b = append(b, `,"outputs":[`...)
	for i, k := range outIdx {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := json.Marshal(m.outNames[k])
		b = append(b, `{"name":`...)
		b = append(b, name...)
		b = append(b, `,"datatype":"FP32","shape":[`...)
		b = strconv.AppendInt(b, int64(rows), 10)
		for _, d := range m.outShapes[k] {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(d), 10)
		}
		if outBin[i] {
			b = append(b, `],"parameters":{"binary_data_size":`...)
			b = strconv.AppendInt(b, int64(4*len(outs[k].Data)), 10)
			b = append(b, "}}"...)
			continue
		}
		b = append(b, `],"data":`...)
		b = appendFlat(b, outs[k].Data)
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	if !slices.Contains(outBin, true) {
		return b, nil
	}
	// The binary outputs follow the JSON part, in the order listed.
	w.Header().Set(headerLength, strconv.Itoa(len(b)))
	for i, k := range outIdx {
		if outBin[i] {
			b = appendFP32(b, outs[k].Data)
		}
	}
	return b, nil
}

// checkV2Input checks input k's datatype and shape (the batch size, then
// the model's sample shape) and the batch size against the server's
// limits, for both of the protocol's transports; it returns the shape.
func (h *Handler) checkV2Input(m *model, k int, name, datatype string, shape []int64) ([]int, error) {
	if datatype != "FP32" && datatype != m.inTypes[k] {
		if m.inTypes[k] != "FP32" {
			return nil, badRequest("input %q: datatype %q is not supported; the input takes %s (or FP32)", name, datatype, m.inTypes[k])
		}
		return nil, badRequest("input %q: datatype %q is not supported; the model takes FP32", name, datatype)
	}
	want := append([]int{-1}, m.inShapes[k]...)
	if len(shape) != len(want) {
		return nil, badRequest("input %q: shape %v does not match the model's input shape %v (-1: any batch size)", name, shape, want)
	}
	for i, d := range shape {
		if d < 0 || (i > 0 && d != int64(want[i])) {
			return nil, badRequest("input %q: shape %v does not match the model's input shape %v (-1: any batch size)", name, shape, want)
		}
	}
	if shape[0] > int64(h.opts.MaxBatchSize) {
		return nil, badRequest("input %q: %d rows, over the server's max batch size of %d; split the request", name, shape[0], h.opts.MaxBatchSize)
	}
	if err := h.checkRows(int(shape[0])); err != nil {
		return nil, fmt.Errorf("input %q: %w", name, err)
	}
	out := make([]int, len(shape))
	for i, d := range shape {
		out[i] = int(d)
	}
	return out, nil
}

// inputIndex is the index of m's input called name, refusing an unknown
// name or one whose tensor is in got already.
func (m *model) inputIndex(name string, got []*tensor.Tensor) (int, error) {
	k := slices.Index(m.inNames, name)
	if k < 0 {
		return -1, badRequest("unknown input %q; model %q takes %s", name, m.name, describe(m.inNames, m.inShapes))
	}
	if got[k] != nil {
		return -1, badRequest("input %q is given twice", name)
	}
	return k, nil
}

// outputIndex is the index of m's output called name, refusing an unknown
// name or one already in chosen.
func (m *model) outputIndex(name string, chosen []int) (int, error) {
	k := slices.Index(m.outNames, name)
	if k < 0 {
		return -1, badRequest("unknown output %q; model %q gives %s", name, m.name, describe(m.outNames, m.outShapes))
	}
	if slices.Contains(chosen, k) {
		return -1, badRequest("output %q is asked for twice", name)
	}
	return k, nil
}

// The member names of $inference_request, $request_input and
// $request_output. The protocol's names are case-sensitive, while
// encoding/json matches struct fields case-insensitively ("INPUTS" would
// fill Inputs), so checkV2Keys checks them exactly.
var (
	v2RequestKeys = []string{"id", "parameters", "inputs", "outputs"}
	v2InputKeys   = []string{"name", "shape", "datatype", "parameters", "data"}
	v2OutputKeys  = []string{"name", "parameters"}
)

// decodeV2Request decodes envelope into req. The JSON v2 decoder
// (github.com/go-json-experiment/json, the proposal behind Go's
// encoding/json/v2) matches member names exactly and refuses unknown and
// duplicate ones in one pass, which is what the protocol asks; it takes
// every well-formed request, for under a third of the CPU that encoding/json
// plus checkV2Keys cost (serve's load test: about 12 µs of the ~110 µs a
// fashion-cnn request cost). Whatever it refuses goes through the
// encoding/json path, whose messages say what is wrong; a request that
// path would take but the v2 decoder does not (a duplicate member, invalid
// UTF-8) is refused with the v2 decoder's message.
func decodeV2Request(envelope []byte, req *v2Request) error {
	err := jsonv2.Unmarshal(envelope, req, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	*req = v2Request{}
	dec := json.NewDecoder(bytes.NewReader(envelope))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return badRequest("the request is not an inference request object: %v", err)
	}
	if dec.More() {
		return badRequest("the request has more than one JSON value")
	}
	if err := checkV2Keys(envelope); err != nil {
		return err
	}
	return badRequest("the request is not an inference request object: %v", err)
}

// checkV2Keys refuses member names that are not the protocol's exactly,
// in the request and its inputs and outputs. The request has been
// decoded already, so its JSON is well formed.
func checkV2Keys(envelope []byte) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(envelope, &top) != nil {
		return nil
	}
	if err := exactKeys("the request", top, v2RequestKeys); err != nil {
		return err
	}
	for _, part := range []struct {
		key  string
		keys []string
	}{{"inputs", v2InputKeys}, {"outputs", v2OutputKeys}} {
		var objs []map[string]json.RawMessage
		if json.Unmarshal(top[part.key], &objs) != nil {
			continue
		}
		for i, o := range objs {
			if err := exactKeys(fmt.Sprintf("%s[%d]", part.key, i), o, part.keys); err != nil {
				return err
			}
		}
	}
	return nil
}

func exactKeys(where string, obj map[string]json.RawMessage, keys []string) error {
	var unknown []string
	for k := range obj {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if unknown == nil {
		return nil
	}
	slices.Sort(unknown)
	return badRequest("%s: unknown key %s; the protocol's keys are %s (names are case-sensitive)", where, strings.Join(unknown, ", "), strings.Join(keys, ", "))
}

// describe lists tensors as "name [-1 a b], ...".
func describe(names []string, shapes [][]int) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %v", n, append([]int{-1}, shapes[i]...))
	}
	return strings.Join(parts, ", ")
}
