package dataset

import (
	"slices"
	"strings"
	"testing"
)

// Known values of numpy's legacy generator, from numpy itself:
// np.random.seed(0); np.random.rand() == 0.5488135039273248 and
// np.random.RandomState(0).permutation(10) == [2 8 4 9 1 6 7 3 0 5].
func TestNumpyRandMatchesNumpy(t *testing.T) {
	if got := newNumpyRand(0).float64(); got != 0.5488135039273248 {
		t.Errorf("RandomState(0).rand() = %v, want 0.5488135039273248", got)
	}
	if got, want := newNumpyRand(0).permutation(10), []int{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}; !slices.Equal(got, want) {
		t.Errorf("RandomState(0).permutation(10) = %v, want %v", got, want)
	}
}

func TestNumpyRandMoreSeeds(t *testing.T) {
	// Values printed by numpy 1.24: RandomState(s).permutation(n)[:k].
	tests := []struct {
		seed uint64
		n    int
		want []int
	}{
		{113, 506, []int{22, 202, 368, 335, 461, 323, 382, 143, 146, 141}},
		{7, 1797, []int{58, 1039, 1550, 813, 372, 1152, 1642, 410}},
		{42, 150, []int{73, 18, 118, 78, 76, 31, 64, 141, 68, 82}},
	}
	for _, tt := range tests {
		got := newNumpyRand(tt.seed).permutation(tt.n)[:len(tt.want)]
		if !slices.Equal(got, tt.want) {
			t.Errorf("RandomState(%d).permutation(%d)[:%d] = %v, want %v", tt.seed, tt.n, len(tt.want), got, tt.want)
		}
	}
}

func TestEmbeddedSizesAndShapes(t *testing.T) {
	tests := []struct {
		name        string
		train, test int
		xShape      []int // one example
		yShape      []int // per example; empty for class indices
		nClasses    int
	}{
		{"digits", 1437, 360, []int{8, 8, 1}, nil, 10},
		{"iris", 120, 30, []int{4}, nil, 3},
		{"wine", 142, 36, []int{13}, nil, 3},
		{"breast_cancer", 455, 114, []int{30}, nil, 2},
		{"diabetes", 353, 89, []int{10}, []int{1}, 0},
		{"boston_housing", 404, 102, []int{13}, []int{1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, te, err := Load(tt.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			info, err := Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if info.TrainSize != tt.train || info.TestSize != tt.test || !slices.Equal(info.InputShape, tt.xShape) || len(info.Classes) != tt.nClasses || !info.Embedded {
				t.Errorf("Info = %+v, does not match the set", info)
			}
			for _, c := range []struct {
				s *Set
				n int
			}{{tr, tt.train}, {te, tt.test}} {
				if got, want := []int(c.s.X.Shape), append([]int{c.n}, tt.xShape...); !slices.Equal(got, want) {
					t.Errorf("X shape %v, want %v", got, want)
				}
				if got, want := []int(c.s.Y.Shape), append([]int{c.n}, tt.yShape...); !slices.Equal(got, want) {
					t.Errorf("Y shape %v, want %v", got, want)
				}
				if len(c.s.Classes) != tt.nClasses {
					t.Errorf("%d classes, want %d", len(c.s.Classes), tt.nClasses)
				}
				if c.s.Len() != c.n {
					t.Errorf("Len() = %d, want %d", c.s.Len(), c.n)
				}
				for _, y := range c.s.Y.Data {
					if tt.nClasses > 0 && (y < 0 || int(y) >= tt.nClasses || y != float32(int(y))) {
						t.Fatalf("label %v is not a class index below %d", y, tt.nClasses)
					}
				}
			}
		})
	}
}

// TestBostonMatchesKeras checks the split against Keras's own output:
// keras.datasets.boston_housing.load_data() gives x_train[0] =
// [1.23247, 0, 8.14, 0, 0.538, 6.142, 91.7, 3.9769, 4, 307, 21, 396.9, 18.72]
// and y_train[:10] = [15.2, 42.3, 50, 21.1, 17.7, 18.5, 11.3, 15.6, 15.6, 14.4]
// (as printed in Chollet's "Deep Learning with Python", ch. 3).
func TestBostonMatchesKeras(t *testing.T) {
	tr, te, err := Load("boston_housing", Options{Seed: 99}) // the seed must not matter
	if err != nil {
		t.Fatal(err)
	}
	wantX0 := []float32{1.23247, 0, 8.14, 0, 0.538, 6.142, 91.7, 3.9769, 4, 307, 21, 396.9, 18.72}
	if got := tr.X.Data[:13]; !slices.Equal(got, wantX0) {
		t.Errorf("x_train[0] = %v, want %v", got, wantX0)
	}
	wantY := []float32{15.2, 42.3, 50, 21.1, 17.7, 18.5, 11.3, 15.6, 15.6, 14.4}
	if got := tr.Y.Data[:10]; !slices.Equal(got, wantY) {
		t.Errorf("y_train[:10] = %v, want %v", got, wantY)
	}
	// The test part starts at permutation index 404: row 415 of the CSV.
	if te.X.Data[0] != 18.0846 {
		t.Errorf("x_test[0][0] = %v, want 18.0846 (row 415)", te.X.Data[0])
	}
	if tr.Classes != nil {
		t.Errorf("regression set has classes %v", tr.Classes)
	}
}

func TestDigitsValues(t *testing.T) {
	tr, te, err := Load("digits", Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, 10)
	for _, s := range []*Set{tr, te} {
		for _, y := range s.Y.Data {
			counts[int(y)]++
		}
		for _, v := range s.X.Data {
			if v < 0 || v > 1 {
				t.Fatalf("pixel %v outside [0,1]", v)
			}
		}
	}
	if want := []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}; !slices.Equal(counts, want) {
		t.Errorf("class counts %v, want %v", counts, want)
	}
	// Seed 0: permutation(1797) starts with row 1247 ... check the first
	// training row against the file via the permutation.
	p := newNumpyRand(0).permutation(1797)
	tab, _ := digitsTable()
	first := p[0]
	if !slices.Equal(tr.X.Data[:64], tab.x[first*64:(first+1)*64]) || tr.Y.Data[0] != tab.y[first] {
		t.Errorf("first training row is not row %d of the file", first)
	}
	// Row 0 of the file is a 0 whose first pixels are 0,0,5,13,9,1.
	want := []float32{0, 0, 5.0 / 16, 13.0 / 16, 9.0 / 16, 1.0 / 16}
	if !slices.Equal(tab.x[:6], want) || tab.y[0] != 0 {
		t.Errorf("digits row 0 = %v label %v, want %v label 0", tab.x[:6], tab.y[0], want)
	}
	// In the train part with seed 0, numpy counts 147 zeros (31 in test).
	n0 := 0
	for _, y := range tr.Y.Data {
		if y == 0 {
			n0++
		}
	}
	if n0 != 147 {
		t.Errorf("train has %d zeros, want 147", n0)
	}
}

