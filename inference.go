package gokeras

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gokeras/gokeras/metric"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/train"
)

// Concurrency. Layers keep each pass's buffers in their structs, so one
// network runs one pass at a time. Predict, Evaluate and EvaluateTTA take
// the model's own network when it is free and otherwise a replica: the
// same layers rebuilt from their configs, sharing the model's weight
// tensors (nn.Stack.Replica). Replicas are pooled for the next calls and
// dropped when Build or Load has replaced the weights. Every network runs
// the same kernels on the same weights, whose results do not depend on the
// thread count, so concurrent calls give the same bits as serial ones.

// inference is a model's pool of networks for concurrent calls.
type inference struct {
	build   sync.Mutex  // ensureBuilt
	own     sync.Mutex  // held while the model's own network runs
	fitting atomic.Bool // Fit holds own
	mu      sync.Mutex
	free    []*nn.Stack
}

// inferNet returns a network for one inference call and the function that
// gives it back.
func (m *Sequential) inferNet() (*nn.Stack, func(), error) {
	if m.infer.own.TryLock() {
		return &m.net, m.infer.own.Unlock, nil
	}
	m.infer.mu.Lock()
	for len(m.infer.free) > 0 {
		r := m.infer.free[len(m.infer.free)-1]
		m.infer.free = m.infer.free[:len(m.infer.free)-1]
		if r.SharesWeights(&m.net) {
			m.infer.mu.Unlock()
			return r, func() { m.putReplica(r) }, nil
		}
	}
	m.infer.mu.Unlock()
	r, err := m.net.Replica()
	if err != nil {
		// A layer that cannot be rebuilt from its config: wait for the
		// model's own network, unless Fit has it.
		if err := m.waitOwn(err.Error()); err != nil {
			return nil, nil, err
		}
		return &m.net, m.infer.own.Unlock, nil
	}
	return r, func() { m.putReplica(r) }, nil
}

// waitOwn takes the model's own network, waiting for the call that has it,
// or fails while Fit runs (the caller may be one of Fit's callbacks).
func (m *Sequential) waitOwn(why string) error {
	if m.infer.fitting.Load() {
		return fmt.Errorf("gokeras: inference while Fit runs needs a copy of the network, and %s", why)
	}
	m.infer.own.Lock()
	return nil
}

// putReplica keeps r for later calls, up to a few per core.
func (m *Sequential) putReplica(r *nn.Stack) {
	m.infer.mu.Lock()
	if len(m.infer.free) < 2*runtime.GOMAXPROCS(0) {
		m.infer.free = append(m.infer.free, r)
	}
	m.infer.mu.Unlock()
}

// evalModel returns the train.Model one Evaluate call runs: its own
// network and its own metrics (they keep running sums), the model's loss.
func (m *Sequential) evalModel() (*train.Model, func(), error) {
	net, release, err := m.inferNet()
	if err != nil {
		return nil, nil, err
	}
	if net == &m.net {
		// The model's own network: nothing else uses its metrics now
		// (Fit holds the network while it runs).
		return &m.model, release, nil
	}
	tm := &train.Model{Net: net, Loss: m.model.Loss}
	for _, o := range m.model.Outputs {
		c := o
		c.Metrics, c.WeightedMetrics = nil, nil
		for k, list := range [][]metric.Metric{o.Metrics, o.WeightedMetrics} {
			for _, mt := range list {
				f, ok := metric.Fresh(mt)
				if !ok {
					release()
					if err := m.waitOwn(fmt.Sprintf("metric %s (%T) cannot be copied", mt.Name(), mt)); err != nil {
						return nil, nil, err
					}
					return &m.model, m.infer.own.Unlock, nil
				}
				if k == 0 {
					c.Metrics = append(c.Metrics, f)
				} else {
					c.WeightedMetrics = append(c.WeightedMetrics, f)
				}
			}
		}
		tm.Outputs = append(tm.Outputs, c)
	}
	for i, mt := range append(m.model.Metrics[:len(m.model.Metrics):len(m.model.Metrics)], m.model.WeightedMetrics...) {
		c, ok := metric.Fresh(mt)
		if !ok {
			// A metric this package cannot copy: use the model's own
			// metrics and network.
			release()
			if err := m.waitOwn(fmt.Sprintf("metric %s (%T) cannot be copied", mt.Name(), mt)); err != nil {
				return nil, nil, err
			}
			return &m.model, m.infer.own.Unlock, nil
		}
		if i < len(m.model.Metrics) {
			tm.Metrics = append(tm.Metrics, c)
		} else {
			tm.WeightedMetrics = append(tm.WeightedMetrics, c)
		}
	}
	return tm, release, nil
}
