package nn_test

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/tensor"
)

// paramShapeCases holds every registered layer class with an input it
// accepts, so that ParamShapes is compared with what Build creates.
var paramShapeCases = map[string]struct {
	layer nn.Layer
	in    tensor.Shape
}{
	"Dense":                   {&nn.Dense{Units: 5}, tensor.Shape{7}},
	"Conv2D":                  {&nn.Conv2D{Filters: 3, KernelSize: [2]int{3, 2}, NoBias: true}, tensor.Shape{6, 5, 2}},
	"Conv1D":                  {&nn.Conv1D{Filters: 4, KernelSize: 3, Groups: 2, DilationRate: 2, Causal: true}, tensor.Shape{6, 2}},
	"MaxPooling2D":            {&nn.MaxPooling2D{}, tensor.Shape{4, 4, 2}},
	"AveragePooling2D":        {&nn.AveragePooling2D{}, tensor.Shape{4, 4, 2}},
	"GlobalAveragePooling2D":  {&nn.GlobalAveragePooling2D{}, tensor.Shape{4, 4, 2}},
	"GlobalMaxPooling2D":      {&nn.GlobalMaxPooling2D{}, tensor.Shape{4, 4, 2}},
	"BatchNormalization":      {&nn.BatchNormalization{NoScale: true}, tensor.Shape{3, 3, 4}},
	"Normalization":           {&nn.Normalization{}, tensor.Shape{6}},
	"PatchWhitening":          {&nn.PatchWhitening{}, tensor.Shape{6, 6, 3}},
	"Dropout":                 {&nn.Dropout{Rate: 0.5}, tensor.Shape{6}},
	"ActivityRegularization":  {&nn.ActivityRegularization{L1: 0.01}, tensor.Shape{6}},
	"Flatten":                 {&nn.Flatten{}, tensor.Shape{2, 3}},
	"Reshape":                 {&nn.Reshape{TargetShape: tensor.Shape{3, -1}}, tensor.Shape{6}},
	"Activation":              {&nn.Activation{Activation: activation.ReLU}, tensor.Shape{6}},
	"InputLayer":              {&nn.InputLayer{}, tensor.Shape{6}},
	"RandomFlip":              {&nn.RandomFlip{}, tensor.Shape{4, 4, 1}},
	"RandomTranslation":       {&nn.RandomTranslation{HeightFactor: [2]float64{-0.1, 0.1}, WidthFactor: [2]float64{-0.1, 0.1}}, tensor.Shape{4, 4, 1}},
	"RandomRotation":          {&nn.RandomRotation{Factor: [2]float64{-0.1, 0.1}}, tensor.Shape{4, 4, 1}},
	"RandomZoom":              {&nn.RandomZoom{HeightFactor: [2]float64{-0.1, 0.1}}, tensor.Shape{4, 4, 1}},
	"RandomCrop":              {&nn.RandomCrop{Padding: 1}, tensor.Shape{4, 4, 1}},
	"RandomContrast":          {&nn.RandomContrast{Factor: [2]float64{0.1, 0.1}}, tensor.Shape{4, 4, 1}},
	"RandomBrightness":        {&nn.RandomBrightness{Factor: [2]float64{-0.1, 0.1}}, tensor.Shape{4, 4, 1}},
	"RandomErasing":           {&nn.RandomErasing{}, tensor.Shape{4, 4, 1}},
	"RandomInvert":            {&nn.RandomInvert{}, tensor.Shape{4, 4, 1}},
	"RandomGrayscale":         {&nn.RandomGrayscale{}, tensor.Shape{4, 4, 3}},
	"RandomColorDegeneration": {&nn.RandomColorDegeneration{Factor: [2]float64{0, 0.5}}, tensor.Shape{4, 4, 3}},
	"Solarization":            {&nn.Solarization{}, tensor.Shape{4, 4, 1}},
	"RandomPosterization":     {&nn.RandomPosterization{Factor: [2]float64{4, 4}}, tensor.Shape{4, 4, 1}},
	"AutoContrast":            {&nn.AutoContrast{}, tensor.Shape{4, 4, 1}},
	"ContrastLimitedAdaptiveHistogramEqualization": {&nn.CLAHE{TileGrid: [2]int{2, 2}}, tensor.Shape{4, 4, 1}},
	"RandomElasticTransform":                       {&nn.RandomElasticTransform{}, tensor.Shape{4, 4, 1}},
	"AugMix":                                       {&nn.AugMix{}, tensor.Shape{4, 4, 3}},
	"RandAugment":                                  {&nn.RandAugment{}, tensor.Shape{4, 4, 3}},
	"RandomHue":                                    {&nn.RandomHue{Factor: [2]float64{0, 0.5}}, tensor.Shape{4, 4, 3}},
	"RandomColorJitter":                            {&nn.RandomColorJitter{Hue: &[2]float64{0, 0.2}}, tensor.Shape{4, 4, 3}},
	"RandomSaturation":                             {&nn.RandomSaturation{Factor: [2]float64{0.3, 0.7}}, tensor.Shape{4, 4, 3}},
	"Pipeline":                                     {nn.NewPipeline("pipeline", &nn.RandomFlip{}, &nn.AutoContrast{}), tensor.Shape{4, 4, 1}},
	"RandomPerspective":                            {&nn.RandomPerspective{}, tensor.Shape{4, 4, 1}},
	"Equalization":                                 {&nn.Equalization{}, tensor.Shape{4, 4, 1}},
	"RandomGaussianBlur":                           {&nn.RandomGaussianBlur{}, tensor.Shape{4, 4, 1}},
	"RandomSharpness":                              {&nn.RandomSharpness{Factor: [2]float64{0, 1}}, tensor.Shape{4, 4, 1}},
	"RandomShear":                                  {&nn.RandomShear{XFactor: [2]float64{-0.2, 0.2}}, tensor.Shape{4, 4, 1}},
	"Rescaling":                                    {&nn.Rescaling{Scale: 0.5}, tensor.Shape{4, 4, 1}},
	"Resizing":                                     {&nn.Resizing{Height: 2, Width: 3}, tensor.Shape{4, 4, 1}},
	"CenterCrop":                                   {&nn.CenterCrop{Height: 2, Width: 3}, tensor.Shape{4, 4, 1}},
	"ReLU":                                         {&nn.ReLU{MaxValue: 6}, tensor.Shape{6}},
	"LeakyReLU":                                    {&nn.LeakyReLU{}, tensor.Shape{6}},
	"PReLU":                                        {&nn.PReLU{SharedAxes: []int{1, 2}}, tensor.Shape{4, 4, 3}},
	"ELU":                                          {&nn.ELU{}, tensor.Shape{6}},
	"Softmax":                                      {&nn.Softmax{}, tensor.Shape{6}},
	"LayerNormalization":                           {&nn.LayerNormalization{NoCenter: true}, tensor.Shape{3, 4}},
	"GroupNormalization":                           {&nn.GroupNormalization{Groups: 2}, tensor.Shape{3, 3, 4}},
	"UnitNormalization":                            {&nn.UnitNormalization{}, tensor.Shape{6}},
	"RMSNormalization":                             {&nn.RMSNormalization{}, tensor.Shape{3, 6}},
	"SpectralNormalization":                        {&nn.SpectralNormalization{Layer: &nn.Conv2D{Filters: 3, KernelSize: [2]int{2, 2}}}, tensor.Shape{4, 4, 2}},
	"AdaptiveAveragePooling2D":                     {&nn.AdaptiveAveragePooling2D{OutputSize: [2]int{2, 3}}, tensor.Shape{5, 5, 2}},
	"AdaptiveMaxPooling2D":                         {&nn.AdaptiveMaxPooling2D{OutputSize: [2]int{2, 3}}, tensor.Shape{5, 5, 2}},
	"AdaptiveAveragePooling1D":                     {&nn.AdaptiveAveragePooling1D{OutputSize: 3}, tensor.Shape{7, 2}},
	"AdaptiveMaxPooling1D":                         {&nn.AdaptiveMaxPooling1D{OutputSize: 3}, tensor.Shape{7, 2}},
	"SpatialDropout2D":                             {&nn.SpatialDropout2D{Rate: 0.5}, tensor.Shape{4, 4, 3}},
	"GaussianNoise":                                {&nn.GaussianNoise{Stddev: 0.1}, tensor.Shape{6}},
	"GaussianDropout":                              {&nn.GaussianDropout{Rate: 0.5}, tensor.Shape{6}},
	"AlphaDropout":                                 {&nn.AlphaDropout{Rate: 0.5}, tensor.Shape{6}},

	// keras/src/layers/reshaping/ and core/identity.py: no weights.
	"UpSampling2D":  {&nn.UpSampling2D{Bilinear: true}, tensor.Shape{4, 4, 1}},
	"ZeroPadding2D": {&nn.ZeroPadding2D{}, tensor.Shape{4, 4, 1}},
	"Cropping2D":    {&nn.Cropping2D{Cropping: [2][2]int{{1, 0}, {0, 2}}}, tensor.Shape{4, 4, 1}},
	"Permute":       {&nn.Permute{Dims: []int{2, 1}}, tensor.Shape{3, 4}},
	"RepeatVector":  {&nn.RepeatVector{N: 3}, tensor.Shape{4}},
	"Identity":      {&nn.Identity{}, tensor.Shape{4}},

	// keras/src/layers/preprocessing/: no weights.
	"CategoryEncoding": {&nn.CategoryEncoding{NumTokens: 4}, tensor.Shape{3}},
	"Discretization":   {&nn.Discretization{BinBoundaries: []float64{0, 1}}, tensor.Shape{3}},
	"IntegerLookup":    {&nn.IntegerLookup{Vocabulary: []int64{4, 2}, OutputMode: "count"}, tensor.Shape{3}},
	"Hashing":          {&nn.Hashing{NumBins: 5}, tensor.Shape{3}},
	"Embedding":        {&nn.Embedding{InputDim: 6, OutputDim: 3}, tensor.Shape{2}},
	"EinsumDense":      {&nn.EinsumDense{Equation: "abc,cde->abde", PartialOutput: []int{-1, 2, 5}, BiasAxes: "e"}, tensor.Shape{3, 4}},

	// keras/src/layers/convolutional/: conv2d_transpose.py,
	// depthwise_conv2d.py, separable_conv2d.py.
	"Conv2DTranspose": {&nn.Conv2DTranspose{Filters: 3, KernelSize: [2]int{3, 2}, Strides: [2]int{2, 2}}, tensor.Shape{4, 4, 2}},
	"DepthwiseConv2D": {&nn.DepthwiseConv2D{KernelSize: [2]int{3, 3}, DepthMultiplier: 2}, tensor.Shape{5, 5, 3}},
	"SeparableConv2D": {&nn.SeparableConv2D{Filters: 4, KernelSize: [2]int{3, 3}, NoBias: true}, tensor.Shape{5, 5, 3}},

	// The 1-D layers over their 2-D ones (issue 19): keras/src/layers/
	// pooling/, reshaping/, regularization/spatial_dropout.py and
	// convolutional/.
	"MaxPooling1D":           {&nn.MaxPooling1D{PoolSize: 3, Padding: nn.Same}, tensor.Shape{7, 2}},
	"AveragePooling1D":       {&nn.AveragePooling1D{}, tensor.Shape{7, 2}},
	"GlobalAveragePooling1D": {&nn.GlobalAveragePooling1D{Keepdims: true}, tensor.Shape{7, 2}},
	"GlobalMaxPooling1D":     {&nn.GlobalMaxPooling1D{}, tensor.Shape{7, 2}},
	"UpSampling1D":           {&nn.UpSampling1D{Size: 3}, tensor.Shape{4, 2}},
	"ZeroPadding1D":          {&nn.ZeroPadding1D{}, tensor.Shape{4, 2}},
	"Cropping1D":             {&nn.Cropping1D{}, tensor.Shape{4, 2}},
	"SpatialDropout1D":       {&nn.SpatialDropout1D{Rate: 0.5}, tensor.Shape{4, 3}},
	"Conv1DTranspose":        {&nn.Conv1DTranspose{Filters: 3, KernelSize: 3, Strides: 2}, tensor.Shape{4, 2}},
	"DepthwiseConv1D":        {&nn.DepthwiseConv1D{KernelSize: 3, DepthMultiplier: 2}, tensor.Shape{5, 3}},
	"SeparableConv1D":        {&nn.SeparableConv1D{Filters: 4, KernelSize: 3, DepthMultiplier: 2}, tensor.Shape{5, 3}},
}

