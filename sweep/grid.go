package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Param is one hyperparameter and the values a sweep tries, in order.
type Param struct {
	Name   string
	Values []string // canonical text (see Canonical)
}

// Setting is one parameter set to one value.
type Setting struct{ Name, Value string }

// Point is one combination of the grid: a value for every parameter, in
// the grid's order.
type Point []Setting

// Get returns the value of the named parameter.
func (p Point) Get(name string) (string, bool) {
	for _, s := range p {
		if s.Name == name {
			return s.Value, true
		}
	}
	return "", false
}

// Key is the point's identity, the same however the grid was written:
// the settings sorted by name, "name=value" separated by spaces, a value
// quoted when it holds a space or a quote. Results files match trials by it.
func (p Point) Key() string {
	s := slices.Clone(p)
	slices.SortFunc(s, func(a, b Setting) int { return strings.Compare(a.Name, b.Name) })
	parts := make([]string, len(s))
	for i, st := range s {
		v := st.Value
		if strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		parts[i] = st.Name + "=" + v
	}
	return strings.Join(parts, " ")
}

// String is the point in the grid's order, as Key writes it.
func (p Point) String() string {
	parts := make([]string, len(p))
	for i, st := range p {
		parts[i] = st.Name + "=" + st.Value
	}
	return strings.Join(parts, " ")
}

// Canonical returns the canonical text of a value: numbers in Go's
// shortest form ("0.10" and "1e-1" are "0.1", "128.0" is "128"), JSON
// lists and objects compacted, anything else trimmed.
func Canonical(v string) string {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
		var b bytes.Buffer
		if json.Compact(&b, []byte(v)) == nil {
			return b.String()
		}
	}
	return v
}

// GridSyntax documents ParseGrid's input, for help texts.
const GridSyntax = `NAME=V1,V2,... NAME=... separated by spaces, e.g.
  'dropout=0.1,0.25 dropout_1=0.2,0.5,0.8 batch_size=128,256 epochs=30,50'
A value holding a comma or a space is written in double quotes
("cosine:lr=0.01,warmup=500") or as a JSON list ([3,3]).`

// ParseGrid reads a grid written as GridSyntax describes. Parameter names
// are taken as written (Sweep resolves them against the model); values
// are made canonical, and a value listed twice is an error.
func ParseGrid(spec string) ([]Param, error) {
	fields, err := split(spec, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	if err != nil {
		return nil, fmt.Errorf("sweep: grid %q: %w", spec, err)
	}
	var grid []Param
	for _, f := range fields {
		name, list, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || list == "" {
			return nil, fmt.Errorf("sweep: grid entry %q is not NAME=V1,V2,...; the syntax is\n%s", f, GridSyntax)
		}
		if slices.ContainsFunc(grid, func(p Param) bool { return p.Name == name }) {
			return nil, fmt.Errorf("sweep: grid names %s twice; list all its values in one entry", name)
		}
		vals, err := split(list, func(r rune) bool { return r == ',' })
		if err != nil {
			return nil, fmt.Errorf("sweep: grid entry %q: %w", f, err)
		}
		p := Param{Name: name}
		for _, v := range vals {
			c := Canonical(unquote(v))
			if c == "" {
				return nil, fmt.Errorf("sweep: grid entry %q has an empty value", f)
			}
			if slices.Contains(p.Values, c) {
				return nil, fmt.Errorf("sweep: grid entry %q lists %s twice", f, c)
			}
			p.Values = append(p.Values, c)
		}
		grid = append(grid, p)
	}
	if len(grid) == 0 {
		return nil, fmt.Errorf("sweep: the grid is empty; the syntax is\n%s", GridSyntax)
	}
	return grid, nil
}

// split cuts s at the runes sep reports, except inside double quotes,
// brackets and braces; empty pieces are dropped.
func split(s string, sep func(rune) bool) ([]string, error) {
	var out []string
	var cur strings.Builder
	depth, quoted := 0, false
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '[' || r == '{':
			depth++
		case r == ']' || r == '}':
			depth--
		case depth == 0 && sep(r):
			flush()
			continue
		}
		cur.WriteRune(r)
	}
	if quoted {
		return nil, fmt.Errorf("a double quote is not closed")
	}
	if depth != 0 {
		return nil, fmt.Errorf("brackets do not match")
	}
	flush()
	return out, nil
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// Size is the number of points of the grid; it saturates at MaxInt.
func Size(grid []Param) int {
	n := 1
	for _, p := range grid {
		if len(p.Values) > 0 && n > math.MaxInt/len(p.Values) {
			return math.MaxInt
		}
		n *= len(p.Values)
	}
	return n
}

// point returns the i-th point of the grid, the last parameter varying
// fastest.
func point(grid []Param, i int) Point {
	p := make(Point, len(grid))
	for j := len(grid) - 1; j >= 0; j-- {
		n := len(grid[j].Values)
		p[j] = Setting{grid[j].Name, grid[j].Values[i%n]}
		i /= n
	}
	return p
}

// Expand returns every point of the grid, the last parameter varying
// fastest (as nested loops written in the grid's order).
func Expand(grid []Param) []Point {
	n := Size(grid)
	out := make([]Point, n)
	for i := range out {
		out[i] = point(grid, i)
	}
	return out
}

// Sample returns n distinct points of the grid drawn at random from seed:
// the same grid, n and seed give the same points in the same order. When
// n is at least the grid's size it returns the whole grid, in Expand's
// order.
func Sample(grid []Param, n int, seed uint64) []Point {
	size := Size(grid)
	if n >= size {
		return Expand(grid)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x5eed5eed5eed5eed))
	// Floyd's algorithm: n distinct indices without materialising the grid.
	chosen := make(map[int]bool, n)
	order := make([]int, 0, n)
	for j := size - n; j < size; j++ {
		t := r.IntN(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
		order = append(order, t)
	}
	// Floyd's picks are not uniformly ordered; shuffle for a fair order
	// (a budget that stops early then sees a random subset).
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	out := make([]Point, n)
	for i, idx := range order {
		out[i] = point(grid, idx)
	}
	return out
}
