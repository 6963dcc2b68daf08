package sweep

import (
	"fmt"
	"slices"
	"strings"
)

// TrialsSyntax documents ParseTrials's input, for help texts.
const TrialsSyntax = `NAME=V NAME=V ...; NAME=V NAME=V ...: points separated by
semicolons, every point setting the same names, e.g.
  'dropout=0.2 dropout_1=0.2 epochs=30 batch_size=256; dropout=0.1 dropout_1=0.8 epochs=50 batch_size=128'
A value holding a comma, a space or a semicolon is written in double quotes
("cosine:lr=0.01,warmup=500") or as a JSON list ([3,3]).`

// ParseTrials reads an explicit list of points written as TrialsSyntax
// describes: the configurations a sweep runs, in order, instead of a
// grid's combinations. Every point must set the same names (the first
// point's order is kept); values are made canonical, and a point given
// twice is an error. Names are taken as written (Sweep resolves them).
func ParseTrials(spec string) ([]Point, error) {
	pieces, err := split(spec, func(r rune) bool { return r == ';' })
	if err != nil {
		return nil, fmt.Errorf("sweep: trials %q: %w", spec, err)
	}
	points := make([]Point, len(pieces))
	for i, piece := range pieces {
		if points[i], err = parsePoint(piece); err != nil {
			return nil, fmt.Errorf("sweep: trial %d (%s): %w", i+1, piece, err)
		}
	}
	return checkTrials(points)
}

// checkTrials returns the points with every point's settings in the first
// point's order; it is an error for a point to set other names than the
// first or to repeat an earlier point.
func checkTrials(points []Point) ([]Point, error) {
	if len(points) == 0 {
		return nil, fmt.Errorf("sweep: the list of trials is empty; the syntax is\n%s", TrialsSyntax)
	}
	out := make([]Point, len(points))
	for i, p := range points {
		var err error
		if out[i], err = alignPoint(p, points[0]); err != nil {
			return nil, fmt.Errorf("sweep: trial %d (%s): %w", i+1, p, err)
		}
		if j := slices.IndexFunc(out[:i], func(q Point) bool { return q.Key() == out[i].Key() }); j >= 0 {
			return nil, fmt.Errorf("sweep: trials %d and %d are the same point (%s); give each once", j+1, i+1, out[i].Key())
		}
	}
	return out, nil
}

// parsePoint reads "NAME=VALUE NAME=VALUE ...".
func parsePoint(s string) (Point, error) {
	fields, err := split(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	if err != nil {
		return nil, err
	}
	var p Point
	for _, f := range fields {
		name, v, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || v == "" {
			return nil, fmt.Errorf("%q is not NAME=VALUE; the syntax is\n%s", f, TrialsSyntax)
		}
		if _, ok := p.Get(name); ok {
			return nil, fmt.Errorf("it sets %s twice", name)
		}
		// An unquoted comma outside brackets is a grid's list of values.
		if parts, _ := split(v, func(r rune) bool { return r == ',' }); len(parts) != 1 || parts[0] != strings.TrimSpace(v) {
			return nil, fmt.Errorf("%q gives several values; a trial sets one value per name (quote a value holding a comma, or use a grid to combine values)", f)
		}
		c := Canonical(unquote(v))
		if c == "" {
			return nil, fmt.Errorf("%q has an empty value", f)
		}
		p = append(p, Setting{name, c})
	}
	return p, nil
}

// alignPoint returns p's settings in first's order, or an error naming
// the names one sets and the other does not.
func alignPoint(p, first Point) (Point, error) {
	var missing, extra []string
	out := make(Point, 0, len(first))
	for _, s := range first {
		v, ok := p.Get(s.Name)
		if !ok {
			missing = append(missing, s.Name)
			continue
		}
		out = append(out, Setting{s.Name, v})
	}
	for _, s := range p {
		if _, ok := first.Get(s.Name); !ok {
			extra = append(extra, s.Name)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return out, nil
	}
	var why []string
	if len(missing) > 0 {
		why = append(why, "does not set "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		why = append(why, "sets "+strings.Join(extra, ", ")+" which trial 1 does not")
	}
	return nil, fmt.Errorf("it %s; every trial sets the same names (repeat a value to keep it fixed)", strings.Join(why, " and "))
}

// trialParams returns the parameters the points set, in the first point's
// order, each with its distinct values in the order they appear.
func trialParams(points []Point) []Param {
	if len(points) == 0 {
		return nil
	}
	params := make([]Param, len(points[0]))
	for i, s := range points[0] {
		params[i].Name = s.Name
		for _, p := range points {
			if !slices.Contains(params[i].Values, p[i].Value) {
				params[i].Values = append(params[i].Values, p[i].Value)
			}
		}
	}
	return params
}
