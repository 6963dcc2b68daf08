package sweep

import (
	"math"
	"slices"
)

// Successive halving (Jamieson and Talwalkar, "Non-stochastic Best Arm
// Identification and Hyperparameter Optimization", AISTATS 2016; the
// rung layout of Li et al., "Hyperband", JMLR 2018): every configuration
// trains for a small number of epochs, the best 1/eta of them train
// longer, and so on until the survivors have trained the full budget.

// Rung is one round of successive halving.
type Rung struct {
	Epochs  int // epochs each configuration has trained by the end of the rung
	Configs int // configurations that train in the rung
}

// Rungs lays out successive halving of n configurations with at most
// maxEpochs each: rounds k = 0..K with K = min(⌊log_eta n⌋, ⌊log_eta maxEpochs⌋),
// epochs maxEpochs/eta^(K-k) (at least 1) and n/eta^k configurations (at
// least 1). The last rung trains the survivors for maxEpochs.
func Rungs(n, maxEpochs, eta int) []Rung {
	if n < 1 || maxEpochs < 1 || eta < 2 {
		return nil
	}
	k := min(floorLog(n, eta), floorLog(maxEpochs, eta))
	rungs := make([]Rung, k+1)
	configs := n
	for i := range rungs {
		e := int(math.Round(float64(maxEpochs) / math.Pow(float64(eta), float64(k-i))))
		rungs[i] = Rung{Epochs: max(e, 1), Configs: configs}
		configs = max(configs/eta, 1)
	}
	rungs[k].Epochs = maxEpochs
	return rungs
}

// floorLog returns ⌊log_b n⌋ for n ≥ 1, in integers.
func floorLog(n, b int) int {
	k := 0
	for p := b; p <= n; p *= b {
		k++
		if p > math.MaxInt/b {
			break
		}
	}
	return k
}

// Promote returns the keep best results, best first. Diverged results
// (NaN scores) come last; ties keep the results' order, so the same
// results always promote the same configurations.
func Promote(results []Result, keep int, maximize bool) []Result {
	ranked := slices.Clone(results)
	slices.SortStableFunc(ranked, func(a, b Result) int { return compareScores(a.Score, b.Score, maximize) })
	return ranked[:min(keep, len(ranked))]
}

// compareScores orders a before b (-1) when a is better; NaN is worst.
func compareScores(a, b float64, maximize bool) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a == b:
		return 0
	case (a > b) == maximize:
		return -1
	}
	return 1
}
