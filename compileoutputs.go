package gokeras

// This file owns the per-output part of a model file's "compile_config":
// a loss, a loss weight and metrics for each output of a model with
// several, as a list in the model's output order or a dict keyed by output
// layer name, as Keras 3's compile() takes them and get_compile_config()
// writes them (keras/src/trainers/trainer.py; how the lists and dicts map
// to the outputs: keras/src/trainers/compile_utils.py).

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gokeras/gokeras/internal/config"
	"github.com/gokeras/gokeras/loss"
	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

// lossValue is how a model file writes a loss: its name, or a Keras object
// when it has options (label_smoothing, from_logits, ...); nil for none.
func lossValue(l loss.Loss) any {
	if l == nil {
		return nil
	}
	if class, cfg, ok := loss.Config(l); ok {
		return kerasObject("keras.losses", class, cfg)
	}
	return l.Name()
}

// parseLoss reads a loss written as lossValue writes it.
func parseLoss(v any) (loss.Loss, error) {
	switch v := v.(type) {
	case string:
		return loss.Parse(v)
	case map[string]any:
		class, _ := v["class_name"].(string)
		cfg, _ := v["config"].(map[string]any)
		return loss.FromConfig(class, cfg)
	}
	return nil, fmt.Errorf("loss must be a name or {\"class_name\": ..., \"config\": {...}}, not %v", v)
}

// isKerasObject reports whether v is one serialised object rather than a
// dict keyed by output name.
func isKerasObject(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["class_name"]
	return ok
}

// perOutput reports whether c compiles the outputs one by one: a list or
// dict of losses, loss weights, or a model with several outputs.
func (c *CompileConfig) perOutput(m *Model) bool {
	switch c.Loss.(type) {
	case []any:
		return true
	case map[string]any:
		if !isKerasObject(c.Loss) {
			return true
		}
	}
	return c.LossWeights != nil || len(m.net.OutputShapes()) > 1
}

// writeOutputs fills c from a model compiled per output, in the dict
// form: every output's loss (null for none) and loss weight, and the
// metrics of those that have some.
func (c *CompileConfig) writeOutputs(outs []train.Output) {
	losses, weights := map[string]any{}, map[string]any{}
	metrics, weighted := map[string]any{}, map[string]any{}
	for _, o := range outs {
		losses[o.Name] = lossValue(o.Loss)
		weights[o.Name] = o.Weight
		if len(o.Metrics) > 0 {
			metrics[o.Name] = metricValues(o.Metrics)
		}
		if len(o.WeightedMetrics) > 0 {
			weighted[o.Name] = metricValues(o.WeightedMetrics)
		}
	}
	c.Loss, c.LossWeights = losses, weights
	if len(metrics) > 0 {
		c.Metrics = metrics
	}
	if len(weighted) > 0 {
		c.WeightedMetrics = weighted
	}
}

// metricValues is how a model file writes metrics: each one's name, or
// a Keras object when it has settings its name does not carry
// (metric.Config), as Keras keeps what compile was given. All names give
// a []string.
func metricValues(ms []metric.Metric) any {
	names := make([]string, len(ms))
	values := make([]any, len(ms))
	named := true
	for i, mt := range ms {
		names[i], values[i] = mt.Name(), mt.Name()
		if class, cfg, ok := metric.Config(mt); ok {
			values[i], named = kerasObject("keras.metrics", class, cfg), false
		}
	}
	if named {
		return names
	}
	return values
}

// byOutput spreads v, a list in output order or a dict keyed by output
// name, over the outputs names: one value each (nil where a dict has no
// key). key names the compile_config key for messages.
func byOutput(key string, v any, names []string) ([]any, error) {
	out := make([]any, len(names))
	switch v := v.(type) {
	case nil:
	case []any:
		if len(v) != len(names) {
			return nil, fmt.Errorf("compile_config: %s has %d entries for a model with %d outputs (%s); give one per output or a dict keyed by output name", key, len(v), len(names), strings.Join(names, ", "))
		}
		copy(out, v)
	case []string:
		if len(v) != len(names) {
			return nil, fmt.Errorf("compile_config: %s has %d entries for a model with %d outputs (%s); give one per output or a dict keyed by output name", key, len(v), len(names), strings.Join(names, ", "))
		}
		for i, s := range v {
			out[i] = s
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			i := indexOf(names, k)
			if i < 0 {
				return nil, fmt.Errorf("compile_config: %s has key %q, which names none of the model's outputs (%s)", key, k, strings.Join(names, ", "))
			}
			out[i] = v[k]
		}
	default:
		for i := range out {
			out[i] = v
		}
	}
	return out, nil
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}

