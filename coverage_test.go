package gokeras_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

// The coverage table (docs/keras-coverage.md) is generated from the
// tables below, and this test keeps it true: every row marked supported
// must be accepted by gokeras's registry for its kind, and every other row
// must be refused, so a class that lands (or goes) without its row
// changing fails here. Run with GOKERAS_UPDATE_COVERAGE=1 to rewrite the
// file after editing the tables.
//
// The Keras names are those of Keras 3's public API, read from
// keras-team/keras: keras/src/layers/__init__.py, activations/__init__.py
// (ALL_OBJECTS_DICT, with the swish and hard_swish aliases),
// initializers/__init__.py, losses/__init__.py, metrics/__init__.py,
// optimizers/__init__.py, optimizers/schedules/__init__.py and
// callbacks/__init__.py. Base classes (Layer, Loss, Metric, Optimizer,
// Initializer, Callback, Wrapper, InputSpec, MeanMetricWrapper,
// LossFunctionWrapper, CallbackList, MonitorCallback) are left out: they
// are how Python code subclasses Keras, which a Go program does through
// gokeras's interfaces (nn.Layer, loss.Loss, metric.Metric,
// optim.Optimizer, train.Callback).

const supported = "supported"

// Reasons shared by several rows.
const (
	sequenceLater = "not yet: text and sequence layers are a later issue (issue 19 leaves them out)"
	threeD        = "not planned for now: gokeras tensors are images (height, width, channels); 3-D volumes would need 5-D tensors and their own kernels"
	moreAugment   = "not yet: beyond the augmentation layers Keras's tutorials use (issue 19's list)"
	preprocessing = "not yet: text, category and audio preprocessing, with the sequence layers"
	mixNotLayer   = "not as a layer in a model file: `train.Options.Mix` (`gk train --mixup`, `--cutmix`) applies it to each training batch, images and labels alike, as Keras's documented use in a data pipeline does"
)

type coverageRow struct{ name, status string }

// supported: the status says so (it may go on with a remark).
func (r coverageRow) supported() bool { return strings.HasPrefix(r.status, supported) }

