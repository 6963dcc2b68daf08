package train

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gokeras/gokeras/tensorboard"
)

// TensorBoard writes the logs of training as TensorBoard event files, as
// keras/src/callbacks/tensorboard.py does with TensorFlow's summary
// writer: under LogDir, a "train" run folder gets "epoch_loss",
// "epoch_<metric>" and "epoch_learning_rate" after every epoch (step: the
// epoch, from 0), a "validation" folder gets the val_ quantities under the
// same tags ("epoch_loss", "epoch_accuracy") plus
// "evaluation_<name>_vs_iterations" at the optimizer's iteration count.
// With HistogramFreq n > 0, every n-th epoch (0, n, 2n, ...) the train run
// also gets a histogram of each weight, tagged "<layer>/<weight>/histogram".
// With UpdateFreq n > 0 (Keras's update_freq=n; "batch" is 1) the train
// run gets "batch_loss" and "batch_<metric>", the running values of the
// epoch, every n batches at the count of batches since training began.
// The files are written in the format of package tensorboard.
//
// Keras's write_graph writes the model's JSON for the graph dashboard;
// here that is ModelJSON, when set (from gokeras's Model.ToJSON; the CLI's
// --tensorboard does it), written to the train run at training's start.
//
// Differences from Keras: write_images, write_steps_per_second, profiling and
// embeddings are not implemented. Keras 3 tags a histogram with the
// variable's name alone ("kernel/histogram", the same for every Dense
// layer); gokeras uses the layer too, as Keras 2 did. Keras 3's update_freq
// n writes every batch (its record_if tests the step it was given when
// training began); gokeras writes every n-th, as Keras documents.
type TensorBoard struct {
	NopCallback
	LogDir        string // "" means "logs"
	HistogramFreq int
	UpdateFreq    int // 0: once per epoch (Keras's "epoch")
	ModelJSON     []byte

	train, val *tensorboard.Writer
	batch      int64 // batches since training began
}

func (tb *TensorBoard) dir() string {
	if tb.LogDir == "" {
		return "logs"
	}
	return tb.LogDir
}

func (tb *TensorBoard) OnTrainBegin(r *Run) error {
	if tb.HistogramFreq < 0 || tb.UpdateFreq < 0 {
		return fmt.Errorf("train: TensorBoard histogram_freq %d and update_freq %d must not be negative", tb.HistogramFreq, tb.UpdateFreq)
	}
	tb.batch = 0
	tb.close()
	w, err := tensorboard.NewWriter(filepath.Join(tb.dir(), "train"))
	if err != nil {
		return fmt.Errorf("train: TensorBoard: %w", err)
	}
	tb.train = w
	if tb.ModelJSON != nil {
		return w.KerasModel(tb.ModelJSON)
	}
	return nil
}

func (tb *TensorBoard) OnBatchEnd(r *Run, batch int, logs Logs) error {
	tb.batch++
	if tb.UpdateFreq == 0 || tb.batch%int64(tb.UpdateFreq) != 0 {
		return nil
	}
	for _, k := range logs.Keys() {
		if err := tb.train.Scalar("batch_"+k, tb.batch, logs[k]); err != nil {
			return err
		}
	}
	return nil
}

func (tb *TensorBoard) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	step := int64(epoch)
	opt := r.Model.Optimizer
	var val []string
	for _, k := range logs.Keys() {
		if strings.HasPrefix(k, "val_") {
			val = append(val, k)
			continue
		}
		if k == "learning_rate" {
			continue // written below, from the optimizer, as Keras does
		}
		if err := tb.train.Scalar("epoch_"+k, step, logs[k]); err != nil {
			return err
		}
	}
	if err := tb.train.Scalar("epoch_learning_rate", step, opt.LearningRate()); err != nil {
		return err
	}
	if len(val) > 0 {
		if tb.val == nil {
			w, err := tensorboard.NewWriter(filepath.Join(tb.dir(), "validation"))
			if err != nil {
				return fmt.Errorf("train: TensorBoard: %w", err)
			}
			tb.val = w
		}
		for _, k := range val {
			if err := tb.val.Scalar("epoch_"+k[4:], step, logs[k]); err != nil {
				return err
			}
		}
		// Keras's on_test_end, at the end of each validation.
		for _, k := range val {
			if err := tb.val.Scalar("evaluation_"+k[4:]+"_vs_iterations", opt.Iterations(), logs[k]); err != nil {
				return err
			}
		}
		if err := tb.val.Flush(); err != nil {
			return err
		}
	}
	if tb.HistogramFreq > 0 && epoch%tb.HistogramFreq == 0 {
		for _, l := range r.Model.Net.Layers {
			for _, p := range l.Params() {
				if err := tb.train.Histogram(l.LayerName()+"/"+p.Name+"/histogram", step, p.Value.Data); err != nil {
					return err
				}
			}
		}
	}
	return tb.train.Flush()
}

func (tb *TensorBoard) OnTrainEnd(*Run) error { return tb.close() }

func (tb *TensorBoard) close() error {
	var errs []error
	for _, w := range []**tensorboard.Writer{&tb.train, &tb.val} {
		if *w != nil {
			errs = append(errs, (*w).Close())
			*w = nil
		}
	}
	return errors.Join(errs...)
}
