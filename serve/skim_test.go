package serve

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// cutV2Data changes nothing encoding/json and parseTensor read: for each
// body, decoding the envelope and putting the cut arrays back gives the
// request decoding the whole body gives; bodies it does not recognise are
// left whole.
func TestCutV2Data(t *testing.T) {
	for _, tc := range []struct {
		body string
		cut  int // inputs whose data is cut
	}{
		{`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`, 1},
		{` { "id" : "a \"data\": [9]", "inputs" : [ { "data" : [[1, 2], [3, 4]], "name":"x]","shape":[2,2],"datatype":"FP32"} , {"name":"y","data":[5],"shape":[1],"datatype":"FP32"} ] } `, 2},
		{`{"inputs":[{"name":"x","data":null}],"outputs":[{"name":"o","parameters":{"data":[1]}}]}`, 0},
		{`{"parameters":{"data":[1]},"inputs":[{"name":"x","parameters":{"data":[7]},"data":[3]}]}`, 1},
		{`{"inputs":[{"name":"x","d\u0061ta":[1]}]}`, 0},
		{`{"inputs":[{"name":"x","data":[1]}],"inputs":[{"name":"y","data":[2]}]}`, 0},
		{`{"inputs":[{"name":"x","data":[1,"]",2]}]}`, 1},
		{`{"inputs":[{"name":"x","data":[1,2}]}`, 0},
		{`{"inputs":[{"name":"x","data":[1,2]]]}`, 1},
		{`["inputs",{"data":[1]}]`, 0},
		{`{"inputs":{"data":[1]}}`, 0},
		{`{"inputs":[{"name":"x\\","data":[4]}]}`, 1},
	} {
		slim, spans, ok := cutV2Data([]byte(tc.body))
		n := 0
		for _, s := range spans {
			if s[1] > 0 {
				n++
			}
		}
		if n != tc.cut || ok != (tc.cut > 0) {
			t.Errorf("%s: cut %d inputs (ok %v), want %d", tc.body, n, ok, tc.cut)
			continue
		}
		if !ok {
			continue
		}
		var whole, env v2Request
		errW := json.NewDecoder(bytes.NewReader([]byte(tc.body))).Decode(&whole)
		errE := json.NewDecoder(bytes.NewReader(slim)).Decode(&env)
		if (errW == nil) != (errE == nil) {
			t.Errorf("%s: decoding the whole body: %v, the envelope %s: %v", tc.body, errW, slim, errE)
			continue
		}
		if errW != nil {
			continue
		}
		for i := range env.Inputs {
			if i < len(spans) && spans[i][1] > 0 {
				env.Inputs[i].Data = []byte(tc.body)[spans[i][0]:spans[i][1]]
			}
		}
		if !reflect.DeepEqual(whole, env) {
			t.Errorf("%s: the envelope and its arrays decode as %+v, the whole body as %+v", tc.body, env, whole)
		}
	}
}