var coverageLayers = []coverageRow{
	{"Activation", supported}, {"ELU", supported}, {"LeakyReLU", supported}, {"PReLU", supported},
	{"ReLU", supported}, {"Softmax", supported},
	{"AdditiveAttention", sequenceLater}, {"Attention", sequenceLater},
	{"GroupedQueryAttention", sequenceLater}, {"MultiHeadAttention", sequenceLater},
	{"Conv1D", supported}, {"Conv1DTranspose", supported}, {"Conv2D", supported}, {"Conv2DTranspose", supported},
	{"Conv3D", threeD}, {"Conv3DTranspose", threeD},
	{"DepthwiseConv1D", supported}, {"DepthwiseConv2D", supported}, {"SeparableConv1D", supported}, {"SeparableConv2D", supported},
	{"Dense", supported}, {"EinsumDense", supported},
	{"Embedding", "supported: without mask_zero (gokeras has no masks)"}, {"Identity", supported}, {"InputLayer", supported},
	{"Lambda", "not planned: its config holds Python bytecode, which a Go program cannot run; write a Go layer (nn.Layer) instead"},
	{"Masking", sequenceLater}, {"ReversibleEmbedding", sequenceLater},
	{"Add", supported}, {"Average", supported}, {"Concatenate", supported}, {"Dot", supported},
	{"Maximum", supported}, {"Minimum", supported}, {"Multiply", supported}, {"Subtract", supported},
	{"BatchNormalization", supported}, {"GroupNormalization", supported}, {"LayerNormalization", supported},
	{"RMSNormalization", supported}, {"SpectralNormalization", supported},
	{"UnitNormalization", supported},
	{"AdaptiveAveragePooling1D", supported}, {"AdaptiveAveragePooling2D", supported}, {"AdaptiveAveragePooling3D", threeD},
	{"AdaptiveMaxPooling1D", supported}, {"AdaptiveMaxPooling2D", supported}, {"AdaptiveMaxPooling3D", threeD},
	{"AveragePooling1D", supported}, {"AveragePooling2D", supported}, {"AveragePooling3D", threeD},
	{"GlobalAveragePooling1D", supported}, {"GlobalAveragePooling2D", supported}, {"GlobalAveragePooling3D", threeD},
	{"GlobalMaxPooling1D", supported}, {"GlobalMaxPooling2D", supported}, {"GlobalMaxPooling3D", threeD},
	{"MaxPooling1D", supported}, {"MaxPooling2D", supported}, {"MaxPooling3D", threeD},
	{"CategoryEncoding", supported}, {"Discretization", supported}, {"HashedCrossing", "supported: integer inputs (gokeras has no string tensors)"},
	{"Hashing", "supported: numeric inputs (gokeras has no string tensors)"}, {"IndexLookup", preprocessing}, {"IntegerLookup", supported},
	{"StringLookup", preprocessing}, {"TextVectorization", preprocessing},
	{"MelSpectrogram", preprocessing}, {"STFTSpectrogram", preprocessing},
	{"Normalization", supported}, {"Rescaling", supported}, {"Resizing", supported}, {"CenterCrop", supported},
	{"RandomBrightness", supported}, {"RandomContrast", supported}, {"RandomCrop", supported},
	{"RandomFlip", supported}, {"RandomRotation", supported}, {"RandomTranslation", supported}, {"RandomZoom", supported},
	{"AugMix", supported}, {"AutoContrast", supported}, {"ContrastLimitedAdaptiveHistogramEqualization", supported},
	{"CutMix", mixNotLayer}, {"Equalization", supported}, {"MaxNumBoundingBoxes", moreAugment}, {"MixUp", mixNotLayer},
	{"RandAugment", supported}, {"RandomColorDegeneration", supported}, {"RandomColorJitter", supported},
	{"RandomElasticTransform", supported}, {"RandomErasing", supported}, {"RandomGaussianBlur", supported},
	{"RandomGrayscale", supported}, {"RandomHue", supported}, {"RandomInvert", supported},
	{"RandomPerspective", supported}, {"RandomPosterization", supported}, {"RandomSaturation", supported},
	{"RandomSharpness", supported}, {"RandomShear", supported}, {"Solarization", supported},
	{"Pipeline", "supported (layers without weights, what Keras's Pipeline is for; a nested Sequential takes the others)"},
	{"ActivityRegularization", supported}, {"AlphaDropout", supported}, {"Dropout", supported},
	{"GaussianDropout", supported}, {"GaussianNoise", supported},
	{"SpatialDropout1D", supported}, {"SpatialDropout2D", supported}, {"SpatialDropout3D", threeD},
	{"Cropping1D", supported}, {"Cropping2D", supported}, {"Cropping3D", threeD},
	{"Flatten", supported}, {"Permute", supported},
	{"ReconstructPatches2D", "not yet: newer than issue 19's list"}, {"ReconstructPatches3D", threeD},
	{"RepeatVector", supported}, {"Reshape", supported},
	{"UpSampling1D", supported}, {"UpSampling2D", supported}, {"UpSampling3D", threeD},
	{"ZeroPadding1D", supported}, {"ZeroPadding2D", supported}, {"ZeroPadding3D", threeD},
	{"Bidirectional", sequenceLater}, {"ConvLSTM1D", sequenceLater}, {"ConvLSTM2D", sequenceLater},
	{"ConvLSTM3D", sequenceLater}, {"GRU", sequenceLater}, {"GRUCell", sequenceLater}, {"LSTM", sequenceLater},
	{"LSTMCell", sequenceLater}, {"RNN", sequenceLater}, {"SimpleRNN", sequenceLater},
	{"SimpleRNNCell", sequenceLater}, {"StackedRNNCells", sequenceLater}, {"TimeDistributed", sequenceLater},
}

// gokerasLayers are registered classes that are not Keras 3 layer
// classes: gokeras extensions and the Functional model itself.
var gokerasLayers = []string{"PatchWhitening", "Whitening"}

