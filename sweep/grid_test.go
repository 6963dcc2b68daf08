package sweep

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseGrid(t *testing.T) {
	tests := []struct {
		spec string
		want []Param
	}{
		{"dropout_1=0.1,0.25 dropout_2=0.2,0.5,0.8 batch_size=128,256 epochs=30,50", []Param{
			{"dropout_1", []string{"0.1", "0.25"}}, {"dropout_2", []string{"0.2", "0.5", "0.8"}},
			{"batch_size", []string{"128", "256"}}, {"epochs", []string{"30", "50"}}}},
		// Values are canonical: the same number is written one way.
		{"lr=0.0010,1e-2  dense.units=64.0", []Param{{"lr", []string{"0.001", "0.01"}}, {"dense.units", []string{"64"}}}},
		// Quotes and brackets keep their commas and spaces.
		{`lr_schedule="cosine:lr=0.01,warmup=5","step:lr=0.1,every=10" conv2d.kernel_size=[3, 3],[5,5] dense.activation=relu,"tanh"`, []Param{
			{"lr_schedule", []string{"cosine:lr=0.01,warmup=5", "step:lr=0.1,every=10"}},
			{"conv2d.kernel_size", []string{"[3,3]", "[5,5]"}},
			{"dense.activation", []string{"relu", "tanh"}}}},
	}
	for _, tt := range tests {
		got, err := ParseGrid(tt.spec)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseGrid(%q) = %v, %v; want %v", tt.spec, got, err, tt.want)
		}
	}
}

func TestParseGridErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "grid is empty"},
		{"dropout", "is not NAME=V1,V2"},
		{"dropout=", "is not NAME=V1,V2"},
		{"a=1 a=2", "names a twice"},
		{"a=0.1,0.10", "lists 0.1 twice"},
		{`a="x,y`, "double quote is not closed"},
		{"a=[1,2", "brackets do not match"},
	}
	for _, tt := range tests {
		if _, err := ParseGrid(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseGrid(%q): %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
}

func TestExpandAndKeys(t *testing.T) {
	grid, _ := ParseGrid("b=1,2 a=x,y,z")
	pts := Expand(grid)
	if len(pts) != 6 || Size(grid) != 6 {
		t.Fatalf("%d points, size %d; want 6", len(pts), Size(grid))
	}
	// The last parameter varies fastest; keys sort the names.
	wantKeys := []string{"a=x b=1", "a=y b=1", "a=z b=1", "a=x b=2", "a=y b=2", "a=z b=2"}
	for i, p := range pts {
		if p.Key() != wantKeys[i] {
			t.Errorf("point %d key %q, want %q", i, p.Key(), wantKeys[i])
		}
	}
	if got := pts[1].String(); got != "b=1 a=y" {
		t.Errorf("String() = %q, want the grid's order", got)
	}
	// The same points written in another order and spelling have the same keys.
	other, _ := ParseGrid("a=x,y,z b=1.0,2")
	var keys []string
	for _, p := range Expand(other) {
		keys = append(keys, p.Key())
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("keys of the reordered grid %v, want %v", keys, wantKeys)
	}
	if k := (Point{{"s", "a b"}}).Key(); k != `s="a b"` {
		t.Errorf("a value with a space: key %s", k)
	}
	huge := make([]Param, 5) // 1e20 points
	for i := range huge {
		huge[i].Values = make([]string, 10000)
	}
	if got := Size(huge); got != math.MaxInt {
		t.Errorf("size of a 1e20-point grid %d, want MaxInt", got)
	}
}

func TestSampleDeterministic(t *testing.T) {
	grid, _ := ParseGrid("a=1,2,3,4,5 b=1,2,3,4 c=x,y")
	a, b := Sample(grid, 7, 42), Sample(grid, 7, 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different samples:\n%v\n%v", a, b)
	}
	seen := map[string]bool{}
	for _, p := range a {
		if seen[p.Key()] {
			t.Errorf("point %s drawn twice", p.Key())
		}
		seen[p.Key()] = true
		if len(p) != 3 {
			t.Errorf("point %v has %d settings", p, len(p))
		}
	}
	if len(a) != 7 {
		t.Errorf("%d points, want 7", len(a))
	}
	if c := Sample(grid, 7, 43); reflect.DeepEqual(a, c) {
		t.Error("seeds 42 and 43 draw the same sample")
	}
	if all := Sample(grid, 100, 1); !reflect.DeepEqual(all, Expand(grid)) {
		t.Error("a sample as large as the grid is not the whole grid in order")
	}
	// A grid too large to list is sampled without listing it.
	huge := []Param{{"a", make([]string, 1e6)}, {"b", make([]string, 1e6)}}
	for i := range huge[0].Values {
		huge[0].Values[i], huge[1].Values[i] = "v", "w"
	}
	if n := len(Sample(huge, 5, 1)); n != 5 {
		t.Errorf("sample of a 1e12-point grid: %d points", n)
	}
}

func TestRungs(t *testing.T) {
	tests := []struct {
		n, epochs, eta int
		want           []Rung
	}{
		{27, 30, 3, []Rung{{1, 27}, {3, 9}, {10, 3}, {30, 1}}},
		{12, 30, 3, []Rung{{3, 12}, {10, 4}, {30, 1}}},
		{24, 50, 3, []Rung{{6, 24}, {17, 8}, {50, 2}}},
		{8, 8, 2, []Rung{{1, 8}, {2, 4}, {4, 2}, {8, 1}}},
		// Too few configurations or epochs to halve: one rung, a plain grid.
		{2, 30, 3, []Rung{{30, 2}}},
		{27, 2, 3, []Rung{{2, 27}}},
	}
	for _, tt := range tests {
		if got := Rungs(tt.n, tt.epochs, tt.eta); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Rungs(%d, %d, %d) = %v, want %v", tt.n, tt.epochs, tt.eta, got, tt.want)
		}
	}
}

func TestPromote(t *testing.T) {
	nan := math.NaN()
	rs := []Result{{Key: "a", Score: 0.5}, {Key: "b", Score: nan, Status: StatusDiverged}, {Key: "c", Score: 0.9},
		{Key: "d", Score: 0.7}, {Key: "e", Score: 0.9}, {Key: "f", Score: 0.1}}
	keys := func(rs []Result) string {
		var k []string
		for _, r := range rs {
			k = append(k, r.Key)
		}
		return strings.Join(k, "")
	}
	tests := []struct {
		keep     int
		maximize bool
		want     string
	}{
		{2, true, "ce"}, // a tie keeps the results' order
		{3, true, "ced"},
		{2, false, "fa"},
		{6, false, "fadceb"}, // diverged last either way
		{6, true, "cedafb"},
		{10, true, "cedafb"},
	}
	for _, tt := range tests {
		if got := keys(Promote(rs, tt.keep, tt.maximize)); got != tt.want {
			t.Errorf("Promote(keep %d, maximize %v) = %s, want %s", tt.keep, tt.maximize, got, tt.want)
		}
	}
	if keys(rs) != "abcdef" {
		t.Error("Promote reordered its input")
	}
}
