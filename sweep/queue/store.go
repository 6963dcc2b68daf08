package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gokeras/gokeras/train"
)

// Checkpoints in the object store (Spec.CheckpointsInStore), for workers
// without a shared folder: each worker keeps the files in a folder of its
// own and copies them to and from the object store gokeras_sweep_files.
// A trial's backup (the files sweep.TrialOptions.BackupDir holds) is
// copied there after every epoch as SWEEP/backup/TRIAL/FILE and fetched
// before the trial starts; a model a rung passes to the next is put there
// as SWEEP/ckpt/FILE before the trial's result is stored, so it is there
// when the coordinator queues the next rung.

// trialStore copies one trial's checkpoints.
type trialStore struct {
	train.NopCallback
	obj       jetstream.ObjectStore
	ctx       context.Context
	sweep, id string
	backup    string // the trial's local backup folder
	logf      func(format string, a ...any)
}

func modelObject(sweepID, path string) string { return sweepID + "/ckpt/" + filepath.Base(path) }

func (st *trialStore) backupObject(file string) string {
	return st.sweep + "/backup/" + st.id + "/" + file
}

// backupFiles are the files of a backup folder, the epoch logs first: a
// copy stopped between the two has logs ahead of the weights, which the
// trial's epoch log drops when it resumes (sweep.epochLog).
var backupFiles = []string{"epochs.json", "latest.weights.safetensors"}

// fetch gets the model a trial continues from and its backup, when the
// object store has them and this worker does not.
func (st *trialStore) fetch(resumeFrom string) error {
	if resumeFrom != "" {
		if _, err := os.Stat(resumeFrom); err != nil {
			if err := st.get(modelObject(st.sweep, resumeFrom), resumeFrom); err != nil {
				return err
			}
		}
	}
	// The backup in the store is the latest: a local one may be older.
	os.RemoveAll(st.backup)
	for _, f := range backupFiles {
		if err := st.get(st.backupObject(f), filepath.Join(st.backup, f)); err != nil {
			return err
		}
	}
	return nil
}

// get copies an object to path; a missing object is not an error.
func (st *trialStore) get(name, path string) error {
	data, err := st.obj.GetBytes(st.ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path+".tmp", data, 0o644)
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err != nil {
		return fmt.Errorf("queue: fetching checkpoint %s: %w", name, err)
	}
	return nil
}

func (st *trialStore) put(name, path string) error {
	data, err := os.ReadFile(path)
	if err == nil {
		_, err = st.obj.PutBytes(st.ctx, name, data)
	}
	if err != nil {
		return fmt.Errorf("queue: storing checkpoint %s: %w", name, err)
	}
	return nil
}

// OnEpochEnd copies the backup written at the end of the epoch (this
// callback runs after the backup's). A failed copy costs only the
// epochs a redelivered trial then redoes, so it is logged, not fatal.
func (st *trialStore) OnEpochEnd(*train.Run, int, train.Logs) error {
	for _, f := range backupFiles {
		if err := st.put(st.backupObject(f), filepath.Join(st.backup, f)); err != nil {
			st.logf("%v\n", err)
			return nil
		}
	}
	return nil
}

// saveModel puts the model passed to the next rung in the store.
func (st *trialStore) saveModel(saveTo string) error {
	if saveTo == "" {
		return nil
	}
	return st.put(modelObject(st.sweep, saveTo), saveTo)
}

// done removes the trial's backup and the model it continued from the
// store, once its result is stored.
func (st *trialStore) done(resumeFrom string) {
	for _, f := range backupFiles {
		st.obj.Delete(st.ctx, st.backupObject(f))
	}
	if resumeFrom != "" {
		st.obj.Delete(st.ctx, modelObject(st.sweep, resumeFrom))
	}
}

// removeCheckpoints deletes a sweep's checkpoints from the store.
func removeCheckpoints(ctx context.Context, obj jetstream.ObjectStore, sweepID string) {
	infos, err := obj.List(ctx)
	if err != nil {
		return
	}
	for _, info := range infos {
		if strings.HasPrefix(info.Name, sweepID+"/ckpt/") || strings.HasPrefix(info.Name, sweepID+"/backup/") {
			obj.Delete(ctx, info.Name)
		}
	}
}
