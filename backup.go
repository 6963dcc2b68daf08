package gokeras

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gokeras/gokeras/optim"
	"github.com/gokeras/gokeras/train"
)

// BackupAndRestore backs up the training state at the end of each epoch
// (or every SaveFreq batches) so that a Fit that was interrupted, by a
// crash, a kill or an error, continues where the last backup left off when
// Fit is called again with a BackupAndRestore on the same BackupDir, as
// keras/src/callbacks/backup_and_restore.py does: at the start of
// training it loads the backup into the model (the weights, the
// optimizer's state and iteration count, so a learning-rate schedule goes
// on from the same step, and a constant learning rate that a callback such
// as ReduceLROnPlateau changed) and training starts at the saved epoch.
// When the epochs run out (or a callback stops training) the backup
// directory is deleted, unless KeepCheckpoint. A Fit that ends with an
// error (a NaN loss, a cancelled context, a failing callback) keeps it.
//
// Shuffling and dropout in gokeras depend only on the seed and the epoch,
// so with the same FitOptions.Seed a resumed run gives the same weights as
// one that was never interrupted.
//
// The model must be the one that was backed up (same layers and
// optimizer); a backup that does not fit it is an error, as Keras's
// load_weights fails. Keras writes latest.weights.h5 and
// training_metadata.json; gokeras writes one safetensors file,
// latest.weights.safetensors, holding the weights, the optimizer's state
// and the epoch in its metadata, written atomically (see writeAtomic), so
// the weights and the epoch always belong together.
type BackupAndRestore struct {
	train.NopCallback
	// BackupDir is the directory of the backup; it must be used by
	// nothing else (not by another run, nor by ModelCheckpoint).
	BackupDir string
	// SaveFreq 0 backs up at the end of every epoch (Keras's "epoch"); n >
	// 0 every n batches (the epoch in progress is then redone from its
	// start on resume, from the weights of the backup, as in Keras).
	SaveFreq int
	// DoubleCheckpoint keeps the previous backup too
	// (_latest.weights.safetensors); when the latest cannot be read (a
	// disk error, a corrupt file) the previous one is restored instead, as
	// Keras's double_checkpoint=True.
	DoubleCheckpoint bool
	// KeepCheckpoint leaves the backup in place when training finishes
	// (Keras's delete_checkpoint=False; the zero value deletes, Keras's
	// default).
	KeepCheckpoint bool

	epoch, seen int // the epoch in progress; batches since the last backup
}

const backupFormatName = "gokeras-backup-v1"

func (b *BackupAndRestore) latest() string {
	return filepath.Join(b.BackupDir, "latest.weights.safetensors")
}
func (b *BackupAndRestore) prev() string {
	return filepath.Join(b.BackupDir, "_latest.weights.safetensors")
}

func (b *BackupAndRestore) OnTrainBegin(r *train.Run) error {
	if b.BackupDir == "" {
		return fmt.Errorf("gokeras: BackupAndRestore needs a BackupDir")
	}
	if b.SaveFreq < 0 {
		return fmt.Errorf("gokeras: BackupAndRestore SaveFreq %d must be 0 (every epoch) or a positive number of batches", b.SaveFreq)
	}
	b.seen = 0
	err := b.restore(r, b.latest())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// Keras's on_train_begin: the latest backup is unreadable; fall
		// back on the previous one when there is one.
		if _, serr := os.Stat(b.prev()); serr != nil {
			return err
		}
		if rerr := os.Rename(b.prev(), b.latest()); rerr != nil {
			return fmt.Errorf("%w (and the previous backup could not take its place: %v)", err, rerr)
		}
		err = b.restore(r, b.latest())
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	b.epoch = r.InitialEpoch
	return nil
}