var coverageActivations = []coverageRow{
	{"elu", supported}, {"exponential", supported}, {"gelu", supported}, {"hard_sigmoid", supported},
	{"hard_silu", supported}, {"hard_swish", supported}, {"leaky_relu", supported}, {"linear", supported},
	{"log_softmax", supported}, {"mish", supported}, {"relu", supported}, {"relu6", supported},
	{"selu", supported}, {"sigmoid", supported}, {"silu", supported}, {"swish", supported},
	{"softmax", supported}, {"softplus", supported}, {"softsign", supported}, {"tanh", supported},
	{"crelu", supported + " (in an Activation layer: it doubles the last axis, so a layer's own activation argument refuses it)"},
}

var coverageInitializers = []coverageRow{
	{"Constant", supported}, {"Identity", supported}, {"Ones", supported}, {"Zeros", supported},
	{"GlorotNormal", supported}, {"GlorotUniform", supported}, {"HeNormal", supported}, {"HeUniform", supported},
	{"LecunNormal", supported}, {"LecunUniform", supported}, {"RandomNormal", supported},
	{"RandomUniform", supported}, {"TruncatedNormal", supported}, {"VarianceScaling", supported},
	{"OrthogonalInitializer", supported},
}

var coverageLosses = []coverageRow{
	{"BinaryCrossentropy", supported}, {"BinaryFocalCrossentropy", supported},
	{"CategoricalCrossentropy", supported}, {"CategoricalFocalCrossentropy", supported},
	{"CategoricalHinge", supported}, {"CosineSimilarity", supported}, {"Hinge", supported},
	{"Huber", supported}, {"KLDivergence", supported}, {"LogCosh", supported},
	{"MeanAbsoluteError", supported}, {"MeanAbsolutePercentageError", supported},
	{"MeanSquaredError", supported}, {"MeanSquaredLogarithmicError", supported},
	{"Poisson", supported}, {"SparseCategoricalCrossentropy", supported}, {"SquaredHinge", supported},
	{"Circle", supported},
	{"Dice", supported},
	{"IoU", supported},
	{"Tversky", supported},
	{"CTC", supported},
}

var coverageMetrics = []coverageRow{
	{"Mean", "not yet: a metric of a value the model computes, not of predictions and targets"},
	{"Sum", "not yet: a metric of a value the model computes, not of predictions and targets"},
	{"MeanSquaredError", supported}, {"RootMeanSquaredError", supported}, {"MeanAbsoluteError", supported},
	{"MeanAbsolutePercentageError", supported}, {"MeanSquaredLogarithmicError", supported},
	{"CosineSimilarity", supported}, {"LogCoshError", supported}, {"R2Score", supported},
	{"AUC", supported}, {"FalseNegatives", supported}, {"FalsePositives", supported},
	{"Precision", supported}, {"PrecisionAtRecall", supported}, {"Recall", supported},
	{"RecallAtPrecision", supported}, {"SensitivityAtSpecificity", supported},
	{"SpecificityAtSensitivity", supported}, {"TrueNegatives", supported}, {"TruePositives", supported},
	{"Hinge", supported}, {"SquaredHinge", supported}, {"CategoricalHinge", supported},
	{"KLDivergence", supported}, {"Poisson", supported}, {"BinaryCrossentropy", supported},
	{"CategoricalCrossentropy", supported}, {"SparseCategoricalCrossentropy", supported},
	{"Accuracy", supported}, {"BinaryAccuracy", supported}, {"CategoricalAccuracy", supported},
	{"SparseCategoricalAccuracy", supported}, {"TopKCategoricalAccuracy", supported},
	{"SparseTopKCategoricalAccuracy", supported}, {"F1Score", supported}, {"FBetaScore", supported},
	{"IoU", supported}, {"BinaryIoU", supported}, {"MeanIoU", supported}, {"OneHotIoU", supported},
	{"OneHotMeanIoU", supported},
}

// metricArgs are the arguments a metric class requires.
var metricArgs = map[string]map[string]any{
	"IoU":                      {"num_classes": 2.0, "target_class_ids": []any{0.0}},
	"OneHotIoU":                {"num_classes": 2.0, "target_class_ids": []any{0.0}},
	"MeanIoU":                  {"num_classes": 2.0},
	"OneHotMeanIoU":            {"num_classes": 2.0},
	"PrecisionAtRecall":        {"recall": 0.5},
	"RecallAtPrecision":        {"precision": 0.5},
	"SensitivityAtSpecificity": {"specificity": 0.5},
	"SpecificityAtSensitivity": {"sensitivity": 0.5},
}

