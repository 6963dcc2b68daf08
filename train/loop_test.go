package train

import "testing"

func TestEpochBatches(t *testing.T) {
	type part struct{ pass, first, count int }
	tests := []struct {
		name           string
		batches, steps int
		want           []part // epochs 0, 1, ...
	}{
		{"whole passes", 5, 5, []part{{0, 0, 5}, {1, 0, 5}, {2, 0, 5}}},
		// Keras: 2, 2, then the iterator runs out after 1 and is renewed.
		{"cut short", 5, 2, []part{{0, 0, 2}, {0, 2, 2}, {0, 4, 1}, {1, 0, 2}, {1, 2, 2}, {1, 4, 1}, {2, 0, 2}}},
		{"divides", 6, 3, []part{{0, 0, 3}, {0, 3, 3}, {1, 0, 3}, {1, 3, 3}}},
		{"one step", 3, 1, []part{{0, 0, 1}, {0, 1, 1}, {0, 2, 1}, {1, 0, 1}}},
	}
	for _, tt := range tests {
		for e, w := range tt.want {
			p, f, c := epochBatches(e, tt.batches, tt.steps)
			if (part{p, f, c}) != w {
				t.Errorf("%s: epochBatches(%d, %d, %d) = %d, %d, %d; want %d, %d, %d",
					tt.name, e, tt.batches, tt.steps, p, f, c, w.pass, w.first, w.count)
			}
		}
	}
}
