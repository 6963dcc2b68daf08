package train

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Logs maps a quantity ("loss", "accuracy", "val_loss", ...) to its value.
type Logs map[string]float64

// Keys returns the names in Keras's display order: loss, the metrics, then
// the val_ versions.
func (l Logs) Keys() []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		r := 0
		if strings.HasPrefix(k, "val_") {
			r += 2
			k = k[4:]
		}
		if k != "loss" {
			r++
		}
		if k == "learning_rate" {
			r = 10
		}
		return r
	}
	sort.SliceStable(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// History is what Fit returns: one entry per finished epoch, like Keras's
// History.history, plus each epoch's wall time.
type History struct {
	Epoch   []int                `json:"epoch"`
	History map[string][]float64 `json:"history"`
	Seconds []float64            `json:"seconds"`
}

func (h *History) add(epoch int, secs float64, logs Logs) {
	if h.History == nil {
		h.History = map[string][]float64{}
	}
	h.Epoch = append(h.Epoch, epoch)
	h.Seconds = append(h.Seconds, secs)
	for k, v := range logs {
		h.History[k] = append(h.History[k], v)
	}
}

// Len is the number of finished epochs.
func (h *History) Len() int { return len(h.Epoch) }

// Last returns the final value of a quantity, and whether it exists.
func (h *History) Last(key string) (float64, bool) {
	v := h.History[key]
	if len(v) == 0 {
		return 0, false
	}
	return v[len(v)-1], true
}

// WriteJSON writes the history to path.
func (h *History) WriteJSON(path string) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("train: writing history: %w", err)
	}
	return nil
}
