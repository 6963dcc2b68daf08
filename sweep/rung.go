package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// halvingRung runs one rung of successive halving (Sweep.Rung), the
// shard's part of it: the configurations of the rung are those the
// earlier rungs' results in From promote, worked out from the first rung
// as halving does, so that every shard gets the same list in the same
// order and the rung continues exactly what a single run would.
func (r *runner) halvingRung(ctx context.Context, points []Point, dir string) error {
	s := r.s
	rungs := Rungs(len(points), s.Epochs, s.Eta)
	if s.Rung > len(rungs) {
		return fmt.Errorf("sweep: rung %d: successive halving of %d configurations up to %d epochs with eta %d has %d rungs", s.Rung, len(points), s.Epochs, s.Eta, len(rungs))
	}
	k := s.Rung - 1
	var earlier map[string]Result
	if k > 0 {
		from := &resultsFile{path: s.From, header: s.header(), objective: s.Objective, params: s.params, byTest: s.RankByTest}
		data, err := os.ReadFile(s.From)
		if err != nil {
			return fmt.Errorf("sweep: rung %d reads the merged results of rungs 1 to %d: %w", s.Rung, k, err)
		}
		rows, _, err := from.parse(data, s.setup)
		if err != nil {
			return err
		}
		earlier = map[string]Result{}
		for _, row := range rows {
			earlier[doneKey(row.Key, row.Epochs)] = row
		}
	}
	alive, last, err := replayRungs(points, rungs, k, s.maximize, func(key string, epochs int) (Result, bool) {
		res, ok := earlier[doneKey(key, epochs)]
		return res, ok
	})
	var miss *missingResults
	if errors.As(err, &miss) {
		return fmt.Errorf("sweep: rung %d: %s lacks %d of the %d results of rung %d (%s%s); run every shard of rung %d and merge their results files into it",
			s.Rung, s.From, len(miss.points), miss.of, miss.rung+1, miss.points[0], more(len(miss.points)-1), miss.rung+1)
	}
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, c := range alive {
		kept[c.p.Key()] = true
	}
	for _, res := range last {
		if !kept[res.Key] {
			os.Remove(checkpointPath(dir, res.Key, res.Epochs)) // not promoted; another shard may have removed it
		}
	}
	rg := rungs[k]
	for j := range alive {
		if s.Shard.Has(j) {
			r.total++
		}
	}
	s.logf("rung %d/%d: %d configurations, %d epochs each; %d in this shard\n", k+1, len(rungs), len(alive), rg.Epochs, r.total)
	for j, c := range alive {
		if !s.Shard.Has(j) {
			continue
		}
		t := s.rungTrial(c, j, k, rungs, dir)
		res, err := r.trial(ctx, t)
		if err != nil {
			return err
		}
		if res != nil && t.ResumeFrom != "" {
			os.Remove(t.ResumeFrom) // continued; no other shard has this configuration
		}
	}
	r.reportSkipped()
	if k < len(rungs)-1 {
		s.logf("rung %d done in this shard; when every shard's is, merge their results and run rung %d with them\n", k+1, k+2)
	}
	return nil
}

func more(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

// rungConfig is a configuration in a rung of successive halving, with its
// result of the rung before (nil in the first rung).
type rungConfig struct {
	p    Point
	prev *Result
}

// replayRungs replays successive halving's promotions from the first rung
// up to rung k (from 0), as Run makes them, with the earlier rungs'
// results that result looks up by configuration key and epochs: it
// returns the configurations rung k trains, in order, and the results of
// rung k-1 they were promoted from (nil for k = 0). A missing result is a
// *missingResults.
func replayRungs(points []Point, rungs []Rung, k int, maximize bool, result func(key string, epochs int) (Result, bool)) (alive []rungConfig, last []Result, err error) {
	alive = make([]rungConfig, len(points))
	for i, p := range points {
		alive[i] = rungConfig{p: p}
	}
	for q := 0; q < k; q++ {
		results := make([]Result, 0, len(alive))
		var missing []string
		for _, c := range alive {
			res, ok := result(c.p.Key(), rungs[q].Epochs)
			if !ok {
				missing = append(missing, c.p.String())
				continue
			}
			results = append(results, res)
		}
		if len(missing) > 0 {
			return nil, nil, &missingResults{rung: q, epochs: rungs[q].Epochs, of: len(alive), points: missing}
		}
		keep := Promote(results, rungs[q+1].Configs, maximize)
		alive = alive[:0]
		for i := range keep {
			alive = append(alive, rungConfig{p: keep[i].Point, prev: &keep[i]})
		}
		last = results
	}
	return alive, last, nil
}

// missingResults is replayRungs's error: rung (from 0, of epochs) lacks
// the results of points, of the rung's configurations.
type missingResults struct {
	rung, epochs, of int
	points           []string
}

func (e *missingResults) Error() string {
	return fmt.Sprintf("sweep: rung %d (%d epochs) lacks the results of %d of its %d configurations (%s%s)", e.rung+1, e.epochs, len(e.points), e.of, e.points[0], more(len(e.points)-1))
}

// rungTrial is the trial of c, the j-th configuration of rung k: where its
// training continues from rung to rung, it resumes from its checkpoint of
// the rung before and saves one for the next, in dir ("": neither).
func (s *Sweep) rungTrial(c rungConfig, j, k int, rungs []Rung, dir string) Trial {
	key := c.p.Key()
	t := Trial{Point: c.p, Key: key, Rung: k, Epochs: rungs[k].Epochs, Prev: c.prev, Index: j}
	if dir == "" || !s.continues(c.p) {
		return t
	}
	if c.prev != nil {
		t.ResumeFrom = checkpointPath(dir, key, c.prev.Epochs)
	}
	if k < len(rungs)-1 {
		t.SaveTo = checkpointPath(dir, key, rungs[k].Epochs)
	}
	return t
}