// TestParamShapesMatchBuild checks, for every layer class a model file can
// name, that ParamShapes predicts exactly the weights Build creates.
func TestParamShapesMatchBuild(t *testing.T) {
	for _, class := range nn.Classes() {
		switch class {
		case "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "HashedCrossing":
			continue // merge layers have no weights and several inputs: graph_test.go
		}
		c, ok := paramShapeCases[class]
		if !ok {
			t.Errorf("layer class %s has no ParamShapes case; add one", class)
			continue
		}
		s := &nn.Stack{}
		if _, isInput := c.layer.(*nn.InputLayer); isInput {
			// The Stack keeps an InputLayer only as the declared shape.
			s.Layers = []nn.Layer{c.layer}
		} else {
			s.Add(c.layer)
		}
		plan, err := s.ParamShapes(c.in)
		if err != nil {
			t.Errorf("%s: ParamShapes: %v", class, err)
			continue
		}
		if err := s.Build(c.in, 1); err != nil {
			t.Errorf("%s: Build: %v", class, err)
			continue
		}
		var built []string
		for _, p := range c.layer.Params() {
			built = append(built, fmt.Sprintf("%s/%s%v", c.layer.LayerName(), p.Name, p.Value.Shape))
		}
		var planned []string
		for _, p := range plan {
			planned = append(planned, fmt.Sprintf("%s%v", p.Name, p.Shape))
		}
		if strings.Join(built, " ") != strings.Join(planned, " ") {
			t.Errorf("%s: ParamShapes = %v, Build made %v", class, planned, built)
		}
	}
}

