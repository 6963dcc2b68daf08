package gokeras

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/gokeras/gokeras/train"
)

// ModelCheckpoint saves the model after each epoch, or only when Monitor
// improves with SaveBestOnly, as Keras's callback. Filepath may contain
// {epoch}, {epoch:02d} and {val_loss:.4f}-style fields, filled from the
// epoch (counting from 1) and its logs.
type ModelCheckpoint struct {
	train.NopCallback
	Model        *Sequential
	Filepath     string
	Monitor      string // default "val_loss"
	SaveBestOnly bool
	Mode         train.Mode

	best *train.Best
}

func (c *ModelCheckpoint) OnTrainBegin(*train.Run) error {
	if c.Model == nil || c.Filepath == "" {
		return fmt.Errorf("gokeras: ModelCheckpoint needs Model and Filepath")
	}
	monitor := c.Monitor
	if monitor == "" {
		monitor = "val_loss"
	}
	c.best = &train.Best{Monitor: monitor, Mode: c.Mode}
	return nil
}

func (c *ModelCheckpoint) OnEpochEnd(_ *train.Run, epoch int, logs train.Logs) error {
	if c.SaveBestOnly {
		better, err := c.best.Update("ModelCheckpoint", logs)
		if err != nil || !better {
			return err
		}
	}
	// The model's epoch counter runs first (Fit registers it first), so a
	// resumed load starts after this epoch.
	return c.Model.Save(formatCheckpointPath(c.Filepath, epoch+1, logs))
}

var fieldRE = regexp.MustCompile(`\{([a-z_]+)(?::([^}]*))?\}`)

// formatCheckpointPath fills Python-format fields: {epoch:02d}, {val_loss:.2f}.
func formatCheckpointPath(path string, epoch int, logs train.Logs) string {
	return fieldRE.ReplaceAllStringFunc(path, func(f string) string {
		m := fieldRE.FindStringSubmatch(f)
		name, spec := m[1], m[2]
		var v float64
		if name == "epoch" {
			v = float64(epoch)
			if spec == "" {
				return strconv.Itoa(epoch)
			}
		} else if lv, ok := logs[name]; ok {
			v = lv
		} else {
			return f
		}
		if spec == "" {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		if spec[len(spec)-1] == 'd' {
			return fmt.Sprintf("%"+spec, int(v))
		}
		return fmt.Sprintf("%"+spec, v)
	})
}
