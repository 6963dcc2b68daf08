package main

// The files train writes: checked before anything is trained, and written
// at the end model first, so that a bad path never costs the training.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/train"
)

// output is a file a command writes, named by its flag.
type output struct {
	flag, path string
}

// checkOutputs reports every output whose path cannot be written, before
// any data is loaded or epoch trained: its folder must exist and take a
// new file, and the path must not be a folder. Empty paths are skipped.
func checkOutputs(outs ...output) error {
	var bad []string
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		if err := checkWritable(o.path); err != nil {
			bad = append(bad, fmt.Sprintf("--%s %s: %v", o.flag, o.path, err))
		}
	}
	if bad == nil {
		return nil
	}
	return fmt.Errorf("%s; nothing was trained: fix the path first", strings.Join(bad, "; "))
}

// checkWritable checks that path's folder exists and that a file can be
// created in it, by creating and removing an empty probe file. Every
// output here is written to a temporary file in the folder and renamed,
// or created in place, so the folder's permission is what counts. A
// {epoch}-style field in the folder part (a checkpoint pattern) is not
// checked.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return errors.New("is a folder; give a file name")
	}
	// What Save itself refuses: a device, a FIFO, a read-only file (after
	// symlinks).
	if err := gokeras.CheckSavePath(path); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "gokeras: save: "))
	}
	dir := filepath.Dir(path)
	if strings.ContainsRune(dir, '{') {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("folder %s does not exist; create it first", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".gokeras-probe-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot create a file in folder %s: %v", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// trainOutputs are the files train writes when training ends.
type trainOutputs struct {
	save, history, plot string
}

// write saves the model first, the part that took the time, then the
// history and its plot. A failure writing one output does not stop the
// others; the error names every one that failed.
func (o trainOutputs) write(stdout io.Writer, m *gokeras.Sequential, hist *train.History) error {
	var failed []string
	if o.save != "" {
		if err := m.Save(o.save); err != nil {
			failed = append(failed, "--save: "+errorText(err))
		} else {
			fmt.Fprintf(stdout, "saved %s (epoch %d)\n", o.save, m.Epoch())
		}
	}
	if o.history != "" && hist != nil {
		if err := hist.WriteJSON(o.history); err != nil {
			failed = append(failed, "--history: "+errorText(err))
		}
	}
	if o.plot != "" && hist != nil && hist.Len() > 0 {
		if err := writeHistoryPlot(stdout, o.plot, hist); err != nil {
			failed = append(failed, "--plot: "+errorText(err))
		}
	}
	if failed == nil {
		return nil
	}
	return fmt.Errorf("writing the outputs failed: %s", strings.Join(failed, "; "))
}
