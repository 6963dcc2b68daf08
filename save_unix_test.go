//go:build unix

package gokeras_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gokeras/gokeras"
)

// trainedToy returns a model fitted for epochs epochs.
func trainedToy(t *testing.T, epochs int) *gokeras.Sequential {
	t.Helper()
	x, y := toyImages(40, 7)
	m := toyModel(5)
	if _, err := m.Fit(x, y, silent(epochs)); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSaveRefusesNonRegular is D3: a directory, a FIFO or a device (here
// through a symlink to /dev/null) is never replaced by a model file.
func TestSaveRefusesNonRegular(t *testing.T) {
	m := trainedToy(t, 1)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	fifo := filepath.Join(dir, "fifo")
	devLink := filepath.Join(dir, "null.safetensors")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", devLink); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{sub: "is a directory", fifo: "named pipe", devLink: "device"} {
		if err := gokeras.CheckSavePath(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckSavePath(%s) = %v, want it to say %q", filepath.Base(path), err, want)
		}
		before, _ := os.Lstat(path)
		err := m.Save(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Save(%s): err = %v, want it to say %q and \"not a regular file\"", filepath.Base(path), err, want)
		}
		after, _ := os.Lstat(path)
		if after == nil || after.Mode() != before.Mode() {
			t.Errorf("Save(%s) changed it from %v to %v", filepath.Base(path), before.Mode(), after)
		}
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a character device: %v %v", fi, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temp files left: %v", leftovers)
	}
}

// TestSaveThroughSymlink is D3: a symlink stays a link and its target gets
// the new model.
func TestSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(real, "target.safetensors")
	link := filepath.Join(dir, "link.safetensors")
	if err := trainedToy(t, 1).Save(target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/target.safetensors", link); err != nil {
		t.Fatal(err)
	}
	if err := trainedToy(t, 2).Save(link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link after Save: %v, %v; want it still a symlink", fi, err)
	}
	m, err := gokeras.Load(target)
	if err != nil || m.Epoch() != 2 {
		t.Errorf("target after saving through the link: %v, %v; want the epoch-2 model", m, err)
	}

	// A link to a file that does not exist yet creates the file.
	dangling := filepath.Join(dir, "new.safetensors")
	if err := os.Symlink("real/new.safetensors", dangling); err != nil {
		t.Fatal(err)
	}
	if err := trainedToy(t, 1).Save(dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := gokeras.Load(filepath.Join(real, "new.safetensors")); err != nil {
		t.Errorf("dangling link's target: %v", err)
	}

	// A loop is an error, not a hang.
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Symlink("b", a)
	os.Symlink("a", b)
	if err := trainedToy(t, 1).Save(a); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("Save through a symlink loop: %v", err)
	}
}

// TestSaveKeepsMode is D3: a replaced file keeps its mode, a new one gets
// 0666 &^ umask, and a read-only file is not replaced.
func TestSaveKeepsMode(t *testing.T) {
	m := trainedToy(t, 1)
	dir := t.TempDir()
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)

	fresh := filepath.Join(dir, "fresh.safetensors")
	if err := m.Save(fresh); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o640 {
		t.Errorf("new file mode %v with umask 027, want -rw-r-----", fi.Mode())
	}
	kept := filepath.Join(dir, "kept.safetensors")
	os.WriteFile(kept, []byte("old"), 0o600)
	os.Chmod(kept, 0o664)
	if err := m.Save(kept); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o664 {
		t.Errorf("replaced file mode %v, want the old -rw-rw-r--", fi.Mode())
	}
	ro := filepath.Join(dir, "ro.safetensors")
	os.WriteFile(ro, []byte("keep me"), 0o444)
	if err := gokeras.CheckSavePath(fresh); err != nil {
		t.Errorf("CheckSavePath(a writable file) = %v", err)
	}
	if err := m.Save(ro); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Save over a 0444 file: %v, want a read-only error", err)
	}
	if b, _ := os.ReadFile(ro); string(b) != "keep me" {
		t.Errorf("read-only file overwritten")
	}
}

// TestSaveRemovesStaleTempFiles is D5: temp files of a killed save, older
// than a day, go at the next save in the folder; fresh ones (another save
// may be writing them) and other files stay.
func TestSaveRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	day := 24 * time.Hour
	files := map[string]time.Duration{
		".ck.safetensors.tmp-1234567": 2 * day, // stale: removed
		".other.tmp-42":               25 * time.Hour,
		".ck.safetensors.tmp-7654321": time.Hour, // fresh: kept
		".notes.tmp-draft":            2 * day,   // not our pattern: kept
		"model.tmp-5":                 2 * day,   // not hidden: kept
	}
	for name, age := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		os.Chtimes(p, when, when)
	}
	if err := trainedToy(t, 1).Save(filepath.Join(dir, "m.safetensors")); err != nil {
		t.Fatal(err)
	}
	for name, age := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		stale := age > day && !strings.Contains(name, "draft") && strings.HasPrefix(name, ".")
		if stale != os.IsNotExist(err) {
			t.Errorf("%s (%v old): exists = %v after a save, want %v", name, age, err == nil, !stale)
		}
	}
}
