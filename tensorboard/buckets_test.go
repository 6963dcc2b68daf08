package tensorboard

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// numpyBuckets runs histogram_pb's bucketing
// (tensorboard/plugins/histogram/summary_v2.py) in NumPy; it skips the
// test when python3 or numpy is missing.
func numpyBuckets(t *testing.T, data []float32, count int) [][3]float64 {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import numpy").Run(); err != nil {
		t.Skip("numpy not installed (apt-get install python3-numpy)")
	}
	in, _ := json.Marshal(map[string]any{"data": data, "count": count})
	script := `
import json, sys
import numpy as np
a = json.load(sys.stdin)
data = np.array(a["data"], dtype=np.float32).astype(float)
bucket_count = a["count"]
if data.size == 0:
    buckets = np.array([]).reshape((0, 3))
else:
    min_, max_ = np.min(data), np.max(data)
    range_ = max_ - min_
    if range_ == 0:
        buckets = np.array([[min_ - 0.5, min_ + 0.5, float(data.size)]])
    else:
        bucket_width = range_ / bucket_count
        idx = np.minimum(np.floor((data - min_) / bucket_width).astype(int), bucket_count - 1)
        counts = np.sum(np.array([idx]).transpose() == np.arange(0, bucket_count), axis=0)
        edges = np.linspace(min_, max_, bucket_count + 1)
        buckets = np.array([edges[:-1], edges[1:], counts]).transpose()
print(json.dumps(buckets.tolist()))
`
	cmd := exec.Command("python3", "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var rows [][3]float64
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestBucketsNumPy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	normal := make([]float32, 1000)
	for i := range normal {
		normal[i] = float32(r.NormFloat64() * 0.05)
	}
	for _, c := range []struct {
		name  string
		data  []float32
		count int
	}{
		{"normal", normal, 30},
		{"ladder", []float32{0, 1, 1, 3}, 30},
		{"few buckets", []float32{-2, 5, 0.25, 0.5, 4.999}, 4},
		{"constant", []float32{0.5, 0.5, 0.5}, 30},
		{"one value", []float32{-1}, 30},
		{"empty", nil, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, want := Buckets(c.data, c.count), numpyBuckets(t, c.data, c.count)
			if len(got) != len(want) {
				t.Fatalf("%d buckets, NumPy %d", len(got), len(want))
			}
			for i := range got {
				for j := range 3 {
					if math.Abs(got[i][j]-want[i][j]) > 1e-12*math.Max(1, math.Abs(want[i][j])) {
						t.Errorf("bucket %d field %d = %v, NumPy %v", i, j, got[i][j], want[i][j])
					}
				}
			}
		})
	}
}
