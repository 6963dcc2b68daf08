package dataset

import (
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// remoteFile is one file a loader needs: its name in the cache folder, the
// URL Keras downloads it from and the checksums that accept it.
type remoteFile struct {
	Name   string // relative to the cache folder, e.g. "fashion-mnist/t10k-labels-idx1-ubyte.gz"
	URL    string
	SHA256 string // of the file as served (Keras's file_hash); "" when unknown
	MD5    string // of the file as served; "" when unknown
	// ContentSHA256 is the sha256 of the decompressed bytes of a .gz file.
	// It accepts copies that were recompressed (Debian's fashion-mnist
	// package strips the gzip header's file name, so the file hashes differ
	// while the data are the same).
	ContentSHA256 string
	// Aliases are other names under which Keras versions cache the same
	// bytes (Keras 2 saved archives as NAME.tar.gz, Keras 3 as NAME_archive).
	Aliases []string
}

// ChecksumError reports a file whose checksum is not the expected one.
type ChecksumError struct {
	File      string // path on disk or URL
	Algorithm string // "sha256" or "md5"
	Got, Want string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("dataset: %s has %s %s, want %s (incomplete or corrupted download)", e.File, e.Algorithm, e.Got, e.Want)
}

// OfflineError is returned when a file is not in the cache and downloading
// is not allowed or not possible.
type OfflineError struct {
	URL  string // where the file comes from
	File string // expected file name
	Dir  string // folder a user can put it in
	Err  error  // why it could not be fetched; nil when Offline was set
}

func (e *OfflineError) Error() string {
	why := "downloads are off (offline mode)"
	if e.Err != nil {
		why = "the download failed: " + e.Err.Error()
	}
	return fmt.Sprintf("dataset: %s is not in the cache and %s. Fetch it on a machine with internet access from %s "+
		"and copy it, keeping the name %s, into the folder %s (or point --data-dir / Options.DataDir at the folder that holds it); "+
		"its checksum is verified before use.", filepath.Base(e.File), why, e.URL, filepath.Base(e.File), e.Dir)
}

func (e *OfflineError) Unwrap() error { return e.Err }

// CacheDir is the folder downloaded files live in: opts.DataDir if set,
// else Keras's cache $KERAS_HOME/datasets, else ~/.keras/datasets. Keras
// and gokeras share it, so a file either one downloaded serves both.
func CacheDir(opts Options) string {
	if opts.DataDir != "" {
		return opts.DataDir
	}
	if h := os.Getenv("KERAS_HOME"); h != "" {
		return filepath.Join(h, "datasets")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), ".keras", "datasets")
	}
	return filepath.Join(home, ".keras", "datasets")
}

// Download settings; tests shorten them.
var (
	httpClient   = &http.Client{Timeout: 30 * time.Minute}
	retryBackoff = time.Second // doubled after each failed attempt
	maxAttempts  = 4
)

// fetch returns the path of f in the cache, downloading it if needed. A
// cached file that fails its checksum is reported on opts.Progress (or
// stderr), removed and fetched again; it is never used.
func fetch(f remoteFile, opts Options) (string, error) {
	dir := CacheDir(opts)
	// Copies under another Keras version's name are used when they check
	// out and otherwise left alone: they may be a different file.
	for _, n := range f.Aliases {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if _, err := os.Stat(p); err == nil && verify(p, f) == nil {
			return p, nil
		}
	}
	p := filepath.Join(dir, filepath.FromSlash(f.Name))
	if _, err := os.Stat(p); err == nil {
		err := verify(p, f)
		if err == nil {
			return p, nil
		}
		if opts.Offline {
			return "", fmt.Errorf("dataset: cached file %s is bad and downloads are off; delete it, or fetch it again from %s: %w", p, f.URL, err)
		}
		w := opts.Progress
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "dataset: cached file %s is bad (%v); removing it and downloading it again\n", p, err)
		if rerr := os.Remove(p); rerr != nil {
			return "", fmt.Errorf("dataset: cannot remove bad cached file %s: %w", p, rerr)
		}
	}
	target := filepath.Join(dir, filepath.FromSlash(f.Name))
	url := f.URL
	if opts.Mirror != "" {
		url = strings.TrimRight(opts.Mirror, "/") + "/" + path.Base(f.URL)
	}
	if opts.Offline {
		return "", &OfflineError{URL: url, File: target, Dir: filepath.Dir(target)}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", fmt.Errorf("dataset: cannot create the cache folder: %w", err)
	}
	var err error
	wait := retryBackoff
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = download(url, target, f, opts.Progress)
		if err == nil {
			return target, nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			err = perm.err
			break
		}
		if attempt < maxAttempts {
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "dataset: %v; retrying in %v (attempt %d of %d)\n", err, wait, attempt+1, maxAttempts)
			}
			time.Sleep(wait)
			wait *= 2
		}
	}
	var ce *ChecksumError
	if errors.As(err, &ce) {
		return "", err
	}
	return "", &OfflineError{URL: url, File: target, Dir: filepath.Dir(target), Err: err}
}

// permanentError marks a failure that retrying cannot fix (404, 403).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// download fetches url into a temporary file next to target, checks it and
// renames it into place; on any failure the temporary file is removed.
func download(url, target string, f remoteFile, progress io.Writer) (err error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return &permanentError{err}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e := fmt.Errorf("GET %s: %s", url, resp.Status)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return &permanentError{e}
		}
		return e
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".part-*")
	if err != nil {
		return &permanentError{fmt.Errorf("cannot write to the cache folder: %w", err)}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bar := newProgressBar(progress, filepath.Base(target), resp.ContentLength)
	n, err := io.Copy(tmp, io.TeeReader(resp.Body, bar))
	bar.done()
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("GET %s: got %d bytes, want %d", url, n, resp.ContentLength)
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = verify(tmp.Name(), f); err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) {
			ce.File = url
			return &permanentError{ce}
		}
		return err
	}
	return os.Rename(tmp.Name(), target)
}

// verify checks p against f's checksums: the file's sha256 or md5, or for a
// .gz file the sha256 of its decompressed bytes. With no checksum known it
// only checks that a .gz file decompresses.
func verify(p string, f remoteFile) error {
	sum := func(h hash.Hash, gz bool) (string, error) {
		fh, err := os.Open(p)
		if err != nil {
			return "", err
		}
		defer fh.Close()
		var r io.Reader = fh
		if gz {
			zr, err := gzip.NewReader(fh)
			if err != nil {
				return "", fmt.Errorf("dataset: %s: %w", p, err)
			}
			r = zr
		}
		if _, err := io.Copy(h, r); err != nil {
			return "", fmt.Errorf("dataset: %s: %w", p, err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	var first error
	try := func(algo, want string, h hash.Hash, gz bool) bool {
		if want == "" {
			return false
		}
		got, err := sum(h, gz)
		if err == nil && strings.EqualFold(got, want) {
			return true
		}
		if first == nil {
			if err != nil {
				first = err
			} else {
				first = &ChecksumError{File: p, Algorithm: algo, Got: got, Want: want}
			}
		}
		return false
	}
	if try("sha256", f.SHA256, sha256.New(), false) ||
		try("md5", f.MD5, md5.New(), false) ||
		try("sha256 of the decompressed data", f.ContentSHA256, sha256.New(), true) {
		return nil
	}
	if first != nil {
		return first
	}
	if strings.HasSuffix(f.Name, ".gz") {
		_, err := sum(sha256.New(), true)
		return err
	}
	return nil
}
