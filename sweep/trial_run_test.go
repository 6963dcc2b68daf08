package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/train"
)

// stopAt cancels the trial's context at the end of an epoch, as a worker
// killed there would stop.
type stopAt struct {
	train.NopCallback
	epoch  int // counting from 1
	cancel context.CancelFunc
	first  int // the first epoch this run trained, from 1
}

func (s *stopAt) OnEpochBegin(_ *train.Run, epoch int) error {
	if s.first == 0 {
		s.first = epoch + 1
	}
	return nil
}

func (s *stopAt) OnEpochEnd(_ *train.Run, epoch int, _ train.Logs) error {
	if epoch+1 == s.epoch {
		s.cancel()
	}
	return nil
}

// TestRunTrialResumesFromBackup stops trials after some epochs and runs
// them again with the same backup folder: they resume at the next epoch
// and end with the result of an uninterrupted run, scored on all their
// epochs; the backup is gone afterwards. The last case is a trial of a
// second rung of halving, continued from the first rung's model.
func TestRunTrialResumesFromBackup(t *testing.T) {
	trainSet, _, err := dataset.Load("digits", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		halving      bool
		stop         int // the epoch after which the first run stops
		wantResumeAt int
	}{
		{name: "grid, stopped after epoch 1", stop: 1, wantResumeAt: 2},
		{name: "grid, stopped after epoch 3", stop: 3, wantResumeAt: 4},
		{name: "halving rung 2, stopped after epoch 2", halving: true, stop: 2, wantResumeAt: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := &Sweep{Model: preset("digits-cnn"), X: trainSet.X, Y: trainSet.Y,
				Grid: mustGrid(t, "dense.units=8,16,32"), Epochs: 4, BatchSize: 128, Halving: tt.halving, CheckpointDir: dir}
			if err := s.Prepare(); err != nil {
				t.Fatal(err)
			}
			trials, err := s.RungTrials(0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.halving {
				// Rung 1 (1 epoch each), then the promoted one's rung 2.
				done := map[string]Result{}
				for _, tr := range trials {
					r, err := s.RunTrial(context.Background(), tr, TrialOptions{})
					if err != nil {
						t.Fatal(err)
					}
					done[doneKey(r.Key, r.Epochs)] = r
				}
				if trials, err = s.RungTrials(1, func(key string, epochs int) (Result, bool) {
					r, ok := done[doneKey(key, epochs)]
					return r, ok
				}); err != nil {
					t.Fatal(err)
				}
				if trials[0].ResumeFrom == "" || trials[0].Prev == nil {
					t.Fatalf("rung 2's trial %+v does not continue rung 1", trials[0])
				}
			}
			tr := trials[0]
			want, err := s.RunTrial(context.Background(), tr, TrialOptions{})
			if err != nil {
				t.Fatal(err)
			}
			backup := filepath.Join(dir, "backup")
			ctx, cancel := context.WithCancel(context.Background())
			first := &stopAt{epoch: tt.stop, cancel: cancel}
			if _, err := s.RunTrial(ctx, tr, TrialOptions{BackupDir: backup, Callbacks: []train.Callback{first}}); !errors.Is(err, context.Canceled) {
				t.Fatalf("the stopped run returned %v, want context.Canceled", err)
			}
			if _, err := os.Stat(filepath.Join(backup, "latest.weights.safetensors")); err != nil {
				t.Fatalf("no backup after the stopped run: %v", err)
			}
			again := &stopAt{cancel: func() {}}
			got, err := s.RunTrial(context.Background(), tr, TrialOptions{BackupDir: backup, Callbacks: []train.Callback{again}})
			if err != nil {
				t.Fatal(err)
			}
			if again.first != tt.wantResumeAt {
				t.Errorf("the second run started at epoch %d, want %d", again.first, tt.wantResumeAt)
			}
			if got.Score != want.Score || got.LastScore != want.LastScore || got.BestEpoch != want.BestEpoch || got.ValLoss != want.ValLoss || got.Epochs != want.Epochs {
				t.Errorf("resumed: %v/%v at epoch %d (val_loss %v, %d epochs); uninterrupted: %v/%v at epoch %d (val_loss %v, %d epochs)",
					got.Score, got.LastScore, got.BestEpoch, got.ValLoss, got.Epochs, want.Score, want.LastScore, want.BestEpoch, want.ValLoss, want.Epochs)
			}
			if _, err := os.Stat(backup); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the backup is still there after the trial ended: %v", err)
			}
		})
	}
}