// TestParamShapesAllocateNothing: the shapes of a model with billions of
// weights, or whose sizes overflow, come back without allocating them.
func TestParamShapesAllocateNothing(t *testing.T) {
	s := &nn.Stack{}
	s.Add(&nn.InputLayer{Shape: tensor.Shape{100000, 100000}},
		&nn.Reshape{TargetShape: tensor.Shape{-1}},
		&nn.Dense{Units: 3000})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	plan, err := s.ParamShapes(nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("ParamShapes allocated %d bytes for a 3e13-weight model, want next to nothing", got)
	}
	if len(plan) != 2 || plan[0].Shape.Size() != 1e10*3000 {
		t.Errorf("plan = %v, want kernel (1e10, 3000) and bias", plan)
	}

	huge := math.MaxInt / 4
	overflow := []struct {
		name   string
		layers []nn.Layer
	}{
		{"input", []nn.Layer{&nn.InputLayer{Shape: tensor.Shape{huge, huge}}, &nn.Flatten{}}},
		{"dense", []nn.Layer{&nn.InputLayer{Shape: tensor.Shape{huge}}, &nn.Dense{Units: huge}}},
		{"reshape", []nn.Layer{&nn.InputLayer{Shape: tensor.Shape{4}}, &nn.Reshape{TargetShape: tensor.Shape{huge, huge, -1}}}},
		{"conv", []nn.Layer{&nn.InputLayer{Shape: tensor.Shape{4, 4, huge}}, &nn.Conv2D{Filters: huge, KernelSize: [2]int{3, 3}}}},
	}
	for _, tt := range overflow {
		s := &nn.Stack{}
		s.Add(tt.layers...)
		if _, err := s.ParamShapes(nil); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s: err = %v, want a \"too large\" error", tt.name, err)
		}
	}
}

func TestParamShapesErrorsAreLayerErrors(t *testing.T) {
	s := &nn.Stack{}
	s.Add(&nn.Dense{Units: 4, InputShape: tensor.Shape{3}}, &nn.Dense{Units: -2})
	_, err := s.ParamShapes(nil)
	var le *nn.LayerError
	if !errors.As(err, &le) || le.Layer != "dense_1" || !strings.Contains(err.Error(), "positive number of units") {
		t.Errorf("err = %#v, want a LayerError for dense_1 that says what to do", err)
	}
}
