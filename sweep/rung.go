package sweep

import (
	"context"
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
	type config struct {
		p    Point
		prev *Result
	}
	alive := make([]config, len(points))
	for i, p := range points {
		alive[i] = config{p: p}
	}
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
		byKey := map[string]Result{}
		for _, row := range rows {
			byKey[doneKey(row.Key, row.Epochs)] = row
		}
		for q := 0; q < k; q++ {
			var results []Result
			var missing []string
			for _, c := range alive {
				res, ok := byKey[doneKey(c.p.Key(), rungs[q].Epochs)]
				if !ok {
					missing = append(missing, c.p.String())
					continue
				}
				results = append(results, res)
			}
			if len(missing) > 0 {
				return fmt.Errorf("sweep: rung %d: %s lacks %d of the %d results of rung %d (%s%s); run every shard of rung %d and merge their results files into it",
					s.Rung, s.From, len(missing), len(alive), q+1, missing[0], more(len(missing)-1), q+1)
			}
			keep := Promote(results, rungs[q+1].Configs, s.maximize)
			kept := map[string]bool{}
			alive = alive[:0]
			for i := range keep {
				alive = append(alive, config{p: keep[i].Point, prev: &keep[i]})
				kept[keep[i].Key] = true
			}
			if q == k-1 {
				for _, res := range results {
					if !kept[res.Key] {
						os.Remove(checkpointPath(dir, res.Key, res.Epochs)) // not promoted; another shard may have removed it
					}
				}
			}
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
		key := c.p.Key()
		t := Trial{Point: c.p, Key: key, Rung: k, Epochs: rg.Epochs, Prev: c.prev, Index: j}
		if c.prev != nil && s.continues(c.p) {
			t.ResumeFrom = checkpointPath(dir, key, c.prev.Epochs)
		}
		if k < len(rungs)-1 && s.continues(c.p) {
			t.SaveTo = checkpointPath(dir, key, rg.Epochs)
		}
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