func TestFirstRows(t *testing.T) {
	tests := []struct {
		name string
		row  int
		x    []float32
		y    float32
	}{
		{"iris.csv.gz", 0, []float32{5.1, 3.5, 1.4, 0.2}, 0},
		{"wine_data.csv.gz", 0, []float32{14.23, 1.71, 2.43, 15.6, 127, 2.8, 3.06, 0.28, 2.29, 5.64, 1.04, 3.92, 1065}, 0},
		{"breast_cancer.csv.gz", 0, []float32{17.99, 10.38, 122.8, 1001}, 0},
	}
	for _, tt := range tests {
		tab, err := sklearnTable(tt.name, false)
		if err != nil {
			t.Fatal(err)
		}
		got := tab.x[tt.row*tab.f : tt.row*tab.f+len(tt.x)]
		if !slices.Equal(got, tt.x) || tab.y[tt.row] != tt.y {
			t.Errorf("%s row %d = %v → %v, want %v → %v", tt.name, tt.row, got, tab.y[tt.row], tt.x, tt.y)
		}
	}
	d, err := diabetesTable()
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87}; !slices.Equal(d.x[:10], want) || d.y[0] != 151 {
		t.Errorf("diabetes row 0 = %v → %v, want %v → 151", d.x[:10], d.y[0], want)
	}
}

func TestSplitDeterministic(t *testing.T) {
	a, _, err := Load("iris", Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Load("iris", Options{Seed: 5})
	c, _, _ := Load("iris", Options{Seed: 6})
	if !slices.Equal(a.X.Data, b.X.Data) || !slices.Equal(a.Y.Data, b.Y.Data) {
		t.Error("same seed, different split")
	}
	if slices.Equal(a.X.Data, c.X.Data) {
		t.Error("seeds 5 and 6 gave the same split")
	}
	// Train and test are disjoint and cover every row.
	tr, te := splitIndices(150, 0.2, 5)
	all := append(slices.Clone(tr), te...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("split does not cover rows exactly once: %v", all)
		}
	}
	// Seeds above 2**32 work too (numpy has no twin for them).
	if _, _, err := Load("wine", Options{Seed: 1 << 40}); err != nil {
		t.Fatal(err)
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("mnits")
	if err == nil || !strings.Contains(err.Error(), "mnist") || !strings.Contains(err.Error(), "boston_housing") {
		t.Errorf("Lookup(mnits) error %v should list the valid names", err)
	}
	if _, _, err := Load("nope", Options{}); err == nil {
		t.Error("Load(nope) succeeded")
	}
	if info, err := Lookup("Fashion-MNIST"); err != nil || info.Name != "fashion_mnist" {
		t.Errorf("Lookup(Fashion-MNIST) = %v, %v", info.Name, err)
	}
	if got := List(); len(got) != len(registry) {
		t.Errorf("List has %d entries", len(got))
	}
}
