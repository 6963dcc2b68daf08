package train

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
)

// CSVLogger appends each epoch's logs to a CSV file: a header "epoch,..."
// then one row per epoch, as Keras's CSVLogger writes.
type CSVLogger struct {
	NopCallback
	Filename  string
	Separator rune // 0 means ','
	Append    bool

	f    *os.File
	w    *csv.Writer
	keys []string
}

func (c *CSVLogger) OnTrainBegin(r *Run) error {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	hasHeader := false
	if c.Append {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		if st, err := os.Stat(c.Filename); err == nil && st.Size() > 0 {
			hasHeader = true
		}
	}
	f, err := os.OpenFile(c.Filename, flags, 0o644)
	if err != nil {
		return fmt.Errorf("train: CSVLogger: %w", err)
	}
	c.f = f
	c.w = csv.NewWriter(f)
	if c.Separator != 0 {
		c.w.Comma = c.Separator
	}
	c.keys = nil
	if hasHeader {
		c.keys = []string{} // keep the file's header; columns follow the logs
	}
	return nil
}

func (c *CSVLogger) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	if c.keys == nil || len(c.keys) == 0 {
		fresh := c.keys == nil
		c.keys = logs.Keys()
		if fresh {
			if err := c.w.Write(append([]string{"epoch"}, c.keys...)); err != nil {
				return err
			}
		}
	}
	row := []string{strconv.Itoa(epoch)}
	for _, k := range c.keys {
		row = append(row, strconv.FormatFloat(logs[k], 'g', -1, 64))
	}
	if err := c.w.Write(row); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func (c *CSVLogger) OnTrainEnd(r *Run) error {
	if c.f == nil {
		return nil
	}
	c.w.Flush()
	err := c.f.Close()
	c.f = nil
	return err
}
