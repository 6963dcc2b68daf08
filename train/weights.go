// This file owns sample and class weights in Fit and Evaluate, following
// Keras 3's trainer: the checks on the weights a user passes, class_weight
// turned into per-sample weights, and which metrics see them.
//
// Keras's rules, and where they are written:
//   - class_weight becomes one weight per training sample: the class of a
//     sample is its label (rounded), or the argmax of a one-hot row; a class
//     missing from the map weighs 1
//     (keras/src/trainers/data_adapters/data_adapter_utils.py,
//     class_weight_to_sample_weights). Giving it together with sample_weight
//     is an error (array_data_adapter.py). It weighs the training data only,
//     never the validation data (keras/src/backend/tensorflow/trainer.py,
//     fit).
//   - validation_split splits sample_weight with x and y
//     (array_slicing.train_validation_split); validation_data may carry its
//     own weights.
//   - the loss multiplies each sample's loss by its weight and divides by
//     the number of loss values (see package loss, weighted.go); the
//     reported loss is the mean of the batches' losses weighted by batch
//     size, not by the weights (the trainer's _loss_tracker).
//   - only weighted_metrics see the weights; metrics never do
//     (keras/src/trainers/compile_utils.py, CompileMetrics.update_state).
//
// Keras accepts any weights; gokeras refuses negative and non-finite ones,
// which can only come from a bug in the caller's data.

package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/tensor"
)

// checkSampleWeights returns an error saying what to do when w is not one
// finite, non-negative weight per sample of n.
func checkSampleWeights(what string, w []float32, n int) error {
	if w == nil {
		return nil
	}
	if len(w) != n {
		return fmt.Errorf("train: %s sample_weight has %d values for %d samples; give one weight per sample, in the order of x and y", what, len(w), n)
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(float64(v), 1) {
			return fmt.Errorf("train: %s sample_weight[%d] is %v; weights must be finite and not negative (0 leaves a sample out)", what, i, v)
		}
	}
	return nil
}

// classCount is the number of classes a classification loss scores, 0 for
// a regression loss (whose class weights Keras reads from rounded targets).
func classCount(l loss.Loss, out tensor.Shape) int {
	switch l.(type) {
	case loss.SparseCategoricalCrossentropy, *loss.SparseCategoricalCrossentropy,
		loss.CategoricalCrossentropy, *loss.CategoricalCrossentropy:
		return out[len(out)-1]
	case loss.BinaryCrossentropy, *loss.BinaryCrossentropy:
		return 2
	}
	return 0
}

// classWeights turns class weights into one weight per sample of y, as
// Keras's class_weight_to_sample_weights does: the class of a sample is its
// label rounded to the nearest integer (half to even, as NumPy's round), or
// the argmax of its row when y has one column per class; a class missing
// from cw weighs 1.
func (m *Model) classWeights(cw map[int]float64, y *tensor.Tensor) ([]float32, error) {
	classes := classCount(m.Loss, m.Net.OutputShape())
	keys := make([]int, 0, len(cw))
	for k := range cw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := cw[k]
		if k < 0 || (classes > 0 && k >= classes) {
			hint := "class indices start at 0"
			if classes > 0 {
				hint = fmt.Sprintf("the model's %s scores classes 0 to %d", m.Loss.Name(), classes-1)
			}
			return nil, fmt.Errorf("train: class_weight has class %d; %s", k, hint)
		}
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("train: class_weight of class %d is %v; weights must be finite and not negative", k, v)
		}
	}
	if per := len(y.Data) / max(y.Shape[0], 1); per > 1 && len(y.Shape) == 2 && isSparse(m.Loss) {
		return nil, fmt.Errorf("train: class_weight needs one label per sample, got %d per sample (targets %v); pass sample_weight instead", per, y.Shape)
	}
	cls, err := classOf(y)
	if err != nil {
		return nil, err
	}
	w := make([]float32, len(cls))
	for i, c := range cls {
		w[i] = 1
		if v, ok := cw[c]; ok {
			w[i] = float32(v)
		}
	}
	return w, nil
}

// classOf returns each sample's class as Keras's class_weight reads it:
// the label rounded to the nearest integer (half to even), or the argmax
// of the sample's row when y has one column per class.
func classOf(y *tensor.Tensor) ([]int, error) {
	if len(y.Shape) > 2 {
		return nil, fmt.Errorf("train: class_weight needs one label or one-hot row per sample, got targets of shape %v; pass sample_weight instead", y.Shape)
	}
	n := y.Shape[0]
	per := len(y.Data) / max(n, 1)
	cls := make([]int, n)
	for i := range cls {
		row := y.Data[i*per : (i+1)*per]
		if per > 1 {
			cls[i] = argmax(row)
			continue
		}
		v := float64(row[0])
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<30 {
			return nil, fmt.Errorf("train: class_weight: target %d is %v, not a class", i, v)
		}
		cls[i] = int(math.RoundToEven(v))
	}
	return cls, nil
}