// restore loads the backup at path into the run's model and sets the
// epoch to start at. Nothing changes on an error.
func (b *BackupAndRestore) restore(r *train.Run, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return fmt.Errorf("gokeras: BackupAndRestore: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gokeras: BackupAndRestore: the backup %s %s; it belongs to another model or is corrupt: delete %s to start afresh", path, fmt.Sprintf(format, args...), b.BackupDir)
	}
	ts, meta, err := readSafetensors(data)
	if err != nil {
		return bad("cannot be read (%v)", err)
	}
	if meta["format"] != backupFormatName {
		return bad("has format %q, want %q", meta["format"], backupFormatName)
	}
	epoch, err := strconv.Atoi(meta["epoch"])
	if err != nil || epoch < 0 {
		return bad("has epoch %q", meta["epoch"])
	}
	it, err := strconv.ParseInt(meta["optimizer_iterations"], 10, 64)
	if err != nil || it < 0 {
		return bad("has optimizer_iterations %q", meta["optimizer_iterations"])
	}
	var order []string
	if err := json.Unmarshal([]byte(meta["optimizer_slots"]), &order); err != nil {
		return bad("has optimizer_slots %q", meta["optimizer_slots"])
	}
	// Check everything before changing anything.
	type pair struct {
		dst, src []float32
	}
	var todo []pair
	used := 0
	for _, l := range r.Model.Net.Layers {
		for _, p := range l.Params() {
			name := l.LayerName() + "/" + p.Name
			t, ok := ts[name]
			if !ok || !t.Shape.Equal(p.Value.Shape) {
				return bad("has no weight %q of shape %v", name, p.Value.Shape)
			}
			todo = append(todo, pair{p.Value.Data, t.Data})
			used++
		}
	}
	slots := make([]optim.Slot, 0, len(order))
	for _, name := range order {
		t, ok := ts["optimizer/"+name]
		if !ok {
			return bad("has no optimizer slot %q", name)
		}
		slots = append(slots, optim.Slot{Name: name, Value: t})
		used++
	}
	if used != len(ts) {
		return bad("has %d tensors the model does not use", len(ts)-used)
	}
	opt := r.Model.Optimizer
	lr := -1.0
	if s, ok := meta["learning_rate"]; ok {
		if lr, err = strconv.ParseFloat(s, 64); err != nil || lr < 0 {
			return bad("has learning_rate %q", s)
		}
		if opt.Schedule() != nil {
			return bad("holds a constant learning rate, and the optimizer has a schedule")
		}
	}
	if it > 0 || len(slots) > 0 {
		if err := opt.SetState(it, slots); err != nil {
			return bad("does not fit the optimizer (%v)", err)
		}
	}
	for _, p := range todo {
		copy(p.dst, p.src)
	}
	if lr >= 0 {
		opt.SetLearningRate(lr)
	}
	r.InitialEpoch = epoch
	return nil
}

func (b *BackupAndRestore) OnEpochBegin(_ *train.Run, epoch int) error {
	b.epoch = epoch
	return nil
}

func (b *BackupAndRestore) OnBatchEnd(r *train.Run, _ int, _ train.Logs) error {
	if b.SaveFreq == 0 {
		return nil
	}
	if b.seen++; b.seen < b.SaveFreq {
		return nil
	}
	b.seen = 0
	// Mid-epoch, Keras records the epoch in progress: a resumed run
	// redoes it from its start.
	return b.save(r, b.epoch)
}

func (b *BackupAndRestore) OnEpochEnd(r *train.Run, epoch int, _ train.Logs) error {
	b.epoch = epoch + 1
	if b.SaveFreq != 0 {
		return nil
	}
	return b.save(r, epoch+1)
}

// save writes the backup of the model to resume at epoch.
func (b *BackupAndRestore) save(r *train.Run, epoch int) error {
	if err := os.MkdirAll(b.BackupDir, 0o777); err != nil {
		return fmt.Errorf("gokeras: BackupAndRestore: %w", err)
	}
	if b.DoubleCheckpoint {
		if old, err := os.ReadFile(b.latest()); err == nil {
			if err := writeAtomic(b.prev(), old); err != nil {
				return fmt.Errorf("gokeras: BackupAndRestore: %w", err)
			}
		}
	}
	var ts []namedTensor
	for _, l := range r.Model.Net.Layers {
		for _, p := range l.Params() {
			ts = append(ts, namedTensor{l.LayerName() + "/" + p.Name, p.Value})
		}
	}
	opt := r.Model.Optimizer
	var order []string
	for _, s := range opt.State() {
		ts = append(ts, namedTensor{"optimizer/" + s.Name, s.Value})
		order = append(order, s.Name)
	}
	ob, _ := json.Marshal(order)
	if order == nil {
		ob = []byte("[]")
	}
	meta := map[string]string{
		"format":               backupFormatName,
		"epoch":                strconv.Itoa(epoch),
		"optimizer_iterations": strconv.FormatInt(opt.Iterations(), 10),
		"optimizer_slots":      string(ob),
	}
	if opt.Schedule() == nil {
		meta["learning_rate"] = strconv.FormatFloat(opt.LearningRate(), 'g', -1, 64)
	}
	if err := writeSafetensors(b.latest(), ts, meta); err != nil {
		return fmt.Errorf("gokeras: BackupAndRestore: %w", err)
	}
	return nil
}

func (b *BackupAndRestore) OnTrainEnd(r *train.Run) error {
	if b.KeepCheckpoint || r.Err != nil {
		return nil
	}
	if err := os.RemoveAll(b.BackupDir); err != nil {
		return fmt.Errorf("gokeras: BackupAndRestore: deleting the backup: %w", err)
	}
	return nil
}
