package gokeras_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/nn"
	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/tensor"
	"github.com/gokeras/gokeras/train"
)

var errInterrupt = errors.New("interrupted")

// interrupter fails at the start of an epoch, as the InterruptingCallback
// of Keras's BackupAndRestore docstring raises at epoch 4.
type interrupter struct {
	train.NopCallback
	at int
}

func (i *interrupter) OnEpochBegin(_ *train.Run, epoch int) error {
	if epoch == i.at {
		return errInterrupt
	}
	return nil
}

func weightsOf(t *testing.T, m *gokeras.Sequential) []*tensor.Tensor {
	t.Helper()
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func sameWeights(t *testing.T, what string, got, want []*tensor.Tensor) {
	t.Helper()
	for i := range want {
		for j := range want[i].Data {
			if got[i].Data[j] != want[i].Data[j] {
				t.Errorf("%s: weight %d[%d] = %v, want %v (an uninterrupted run)", what, i, j, got[i].Data[j], want[i].Data[j])
				return
			}
		}
	}
}

func TestBackupAndRestoreResumes(t *testing.T) {
	x, y := toyImages(96, 3)
	const epochs = 6
	// The uninterrupted run: Adam (state to restore), dropout (masks drawn
	// per epoch), shuffling, a validation split.
	fitOpts := func(cbs ...train.Callback) gokeras.FitOptions {
		o := silent(epochs)
		o.ValidationSplit = 0.25
		o.Callbacks = cbs
		return o
	}
	// scheduled is the model with a one-cycle learning-rate schedule over
	// the run: the resumed run must go on from the same step.
	scheduled := func() *gokeras.Sequential {
		m := toyModel(11)
		m.Optimizer().SetSchedule(optim.OneCycle{MaxLR: 0.01})
		return m
	}
	for _, c := range []struct {
		name  string
		model func() *gokeras.Sequential
		cb    func(dir string) *gokeras.BackupAndRestore
		// corrupt damages the latest backup after the interruption
		corrupt bool
		resumed int // epochs the second Fit runs
	}{
		{"epoch", func() *gokeras.Sequential { return toyModel(11) }, func(dir string) *gokeras.BackupAndRestore { return &gokeras.BackupAndRestore{BackupDir: dir} }, false, 3},
		// The latest backup is unreadable: the previous one (after epoch
		// 2) is restored and epoch 2 is trained again.
		{"double checkpoint", func() *gokeras.Sequential { return toyModel(11) }, func(dir string) *gokeras.BackupAndRestore {
			return &gokeras.BackupAndRestore{BackupDir: dir, DoubleCheckpoint: true}
		}, true, 4},
		{"schedule", scheduled, func(dir string) *gokeras.BackupAndRestore { return &gokeras.BackupAndRestore{BackupDir: dir} }, false, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			ref := c.model()
			if _, err := ref.Fit(x, y, fitOpts()); err != nil {
				t.Fatal(err)
			}
			want := weightsOf(t, ref)
			dir := filepath.Join(t.TempDir(), "backup")
			m := c.model()
			h, err := m.Fit(x, y, fitOpts(c.cb(dir), &interrupter{at: 3}))
			if !errors.Is(err, errInterrupt) || h.Len() != 3 {
				t.Fatalf("first Fit: err %v after %d epochs, want the interruption after 3", err, h.Len())
			}
			latest := filepath.Join(dir, "latest.weights.safetensors")
			if _, err := os.Stat(latest); err != nil {
				t.Fatalf("no backup after the interruption: %v", err)
			}
			if c.corrupt {
				if err := os.WriteFile(latest, []byte("not a backup"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A new process: a fresh model with another learning rate
			// (the backup's rate wins, as Keras restores the optimizer's
			// variables).
			resumed := c.model()
			if resumed.Optimizer().Schedule() == nil {
				resumed.Optimizer().SetLearningRate(0.5)
			} else if it := resumed.Optimizer().Iterations(); it != 0 {
				t.Fatalf("a fresh model's optimizer is at step %d", it)
			}
			h, err = resumed.Fit(x, y, fitOpts(c.cb(dir)))
			if err != nil {
				t.Fatal(err)
			}
			if h.Len() != c.resumed || h.Epoch[0] != epochs-c.resumed {
				t.Errorf("resumed Fit ran epochs %v, want the last %d", h.Epoch, c.resumed)
			}
			sameWeights(t, "resumed", weightsOf(t, resumed), want)
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("backup directory still there after training finished (err %v)", err)
			}
		})
	}
}

func TestBackupAndRestoreBatches(t *testing.T) {
	x, y := toyImages(64, 4)
	dir := t.TempDir()
	// 4 batches an epoch, a backup every 3: after batches 3, 6 (epoch 1),
	// 9 (epoch 2), ... The interruption at epoch 2's start leaves the one
	// from epoch 1's third batch: resuming redoes epoch 1, as Keras does.
	m := toyModel(12)
	o := silent(4)
	o.Callbacks = []train.Callback{&gokeras.BackupAndRestore{BackupDir: dir, SaveFreq: 3, KeepCheckpoint: true}, &interrupter{at: 2}}
	if _, err := m.Fit(x, y, o); !errors.Is(err, errInterrupt) {
		t.Fatalf("err %v, want the interruption", err)
	}
	resumed := toyModel(12)
	o.Callbacks = []train.Callback{&gokeras.BackupAndRestore{BackupDir: dir, SaveFreq: 3, KeepCheckpoint: true}}
	h, err := resumed.Fit(x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 3 || h.Epoch[0] != 1 {
		t.Errorf("resumed epochs %v, want 1, 2, 3", h.Epoch)
	}
	if _, err := os.Stat(filepath.Join(dir, "latest.weights.safetensors")); err != nil {
		t.Errorf("KeepCheckpoint: %v", err)
	}
}

func TestBackupAndRestoreErrors(t *testing.T) {
	x, y := toyImages(32, 5)
	dir := t.TempDir()
	m := toyModel(13)
	o := silent(2)
	o.Callbacks = []train.Callback{&gokeras.BackupAndRestore{BackupDir: dir}, &interrupter{at: 1}}
	if _, err := m.Fit(x, y, o); !errors.Is(err, errInterrupt) {
		t.Fatalf("err %v", err)
	}
	// The same model with one more layer: the backup lacks its weights.
	other := toyModel(13)
	other.Add(&nn.Dense{Units: 2})
	for _, c := range []struct {
		m    *gokeras.Sequential
		cb   *gokeras.BackupAndRestore
		want string
	}{
		{other, &gokeras.BackupAndRestore{BackupDir: dir}, "belongs to another model or is corrupt"},
		{toyModel(13), &gokeras.BackupAndRestore{}, "needs a BackupDir"},
		{toyModel(13), &gokeras.BackupAndRestore{BackupDir: dir, SaveFreq: -1}, "SaveFreq -1"},
	} {
		o := silent(2)
		o.Callbacks = []train.Callback{c.cb}
		if _, err := c.m.Fit(x, y, o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want %q", err, c.want)
		}
	}
}