// BalancedClassWeight returns class weights that make every class of y
// weigh as much in total: n/(k·count(c)) for each of the k classes that
// occur among the n samples, scikit-learn's compute_class_weight
// ("balanced"), which Keras users pass as class_weight. A sample's class is
// read as Options.ClassWeight reads it.
func BalancedClassWeight(y *tensor.Tensor) (map[int]float64, error) {
	cls, err := classOf(y)
	if err != nil {
		return nil, err
	}
	if len(cls) == 0 {
		return nil, fmt.Errorf("train: balanced class weights need at least one target")
	}
	count := map[int]int{}
	for _, c := range cls {
		count[c]++
	}
	cw := make(map[int]float64, len(count))
	for c, k := range count {
		cw[c] = float64(len(cls)) / (float64(len(count)) * float64(k))
	}
	return cw, nil
}

func isSparse(l loss.Loss) bool {
	switch l.(type) {
	case loss.SparseCategoricalCrossentropy, *loss.SparseCategoricalCrossentropy:
		return true
	}
	return false
}

// argmax returns the index of the largest value, the first on ties (as
// NumPy's argmax).
func argmax(x []float32) int {
	best := 0
	for j, v := range x {
		if v > x[best] {
			best = j
		}
	}
	return best
}

// checkWeighted returns an error when weights would reach a loss or a
// weighted metric that cannot take them.
func (m *Model) checkWeighted() error {
	if len(m.Outputs) != 0 {
		return m.checkWeightedAll()
	}
	if _, ok := m.Loss.(loss.Weighted); !ok {
		return fmt.Errorf("train: loss %s (%T) does not take sample weights; implement loss.Weighted or train without sample_weight and class_weight", m.Loss.Name(), m.Loss)
	}
	return nil
}

// checkWeightedMetrics returns an error naming a weighted metric that does
// not take weights.
func (m *Model) checkWeightedMetrics() error {
	for _, o := range m.outputs() {
		for _, mt := range o.WeightedMetrics {
			if _, ok := mt.(metric.Weighted); !ok {
				return fmt.Errorf("train: weighted metric %s (%T) does not take sample weights; implement metric.Weighted or list it as an unweighted metric", mt.Name(), mt)
			}
		}
	}
	return nil
}

// lossOf is the loss of a batch, weighted when w is non-nil (checkWeighted
// has vouched for the loss then).
func (m *Model) lossOf(out, y *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	return lossWith(m.Loss, out, y, w, grad)
}

// lossWith is lossOf with the loss l.
func lossWith(l loss.Loss, out, y *tensor.Tensor, w []float32, grad *tensor.Tensor) float64 {
	if w == nil {
		return l.Compute(out, y, grad)
	}
	return l.(loss.Weighted).ComputeWeighted(out, y, w, grad)
}

// updateMetrics feeds a batch to the metrics, and with its weights to the
// weighted metrics.
func (m *Model) updateMetrics(out, y *tensor.Tensor, w []float32) {
	for _, mt := range m.Metrics {
		mt.Update(out, y)
	}
	for _, mt := range m.WeightedMetrics {
		if w == nil {
			mt.Update(out, y)
		} else {
			mt.(metric.Weighted).UpdateWeighted(out, y, w)
		}
	}
}

// resetMetrics resets the metrics and the weighted metrics.
func (m *Model) resetMetrics() {
	if len(m.Outputs) != 0 {
		m.resetAll()
		return
	}
	clear(m.osum)
	m.oseen = 0
	for _, mt := range m.Metrics {
		mt.Reset()
	}
	for _, mt := range m.WeightedMetrics {
		mt.Reset()
	}
}

// nameMetrics works out the logs' key of each metric as Keras's
// CompileMetrics.result does: a name seen before gets "_1", "_2", ...; a
// weighted metric whose name an earlier metric has becomes
// "weighted_<name>" (then "_1", ... if that is taken too).
func (m *Model) nameMetrics() {
	if len(m.Outputs) != 0 {
		m.metricNames = metricKeys(m.Outputs)
		return
	}
	m.metricNames = m.metricNames[:0]
	used := map[string]int{}
	unique := func(name string) string {
		n, ok := used[name]
		if !ok {
			used[name] = 1
			return name
		}
		used[name] = n + 1
		return fmt.Sprintf("%s_%d", name, n)
	}
	for _, mt := range m.Metrics {
		m.metricNames = append(m.metricNames, unique(mt.Name()))
	}
	for _, mt := range m.WeightedMetrics {
		name := mt.Name()
		if _, ok := used[name]; ok {
			name = unique("weighted_" + name)
		} else {
			used[name] = 1
		}
		m.metricNames = append(m.metricNames, name)
	}
}

// fillLogs stores the running loss and metric values in logs.
func (m *Model) fillLogs(logs Logs, prefix string, l float64) {
	if len(m.Outputs) != 0 {
		m.fillLogsAll(logs, prefix, l)
		return
	}
	logs[prefix+"loss"] = l
	for i, mt := range m.Metrics {
		logs[prefix+m.metricNames[i]] = mt.Result()
	}
	for i, mt := range m.WeightedMetrics {
		logs[prefix+m.metricNames[len(m.Metrics)+i]] = mt.Result()
	}
}
