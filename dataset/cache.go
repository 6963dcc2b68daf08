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
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
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

// fetch returns the path of f in the cache, downloading it if needed.
//
// A cached file that fails its checksum is never used and never deleted:
// it may be the user's own copy in --data-dir, and offline nothing would
// replace it. It stays where it is until a good copy has been downloaded
// and checked; then it is kept beside the good one as NAME.bad (see
// keepAside). When no good copy can be had, the error (a *BadFileError)
// names the file and both checksums.
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
	target := filepath.Join(dir, filepath.FromSlash(f.Name))
	url := f.URL
	if opts.Mirror != "" {
		url = strings.TrimRight(opts.Mirror, "/") + "/" + path.Base(f.URL)
	}
	var bad error // why the file at target cannot be used; nil when there is none
	if _, err := os.Stat(target); err == nil {
		if bad = verify(target, f); bad == nil {
			return target, nil
		}
		if opts.Offline {
			return "", &BadFileError{File: target, URL: url, Err: bad}
		}
		fmt.Fprintf(progressOut(opts), "dataset: cached file %s is bad (%s); downloading a good copy (the bad one stays until it has arrived, then is kept aside)\n",
			target, checkText(bad))
	}
	if opts.Offline {
		return "", &OfflineError{URL: url, File: target, Dir: filepath.Dir(target)}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", fmt.Errorf("dataset: cannot create the cache folder: %w", err)
	}
	removeStaleParts(filepath.Dir(target), opts.Progress)
	var err error
	var tmp string
	wait := retryBackoff
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		tmp, err = download(url, target, f, opts.Progress)
		if err == nil {
			break
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
	if err != nil {
		if bad != nil {
			return "", &BadFileError{File: target, URL: url, Err: bad, DownloadErr: err}
		}
		var ce *ChecksumError
		if errors.As(err, &ce) {
			return "", err
		}
		return "", &OfflineError{URL: url, File: target, Dir: filepath.Dir(target), Err: err}
	}
	if bad != nil {
		aside, err := keepAside(target)
		if err != nil {
			os.Remove(tmp)
			return "", &BadFileError{File: target, URL: url, Err: bad, DownloadErr: err}
		}
		if err := os.Rename(tmp, target); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("dataset: downloaded a good copy of %s but cannot put it in place (the bad copy is kept as %s): %w", target, aside, err)
		}
		fmt.Fprintf(progressOut(opts), "dataset: replaced %s with a good copy; the bad one is now %s\n", target, aside)
		return target, nil
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("dataset: %w", err)
	}
	return target, nil
}

// progressOut is where messages about the cache go: opts.Progress, or
// standard error, as a download's progress would.
func progressOut(opts Options) io.Writer {
	if opts.Progress != nil {
		return opts.Progress
	}
	return os.Stderr
}

// BadFileError reports a file in the cache folder that fails its check
// and that no good copy has replaced; the file is left as it is.
type BadFileError struct {
	File        string // path on disk
	URL         string // where a good copy comes from
	Err         error  // why the file fails: a *ChecksumError, or a read error
	DownloadErr error  // why no good copy was downloaded; nil when downloads are off
}

func (e *BadFileError) Error() string {
	why := "downloads are off"
	if e.DownloadErr != nil {
		why = "downloading a good copy failed (" + strings.TrimPrefix(e.DownloadErr.Error(), "dataset: ") + ")"
	}
	return fmt.Sprintf("dataset: cached file %s is bad (%s) and %s; the file was left as it is: replace it with a good copy from %s, or delete it",
		e.File, checkText(e.Err), why, e.URL)
}

func (e *BadFileError) Unwrap() []error { return []error{e.Err, e.DownloadErr} }

// checkText says why a file failed verify without repeating its name:
// "sha256 X, want Y", or the read error.
func checkText(err error) string {
	var ce *ChecksumError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%s %s, want %s", ce.Algorithm, ce.Got, ce.Want)
	}
	return strings.TrimPrefix(err.Error(), "dataset: ")
}

// keepAside moves the bad file p out of the way of a good copy, to
// p.bad, or p.bad.1, p.bad.2, … when an earlier bad copy holds that name,
// and returns the new name. Nothing is overwritten.
func keepAside(p string) (string, error) {
	for i := 0; i < 1000; i++ {
		aside := p + ".bad"
		if i > 0 {
			aside += "." + strconv.Itoa(i)
		}
		if _, err := os.Lstat(aside); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		// A hard link leaves p in place until the good copy is renamed over
		// it; where links are not supported, rename.
		if err := os.Link(p, aside); err == nil {
			return aside, nil
		}
		if err := os.Rename(p, aside); err != nil {
			return "", fmt.Errorf("cannot keep the bad copy as %s: %w", aside, err)
		}
		return aside, nil
	}
	return "", fmt.Errorf("cannot keep the bad copy: %s.bad and 999 more are taken", p)
}

// partName matches the temporary files download writes (os.CreateTemp's
// pattern ".NAME.part-*" fills the * with decimal digits).
var partName = regexp.MustCompile(`^\..+\.part-[0-9]+$`)

// staleAge is how old a partial download must be to be removed: no
// download runs for a day without writing, so an older one is left by a
// killed run, never read again.
const staleAge = 24 * time.Hour

// removeStaleParts removes, from dir only, the partial downloads a killed
// run left behind: regular files named as download names them and not
// modified for staleAge. Failures are ignored: they are only litter.
func removeStaleParts(dir string, progress io.Writer) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !partName.MatchString(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if os.Remove(p) == nil && progress != nil {
			fmt.Fprintf(progress, "dataset: removed %s, a partial download left by a run that stopped %s ago\n", p, time.Since(fi.ModTime()).Round(time.Hour))
		}
	}
}

// permanentError marks a failure that retrying cannot fix (404, 403).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// download fetches url into a temporary file next to target and checks
// it; it returns the temporary file's path for the caller to rename into
// place. On any failure the temporary file is removed.
func download(url, target string, f remoteFile, progress io.Writer) (_ string, err error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return "", &permanentError{err}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e := fmt.Errorf("GET %s: %s", url, resp.Status)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return "", &permanentError{e}
		}
		return "", e
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".part-*")
	if err != nil {
		return "", &permanentError{fmt.Errorf("cannot write to the cache folder: %w", err)}
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
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", fmt.Errorf("GET %s: got %d bytes, want %d", url, n, resp.ContentLength)
	}
	if err = tmp.Close(); err != nil {
		return "", err
	}
	if err = verify(tmp.Name(), f); err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) {
			ce.File = url
			return "", &permanentError{ce}
		}
		return "", err
	}
	return tmp.Name(), nil
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
