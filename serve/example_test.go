package serve_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/serve"
	"github.com/gokeras/gokeras/tensor"
)

// Mount the handler in a server of your own (here httptest's), next to
// other routes, and ask it for a prediction over the KServe V2 protocol.
// A model from gokeras.Load is served the same way.
func Example() {
	// y = 2a - b + 1, a Dense layer with weights set by hand.
	model := gokeras.NewSequential(&nn.Dense{Units: 1, InputShape: tensor.Shape{2}, Name: "y"})
	if err := model.Build(); err != nil {
		log.Fatal(err)
	}
	params := model.Net().Params()
	copy(params[0].Value.Data, []float32{2, -1}) // kernel
	params[1].Value.Data[0] = 1                  // bias

	h, err := serve.New(map[string]*gokeras.Model{"line": model}, serve.Options{
		MaxBatchSize:  16,
		MaxQueueDelay: time.Millisecond,
		Timeout:       5 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close() // after the server has stopped: finishes queued work

	mux := http.NewServeMux()
	mux.Handle("/v2/", h)
	mux.Handle("/v1/models/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Post(srv.URL+"/v2/models/line/infer", "application/json", strings.NewReader(
		`{"inputs": [{"name": "input_layer", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 0.5]]}]}`))
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, string(body))

	res, err = http.Post(srv.URL+"/v1/models/line:predict", "application/json", strings.NewReader(`{"instances": [[0, 0]]}`))
	if err != nil {
		log.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, string(body))
	// Output:
	// 200 {"model_name":"line","outputs":[{"name":"y","datatype":"FP32","shape":[2,1],"data":[1,6.5]}]}
	// 200 {"predictions":[[1]]}
}
