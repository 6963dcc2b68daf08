package nn_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/nn/nntest"
	"github.com/gokeras/gokeras/tensor"
)

// kerasPipelineConfig is Keras 3's Pipeline([RandomFlip("horizontal"),
// AutoContrast()]).get_config(), as a .keras file holds it.
const kerasPipelineConfig = `{"layers": [
	{"module": "keras.layers", "class_name": "RandomFlip", "config": {"name": "random_flip", "trainable": true, "dtype": "float32", "mode": "horizontal", "seed": null, "data_format": "channels_last"}, "registered_name": null},
	{"module": "keras.layers", "class_name": "AutoContrast", "config": {"name": "auto_contrast", "trainable": true, "dtype": "float32", "value_range": [0, 1]}, "registered_name": null}],
	"name": "pipeline"}`

func TestPipelineConfig(t *testing.T) {
	var cfg map[string]any
	if err := json.Unmarshal([]byte(kerasPipelineConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	l, err := nn.FromConfig("Pipeline", cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := l.(*nn.Pipeline)
	if p.LayerName() != "pipeline" || len(p.Net.Layers) != 2 || p.Net.Layers[0].(*nn.RandomFlip).Mode != nn.FlipHorizontal {
		t.Fatalf("read %+v", p)
	}
	back := nn.LayerConfig(p)
	if _, has := back["trainable"]; has {
		t.Error("a Pipeline's config has trainable, which Keras's Pipeline refuses")
	}
	again, err := nn.FromConfig("Pipeline", viaJSON(t, back))
	if err != nil || !reflect.DeepEqual(nn.LayerConfig(again), back) {
		t.Errorf("config %v reads back as %v, %v", back, again, err)
	}
	for _, bad := range []string{`{"layers": 3}`, `{"layers": [{"config": {}}]}`, `{"layers": [{"class_name": "RandomFlip", "config": {"mode": "sideways"}}]}`, `{"layers": []}`} {
		var c map[string]any
		_ = json.Unmarshal([]byte(bad), &c)
		l, err := nn.FromConfig("Pipeline", c)
		if err == nil {
			err = l.Build(tensor.Shape{4, 4, 1}, rand.New(rand.NewPCG(1, 1)))
		}
		if err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	w := nn.NewPipeline("p", &nn.RandomFlip{}, &nn.Dense{Units: 2})
	if err := w.Build(tensor.Shape{4, 4, 1}, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), "has weights") {
		t.Errorf("a pipeline with a Dense: %v", err)
	}
}

// TestPipelineRuns: the layers run in turn, in training and at inference
// (AutoContrast acts at both), the draws replay after Reseed, and the
// gradient passes through the chain.
func TestPipelineRuns(t *testing.T) {
	in := tensor.Shape{5, 4, 2}
	p := nn.NewPipeline("p", &nn.RandomFlip{}, &nn.RandomContrast{Factor: [2]float64{0.2, 0.4}, ValueRange: [2]float64{-10, 10}}, &nn.AutoContrast{ValueRange: [2]float64{-3, 3}})
	buildAug(t, p, in, 1)
	x := randImages(2, append(tensor.Shape{6}, in...)...)
	ac := &nn.AutoContrast{ValueRange: [2]float64{-3, 3}}
	buildAug(t, ac, in, 1)
	if got, want := p.Forward(x, false).Clone(), ac.Forward(x, false); !reflect.DeepEqual(got.Data, want.Data) {
		t.Error("at inference the pipeline is not its AutoContrast alone")
	}
	p.Reseed(3, 4)
	a := p.Forward(x, true).Clone()
	p.Reseed(3, 4)
	if b := p.Forward(x, true); !reflect.DeepEqual(a.Data, b.Data) {
		t.Error("Reseed did not replay the draws")
	}
	p.Reseed(5, 6)
	if c := p.Forward(x, true); reflect.DeepEqual(a.Data, c.Data) {
		t.Error("another seed drew the same")
	}
	g := nn.NewPipeline("g", &nn.RandomFlip{}, &nn.RandomTranslation{HeightFactor: [2]float64{-0.3, 0.3}, WidthFactor: [2]float64{-0.3, 0.3}})
	nntest.CheckGradients(t, g, in, nntest.GradOptions{Batch: 3, Training: true, BeforeForward: func() { g.Reseed(1, 2) }})
}
