package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

// classWeightValue is train's --class-weight: "balanced" (each class
// weighing as much in total, computed from the training labels) or a JSON
// object from class index to weight, as Keras's class_weight dict:
// '{"0": 1, "1": 5}'. Classes not named weigh 1.
type classWeightValue struct {
	balanced bool
	weights  map[int]float64
	text     string
}

func (c *classWeightValue) String() string { return c.text }

func (c *classWeightValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "balanced" {
		*c = classWeightValue{balanced: true, text: s}
		return nil
	}
	var raw map[string]float64
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return errors.New(`want "balanced" or a JSON object from class index to weight, e.g. '{"0": 1, "1": 5}'`)
	}
	w := make(map[int]float64, len(raw))
	for k, v := range raw {
		i, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || i < 0 {
			return fmt.Errorf("class %q is not a class index (0, 1, ...)", k)
		}
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("class %d has weight %v; weights must be finite and not negative", i, v)
		}
		w[i] = v
	}
	*c = classWeightValue{weights: w, text: s}
	return nil
}

// forLabels returns the class weights for training on y, nil when the flag
// was not given.
func (c *classWeightValue) forLabels(y *tensor.Tensor) (map[int]float64, error) {
	if c.balanced {
		return train.BalancedClassWeight(y)
	}
	return c.weights, nil
}

// formatClassWeight writes class weights in class order: "0: 0.75, 1: 1.5".
func formatClassWeight(cw map[int]float64) string {
	keys := make([]int, 0, len(cw))
	for k := range cw {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d: %.4g", k, cw[k])
	}
	return strings.Join(parts, ", ")
}
