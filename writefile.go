package gokeras

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// Saving never destroys what is at the destination: writeAtomic writes a
// temporary file in the destination's folder, syncs it and renames it over
// the destination, so a crash leaves the old file or the new one. The
// destination must be a regular file (or not exist yet): a directory, a
// device or a FIFO is refused rather than replaced. A symlink is followed,
// so the link stays a link and its target gets the model; a replaced file
// keeps its permission bits, a new one gets 0666 &^ umask (as cp, or
// Python's open, create files); a read-only file is refused as cp refuses
// it. After the rename the folder is synced so that the new name survives
// a power cut, and temp files of saves killed more than a day ago are
// removed.

// maxSymlinks is how many symlinks a destination may go through: Linux's
// MAXSYMLINKS (40, include/linux/namei.h), past which open gives ELOOP.
const maxSymlinks = 40

// staleTempAge is how old a temp file of ours must be before a save in
// its folder removes it: a save in progress rewrites its file within
// seconds; one untouched for a day belonged to a process that was killed.
const staleTempAge = 24 * time.Hour

// tempName matches the temp files writeAtomic creates, ".NAME.tmp-DIGITS".
var tempName = regexp.MustCompile(`^\..+\.tmp-[0-9]+$`)

// writeAtomic replaces the file at path with data as described above.
func writeAtomic(path string, data []byte) error {
	target, mode, exists, err := saveTarget(path)
	if err != nil {
		return fmt.Errorf("gokeras: save: %w", err)
	}
	dir := filepath.Dir(target)
	removeStaleTemps(dir)
	f, tmp, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return fmt.Errorf("gokeras: save %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil && exists {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("gokeras: save %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// CheckSavePath returns the error Save would give for path's destination,
// without writing anything: it fails when path (after symlinks) is a
// directory, a device, a FIFO or a read-only file. A tool that trains can
// call it before the first epoch rather than learn it at the end. Whether
// the folder takes a new file is not checked.
func CheckSavePath(path string) error {
	if _, _, _, err := saveTarget(path); err != nil {
		return fmt.Errorf("gokeras: save: %w", err)
	}
	return nil
}

// saveTarget follows symlinks from path to the file a save replaces. It
// returns that file's path, and its permission bits when it exists; it
// fails when the file is not a regular file or is read-only.
func saveTarget(path string) (target string, mode fs.FileMode, exists bool, err error) {
	p := path
	for links := 0; ; links++ {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, 0, false, nil
		}
		if err != nil {
			return "", 0, false, err
		}
		m := fi.Mode()
		where := p
		if p != path {
			where = fmt.Sprintf("%s (the target of %s)", p, path)
		}
		switch {
		case m&fs.ModeSymlink != 0:
			if links == maxSymlinks {
				return "", 0, false, fmt.Errorf("%s: too many levels of symbolic links (a loop?); save to a regular file", path)
			}
			dest, err := os.Readlink(p)
			if err != nil {
				return "", 0, false, err
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(p), dest)
			}
			p = dest
		case m.IsRegular():
			if m.Perm()&0o222 == 0 {
				return "", 0, false, fmt.Errorf("%s is read-only (mode %v); make it writable (chmod u+w) or save to another name", where, m.Perm())
			}
			return p, m.Perm(), true, nil
		default:
			return "", 0, false, fmt.Errorf("%s is %s, not a regular file; give a file name for the model", where, kindOf(m))
		}
	}
}

// kindOf names a file type that is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a file (" + m.Type().String() + ")"
}

// createTemp creates ".NAME.tmp-DIGITS" in dir for writing. It is
// os.CreateTemp with mode 0666 instead of 0600, so that the umask gives a
// new model the mode any new file gets.
func createTemp(dir, name string) (*os.File, string, error) {
	for range 10000 {
		p := filepath.Join(dir, "."+name+".tmp-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, p, err
	}
	return nil, "", fmt.Errorf("cannot find an unused temporary name in %s", dir)
}

// removeStaleTemps removes, from dir, regular files named as writeAtomic's
// temp files that have not been modified for staleTempAge. It is best
// effort: a failure changes nothing for the save.
func removeStaleTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !tempName.MatchString(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTempAge {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncDir flushes dir's entries (the rename) to disk. Errors are ignored:
// the rename has happened, and some systems cannot sync a folder (Windows
// cannot open one; some file systems return EINVAL).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