// optimizerArgs are the arguments an optimizer class requires.
var optimizerArgs = map[string]map[string]any{
	"MultiOptimizer": {"optimizer_map": map[string]any{"class_name": "OptimizerMap", "config": map[string]any{"default_optimizer": "sgd"}}},
}

var coverageOptimizers = []coverageRow{
	{"Adadelta", supported}, {"Adafactor", supported}, {"Adagrad", supported}, {"Adam", supported},
	{"Adamax", supported}, {"AdamW", supported}, {"Ftrl", supported}, {"Lion", supported},
	{"Nadam", supported}, {"RMSprop", supported}, {"SGD", supported},
	{"LossScaleOptimizer", "not planned: it scales the loss for float16 training, and gokeras trains in float32"},
	{"Muon", supported},
	{"MultiOptimizer", supported},
	{"OptimizerMap", "built in: optim.MultiOptimizer's Default and Routes; read inside a MultiOptimizer's config"},
	{"ScheduleFreeAdamW", supported},
	{"ScheduleFreeSGD", supported},
}

// scheduleArgs are the arguments a schedule class requires.
var scheduleArgs = map[string]map[string]any{
	"CosineDecay":            {"initial_learning_rate": 0.1, "decay_steps": 100.0},
	"CosineDecayRestarts":    {"initial_learning_rate": 0.1, "first_decay_steps": 100.0},
	"ExponentialDecay":       {"initial_learning_rate": 0.1, "decay_steps": 100.0, "decay_rate": 0.9},
	"InverseTimeDecay":       {"initial_learning_rate": 0.1, "decay_steps": 100.0, "decay_rate": 0.9},
	"PiecewiseConstantDecay": {"boundaries": []any{10.0}, "values": []any{0.1, 0.01}},
	"PolynomialDecay":        {"initial_learning_rate": 0.1, "decay_steps": 100.0},
}

var coverageSchedules = []coverageRow{
	{"CosineDecay", supported}, {"CosineDecayRestarts", supported}, {"ExponentialDecay", supported},
	{"InverseTimeDecay", supported}, {"PiecewiseConstantDecay", supported}, {"PolynomialDecay", supported},
}

var coverageCallbacks = []coverageRow{
	{"BackupAndRestore", supported}, {"CSVLogger", supported}, {"EarlyStopping", supported},
	{"History", supported}, {"LambdaCallback", "not needed: any Go value with train.Callback's methods is a callback (train.NopCallback supplies the ones it leaves out)"},
	{"LearningRateScheduler", supported}, {"ModelCheckpoint", supported},
	{"OrbaxCheckpoint", "not planned: Orbax is JAX's checkpoint format; ModelCheckpoint and BackupAndRestore cover checkpoints"},
	{"ProgbarLogger", "built in: FitOptions.Verbose (1 a progress bar, 2 one line per epoch) as Keras's verbose"},
	{"ReduceLROnPlateau", supported}, {"RemoteMonitor", supported},
	{"SwapEMAWeights", supported},
	{"TensorBoard", supported}, {"TerminateOnNaN", supported},
}

// callbackTypes are the Go types of the supported callbacks: this file
// compiles only while they exist.
var callbackTypes = map[string]any{
	"BackupAndRestore":      gokeras.BackupAndRestore{},
	"CSVLogger":             train.CSVLogger{},
	"EarlyStopping":         train.EarlyStopping{},
	"History":               train.History{},
	"LearningRateScheduler": train.LearningRateScheduler{},
	"ModelCheckpoint":       gokeras.ModelCheckpoint{},
	"ReduceLROnPlateau":     train.ReduceLROnPlateau{},
	"RemoteMonitor":         train.RemoteMonitor{},
	"SwapEMAWeights":        train.SwapEMAWeights{},
	"TensorBoard":           train.TensorBoard{},
	"TerminateOnNaN":        train.TerminateOnNaN{},
}

