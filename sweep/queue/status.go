package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LatestSweep returns the ID of the sweep whose spec was stored last.
func LatestSweep(ctx context.Context, q *Queue) (string, error) {
	keys, err := q.KV.ListKeysFiltered(ctx, "*.spec")
	if err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	best, when := "", int64(0)
	for k := range keys.Keys() {
		e, err := q.KV.Get(ctx, k)
		if err != nil {
			continue
		}
		var sp Spec
		if json.Unmarshal(e.Value(), &sp) != nil {
			continue
		}
		if t := sp.Created.UnixNano(); best == "" || t > when {
			best, when = sp.ID, t
		}
	}
	if best == "" {
		return "", errors.New("queue: no sweep on this server yet; start one with gokeras sweep ... --queue URL")
	}
	return best, nil
}

// Status writes the table of a sweep's trials, as they stand in the
// bucket: per trial its rung, epochs, point and state (queued, training
// with the last epoch a worker reported, done with its score, failed
// with why).
func Status(ctx context.Context, q *Queue, sweepID string, w io.Writer) error {
	var spec Spec
	ok, err := getJSON(ctx, q.KV, specKey(sweepID), &spec)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("queue: no sweep %s on this server", sweepID)
	}
	all := map[string]jetstream.KeyValueEntry{}
	keys, err := q.KV.ListKeysFiltered(ctx, sweepID+".>")
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	for k := range keys.Keys() {
		if e, err := q.KV.Get(ctx, k); err == nil {
			all[k] = e
		}
	}
	var trials []trialMsg
	for k, e := range all {
		if !strings.HasPrefix(k, sweepID+".trial.") {
			continue
		}
		var t trialMsg
		if json.Unmarshal(e.Value(), &t) == nil {
			trials = append(trials, t)
		}
	}
	slices.SortFunc(trials, func(a, b trialMsg) int {
		if a.Rung != b.Rung {
			return a.Rung - b.Rung
		}
		return a.Index - b.Index
	})
	counts := map[string]int{}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "rung\tepochs\ttrial\tstate\n")
	for _, t := range trials {
		state := "queued"
		if e, ok := all[resultKey(sweepID, t.ID)]; ok {
			var r resultRecord
			json.Unmarshal(e.Value(), &r)
			switch r.Status {
			case "ok":
				state = fmt.Sprintf("done: %s %.4f (epoch %d), %.1fs on %s", spec.Objective, float64(r.Score), r.BestEpoch, float64(r.Seconds), r.Worker)
				counts["done"]++
			case "failed":
				state = "failed: " + r.Error
				counts["failed"]++
			default:
				state = r.Status + " on " + r.Worker
				counts["done"]++
			}
		} else if e, ok := all[progressKey(sweepID, t.ID)]; ok {
			var p progress
			json.Unmarshal(e.Value(), &p)
			switch p.State {
			case stateError:
				state = fmt.Sprintf("retrying: delivery %d failed on %s: %s", p.Delivery, p.Worker, p.Error)
				counts["retrying"]++
			default:
				state = fmt.Sprintf("training on %s (delivery %d): epoch %d/%d %s, %s ago", p.Worker, p.Delivery, p.Epoch, p.Epochs, logsText(p.Logs), since(p.Updated))
				counts["training"]++
			}
		} else {
			counts["queued"]++
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", t.Rung+1, t.Epochs, t.Point, state)
	}
	fmt.Fprintf(w, "sweep %s (started %s): %d trials queued so far: %d done, %d failed, %d training, %d retrying, %d waiting\n",
		sweepID, spec.Created.Format("2006-01-02 15:04:05Z"), len(trials), counts["done"], counts["failed"], counts["training"], counts["retrying"], counts["queued"])
	return tw.Flush()
}

func since(t time.Time) string {
	return time.Since(t).Round(time.Second).String()
}