// parseMetrics reads a metric entry as metricValues writes it: a name, a
// Keras metric object, or a list of them.
func parseMetrics(key string, v any) ([]metric.Metric, error) {
	var list []any
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		list = []any{v}
	case []string:
		for _, s := range v {
			list = append(list, s)
		}
	case []any:
		list = v
	case map[string]any:
		if !isKerasObject(v) {
			return nil, fmt.Errorf("compile_config: %s must be a list of metric names or {\"class_name\": ..., \"config\": {...}} objects (or, per output, a list or dict of them), not %v", key, v)
		}
		list = []any{v}
	default:
		return nil, fmt.Errorf("compile_config: %s must be a list of metric names or {\"class_name\": ..., \"config\": {...}} objects (or, per output, a list or dict of them), not %v", key, v)
	}
	var ms []metric.Metric
	for _, e := range list {
		var mt metric.Metric
		var err error
		switch e := e.(type) {
		case string:
			mt, err = metric.Parse(e)
		case map[string]any:
			if !isKerasObject(e) {
				return nil, fmt.Errorf("compile_config: %s holds %v; a metric object needs \"class_name\" and \"config\"", key, e)
			}
			for k := range e {
				if k != "module" && k != "class_name" && k != "config" && k != "registered_name" {
					return nil, fmt.Errorf("compile_config: %s: metric object has unknown key %q; it takes module, class_name, config and registered_name", key, k)
				}
			}
			class, _ := e["class_name"].(string)
			cfg, _ := e["config"].(map[string]any)
			mt, err = metric.FromConfig(class, cfg)
		default:
			return nil, fmt.Errorf("compile_config: %s must hold metric names or {\"class_name\": ..., \"config\": {...}} objects, not %v", key, e)
		}
		if err != nil {
			return nil, fmt.Errorf("compile_config: %s: %w", key, err)
		}
		ms = append(ms, mt)
	}
	return ms, nil
}

// applyOutputs compiles m per output with optimizer o: c's loss (one for
// every output, or a list or dict of them), loss_weights and metrics.
func (c *CompileConfig) applyOutputs(m *Model, o optim.Optimizer) error {
	if err := m.net.AssignNames(); err != nil {
		return err
	}
	names := m.OutputNames()
	losses, err := byOutput("loss", c.Loss, names)
	if err != nil {
		return err
	}
	weights, err := byOutput("loss_weights", c.LossWeights, names)
	if err != nil {
		return err
	}
	var metrics, weighted []any
	if _, flat := c.Metrics.([]string); flat && len(names) == 1 {
		metrics = []any{c.Metrics} // one output: the list is its metrics
	} else if metrics, err = byOutput("metrics", c.Metrics, names); err != nil {
		return err
	}
	if _, flat := c.WeightedMetrics.([]string); flat && len(names) == 1 {
		weighted = []any{c.WeightedMetrics}
	} else if weighted, err = byOutput("weighted_metrics", c.WeightedMetrics, names); err != nil {
		return err
	}
	outs := make([]Output, len(names))
	for j, name := range names {
		key := func(k string) string { return fmt.Sprintf("%s of output %q", k, name) }
		outs[j].Name = name
		if losses[j] != nil {
			if outs[j].Loss, err = parseLoss(losses[j]); err != nil {
				return fmt.Errorf("compile_config: %s: %w", key("loss"), err)
			}
		}
		if weights[j] != nil {
			w, ok := config.Number(weights[j])
			if !ok || w < 0 {
				return fmt.Errorf("compile_config: %s is %v; it must be a non-negative number", key("loss_weights"), weights[j])
			}
			if w == 0 {
				// CompileOutputs reads 0 as 1; a zero weight trains nothing.
				return fmt.Errorf("compile_config: %s is 0; give the output a null loss instead", key("loss_weights"))
			}
			outs[j].LossWeight = w
		}
		if outs[j].Metrics, err = parseMetrics(key("metrics"), metrics[j]); err != nil {
			return err
		}
		if outs[j].WeightedMetrics, err = parseMetrics(key("weighted_metrics"), weighted[j]); err != nil {
			return err
		}
	}
	if err := m.CompileOutputs(o, outs...); err != nil {
		return fmt.Errorf("compile_config: %w", err)
	}
	return nil
}