// accepted reports whether gokeras accepts name as a member of kind.
func accepted(kind, name string, layers []string) error {
	switch kind {
	case "Layers":
		if !slices.Contains(layers, name) {
			return fmt.Errorf("not a registered layer class")
		}
		return nil
	case "Activations":
		_, err := activation.Parse(name)
		return err
	case "Initializers":
		_, err := nn.ParseInitializer(name)
		return err
	case "Losses":
		_, err := loss.FromConfig(name, map[string]any{})
		return err
	case "Metrics":
		args := metricArgs[name]
		if args == nil {
			args = map[string]any{}
		}
		_, err := metric.FromConfig(name, args)
		return err
	case "Optimizers":
		_, err := optim.FromConfig(name, optimizerArgs[name])
		return err
	case "Callbacks":
		if _, ok := callbackTypes[name]; !ok {
			return fmt.Errorf("no Go type for it in callbackTypes")
		}
		return nil
	case "Learning-rate schedules":
		_, err := optim.ScheduleFromConfig(name, scheduleArgs[name])
		return err
	}
	return fmt.Errorf("unknown kind %q", kind)
}

var coverageKinds = []struct {
	kind    string
	rows    []coverageRow
	checked bool // the rows are checked against gokeras (all kinds are)
}{
	{"Layers", coverageLayers, true},
	{"Activations", coverageActivations, true},
	{"Initializers", coverageInitializers, true},
	{"Losses", coverageLosses, true},
	{"Metrics", coverageMetrics, true},
	{"Optimizers", coverageOptimizers, true},
	{"Learning-rate schedules", coverageSchedules, true},
	{"Callbacks", coverageCallbacks, true},
}

func renderCoverage() string {
	var b strings.Builder
	b.WriteString("# Keras 3 coverage\n\n")
	b.WriteString("Every class and function of Keras 3's public API for layers, activations, initializers,\n")
	b.WriteString("losses, metrics, optimizers, learning-rate schedules and callbacks, and its status in\n")
	b.WriteString("gokeras. Generated from `coverage_test.go`, which checks each row against gokeras's\n")
	b.WriteString("registries (a supported row must load from its Keras name, any other row must be\n")
	b.WriteString("refused); rewrite with `GOKERAS_UPDATE_COVERAGE=1 go test -run TestKerasCoverage .`\n")
	b.WriteString("Names come from keras-team/keras, `keras/src/*/__init__.py`.\n")
	for _, k := range coverageKinds {
		n := 0
		for _, r := range k.rows {
			if r.supported() {
				n++
			}
		}
		fmt.Fprintf(&b, "\n## %s: %d of %d supported\n\n| Keras | gokeras |\n|---|---|\n", k.kind, n, len(k.rows))
		for _, r := range k.rows {
			fmt.Fprintf(&b, "| `%s` | %s |\n", r.name, r.status)
		}
	}
	return b.String()
}

func TestKerasCoverage(t *testing.T) {
	layers := nn.Classes()
	for _, k := range coverageKinds {
		seen := map[string]bool{}
		for _, r := range k.rows {
			if seen[r.name] {
				t.Errorf("%s: %s listed twice", k.kind, r.name)
			}
			seen[r.name] = true
			if !k.checked {
				continue
			}
			err := accepted(k.kind, r.name, layers)
			switch {
			case r.supported() && err != nil:
				t.Errorf("%s: %s is marked supported but gokeras refuses it: %v", k.kind, r.name, err)
			case !r.supported() && err == nil:
				t.Errorf("%s: %s is marked %q but gokeras accepts it: mark it supported", k.kind, r.name, r.status)
			}
		}
		if k.kind == "Layers" {
			for _, c := range layers {
				if !seen[c] && !slices.Contains(gokerasLayers, c) && c != "Functional" && c != "Sequential" {
					t.Errorf("layer class %s is registered but has no row in the coverage table", c)
				}
			}
		}
	}
	const path = "docs/keras-coverage.md"
	want := renderCoverage()
	if os.Getenv("GOKERAS_UPDATE_COVERAGE") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s is out of date: run GOKERAS_UPDATE_COVERAGE=1 go test -run TestKerasCoverage .", path)
	}
}
