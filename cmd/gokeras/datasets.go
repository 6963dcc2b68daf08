package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/gokeras/gokeras/dataset"
)

func init() {
	register(command{"datasets", "list, describe and download the data sets (list | info NAME | download NAME)", runDatasets})
}

func runDatasets(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("datasets", stdout)
	dataDir := fs.String("data-dir", "", "folder for downloaded files (default: ~/.keras/datasets, or $KERAS_HOME/datasets)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	opts := dataset.Options{DataDir: *dataDir, Progress: stderr}
	sub := ""
	if len(pos) > 0 {
		sub = pos[0]
	}
	switch {
	case sub == "list" && len(pos) == 1:
		fmt.Fprintf(stdout, "%-15s %-14s %-13s %7s %7s  %s\n", "NAME", "TASK", "INPUT", "TRAIN", "TEST", "WHERE")
		for _, info := range dataset.List() {
			fmt.Fprintf(stdout, "%-15s %-14s %-13s %7d %7d  %s\n", info.Name, info.Task, shapeText(info.InputShape), info.TrainSize, info.TestSize, where(info, opts))
		}
		return nil
	case sub == "info" && len(pos) == 2:
		info, err := dataset.Lookup(pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s\n", info.Name, info.Description)
		fmt.Fprintf(stdout, "task:    %s\n", info.Task)
		fmt.Fprintf(stdout, "input:   %s per sample\n", shapeText(info.InputShape))
		fmt.Fprintf(stdout, "samples: %d train, %d test\n", info.TrainSize, info.TestSize)
		if len(info.Classes) > 0 {
			fmt.Fprintf(stdout, "classes: %d (%s)\n", len(info.Classes), strings.Join(info.Classes, ", "))
		}
		if info.Embedded {
			fmt.Fprintln(stdout, "files:   embedded in gokeras, nothing to download")
			return nil
		}
		files, err := dataset.CacheStatus(info.Name, opts)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintf(stdout, "file:    %s (%s)\n", f.Path, fileState(f, info.Name))
		}
		return nil
	case sub == "download" && len(pos) == 2:
		files, err := dataset.Download(pos[1], opts)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintln(stdout, f)
		}
		return nil
	}
	return fmt.Errorf("usage: gokeras datasets [--data-dir DIR] list | info NAME | download NAME")
}

// where says whether a set is embedded, cached or still to download.
func where(info dataset.Info, opts dataset.Options) string {
	if info.Embedded {
		return "embedded"
	}
	files, err := dataset.CacheStatus(info.Name, opts)
	if err != nil {
		return err.Error()
	}
	dir := dataset.CacheDir(opts)
	for _, f := range files {
		if f.Err != nil && !errors.Is(f.Err, fs.ErrNotExist) {
			return "a bad file in " + dir + ": see 'gokeras datasets info " + info.Name + "'"
		}
	}
	for _, f := range files {
		if f.Err != nil {
			return "not downloaded"
		}
	}
	return "cached in " + dir
}

// fileState says what the cache holds for one file: its size, or why it
// cannot be used.
func fileState(f dataset.CachedFile, name string) string {
	var ce *dataset.ChecksumError
	switch {
	case f.Err == nil && f.Size < 1e6:
		return fmt.Sprintf("%.1f kB", float64(f.Size)/1e3)
	case f.Err == nil:
		return fmt.Sprintf("%.1f MB", float64(f.Size)/1e6)
	case errors.Is(f.Err, fs.ErrNotExist):
		return "missing: 'gokeras datasets download " + name + "' fetches it"
	case errors.As(f.Err, &ce):
		return fmt.Sprintf("bad: %s %s, want %s; it is not used", ce.Algorithm, ce.Got, ce.Want)
	}
	return fmt.Sprintf("cannot be used: %v", f.Err)
}

func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
